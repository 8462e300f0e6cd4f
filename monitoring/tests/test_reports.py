"""Candidates cannot forge analyzer findings through suspicious-activity."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring.models import Incident

pytestmark = pytest.mark.django_db
URL = "/api/monitoring/suspicious-activity"


@pytest.mark.parametrize(
    "kind",
    ["no_face", "multiple_faces", "identity_mismatch", "multiple_voices", "manual", "other"],
)
def test_candidate_cannot_report_analyzer_or_proctor_kinds(
    candidate, session, client_for, kind
) -> None:
    response = client_for(candidate).post(
        URL, {"session_id": str(session.pk), "kind": kind}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "kind_not_allowed"
    assert not Incident.objects.exists()


def test_candidate_report_must_lie_inside_the_session(candidate, session, client_for) -> None:
    client = client_for(candidate)
    forged = client.post(
        URL,
        {
            "session_id": str(session.pk),
            "kind": "tab_hidden",
            "started_at": "2000-01-01T00:00:00Z",
            "ended_at": "2100-01-01T00:00:00Z",
        },
        format="json",
    )
    assert forged.status_code == 400
    assert forged.json()["error"]["code"] == "outside_session_time"
    inside = client.post(
        URL,
        {
            "session_id": str(session.pk),
            "kind": "tab_hidden",
            "started_at": (timezone.now() - timedelta(seconds=5)).isoformat(),
        },
        format="json",
    )
    assert inside.status_code == 201
    assert Incident.objects.get().source == Incident.Source.CANDIDATE


def test_proctor_may_still_flag_any_kind_at_any_time(session, client_for, proctor) -> None:
    response = client_for(proctor).post(
        URL,
        {"session_id": str(session.pk), "kind": "no_face", "started_at": "2000-01-01T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["source"] == "proctor"
