"""CORS for the API only; origins from ALLOWED_ORIGINS (comma-separated)."""

from __future__ import annotations

from .env import env_list

CORS_ALLOWED_ORIGINS = env_list(
    "ALLOWED_ORIGINS", ["http://localhost:8000", "http://127.0.0.1:8000"]
)
CORS_URLS_REGEX = r"^/api/.*$"
