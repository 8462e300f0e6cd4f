"""Revocable tokens: one refresh wins a race, logout / password change / terminate kill access."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from conftest import PASSWORD

LOGIN = "/api/auth/login"
REFRESH = "/api/auth/refresh"
LOGOUT = "/api/auth/logout"
ME = "/api/auth/me"


def _pair(username: str = "alice") -> dict[str, str]:
    response = APIClient().post(LOGIN, {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def _me(access: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get(ME).status_code


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_refreshes_with_one_token_yield_one_pair(candidate) -> None:
    refresh = _pair()["refresh"]
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def worker() -> None:
        try:
            start.wait()
            response = APIClient().post(REFRESH, {"refresh": refresh}, format="json")
            with lock:
                results.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [401] * 19, statuses
    assert all(body["error"]["code"] == "token_not_valid" for s, body in results if s == 401)
    (winner,) = [body for status, body in results if status == 200]
    assert _me(winner["access"]) == 200


@pytest.mark.django_db
def test_logout_kills_the_access_token_at_once(candidate) -> None:
    pair = _pair()
    assert _me(pair["access"]) == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert client.post(LOGOUT, {"refresh": pair["refresh"]}, format="json").status_code == 204
    refused = client.get(ME)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "token_revoked"
    # A new sign-in works again.
    assert _me(_pair()["access"]) == 200


@pytest.mark.django_db
def test_logout_refuses_another_users_refresh_token(candidate, other_candidate) -> None:
    alice, bob = _pair("alice"), _pair("bob")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {alice['access']}")
    response = client.post(LOGOUT, {"refresh": bob["refresh"]}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "token_not_yours"
    # Bob's refresh token still works and Alice is still signed in.
    assert APIClient().post(REFRESH, {"refresh": bob["refresh"]}, format="json").status_code == 200
    assert _me(alice["access"]) == 200


@pytest.mark.django_db
def test_password_change_kills_access_and_refresh_tokens(candidate) -> None:
    pair = _pair()
    candidate.set_password("a-brand-new-passphrase-7")
    candidate.save()
    assert _me(pair["access"]) == 401
    refreshed = APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert refreshed.status_code == 401


@pytest.mark.django_db
def test_terminate_kills_the_candidates_tokens(candidate, proctor, exam, start_session) -> None:
    from exams.services import session_terminate

    pair = _pair()
    session, _token = start_session(candidate, exam)
    session_terminate(session=session, actor=proctor, reason="Phone on the desk.")
    assert _me(pair["access"]) == 401
    assert APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 401


@pytest.mark.django_db
def test_revoked_token_is_refused_on_the_websocket(candidate) -> None:
    from accounts.services import user_tokens_revoke
    from monitoring.consumers import user_for_access_token

    pair = _pair()
    assert user_for_access_token(pair["access"]) == candidate
    user_tokens_revoke(user=candidate, reason="test")
    assert user_for_access_token(pair["access"]) is None
