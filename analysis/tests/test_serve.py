"""``make run`` stops cleanly on Ctrl-C and on SIGTERM, and no task in flight is cut short.

Runs the real Makefile target (``-o`` keeps make from reinstalling the shared virtualenv) on
the test database: a daphne server and a qcluster under ``proctoring_site.serve``. Frames are
queued, the stop comes while the worker analyzes them, and then: no traceback, no segfault, no
process left, no item whose analysis started without finishing, and a new cluster brings every
remaining item to exactly one result.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db.models import Count
from django_q.conf import Conf

from analysis.models import AnalysisResult, MediaItem
from analysis.services import media_ingest
from proctoring_site.testing.worker import database_url_for_current_connection

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
ITEMS = 30
RESTART_ENV = {"Q_TIMEOUT": "20", "ANALYSIS_LEASE_S": "25", "ANALYSIS_PRELOAD_MODELS": "0"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(condition, timeout: float, what: str, log: Path) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local server
            return True
    except urllib.error.HTTPError:
        return True  # 503 without a worker seen yet: it answers all the same
    except OSError:
        return False


@pytest.mark.parametrize("stop", ["ctrl_c", "sigterm"])
def test_make_run_stops_cleanly_and_finishes_the_task_in_flight(
    stop, qcluster_factory, session, settings, shared_media
) -> None:
    port = _free_port()
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "proctoring_site.settings.test",
            "Q_SYNC": "0",
            "Q_CLUSTER_NAME": Conf.CLUSTER_NAME,
            "DATABASE_URL": database_url_for_current_connection(),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "ANALYSIS_PRELOAD_MODELS": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if not settings.REDIS_URL:
        env.pop("REDIS_URL", None)
    log = Path(tempfile.mkstemp(prefix="make-run-", suffix=".log")[1])
    with log.open("w") as output:
        make = subprocess.Popen(  # noqa: S603 - fixed command
            ["make", "-o", ".venv/.installed-stamp", "run", "HOST=127.0.0.1", f"PORT={port}"],  # noqa: S607
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal's foreground job
        )
    try:
        _wait(lambda: _answers(f"http://127.0.0.1:{port}/health/"), 240, "the server", log)
        frame = (shared_media / "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg").read_bytes()
        ids = [
            media_ingest(session=session, kind="frame", data=frame).media.pk for _ in range(ITEMS)
        ]
        done = AnalysisResult.objects.filter(media_id__in=ids)
        _wait(lambda: done.exists(), 240, "the worker's first result", log)

        done_at_stop = done.count()
        if stop == "ctrl_c":
            os.killpg(make.pid, signal.SIGINT)  # what the terminal sends its foreground group
        else:
            make.send_signal(signal.SIGTERM)  # what `kill` or a process manager sends
        returncode = make.wait(timeout=180)
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()
    text = log.read_text(errors="replace")
    log.unlink()
    assert done_at_stop < ITEMS, "the worker finished everything before the stop"

    for symptom in ("Traceback", "RecursionError", "Segmentation fault", "Error 1"):
        assert symptom not in text, text[-3000:]
    expected = signal.SIGINT if stop == "ctrl_c" else signal.SIGTERM
    assert returncode == -expected, text[-3000:]  # make ends by the signal it was sent
    assert "serve: worker stopped (0)" in text
    assert "serve: server stopped (0)" in text
    for pid in map(int, re.findall(r"started \(pid (\d+)\)", text)):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    # Nothing was cut mid-analysis: every item a worker took has its result.
    cut = MediaItem.objects.filter(
        pk__in=ids, analysis_attempts__gte=1, analysis_leased_at__isnull=False
    )
    assert not cut.exists()

    # What the stopped cluster had not taken is still queued (or swept): a new one finishes it.
    worker = qcluster_factory(RESTART_ENV)
    worker.wait_for(lambda: done.count() == ITEMS, timeout=240)
    assert dict(done.values_list("media_id").annotate(n=Count("id"))) == dict.fromkeys(ids, 1)
