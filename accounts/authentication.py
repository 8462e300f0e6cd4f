"""DRF authentication: SimpleJWT, plus the revocation check of ``accounts.tokens``."""

from __future__ import annotations

from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.tokens import Token

from .models import User
from .tokens import token_revoked_reason


class RevocableJWTAuthentication(JWTAuthentication):
    """A JWT whose user logged out, was terminated or changed password is refused (401)."""

    def get_user(self, validated_token: Token) -> User:
        user = super().get_user(validated_token)
        reason = token_revoked_reason(validated_token, user)
        if reason is not None:
            raise AuthenticationFailed("This token has been revoked.", code=reason)
        return user
