"""The live page's data: tiles with the candidate's state now, the tile picture, tile actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from analysis.live import live_thumbnail_store
from analysis.models import AnalysisResult
from monitoring.incidents import incident_create
from monitoring.models import Incident
from monitoring.services import events_ingest
from review.dashboard.live import live_tiles
from review.models import ProctorAction

pytestmark = pytest.mark.django_db

LIVE = "/admin/exams/examsession/live"


def _jpeg() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 120, 150)).save(buffer, format="JPEG")
    return buffer.getvalue()


def _events(session, *types: str) -> None:  # noqa: ANN001
    now = timezone.now()
    events_ingest(
        session=session,
        raw_events=[
            {"seq": n, "type": kind, "ts": (now - timedelta(seconds=10 - n)).isoformat()}
            for n, kind in enumerate(types, start=1)
        ],
    )


def test_a_tile_says_what_the_candidate_is_doing_now(session, other_candidate, exam, start_session):
    quiet, _ = start_session(other_candidate, exam)
    _events(session, "heartbeat", "tab_hidden", "camera_off")
    incident_create(
        session=session,
        kind=Incident.Kind.NO_FACE,
        source=Incident.Source.ANALYZER,
        started_at=timezone.now(),
    )
    tiles = {tile["id"]: tile for tile in live_tiles()}

    tile = tiles[str(session.pk)]
    assert tile["connection"] == "connected"
    assert tile["tab_hidden"] and tile["camera_off"] and tile["face_absent"]
    assert [kind for _pk, kind in tile["open_incident_ids"]] == ["no_face"]
    assert tile["frame_id"] is None  # nothing analysed yet

    other = tiles[str(quiet.pk)]
    assert other["connection"] == "offline"  # never heard from
    assert not (other["tab_hidden"] or other["camera_off"] or other["face_absent"])

    visible = [{"seq": 4, "type": "tab_visible", "ts": timezone.now().isoformat()}]
    events_ingest(session=session, raw_events=visible)
    assert not {t["id"]: t for t in live_tiles()}[str(session.pk)]["tab_hidden"]


def test_a_quiet_page_reads_reconnecting_then_offline(session):
    from monitoring.models import SessionMonitor

    _events(session, "heartbeat")
    SessionMonitor.objects.filter(session=session).update(
        last_event_at=timezone.now() - timedelta(seconds=40)
    )
    assert live_tiles()[0]["connection"] == "reconnecting"
    SessionMonitor.objects.filter(session=session).update(offline_incident_id=1)
    assert live_tiles()[0]["connection"] == "offline"


def test_tiles_sort_by_risk_then_by_what_is_wrong_now(
    session, other_candidate, exam, start_session, django_capture_on_commit_callbacks
):
    calm, _ = start_session(other_candidate, exam)
    with django_capture_on_commit_callbacks(execute=True):
        incident_create(
            session=calm,
            kind=Incident.Kind.MULTIPLE_FACES,
            source=Incident.Source.ANALYZER,
            started_at=timezone.now() - timedelta(seconds=60),
            ended_at=timezone.now(),
            severity=Incident.Severity.HIGH,
        )
    assert [t["id"] for t in live_tiles()] == [str(calm.pk), str(session.pk)]


def test_the_tile_picture_is_the_newest_analysed_frame_for_evidence_viewers_only(
    session, proctor, web_client_for, django_user_model
):
    assert live_thumbnail_store(session_id=session.pk, image=_jpeg())
    result = AnalysisResult.objects.create(
        session=session, kind="frame", captured_at=timezone.now(), status="ok"
    )
    assert live_tiles()[0]["frame_id"] == result.pk

    response = web_client_for(proctor).get(f"{LIVE}/{session.pk}/frame.jpg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    import io

    from PIL import Image

    assert Image.open(io.BytesIO(response.content)).size == (240, 180)  # downscaled

    staff = django_user_model.objects.create_user(
        username="auditor", email="auditor@example.com", password="x-unused-9", is_staff=True
    )
    staff.user_permissions.add(Permission.objects.get(codename="view_examsession"))
    client = Client()
    client.force_login(staff)
    assert client.get(f"{LIVE}/{session.pk}/frame.jpg").status_code == 403


def test_no_picture_is_404(session, proctor, web_client_for):
    assert web_client_for(proctor).get(f"{LIVE}/{session.pk}/frame.jpg").status_code == 404


def test_tile_actions_answer_json_and_the_error_shape(session, proctor, web_client_for):
    client = web_client_for(proctor)
    base = f"/admin/exams/examsession/{session.pk}/review"
    json_accept = {"HTTP_ACCEPT": "application/json"}
    response = client.post(f"{base}/warn/", {"message": "Eyes on screen."}, **json_accept)
    assert response.status_code == 200
    assert response.json() == {"message": "Warning sent to the candidate's exam page."}
    assert ProctorAction.objects.get(session=session).message == "Eyes on screen."

    missing = client.post(f"{base}/terminate/", {"reason": "Phone"}, **json_accept)
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "invalid"
    assert "confirm" in missing.json()["error"]["details"]["fields"]

    done = client.post(f"{base}/terminate/", {"reason": "Phone", "confirm": "on"}, **json_accept)
    assert done.status_code == 200
    again = client.post(f"{base}/terminate/", {"reason": "Phone", "confirm": "on"}, **json_accept)
    assert again.status_code == 409
    assert again.json()["error"]["code"] in {"illegal_transition", "session_not_active"}
    # Without JSON the form post still goes back to the review page.
    plain = client.post(f"{base}/warn/", {"message": "x"})
    assert plain.status_code == 302


def test_live_snapshot_lists_newest_incidents_by_when_they_happened(
    session, proctor, web_client_for
):
    now = timezone.now()
    late = incident_create(
        session=session, kind="no_face", source="analyzer", started_at=now - timedelta(seconds=5)
    )
    early = incident_create(
        session=session, kind="tab_hidden", source="browser", started_at=now - timedelta(minutes=5)
    )
    body = web_client_for(proctor).get(f"{LIVE}/data.json").json()
    assert [i["id"] for i in body["incidents"]] == [late.pk, early.pk]  # not creation order
    assert body["sessions"][0]["id"] == str(session.pk)
    assert body["sessions"][0]["connection"] == "offline"
