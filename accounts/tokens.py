"""Revocable JWTs: every token carries the user's token generation; bumping it kills them all.

SimpleJWT's access tokens are stateless, so a blacklisted refresh token leaves its access
tokens alive for their whole lifetime. Each token we issue carries ``gen``, the user's
``token_generation`` when it was issued; authentication (HTTP and websocket) already loads the
user row, so comparing the two costs nothing extra. ``user_tokens_revoke`` (logout, a
proctor's terminate) bumps the generation; a password change is caught by SimpleJWT's own
``CHECK_REVOKE_TOKEN`` (a hash of the password hash in the token).
"""

from __future__ import annotations

from typing import Any

from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from .models import User

GENERATION_CLAIM = "gen"


class RevocableRefreshToken(RefreshToken):
    """A refresh token (and the access tokens made from it) bound to the user's generation."""

    @classmethod
    def for_user(cls, user: Any) -> RevocableRefreshToken:
        token = super().for_user(user)
        token[GENERATION_CLAIM] = user.token_generation
        return token


class RevocableAccessToken(AccessToken):
    @classmethod
    def for_user(cls, user: Any) -> RevocableAccessToken:
        token = super().for_user(user)
        token[GENERATION_CLAIM] = user.token_generation
        return token


def token_revoked_reason(token: Token, user: User) -> str | None:
    """Why ``token`` no longer speaks for ``user`` (None when it still does)."""
    if not user.is_active:
        return "user_inactive"
    if token.get(GENERATION_CLAIM, 0) != user.token_generation:
        return "token_revoked"
    if token.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
        return "password_changed"
    return None
