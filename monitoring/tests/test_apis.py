from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from exams.services import session_end
from monitoring.models import Incident, MonitoringLog

from .conftest import event

pytestmark = pytest.mark.django_db


def stored_seqs(session) -> list[int]:
    return sorted(MonitoringLog.objects.filter(session=session).values_list("seq", flat=True))


def test_batch_is_stored_once_and_acknowledged(candidate, session, post_batch) -> None:
    response = post_batch(candidate, session, [event(1), event(2), event(3, "copy")])
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == [1, 2, 3]
    assert body["duplicates"] == []
    assert body["rejected"] == []
    assert body["highest_contiguous_seq"] == 3
    assert stored_seqs(session) == [1, 2, 3]


def test_retried_batch_stores_nothing_twice(candidate, session, post_batch) -> None:
    events = [event(i) for i in range(1, 6)]
    post_batch(candidate, session, events)
    again = post_batch(candidate, session, events).json()
    assert again["accepted"] == []
    assert again["duplicates"] == [1, 2, 3, 4, 5]
    assert MonitoringLog.objects.filter(session=session).count() == 5


def test_reordered_and_overlapping_batches(candidate, session, post_batch) -> None:
    first = post_batch(candidate, session, [event(5), event(3), event(4)]).json()
    assert first["highest_contiguous_seq"] == 0
    assert first["missing_seqs"] == [1, 2]
    second = post_batch(candidate, session, [event(2), event(1), event(4), event(6)]).json()
    assert second["accepted"] == [1, 2, 6]
    assert second["duplicates"] == [4]
    assert second["highest_contiguous_seq"] == 6
    assert second["missing_seqs"] == []
    assert stored_seqs(session) == [1, 2, 3, 4, 5, 6]


def test_a_reused_seq_with_other_content_is_refused(candidate, session, post_batch) -> None:
    post_batch(candidate, session, [event(1, at_s=10), event(2, at_s=11)])
    # The page reloaded and counted from 1 again.
    body = post_batch(
        candidate, session, [event(1, "tab_hidden", at_s=50), event(2, at_s=11), event(3)]
    ).json()
    assert body["accepted"] == [3]
    assert body["duplicates"] == [2]
    assert [(r["index"], r["code"]) for r in body["rejected"]] == [(0, "seq_conflict")]
    assert MonitoringLog.objects.get(session=session, seq=1).type == "heartbeat"


def test_same_seq_twice_in_one_batch_is_a_duplicate(candidate, session, post_batch) -> None:
    body = post_batch(candidate, session, [event(1), event(1, "copy")]).json()
    assert body["accepted"] == [1]
    assert body["duplicates"] == [1]
    assert MonitoringLog.objects.get(session=session, seq=1).type == "heartbeat"


def test_bad_items_are_rejected_one_by_one_and_good_ones_kept(
    candidate,
    session,
    post_batch,
    settings,
) -> None:
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    deep: dict = {}
    for _ in range(200):
        deep = {"a": deep}
    events = [
        event(1),
        {"type": "heartbeat", "ts": future},
        {"seq": -4, "type": "heartbeat", "ts": event(1)["ts"]},
        {"seq": "7", "type": "heartbeat", "ts": event(1)["ts"]},
        {"seq": 8, "type": "teleport", "ts": event(1)["ts"]},
        {"seq": 9, "type": "heartbeat", "ts": future},
        {"seq": 10, "type": "heartbeat", "ts": "yesterday-ish"},
        {"seq": 11, "type": "paste", "ts": event(1)["ts"], "payload": {"x": "y" * 5000}},
        {"seq": 12, "type": "paste", "ts": event(1)["ts"], "payload": [1, 2]},
        {"seq": 13, "type": "copy", "ts": event(1)["ts"], "payload": deep},
        "not an object",
        event(2),
    ]
    body = post_batch(candidate, session, events).json()
    assert body["accepted"] == [1, 2]
    codes = {r["index"]: r["code"] for r in body["rejected"]}
    assert codes == {
        1: "missing_seq",
        2: "invalid_seq",
        3: "invalid_seq",
        4: "unknown_type",
        5: "timestamp_in_future",
        6: "invalid_ts",
        7: "payload_too_large",
        8: "invalid_payload",
        9: "invalid_payload",
        10: "invalid_event",
    }
    assert all(r["message"] for r in body["rejected"])
    assert stored_seqs(session) == [1, 2]


