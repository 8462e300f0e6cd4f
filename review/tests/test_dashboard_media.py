"""Evidence media is served only to signed-in staff allowed to see it, never from a public URL."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from analysis.models import MediaItem

pytestmark = pytest.mark.django_db

EVIDENCE = "/admin/exams/examsession/evidence"


def _bytes(response) -> bytes:  # noqa: ANN001
    return b"".join(response.streaming_content)


def test_proctor_gets_the_stored_frame_and_clip(scenario, proctor, web_client_for):
    client = web_client_for(proctor)
    frame = scenario.frames[0]
    response = client.get(f"{EVIDENCE}/frame/{frame.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == frame.content_type
    assert {"private", "no-store"} <= {
        part.strip() for part in response["Cache-Control"].split(",")
    }
    assert response["X-Content-Type-Options"] == "nosniff"
    with frame.file.open("rb") as stored:
        assert _bytes(response) == stored.read()
    clip = client.get(f"{EVIDENCE}/audio/{scenario.audio.pk}/")
    assert clip.status_code == 200
    assert clip["Content-Type"] == "audio/wav"
    assert _bytes(clip)[:4] == b"RIFF"


def test_nobody_else_gets_evidence(scenario, candidate, other_candidate, django_user_model):
    frame = scenario.frames[0]
    url = f"{EVIDENCE}/frame/{frame.pk}/"
    # Anonymous, the candidate themself, another candidate: all sent to the admin login.
    for user in (None, candidate, other_candidate):
        client = Client()
        if user is not None:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    # Staff without the evidence permission (even with view rights on sessions): 403.
    staff = django_user_model.objects.create_user(
        username="auditor", email="auditor@example.com", password="x-unused-9", is_staff=True
    )
    staff.user_permissions.add(Permission.objects.get(codename="view_examsession"))
    client = Client()
    client.force_login(staff)
    assert client.get(url).status_code == 403


def test_media_has_no_public_url(scenario, proctor, web_client_for):
    frame = scenario.frames[0]
    assert Client().get(f"/media/{frame.file.name}").status_code == 404
    page = web_client_for(proctor).get(f"/admin/exams/examsession/{scenario.session.pk}/review/")
    html = page.content.decode()
    assert frame.file.name not in html
    assert "/media/" not in html
    # The media admin never renders the file field (it would link under MEDIA_URL).
    change = web_client_for(proctor).get(f"/admin/analysis/mediaitem/{frame.pk}/change/")
    assert change.status_code == 200
    assert frame.file.name not in change.content.decode()
    assert f"{EVIDENCE}/frame/{frame.pk}/" in change.content.decode()


def test_missing_purged_or_mistyped_evidence_is_404(scenario, proctor, web_client_for):
    client = web_client_for(proctor)
    frame, clip = scenario.frames[0], scenario.audio
    assert client.get(f"{EVIDENCE}/frame/999999/").status_code == 404
    assert client.get(f"{EVIDENCE}/video/{frame.pk}/").status_code == 404
    # An audio id asked for as a frame is not served under the wrong type.
    assert client.get(f"{EVIDENCE}/frame/{clip.pk}/").status_code == 404
    MediaItem.objects.filter(pk=frame.pk).update(file_deleted_at=timezone.now())
    assert client.get(f"{EVIDENCE}/frame/{frame.pk}/").status_code == 404
    other = scenario.frames[1]
    other.file.storage.delete(other.file.name)  # gone from disk without the row knowing
    assert client.get(f"{EVIDENCE}/frame/{other.pk}/").status_code == 404
