"""Local development: DEBUG on unless DEBUG=0, embedded defaults (SQLite, in-memory layer)."""

from __future__ import annotations

from .base import *  # noqa: F403
from .env import env_bool

DEBUG = env_bool("DEBUG", True)
