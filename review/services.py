"""Writes of the proctor's review: verdicts with history, warnings and terminations.

Every function records who did what and when in an append-only row, so the review history
of an incident or a session can always be shown in full.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction

from accounts.models import User
from exams.models import ExamSession
from exams.services import session_terminate
from monitoring.incidents import incident_review_status_set
from monitoring.models import Incident
from proctoring_site.exceptions import ConflictError, InvalidInputError
from proctoring_site.realtime import proctor_feed_publish, session_publish

from .dashboard import risk_training
from .models import IncidentVerdict, ProctorAction, SessionVerdict

logger = logging.getLogger(__name__)


def _clean_notes(notes: str) -> str:
    notes = (notes or "").strip()
    if len(notes) > settings.REVIEW_NOTES_MAX_CHARS:
        raise InvalidInputError(
            f"Notes are limited to {settings.REVIEW_NOTES_MAX_CHARS} characters.",
            code="notes_too_long",
        )
    return notes


@transaction.atomic
def incident_verdict_record(
    *, incident: Incident, reviewer: User, verdict: str, notes: str = ""
) -> IncidentVerdict:
    """Add ``reviewer``'s verdict on ``incident`` beside earlier ones (never over them).

    The incident's ``review_status`` becomes this latest verdict. The proctor feed hears of
    the change like any other incident update.
    """
    if verdict not in IncidentVerdict.Verdict.values:
        raise InvalidInputError(f"Unknown verdict {verdict!r}.", code="invalid_verdict")
    notes = _clean_notes(notes)
    # Lock the incident so two reviewers saving at once get a well-defined "latest".
    incident = (
        Incident.objects.select_for_update(of=("self",))
        .select_related("session")
        .get(pk=incident.pk)
    )
    row = IncidentVerdict.objects.create(
        incident=incident, verdict=verdict, notes=notes, reviewer=reviewer
    )
    # Through monitoring's incident service: it tells the feed and has the session's risk
    # re-scored after commit (a dismissed incident stops counting, a confirmed one counts at
    # full confidence).
    incident_review_status_set(incident=incident, review_status=verdict)
    logger.info("incident %s: verdict %s by user %s", incident.pk, verdict, reviewer.pk)
    transaction.on_commit(risk_training.risk_training_schedule_if_due)
    return row


def incidents_verdict_bulk(
    *, incidents: Iterable[Incident], reviewer: User, verdict: str, notes: str = ""
) -> list[IncidentVerdict]:
    """The same verdict on many incidents (one history row each), all or nothing."""
    with transaction.atomic():
        return [
            incident_verdict_record(
                incident=incident, reviewer=reviewer, verdict=verdict, notes=notes
            )
            for incident in incidents
        ]


@transaction.atomic
def session_verdict_record(
    *, session: ExamSession, reviewer: User, verdict: str, notes: str = ""
) -> SessionVerdict:
    """Add ``reviewer``'s verdict on the whole session; earlier verdicts stay in history."""
    if verdict not in SessionVerdict.Verdict.values:
        raise InvalidInputError(f"Unknown verdict {verdict!r}.", code="invalid_verdict")
    row = SessionVerdict.objects.create(
        session=session, verdict=verdict, notes=_clean_notes(notes), reviewer=reviewer
    )
    logger.info("session %s: verdict %s by user %s", session.pk, verdict, reviewer.pk)
    return row


def sessions_verdict_bulk(
    *, sessions: Iterable[ExamSession], reviewer: User, verdict: str, notes: str = ""
) -> list[SessionVerdict]:
    with transaction.atomic():
        return [
            session_verdict_record(session=s, reviewer=reviewer, verdict=verdict, notes=notes)
            for s in sessions
        ]


@transaction.atomic
def session_warn(*, session: ExamSession, actor: User, message: str) -> ProctorAction:
    """Show ``message`` on the candidate's exam page now, and keep it in the session history.

    Only a running session can be warned (409 otherwise). Delivery is the ``session.warning``
    websocket event to the candidate's page, sent after commit.
    """
    message = (message or "").strip()
    if not message:
        raise InvalidInputError("A warning needs a message.", code="message_required")
    if len(message) > settings.REVIEW_WARNING_MAX_CHARS:
        raise InvalidInputError(
            f"Warnings are limited to {settings.REVIEW_WARNING_MAX_CHARS} characters.",
            code="message_too_long",
        )
    session = ExamSession.objects.select_for_update().get(pk=session.pk)
    if not session.is_active:
        raise ConflictError(
            f"This session is {session.status}; the candidate can no longer be warned.",
            code="session_not_active",
            details={"status": session.status},
        )
    action = ProctorAction.objects.create(
        session=session, kind=ProctorAction.Kind.WARNING, message=message, actor=actor
    )
    data = {
        "session_id": str(session.pk),
        "message": message,
        "action_id": action.pk,
        "sent_at": action.created_at.isoformat(),
    }
    session_publish(session_id=session.pk, event="session.warning", data=data)
    proctor_feed_publish(event="session.warning", data=data, exam_id=session.exam_id)
    logger.info("session %s: warned by user %s", session.pk, actor.pk)
    return action


@transaction.atomic
def session_terminate_by_proctor(
    *, session: ExamSession, actor: User, reason: str
) -> ProctorAction:
    """Terminate a running session for ``reason`` and record the proctor's action.

    The status change itself (with its transition row and the ``session.terminated`` event to
    the candidate's page) is ``exams.services.session_terminate``; 409 if already ended.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInputError("Say why the session is terminated.", code="reason_required")
    session_terminate(session=session, actor=actor, reason=reason)
    return ProctorAction.objects.create(
        session=session, kind=ProctorAction.Kind.TERMINATION, message=reason, actor=actor
    )
