"""What exactly-once delivery costs: a spare delivery, and a sweep over expired leases.

A spare delivery (an item that already has its result, delivered again by the sweep or by the
ORM broker's own retry) must be cheap, or a sweep's copies would slow the queue. The sweep
over N expired items (re-queueing each into the broker) shows what a recovery after a crash
costs. No analyzer runs: the items get a result through the same write path with a stub
analysis, so the numbers are the database and broker work only.

    .venv/bin/python bench/delivery.py [--items 500]

Uses a throwaway SQLite database and the ORM broker unless DATABASE_URL / REDIS_URL are set
(then that database must be disposable: the script migrates it and adds one exam, one
session and the items; with REDIS_URL the re-queued tasks go to the Redis list of cluster
``bench-delivery``, which the script empties at the end).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _setup() -> None:
    sys.path.insert(0, str(REPO))
    scratch = Path(tempfile.mkdtemp(prefix="bench-delivery-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch / 'bench.sqlite3'}")
    os.environ["MEDIA_ROOT"] = str(scratch / "media")
    os.environ["DJANGO_SETTINGS_MODULE"] = "proctoring_site.settings.local"
    os.environ["LOG_LEVEL"] = "ERROR"
    os.environ["Q_CLUSTER_NAME"] = "bench-delivery"
    os.environ["Q_SYNC"] = "0"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    mean, median = statistics.fmean(values), statistics.median(values)
    return f"mean {mean:6.2f}  median {median:6.2f}  p95 {p95:6.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=500)
    args = parser.parse_args()
    _setup()

    from django.conf import settings
    from django.db import connection
    from django.utils import timezone
    from django_q.brokers import get_broker

    from accounts.models import User
    from analysis import runner
    from analysis.models import MediaItem
    from analysis.services import analyze as analyze_module
    from analysis.services import media_analyze, media_sweep_unfinished
    from exams.models import Exam
    from exams.services import session_start

    settings.ANALYSIS_SWEEP_BATCH = args.items
    settings.ANALYSIS_SWEEP_MAX_BACKLOG = 10 * args.items
    user = User.objects.create_user(username=f"bench{time.time_ns()}", email="b@example.com")
    session, _ = session_start(candidate=user, exam=Exam.objects.create(title="B"), consent=True)
    print(f"database: {connection.vendor}; broker: {get_broker().__class__.__name__}")

    def items(count: int) -> list[int]:
        at = session.started_at
        return [
            MediaItem.objects.create(
                session=session, kind="frame", captured_at=at + timedelta(seconds=i)
            ).pk
            for i in range(count)
        ]

    # First deliveries with a stub analysis (no model), then the same items again.
    stub = runner.ItemAnalysis(ok=True, labels=[], raw={})
    analyze_module._read_and_analyze = lambda media: stub
    first, spare = [], []
    for media_id in items(args.items):
        tick = time.perf_counter()
        media_analyze(media_id=media_id)
        first.append((time.perf_counter() - tick) * 1000)
    for media_id in MediaItem.objects.filter(session=session).values_list("pk", flat=True):
        tick = time.perf_counter()
        media_analyze(media_id=media_id)
        spare.append((time.perf_counter() - tick) * 1000)
    print(f"first delivery (claim + stub result + release) ms   {_ms(first)}")
    print(f"spare delivery (already analyzed) ms                {_ms(spare)}")

    lost = items(args.items)
    past = timezone.now() - timedelta(seconds=settings.ANALYSIS_LEASE_S + 1)
    MediaItem.objects.filter(pk__in=lost).update(analysis_leased_at=past)
    broker = get_broker()
    before = broker.queue_size()
    tick = time.perf_counter()
    report = media_sweep_unfinished()
    took = time.perf_counter() - tick
    print(
        f"sweep over {len(lost)} expired items: {report.requeued} re-queued in "
        f"{took * 1000:.0f} ms ({took * 1000 / max(1, report.requeued):.2f} ms/item); broker queue "
        f"{before} -> {broker.queue_size()}"
    )
    tick = time.perf_counter()
    idle = media_sweep_unfinished()
    print(f"sweep with nothing expired: {(time.perf_counter() - tick) * 1000:.1f} ms ({idle})")
    broker.purge_queue()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
