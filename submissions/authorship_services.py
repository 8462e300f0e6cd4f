"""Authorship signals stored as incidents, from the editor's recorded changes.

The exam page sends its CodeMirror changes as ``editor_changes`` monitoring events
(``{"problem_id", "changes": [...]}``), stored once each in the hash-chained monitoring log;
``editor_changes_for`` reads them back per (session, problem). When a session ends, each
problem's final submission is checked (``authorship_assess``): typing at a transcription rhythm
and a final text that the editor never held become incidents with their evidence.

The second check needs a recording to compare with. Code may arrive through the API alone (a
client of its own, a script): such a session has no editor records at all, and "never typed
here" would say nothing but that. So ``untyped_submission`` is judged only in sessions whose
page declared its recording editor (``client_info`` with ``editor_recording``, sent by the exam
page when monitoring starts) or sent editor records, and only while the exam's policy
``authorship_untyped`` is on (the default). Elsewhere the reviewer is told the code was not
recorded (the playback page), and no incident is made.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.db import transaction
from django_q.tasks import async_task

from exams.models import ExamSession
from monitoring.incidents import incident_create
from monitoring.models import EventType, Incident, MonitoringLog

from .authorship import Change, changes_parse, text_was_written_here, transcription_runs
from .models import CodeSubmission

logger = logging.getLogger(__name__)


def editor_changes_for(*, session_id: object, problem_id: int) -> list[Change]:
    """The recorded editor changes of one problem in one session, in the page's order."""
    rows = (
        MonitoringLog.objects.filter(
            session_id=session_id, type=EventType.EDITOR_CHANGES, payload__problem_id=problem_id
        )
        .order_by("seq")
        .values_list("payload", flat=True)
    )
    changes: list[Change] = []
    for payload in rows:
        changes.extend(changes_parse(payload.get("changes") or []))
    return changes


def session_editor_recorded(*, session_id: object) -> bool:
    """Whether the session's page recorded its editor (declared it, or sent change records)."""
    logs = MonitoringLog.objects.filter(session_id=session_id)
    declared = logs.filter(type=EventType.CLIENT_INFO, payload__editor_recording=True)
    return declared.exists() or logs.filter(type=EventType.EDITOR_CHANGES).exists()


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def authorship_assess_enqueue(*, session_id: object) -> None:
    """After commit, queue the authorship check of a session that ended."""
    transaction.on_commit(
        lambda: async_task(
            "submissions.tasks.authorship_assess_session",
            str(session_id),
            task_name=f"authorship-{session_id}",
        )
    )


@transaction.atomic
def authorship_assess(*, session: ExamSession) -> list[Incident]:
    """Record authorship incidents for the final submissions of ``session``; returns new ones.

    ``untyped_submission`` only where the editor was recorded and the policy's
    ``authorship_untyped`` is on (see the module's docstring). Safe to run again: an incident of
    the same kind, problem and start is not recorded twice.
    """
    ExamSession.objects.select_for_update().filter(pk=session.pk).first()
    judge_untyped = bool(session.policy.get("authorship_untyped", True)) and (
        session_editor_recorded(session_id=session.pk)
    )
    created: list[Incident] = []
    finals = CodeSubmission.objects.filter(session=session, is_final=True).select_related("problem")
    for submission in finals:
        changes = editor_changes_for(session_id=session.pk, problem_id=submission.problem_id)
        problem = {"problem_id": submission.problem_id, "problem": submission.problem.title}
        found = []
        for run in transcription_runs(changes):
            found.append(
                (
                    Incident.Kind.TRANSCRIBED_TYPING,
                    _at(run.started_ms),
                    _at(run.ended_ms),
                    Incident.Severity.LOW,
                    {**problem, **run.as_dict()},
                )
            )
        if (
            judge_untyped
            and submission.code.strip()
            and not text_was_written_here(changes, submission.code)
        ):
            when = submission.created_at
            found.append(
                (
                    Incident.Kind.UNTYPED_SUBMISSION,
                    when,
                    when,
                    Incident.Severity.HIGH,
                    {
                        **problem,
                        "version": submission.version,
                        "sha256": submission.sha256,
                        "recorded_changes": len(changes),
                        "why": "The submitted code was never the editor's text in this exam: "
                        "it was not typed or pasted here.",
                    },
                )
            )
        for kind, started, ended, severity, details in found:
            if Incident.objects.filter(
                session=session,
                kind=kind,
                started_at=started,
                details__problem_id=submission.problem_id,
            ).exists():
                continue
            created.append(
                incident_create(
                    session=session,
                    kind=kind,
                    source=Incident.Source.BROWSER,
                    started_at=started,
                    ended_at=ended,
                    severity=severity,
                    details=details,
                    evidence=[{"type": "submission", "id": submission.pk}],
                )
            )
    if created:
        logger.info("session %s: %d authorship incident(s)", session.pk, len(created))
    return created
