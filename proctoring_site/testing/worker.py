"""Fixtures: a real django-q2 ``qcluster`` process on the test database.

``qcluster_worker`` starts ``manage.py qcluster`` in a subprocess with ``Q_SYNC=0``, pointed at
the test database (the SQLite test file, or PostgreSQL's ``test_<name>``), the same media folder
and the same broker (ORM by default, Redis when REDIS_URL is set) under the configured cluster
name, so tasks queued by this process or by a live server subprocess reach it. In the test
process ``async_task`` then enqueues instead of running inline. It requests
``transactional_db``: the worker only sees committed rows.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

STOP_TIMEOUT_S = 30


def database_url_for_current_connection() -> str:
    """A DATABASE_URL for the database the test process is using now (the test database)."""
    from django.db import connection

    settings_dict = connection.settings_dict
    engine = settings_dict["ENGINE"]
    name = settings_dict["NAME"]
    if engine.endswith("sqlite3"):
        if not name or str(name) == ":memory:" or "mode=memory" in str(name):
            raise RuntimeError("An in-memory SQLite test database cannot be shared.")
        return f"sqlite:///{Path(name).resolve()}"
    if engine.endswith(("postgresql", "postgis")):
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or "5432"
        return f"postgres://{auth}{host}:{port}/{quote(str(name), safe='')}"
    raise RuntimeError(f"No DATABASE_URL form for {engine}.")


class QClusterWorker:
    """A running qcluster subprocess and its log."""

    def __init__(self, process: subprocess.Popen, log_path: Path, cluster_name: str) -> None:
        self.process = process
        self.log_path = log_path
        self.cluster_name = cluster_name

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def wait_for(
        self, condition: Callable[[], Any], *, timeout: float = 240.0, interval: float = 0.5
    ) -> Any:
        """Poll ``condition`` until it returns something truthy; fail with the worker's log."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if not self.alive:
                pytest.fail(f"qcluster exited ({self.process.returncode}):\n{self.log()[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout} s; qcluster log:\n{self.log()[-4000:]}")
            time.sleep(interval)

    def kill(self) -> None:
        """SIGKILL the whole process tree at once, as a crash or the OOM killer would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if not self.alive:
            return
        # The whole process group: qcluster forks a sentinel, a pusher, a monitor and workers.
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def _qcluster_start(settings: Any, extra_env: dict[str, str] | None = None) -> QClusterWorker:
    from django_q.conf import Conf

    base_dir = Path(settings.BASE_DIR)
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "proctoring_site.settings.test",
            "Q_SYNC": "0",
            "Q_CLUSTER_NAME": Conf.CLUSTER_NAME,
            "DATABASE_URL": database_url_for_current_connection(),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    else:
        env.pop("REDIS_URL", None)
    env.update(extra_env or {})
    log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept open for the subprocess
        prefix="qcluster-", suffix=".log", delete=False
    )
    process = subprocess.Popen(  # noqa: S603 - fixed command, our own interpreter
        [sys.executable, str(base_dir / "manage.py"), "qcluster"],
        cwd=base_dir,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log_file.close()  # the subprocess has its own descriptor
    return QClusterWorker(process, Path(log_file.name), Conf.CLUSTER_NAME)


@pytest.fixture
def qcluster_factory(
    transactional_db: None, settings: Any, monkeypatch: Any
) -> Iterator[Callable[..., QClusterWorker]]:
    """Start real ``manage.py qcluster`` processes (``extra_env`` overrides settings).

    Several may be started one after the other (a crash and a restart); each is stopped at
    teardown and its log removed.
    """
    from django_q.conf import Conf

    # This process enqueues to the worker's queue instead of running tasks inline.
    monkeypatch.setattr(Conf, "SYNC", False)
    started: list[QClusterWorker] = []

    def start(extra_env: dict[str, str] | None = None) -> QClusterWorker:
        worker = _qcluster_start(settings, extra_env)
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
            worker.log_path.unlink(missing_ok=True)


@pytest.fixture
def qcluster_worker(qcluster_factory: Callable[..., QClusterWorker]) -> QClusterWorker:
    """Start a real ``manage.py qcluster`` on the test database; stop it at teardown."""
    return qcluster_factory()
