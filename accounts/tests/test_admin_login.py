"""The admin's sign-in (where proctors sign in) under the same lockout as the API's login."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import LoginThrottle
from conftest import PASSWORD

ADMIN_LOGIN = "/admin/login/?next=/admin/"


def _admin_attempt(password: str, username: str = "proctor", ip: str = "10.0.0.9"):
    return Client(REMOTE_ADDR=ip).post(ADMIN_LOGIN, {"username": username, "password": password})


def _signed_in(response) -> bool:
    return response.status_code == 302 and "sessionid" in response.cookies


@pytest.mark.django_db
def test_admin_locks_out_after_five_failures_even_the_right_password(proctor) -> None:
    for _ in range(5):
        response = _admin_attempt("wrong-password")
        assert response.status_code == 200
        assert not _signed_in(response)
    locked = _admin_attempt(PASSWORD)
    assert locked.status_code == 429
    assert 0 < int(locked["Retry-After"]) <= 15 * 60 + 1
    assert b"Too many failed sign-ins" in locked.content
    assert not _signed_in(locked)
    assert _signed_in(_admin_attempt(PASSWORD, ip="10.0.0.10"))


@pytest.mark.django_db
def test_one_policy_failures_at_the_api_lock_the_admin_too(proctor) -> None:
    for _ in range(5):
        APIClient(REMOTE_ADDR="10.0.0.9").post(
            "/api/auth/login", {"username": "proctor", "password": "nope"}, format="json"
        )
    assert _admin_attempt(PASSWORD).status_code == 429


@pytest.mark.django_db
def test_an_admin_unlocks_from_the_admin(proctor, admin_user) -> None:
    for _ in range(5):
        _admin_attempt("wrong-password")
    assert _admin_attempt(PASSWORD).status_code == 429
    admin = Client()
    admin.force_login(admin_user)
    throttle = LoginThrottle.objects.get(username="proctor")
    response = admin.post(
        "/admin/accounts/loginthrottle/",
        {"action": "unlock", "_selected_action": [str(throttle.pk)]},
    )
    assert response.status_code == 302
    assert _signed_in(_admin_attempt(PASSWORD))


@pytest.mark.django_db
def test_a_proctor_cannot_unlock(proctor) -> None:
    for _ in range(5):
        _admin_attempt("wrong-password", ip="10.0.0.20")
    throttle = LoginThrottle.objects.get(username="proctor")
    staff = Client()
    staff.force_login(proctor)
    staff.post(
        "/admin/accounts/loginthrottle/",
        {"action": "unlock", "_selected_action": [str(throttle.pk)]},
    )
    throttle.refresh_from_db()
    assert throttle.locked_until is not None


@pytest.mark.django_db(transaction=True)
def test_concurrent_burst_on_the_admin_evaluates_at_most_five_passwords(proctor) -> None:
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(12)

    def worker() -> None:
        try:
            start.wait()
            response = _admin_attempt("burst-wrong")
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(statuses) == 12
    assert set(statuses) <= {200, 429}
    assert statuses.count(200) <= 5  # a password was evaluated (and refused)
    assert statuses.count(429) >= 7
    assert _admin_attempt(PASSWORD).status_code == 429
