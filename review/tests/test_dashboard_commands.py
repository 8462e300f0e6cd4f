"""Operators' commands: purge_media (retention with legal hold) and export_session."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from analysis.models import MediaItem, MediaPurgeRun
from exams.models import ExamSession
from review import services as review_services
from review.tests.dashboard_scenario import media_create

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _age(items, days: int) -> None:  # noqa: ANN001
    MediaItem.objects.filter(pk__in=[i.pk for i in items]).update(
        captured_at=timezone.now() - timedelta(days=days)
    )


def test_purge_media_respects_legal_hold_and_is_safe_to_repeat(
    scenario, exam, start_session, django_user_model
):
    old = [*scenario.frames[:3], scenario.audio]
    recent = scenario.frames[3:]
    _age(old, 40)
    held = scenario.other
    ExamSession.objects.filter(pk=held.pk).update(legal_hold=True)
    held_item = media_create(held, "frame", b"\xff\xd8held", timezone.now())
    _age([held_item], 90)
    running_user = django_user_model.objects.create_user(
        username="dave", email="dave@example.com", password="x-unused-9"
    )
    running, _ = start_session(running_user, exam)
    running_item = media_create(running, "frame", b"\xff\xd8live", timezone.now())
    _age([running_item], 90)
    names = {item.pk: item.file.name for item in [*old, *recent, held_item, running_item]}
    storage = scenario.audio.file.storage

    preview = _run("purge_media", "--older-than", "30", "--dry-run")
    assert "Would delete 4 file(s) (1 audio, 3 frame;" in preview
    assert all(storage.exists(name) for name in names.values())

    output = _run("purge_media", "--older-than", "30")
    assert "Deleted 4 file(s) (1 audio, 3 frame;" in output
    assert "Kept: 1 file(s) of sessions on legal hold, 1 of sessions still running." in output
    for item in old:
        assert not storage.exists(names[item.pk])
        item.refresh_from_db()
        assert item.file_deleted_at is not None
    for item in [*recent, held_item, running_item]:
        assert storage.exists(names[item.pk])
        item.refresh_from_db()
        assert item.file_deleted_at is None

    again = _run("purge_media", "--older-than", "30")
    assert "Deleted 0 file(s)" in again
    runs = list(
        MediaPurgeRun.objects.order_by("started_at").values_list("files_deleted", flat=True)
    )
    assert runs == [4, 0]  # both real runs recorded (for /health/), the dry run not
    assert all(storage.exists(names[item.pk]) for item in [*recent, held_item, running_item])

    with pytest.raises(CommandError):
        call_command("purge_media", "--older-than", "-1")


def test_purged_evidence_shows_as_purged_on_the_review_page(scenario, proctor, web_client_for):
    _age([scenario.frames[0]], 60)
    _run("purge_media", "--older-than", "30")
    html = (
        web_client_for(proctor)
        .get(f"/admin/exams/examsession/{scenario.session.pk}/review/")
        .content.decode()
    )
    assert f"frame {scenario.frames[0].pk} purged" in html
    assert f"/evidence/frame/{scenario.frames[1].pk}/" in html


def test_export_session_writes_the_timeline_and_its_evidence(scenario, proctor, tmp_path):
    incident = scenario.incidents["multiple_faces"]
    review_services.incident_verdict_record(
        incident=incident, reviewer=proctor, verdict="confirmed", notes="Two people."
    )
    review_services.session_verdict_record(
        session=scenario.session, reviewer=proctor, verdict="violation"
    )
    _age([scenario.frames[4]], 60)
    _run("purge_media", "--older-than", "30")  # one evidence frame is already purged

    output = _run("export_session", "--session", str(scenario.session.pk), "--out", str(tmp_path))
    target = tmp_path / f"session-{scenario.session.pk}"
    assert str(target) in output
    document = json.loads((target / "timeline.json").read_text())
    assert document["session"]["id"] == str(scenario.session.pk)
    assert document["session"]["candidate"]["email"] == "alice@example.com"
    assert document["risk"]["contributions"]
    assert [v["verdict"] for v in document["session_verdicts"]] == ["violation"]
    exported = {i["id"]: i for i in document["incidents"]}
    assert exported[incident.pk]["verdicts"][0]["notes"] == "Two people."
    assert {"status", "browser", "analyzer", "similarity", "submission"} <= {
        e["lane"] for e in document["timeline"]
    }
    times = [e["at"] for e in document["timeline"]]
    assert times == sorted(times)
    assert len(document["browser_events"]) == scenario.session.monitoring_logs.count()
    assert document["submissions"][0]["code"].startswith("def two_sum")

    media = {(m["type"], m["id"]): m for m in document["media"]}
    for item in [*scenario.frames[:4], scenario.audio]:
        entry = media[(item.kind, item.pk)]
        assert entry["status"] == "exported"
        data = (target / entry["file"]).read_bytes()
        with item.file.open("rb") as stored:
            assert data == stored.read()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert media[("frame", scenario.frames[4].pk)]["status"] == "purged"
    no_face = exported[scenario.incidents["no_face"].pk]
    assert {ref["file"] for ref in no_face["evidence"]} == {
        media[("frame", scenario.frames[0].pk)]["file"],
        media[("frame", scenario.frames[1].pk)]["file"],
    }

    with pytest.raises(CommandError, match="exists"):
        call_command(
            "export_session", "--session", str(scenario.session.pk), "--out", str(tmp_path)
        )
    _run(
        "export_session",
        "--session",
        str(scenario.session.pk),
        "--out",
        str(tmp_path),
        "--overwrite",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"session-{scenario.session.pk}"]
    with pytest.raises(CommandError, match="No session"):
        call_command("export_session", "--session", "not-a-uuid", "--out", str(tmp_path))
