"""SimpleJWT: short-lived access tokens, rotating refresh tokens that are blacklisted once used."""

from __future__ import annotations

from datetime import timedelta

from .env import env_int

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 30)),
    "REFRESH_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_REFRESH_MINUTES", 24 * 60)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # A password change revokes every token issued before it (see accounts/tokens.py).
    "CHECK_REVOKE_TOKEN": True,
}
