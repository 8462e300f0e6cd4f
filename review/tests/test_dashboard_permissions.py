"""The Proctors group holds exactly the review permissions, whatever order apps migrate in."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission

from review.proctor_permissions import PROCTORS_GROUP, proctors_group_sync

pytestmark = pytest.mark.django_db


def _codes(group: Group) -> set[str]:
    return {
        f"{app}.{code}"
        for app, code in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_proctors_view_review_warn_terminate_grant_and_nothing_else():
    codes = _codes(Group.objects.get(name=PROCTORS_GROUP))
    assert {
        "exams.view_examsession",
        "review.add_incidentverdict",
        "review.add_sessionverdict",
        "review.warn_session",
        "review.terminate_session",
        "review.view_evidence",
        "monitoring.view_incident",
        "monitoring.view_monitoringlog",
        "analysis.view_mediaitem",
        "analysis.view_analysisresult",
        "analysis.view_sessionrisk",
        "submissions.view_codesubmission",
        "submissions.view_similaritymatch",
    } <= codes
    for code in codes:
        action = code.split(".", 1)[1].split("_", 1)[0]
        assert action in {"view", "add", "warn", "terminate", "grant"}, code
        if action == "add":
            assert code in {"review.add_incidentverdict", "review.add_sessionverdict"}
    assert "exams.change_examsession" not in codes
    assert "monitoring.change_incident" not in codes


def test_sync_restores_the_list_after_manual_changes():
    group = Group.objects.get(name=PROCTORS_GROUP)
    group.permissions.add(Permission.objects.get(codename="delete_monitoringlog"))
    group.permissions.remove(Permission.objects.get(codename="warn_session"))
    proctors_group_sync(apps)
    codes = _codes(group)
    assert "monitoring.delete_monitoringlog" not in codes
    assert "review.warn_session" in codes
