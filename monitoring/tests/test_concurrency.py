"""Concurrent batches of one session, from several threads with their own DB connections."""

from __future__ import annotations

import random
import threading

import pytest
from django.db import connection

from monitoring.chain import chain_verify
from monitoring.models import MonitoringLog, SessionMonitor

from .conftest import event

THREADS = 6
BATCHES_PER_THREAD = 8
SEQS = 120


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_batches_store_each_seq_once(
    candidate, session, client_for, settings
) -> None:
    settings.MONITORING_RATE_MAX_REQUESTS = 10_000
    rng = random.Random(7)
    # Every thread sends random overlapping slices, in random order; together they cover all.
    plans = []
    for t in range(THREADS):
        batches = []
        for _ in range(BATCHES_PER_THREAD):
            start = rng.randint(1, SEQS - 20)
            seqs = list(range(start, start + 20))
            rng.shuffle(seqs)
            batches.append(seqs)
        batches.append(list(range(1 + t, SEQS + 1, THREADS)))
        plans.append(batches)

    barrier = threading.Barrier(THREADS)
    accepted: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()

    def run(batches: list[list[int]]) -> None:
        client = client_for(candidate)
        try:
            barrier.wait()
            for seqs in batches:
                response = client.post(
                    "/api/monitoring/data",
                    {"session_id": str(session.pk), "events": [event(s) for s in seqs]},
                    format="json",
                )
                with lock:
                    if response.status_code != 200:
                        errors.append(f"{response.status_code} {response.content[:200]!r}")
                    else:
                        accepted.extend(response.json()["accepted"])
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    # Each seq accepted exactly once across all threads, and stored exactly once.
    assert sorted(accepted) == list(range(1, SEQS + 1))
    assert MonitoringLog.objects.filter(session=session).count() == SEQS
    monitor = SessionMonitor.objects.get(session=session)
    assert monitor.contiguous_seq == SEQS
    assert monitor.chain_length == SEQS
    assert chain_verify(session.pk).ok
