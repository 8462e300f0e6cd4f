from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import CandidateProfile, User

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register"
LOGIN = "/api/auth/login"
REFRESH = "/api/auth/refresh"
LOGOUT = "/api/auth/logout"
ME = "/api/auth/me"


def _register_body(**overrides):
    body = {
        "username": "carol",
        "email": "carol@example.com",
        "password": "a-long-unusual-passphrase",
        "full_name": "Carol Candidate",
        "institution": "Uni",
    }
    body.update(overrides)
    return body


def _login(api_client, username: str, password: str):
    return api_client.post(LOGIN, {"username": username, "password": password}, format="json")


def test_register_creates_candidate_with_profile(api_client) -> None:
    response = api_client.post(REGISTER, _register_body(), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["role"] == "candidate"
    user = User.objects.get(username="carol")
    assert user.check_password("a-long-unusual-passphrase")
    assert CandidateProfile.objects.get(user=user).full_name == "Carol Candidate"
    assert "password" not in response.json()


def test_register_duplicate_username_is_conflict(api_client, candidate) -> None:
    response = api_client.post(
        REGISTER, _register_body(username="alice", email="new@example.com"), format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "username_taken"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "x1"}, "email"),
        (_register_body(email="not-an-email"), "email"),
        (_register_body(password="123"), "password"),
        (_register_body(password="password"), "non_field_errors"),
        (_register_body(username=["a", "list"]), "username"),
    ],
)
def test_register_bad_input(api_client, body, field) -> None:
    response = api_client.post(REGISTER, body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["details"]["fields"]
    assert not User.objects.filter(email="carol@example.com").exists()


def test_malformed_json_gets_the_error_shape(api_client) -> None:
    response = api_client.post(REGISTER, data='{"username": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_oversized_body_is_413(api_client) -> None:
    body = _register_body(full_name="x" * (2 * 1024 * 1024))
    response = api_client.post(REGISTER, body, format="json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_login_returns_tokens_and_me_works(api_client, candidate) -> None:
    from conftest import PASSWORD

    response = _login(api_client, "alice", PASSWORD)
    assert response.status_code == 200
    access = response.json()["access"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    me = api_client.get(ME)
    assert me.status_code == 200
    assert me.json()["id"] == candidate.pk
    assert me.json()["role"] == "candidate"


def test_access_token_lifetime_is_30_minutes(api_client, candidate) -> None:
    from conftest import PASSWORD

    access = AccessToken(_login(api_client, "alice", PASSWORD).json()["access"])
    assert access["exp"] - access["iat"] == 30 * 60


def test_wrong_password_is_401(api_client, candidate) -> None:
    response = _login(api_client, "alice", "wrong-password")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_expired_access_token_is_401(api_client, candidate) -> None:
    token = AccessToken.for_user(candidate)
    token.set_exp(lifetime=-timedelta(seconds=1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = api_client.get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_no_token_is_401(api_client) -> None:
    response = api_client.get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_refresh_rotates_and_old_refresh_cannot_be_reused(api_client, candidate) -> None:
    from conftest import PASSWORD

    first = _login(api_client, "alice", PASSWORD).json()
    rotated = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert rotated.status_code == 200
    assert rotated.json()["refresh"] != first["refresh"]
    reused = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "token_not_valid"
    again = api_client.post(REFRESH, {"refresh": rotated.json()["refresh"]}, format="json")
    assert again.status_code == 200


def test_logout_blacklists_refresh_token(api_client, candidate) -> None:
    from conftest import PASSWORD

    pair = _login(api_client, "alice", PASSWORD).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    response = api_client.post(LOGOUT, {"refresh": pair["refresh"]}, format="json")
    assert response.status_code == 204
    api_client.credentials()
    refreshed = api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert refreshed.status_code == 401


def test_logout_with_garbage_token_is_400(client_for, candidate) -> None:
    response = client_for(candidate).post(LOGOUT, {"refresh": "garbage"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "token_not_valid"
