"""Test settings: fast hashing, tasks inline, media in a temporary folder."""

from __future__ import annotations

import os
import tempfile

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES, Q_CLUSTER

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
Q_CLUSTER["sync"] = os.environ.get("Q_SYNC", "1") == "1"
MEDIA_ROOT = os.environ.get("MEDIA_ROOT") or tempfile.mkdtemp(prefix="proctoring-test-media-")

# A file, not memory, for the SQLite test database: the integration tests start a real
# qcluster process and a live server that must see the same database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("TEST_SQLITE_NAME", str(BASE_DIR / "test_db.sqlite3"))
    }
# The fast tier runs no worker; the health tests that need the condition turn it on.
HEALTH_WORKER_STALE_S = int(os.environ.get("HEALTH_WORKER_STALE_S", "0"))