def test_epoch_millisecond_timestamps_are_accepted(candidate, session, post_batch) -> None:
    ms = int((datetime.now(UTC) - timedelta(seconds=3)).timestamp() * 1000)
    body = post_batch(candidate, session, [{"seq": 1, "type": "heartbeat", "ts": ms}]).json()
    assert body["accepted"] == [1]
    stored = MonitoringLog.objects.get(session=session, seq=1).client_ts
    assert abs(stored.timestamp() * 1000 - ms) < 1


def test_malformed_json_gets_the_common_error_shape(candidate, session, client_for) -> None:
    response = client_for(candidate).post(
        "/api/monitoring/data", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_absurdly_nested_json_is_a_400_not_a_crash(candidate, session, client_for) -> None:
    nested = "[" * 50_000 + "]" * 50_000
    body = f'{{"session_id": "{session.pk}", "events": [{nested}]}}'
    response = client_for(candidate).post(
        "/api/monitoring/data", data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_batch_envelope_must_be_valid(candidate, session, client_for) -> None:
    client = client_for(candidate)
    response = client.post("/api/monitoring/data", {"events": []}, format="json")
    assert response.status_code == 400
    assert "session_id" in response.json()["error"]["details"]["fields"]
    response = client.post(
        "/api/monitoring/data", {"session_id": str(session.pk), "events": 5}, format="json"
    )
    assert response.status_code == 400
    response = client.post("/api/monitoring/data", [1, 2], format="json")
    assert response.status_code == 400


def test_too_many_events_in_one_batch(candidate, session, post_batch, settings) -> None:
    settings.MONITORING_BATCH_MAX_EVENTS = 3
    response = post_batch(candidate, session, [event(i) for i in range(1, 5)])
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "batch_too_large"
    assert MonitoringLog.objects.count() == 0


def test_oversized_body_is_refused_before_reading(candidate, session, client_for) -> None:
    body = json.dumps({"session_id": str(session.pk), "events": [], "pad": "x" * 1_100_000})
    response = client_for(candidate).post(
        "/api/monitoring/data", data=body, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_ended_session_answers_409(candidate, session, post_batch) -> None:
    post_batch(candidate, session, [event(1)])
    session_end(session=session, actor=candidate)
    response = post_batch(candidate, session, [event(2)])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "session_not_active"
    assert stored_seqs(session) == [1]


def test_another_candidates_session_is_not_found(
    candidate,
    other_candidate,
    session,
    post_batch,
    proctor,
) -> None:
    response = post_batch(other_candidate, session, [event(1)])
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    # A proctor does not send events on a candidate's behalf either.
    assert post_batch(proctor, session, [event(1)]).status_code == 404
    assert MonitoringLog.objects.count() == 0


def test_unauthenticated_is_401(session, api_client) -> None:
    response = api_client.post(
        "/api/monitoring/data", {"session_id": str(session.pk), "events": []}, format="json"
    )
    assert response.status_code == 401


def test_rate_limit_answers_429_with_retry_after(candidate, session, post_batch, settings) -> None:
    settings.MONITORING_RATE_MAX_REQUESTS = 3
    for seq in range(1, 4):
        assert post_batch(candidate, session, [event(seq)]).status_code == 200
    response = post_batch(candidate, session, [event(4)])
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert response.json()["error"]["code"] == "rate_limited"
    assert stored_seqs(session) == [1, 2, 3]


def test_single_log_endpoint(candidate, session, client_for) -> None:
    client = client_for(candidate)
    body = {"session_id": str(session.pk), **event(1, "tab_hidden")}
    first = client.post("/api/monitoring/log", body, format="json")
    assert first.status_code == 201
    assert first.json()["accepted"] == [1]
    again = client.post("/api/monitoring/log", body, format="json")
    assert again.status_code == 200
    assert again.json()["duplicates"] == [1]
    bad = client.post("/api/monitoring/log", {**body, "seq": 2, "type": "teleport"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "unknown_type"
    assert stored_seqs(session) == [1]


def test_logs_candidate_sees_only_their_own(
    candidate,
    other_candidate,
    exam,
    session,
    start_session,
    post_batch,
    client_for,
) -> None:
    other_session, _ = start_session(other_candidate, exam)
    post_batch(candidate, session, [event(1), event(2)])
    post_batch(other_candidate, other_session, [event(1), event(2), event(3)])
    mine = client_for(candidate).get("/api/monitoring/logs").json()
    assert mine["count"] == 2
    assert {row["session_id"] for row in mine["results"]} == {str(session.pk)}
    response = client_for(candidate).get(f"/api/monitoring/logs?session_id={other_session.pk}")
    assert response.status_code == 404


def test_logs_reviewer_filters_and_pages(
    candidate, session, post_batch, client_for, proctor
) -> None:
    post_batch(
        candidate,
        session,
        [event(1, at_s=10), event(2, "tab_hidden", at_s=20), event(3, "tab_visible", at_s=21)]
        + [event(i, at_s=30 + i) for i in range(4, 10)],
    )
    client = client_for(proctor)
    by_type = client.get(
        f"/api/monitoring/logs?session_id={session.pk}&type=tab_hidden,tab_visible"
    ).json()
    assert [row["seq"] for row in by_type["results"]] == [2, 3]
    since = event(1, at_s=15)["ts"].replace("+00:00", "Z")
    until = event(1, at_s=25)["ts"].replace("+00:00", "Z")
    ranged = client.get(
        "/api/monitoring/logs", {"session_id": str(session.pk), "since": since, "until": until}
    ).json()
    assert [row["seq"] for row in ranged["results"]] == [2, 3]
    paged = client.get("/api/monitoring/logs?page_size=4&page=2").json()
    assert paged["count"] == 9
    assert [row["seq"] for row in paged["results"]] == [5, 6, 7, 8]
    assert client.get("/api/monitoring/logs?type=nope").status_code == 400


def test_proctor_flags_suspicious_activity(session, client_for, proctor) -> None:
    response = client_for(proctor).post(
        "/api/monitoring/suspicious-activity",
        {"session_id": str(session.pk), "severity": "high", "note": "Phone on the desk."},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == "manual"
    assert body["source"] == "proctor"
    assert body["review_status"] == "unreviewed"
    incident = Incident.objects.get(pk=body["id"])
    assert incident.details["note"] == "Phone on the desk."
    assert incident.details["reported_by"] == proctor.pk


def test_page_reports_with_its_own_source(candidate, other_candidate, session, client_for) -> None:
    client = client_for(candidate)
    payload = {"session_id": str(session.pk), "kind": "tab_hidden", "confidence": 0.7}
    response = client.post("/api/monitoring/suspicious-activity", payload, format="json")
    assert response.status_code == 201
    assert response.json()["source"] == "candidate"
    forbidden = client.post(
        "/api/monitoring/suspicious-activity", {**payload, "kind": "manual"}, format="json"
    )
    assert forbidden.status_code == 400
    assert forbidden.json()["error"]["code"] == "kind_not_allowed"
    stranger = client_for(other_candidate).post(
        "/api/monitoring/suspicious-activity", payload, format="json"
    )
    assert stranger.status_code == 404
    assert Incident.objects.count() == 1
