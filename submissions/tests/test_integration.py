"""The similarity report run by a real ``qcluster`` worker process when an exam's sessions end.

The test process enqueues through the real broker (the ORM broker on SQLite, Redis when
REDIS_URL is set) and a separate worker process, on the same test database, does the work.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from monitoring.models import Incident
from submissions.models import SimilarityMatch
from submissions.services import session_final_submit

from .factories import coding_exam_create, exam_taken
from .similarity_programs import PY_COPY, PY_INDEPENDENT, PY_ORIGINAL

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REPO_ROOT = Path(__file__).resolve().parents[2]


def _test_database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = quote(settings.get("USER") or "")
    password = f":{quote(settings['PASSWORD'])}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{settings['NAME']}"


@pytest.fixture
def qcluster_worker(monkeypatch) -> Iterator[subprocess.Popen]:  # noqa: ANN001
    """A ``manage.py qcluster`` process on the test database; tasks are no longer inline."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "proctoring_site.settings.test",
        "DATABASE_URL": _test_database_url(),
        "Q_SYNC": "0",
    }
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
        connection.close()


def _wait_for(condition, timeout_s: float = 90.0) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def test_worker_runs_the_report_after_the_last_final_submit(qcluster_worker):
    exam = coding_exam_create()
    original = exam_taken(exam, "olivia", PY_ORIGINAL)
    exam_taken(exam, "ines", PY_INDEPENDENT)
    copy = exam_taken(exam, "carl", PY_COPY, final=False)
    assert not SimilarityMatch.objects.exists()

    session_final_submit(session=copy, actor=copy.candidate)

    found = _wait_for(lambda: Incident.objects.filter(kind="code_similarity").count() == 2)
    assert found, "the worker did not report; its stderr:\n" + _stderr(qcluster_worker)
    match = SimilarityMatch.objects.get()
    assert {match.session_a_id, match.session_b_id} == {original.pk, copy.pk}
    assert match.regions


def _stderr(worker: subprocess.Popen) -> str:
    worker.terminate()
    try:
        return worker.communicate(timeout=30)[1][-4000:]
    except subprocess.TimeoutExpired:
        return "(no output)"
