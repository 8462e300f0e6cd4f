from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import LoginThrottle
from conftest import PASSWORD

LOGIN = "/api/auth/login"


def _attempt(password: str, ip: str = "10.0.0.1"):
    return APIClient(REMOTE_ADDR=ip).post(
        LOGIN, {"username": "alice", "password": password}, format="json"
    )


@pytest.mark.django_db
def test_five_failures_lock_out_even_the_right_password(candidate, caplog) -> None:
    caplog.set_level(logging.WARNING)
    for _ in range(5):
        assert _attempt("nope-wrong-1").status_code == 401
    locked = _attempt(PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "login_locked"
    assert 0 < int(locked["Retry-After"]) <= 15 * 60 + 1
    # Another address is not locked out.
    assert _attempt(PASSWORD, ip="10.0.0.2").status_code == 200
    # The failures are logged, the password never.
    assert "failed sign-in" in caplog.text
    assert "nope-wrong-1" not in caplog.text


@pytest.mark.django_db
def test_lockout_ends_after_the_period(candidate) -> None:
    for _ in range(5):
        _attempt("wrong")
    assert _attempt(PASSWORD).status_code == 429
    LoginThrottle.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    assert _attempt(PASSWORD).status_code == 200


@pytest.mark.django_db
def test_success_resets_the_count(candidate) -> None:
    for _ in range(4):
        _attempt("wrong")
    assert _attempt(PASSWORD).status_code == 200
    for _ in range(4):
        assert _attempt("wrong").status_code == 401
    assert _attempt(PASSWORD).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_burst_evaluates_at_most_five_passwords(candidate) -> None:
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(12)

    def worker() -> None:
        try:
            start.wait()
            status = _attempt("burst-wrong").status_code
            with lock:
                statuses.append(status)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(statuses) == 12
    assert set(statuses) <= {401, 429}
    assert statuses.count(401) <= 5
    assert statuses.count(429) >= 7
    assert _attempt(PASSWORD).status_code == 429
