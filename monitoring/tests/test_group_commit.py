"""Group commit: several sessions' requests stored in one transaction, each answered alone."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import CandidateProfile, User
from exams.lifecycle import SessionStatus
from exams.models import ExamSession
from exams.services import session_end
from monitoring import ingest_pool, services
from monitoring.chain import chain_verify
from monitoring.models import Incident, MonitoringLog, SessionMonitor
from monitoring.services import ingest
from proctoring_site.exceptions import ConflictError, PayloadTooLargeError, RateLimitedError

from .conftest import event


@pytest.fixture
def sessions(exam, start_session):
    """Running sessions of four different candidates."""
    out = []
    for number in range(4):
        user = User.objects.create_user(
            username=f"group{number}", email=f"group{number}@example.com", password="x" * 12
        )
        CandidateProfile.objects.create(user=user, full_name=f"Group {number}")
        session, _token = start_session(user, exam)
        out.append(session)
    return out


@pytest.mark.django_db
def test_each_request_gets_its_own_outcome(sessions, settings):
    settings.MONITORING_BATCH_MAX_EVENTS = 10
    first, second, ended, oversized = sessions
    session_end(session=ended, actor=ended.candidate)
    MonitoringLog.objects.all().delete()
    services.events_ingest(session=second, raw_events=[event(1)])

    outcomes = services.events_ingest_many(
        batches=[
            (first, [event(1), event(2), event(3, "tab_hidden")]),
            (second, [event(1), event(2), {"seq": 3, "type": "nope", "ts": "x"}]),
            (ended, [event(1)]),
            (oversized, [event(n) for n in range(1, 12)]),
        ]
    )

    assert outcomes[0].accepted == [1, 2, 3]
    assert (outcomes[1].accepted, outcomes[1].duplicates) == ([2], [1])
    assert [r.code for r in outcomes[1].rejected] == ["unknown_type"]
    assert outcomes[1].highest_contiguous_seq == 2
    assert isinstance(outcomes[2], ConflictError)
    assert outcomes[2].code == "session_not_active"
    assert isinstance(outcomes[3], PayloadTooLargeError)
    assert MonitoringLog.objects.filter(session=first).count() == 3
    assert MonitoringLog.objects.filter(session=second).count() == 2
    assert not MonitoringLog.objects.filter(session__in=[ended, oversized]).exists()
    for session in (first, second):
        assert chain_verify(session.pk).ok
    monitor = SessionMonitor.objects.get(session=first)
    assert (monitor.chain_length, monitor.contiguous_seq, monitor.derived_seq) == (3, 3, 3)
    assert "tab_hidden" in monitor.derive_state["open"]


@pytest.mark.django_db
def test_same_session_twice_in_one_group_stores_each_seq_once(sessions):
    first, second = sessions[:2]
    outcomes = services.events_ingest_many(
        batches=[
            (first, [event(1), event(2)]),
            (second, [event(1)]),
            (first, [event(2), event(3)]),
        ]
    )
    assert outcomes[0].accepted == [1, 2]
    assert (outcomes[2].accepted, outcomes[2].duplicates) == ([3], [2])
    assert MonitoringLog.objects.filter(session=first).count() == 3
    assert chain_verify(first.pk).ok


@pytest.mark.django_db
def test_a_failing_request_does_not_cost_the_others_their_events(sessions, monkeypatch):
    first, broken, third = sessions[:3]
    real_derive = ingest.derive_pending

    def derive(monitor, **kwargs):
        if monitor.session_id == broken.pk:
            raise RuntimeError("derivation bug")
        return real_derive(monitor, **kwargs)

    monkeypatch.setattr(ingest, "derive_pending", derive)
    outcomes = services.events_ingest_many(
        batches=[(first, [event(1)]), (broken, [event(1)]), (third, [event(1), event(2)])]
    )
    assert outcomes[0].accepted == [1]
    assert isinstance(outcomes[1], RuntimeError)
    assert outcomes[2].accepted == [1, 2]
    # The group was rolled back and stored again without the broken request.
    assert not MonitoringLog.objects.filter(session=broken).exists()
    assert MonitoringLog.objects.filter(session__in=[first, third]).count() == 3
    assert chain_verify(first.pk).ok and chain_verify(third.pk).ok


@pytest.mark.django_db
def test_rate_limits_are_counted_per_session_in_a_group(sessions, settings):
    settings.MONITORING_RATE_MAX_REQUESTS = 1
    first, second = sessions[:2]
    services.events_ingest(session=first, raw_events=[event(1)])
    outcomes = services.events_ingest_many(batches=[(first, [event(2)]), (second, [event(1)])])
    assert isinstance(outcomes[0], RateLimitedError)
    assert outcomes[0].retry_after >= 1
    assert outcomes[1].accepted == [1]


@pytest.mark.django_db
def test_a_session_whose_time_ran_out_is_expired_not_stored(sessions):
    first, late = sessions[:2]
    ExamSession.objects.filter(pk=late.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    outcomes = services.events_ingest_many(batches=[(first, [event(1)]), (late, [event(1)])])
    assert outcomes[0].accepted == [1]
    assert isinstance(outcomes[1], ConflictError)
    assert outcomes[1].code == "session_not_active"
    late.refresh_from_db()
    assert late.status == SessionStatus.EXPIRED
    assert not MonitoringLog.objects.filter(session=late).exists()


@pytest.mark.django_db
def test_incidents_derived_in_a_group_belong_to_their_session(sessions):
    first, second = sessions[:2]
    services.events_ingest_many(
        batches=[
            (first, [event(1, "tab_hidden", at_s=1), event(2, "tab_visible", at_s=30)]),
            (second, [event(1, "tab_hidden", at_s=1), event(2, "tab_visible", at_s=2)]),
        ]
    )
    assert list(Incident.objects.values_list("session_id", "kind")) == [
        (first.pk, Incident.Kind.TAB_HIDDEN)
    ]


@pytest.mark.django_db(transaction=True)
def test_the_writer_groups_what_queues_while_it_is_busy(sessions, settings, monkeypatch):
    settings.MONITORING_INGEST_WRITERS = 1
    writer = ingest_pool.IngestWriter()
    groups: list[int] = []
    busy = threading.Event()
    release = threading.Event()
    real_many = ingest_pool.events_ingest_many

    def recording_many(*, batches):
        groups.append(len(batches))
        if len(groups) == 1:
            busy.set()
            release.wait(timeout=10)  # hold the only writer while the others queue up
        return real_many(batches=batches)

    monkeypatch.setattr(ingest_pool, "events_ingest_many", recording_many)
    try:
        futures = [writer.submit(sessions[0], [event(1)])]
        # Queue the rest only once the writer has taken the first request (else a slow thread
        # start would take them all together).
        assert busy.wait(timeout=10)
        futures += [writer.submit(session, [event(1), event(2)]) for session in sessions[1:]]
        futures.append(writer.submit(sessions[1], [event(2), event(3)]))
        release.set()
        results = [future.result(timeout=30) for future in futures]
    finally:
        writer.stop()
    assert [r.accepted for r in results] == [[1], [1, 2], [1, 2], [1, 2], [3]]
    assert results[-1].duplicates == [2]
    # The first request alone; the three other sessions together; session 1's second request
    # after its first one's commit.
    assert groups == [1, 3, 1]
    assert MonitoringLog.objects.count() == 1 + 2 + 2 + 2 + 1
    assert all(chain_verify(session.pk).ok for session in sessions)


@pytest.mark.django_db(transaction=True)
def test_the_writer_stores_concurrent_overlapping_requests_once(sessions, settings):
    settings.MONITORING_RATE_MAX_REQUESTS = 10_000
    writer = ingest_pool.IngestWriter()
    seqs = 60
    rng = random.Random(11)
    barrier = threading.Barrier(8)
    accepted: dict[str, list[int]] = {str(s.pk): [] for s in sessions}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def page(number: int) -> None:
        session = sessions[number % len(sessions)]
        try:
            barrier.wait()
            for _ in range(10):
                start = rng.randint(1, seqs - 9)
                batch = list(range(start, start + 10))
                rng.shuffle(batch)
                result = writer.submit(session, [event(s) for s in batch]).result(timeout=60)
                with lock:
                    accepted[str(session.pk)].extend(result.accepted)
            result = writer.submit(session, [event(s) for s in range(1, seqs + 1)]).result(60)
            with lock:
                accepted[str(session.pk)].extend(result.accepted)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=page, args=(n,)) for n in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        writer.stop()
    assert errors == []
    for session in sessions:
        assert sorted(accepted[str(session.pk)]) == list(range(1, seqs + 1))
        assert MonitoringLog.objects.filter(session=session).count() == seqs
        assert chain_verify(session.pk).ok
        assert SessionMonitor.objects.get(session=session).contiguous_seq == seqs


@pytest.mark.django_db(transaction=True)
def test_a_writer_answers_every_caller_when_a_group_fails_and_keeps_serving(
    sessions, settings, monkeypatch
):
    settings.MONITORING_INGEST_WRITERS = 1
    writer = ingest_pool.IngestWriter()
    real_many = ingest_pool.events_ingest_many
    calls: list[int] = []

    def failing_once(*, batches):
        calls.append(len(batches))
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real_many(batches=batches)

    monkeypatch.setattr(ingest_pool, "events_ingest_many", failing_once)
    try:
        failed = writer.submit(sessions[0], [event(1)])
        with pytest.raises(RuntimeError, match="database went away"):
            failed.result(timeout=30)
        # The same thread stores the next request, and the failed one can be resent.
        assert writer.submit(sessions[0], [event(1), event(2)]).result(timeout=30).accepted == [
            1,
            2,
        ]
    finally:
        writer.stop()
    assert MonitoringLog.objects.filter(session=sessions[0]).count() == 2
