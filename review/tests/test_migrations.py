"""The review models moved out of exams without losing a row or a permission.

A database is put back at the state before the move (exams 0005, no review app), filled there
with the historical models, then migrated forward; everything must still be there, under the
new app's models and permissions.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from exams.models import ExamSession
from review.models import IncidentVerdict, ProctorAction, SessionVerdict
from review.proctor_permissions import PROCTORS_GROUP

BEFORE = [("exams", "0005_proctors_review_permissions"), ("review", None)]
MOVED = ("incidentverdict", "sessionverdict", "proctoraction")


def _migrate(targets: list[tuple[str, str | None]]) -> object:
    executor = MigrationExecutor(connection)
    state = executor.migrate(targets)
    return state.apps


def _latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_a_filled_database_migrates_forward_with_nothing_lost(session, proctor) -> None:
    old = _migrate(BEFORE)
    ContentType = old.get_model("contenttypes", "ContentType")
    Permission = old.get_model("auth", "Permission")
    Group = old.get_model("auth", "Group")
    User = old.get_model("accounts", "User")
    Incident = old.get_model("monitoring", "Incident")
    old_session = old.get_model("exams", "ExamSession").objects.get(pk=session.pk)
    reviewer = User.objects.get(pk=proctor.pk)

    incident = Incident.objects.create(
        session=old_session, kind="no_face", source="analyzer", started_at=timezone.now()
    )
    incident_verdict = old.get_model("exams", "IncidentVerdict").objects.create(
        incident=incident, verdict="confirmed", notes="seen on frame 3", reviewer=reviewer
    )
    session_verdict = old.get_model("exams", "SessionVerdict").objects.create(
        session=old_session, verdict="violation", notes="phone", reviewer=reviewer
    )
    action = old.get_model("exams", "ProctorAction").objects.create(
        session=old_session, kind="warning", message="Eyes on the screen", actor=reviewer
    )
    # A grant outside the Proctors group too: it must follow the permission, not be re-made.
    auditor = Group.objects.create(name="Auditors")
    warn = Permission.objects.get(content_type__app_label="exams", codename="warn_session")
    auditor.permissions.add(warn)
    before_types = {
        ct.model: ct.pk for ct in ContentType.objects.filter(app_label="exams", model__in=MOVED)
    }
    assert set(before_types) == set(MOVED)

    _migrate(_latest())

    assert IncidentVerdict.objects.get(pk=incident_verdict.pk).notes == "seen on frame 3"
    assert IncidentVerdict.objects.get(pk=incident_verdict.pk).incident_id == incident.pk
    row = SessionVerdict.objects.get(pk=session_verdict.pk)
    assert (row.verdict, row.session_id, row.reviewer_id) == ("violation", session.pk, proctor.pk)
    assert ProctorAction.objects.get(pk=action.pk).message == "Eyes on the screen"
    assert ExamSession.objects.get(pk=session.pk).verdicts.count() == 1

    from django.contrib.auth.models import Group as CurrentGroup
    from django.contrib.contenttypes.models import ContentType as CurrentContentType

    after_types = {
        ct.model: ct.pk
        for ct in CurrentContentType.objects.filter(app_label="review", model__in=MOVED)
    }
    assert after_types == before_types  # the same rows, renamed
    assert not CurrentContentType.objects.filter(app_label="exams", model__in=MOVED).exists()
    assert list(
        CurrentGroup.objects.get(name="Auditors").permissions.values_list("pk", flat=True)
    ) == [warn.pk]

    user = get_user_model().objects.get(pk=proctor.pk)
    assert user.groups.filter(name=PROCTORS_GROUP).exists()
    for perm in (
        "review.add_incidentverdict",
        "review.add_sessionverdict",
        "review.warn_session",
        "review.terminate_session",
        "review.view_evidence",
    ):
        assert user.has_perm(perm), perm
    assert not user.has_perm("exams.warn_session")
