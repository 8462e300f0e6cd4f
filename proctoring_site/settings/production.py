"""Production: no insecure defaults. SECRET_KEY must come from the environment."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import LOCAL_SECRET_KEY
from .env import env_bool, env_int


def secret_key_weakness(key: str) -> str | None:
    """Why ``key`` must not sign production sessions and tokens (None when it is fine).

    The same bar as Django's security.W009 (50 characters, 5 distinct, not the
    ``django-insecure-`` kind), plus the local default of base.py, which is public.
    """
    if not key:
        return "SECRET_KEY must be set in production."
    if key == LOCAL_SECRET_KEY or key.startswith("django-insecure-"):
        return "SECRET_KEY is the public local default or a django-insecure- key."
    if len(key) < 50 or len(set(key)) < 5:
        return "SECRET_KEY must be at least 50 characters with at least 5 different ones."
    return None


_weakness = secret_key_weakness(os.environ.get("SECRET_KEY", ""))
if _weakness is not None:
    raise ImproperlyConfigured(
        f"{_weakness} Generate one with: python -c 'import secrets; "
        "print(secrets.token_urlsafe(64))'"
    )
SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = env_bool("DEBUG", False)
# The schema and docs are for signed-in staff unless explicitly made public.
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", False)

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
