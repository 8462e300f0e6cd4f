"""Code playback for reviewers: each problem's recorded editor changes, to replay in the page.

The exam page records every change of its editor (``editor_changes`` events, see
``submissions/authorship.py``). This view hands them to ``static/dashboard/replay.js``, which
rebuilds the code at any moment (slider, play at 1x-16x), marks pastes with their text and
origin, and draws the typing rhythm. It belongs with the review pages (the review app, once
that exists), which is why it reads the submissions app directly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from exams.models import ExamSession
from submissions.authorship import replay, transcription_runs
from submissions.authorship_services import editor_changes_for, session_editor_recorded
from submissions.models import CodeSubmission

from ..admin_views import _context, _require


@dataclass
class ProblemReplay:
    problem_id: int
    title: str
    language: str
    changes: list[dict[str, Any]]
    submissions: list[dict[str, Any]] = field(default_factory=list)
    replayed_matches_final: bool | None = None
    transcription_runs: list[dict[str, Any]] = field(default_factory=list)


def session_replays(session: ExamSession) -> list[ProblemReplay]:
    """One replay per problem of the session's exam, in the exam's order."""
    submissions = list(
        CodeSubmission.objects.filter(session=session).order_by("problem_id", "version")
    )
    replays = []
    for problem in session.exam.problems.order_by("order", "pk"):
        changes = editor_changes_for(session_id=session.pk, problem_id=problem.pk)
        own = [s for s in submissions if s.problem_id == problem.pk]
        final = next((s for s in reversed(own) if s.is_final), own[-1] if own else None)
        replays.append(
            ProblemReplay(
                problem_id=problem.pk,
                title=problem.title,
                language=final.language if final else problem.language,
                changes=[
                    {
                        "t": c.t,
                        "kind": c.kind,
                        "from": c.start,
                        "del": c.deleted,
                        "ins": c.inserted,
                        "origin": c.origin,
                        "cont": c.cont,
                    }
                    for c in changes
                ],
                submissions=[
                    {
                        "version": s.version,
                        "t": int(s.created_at.timestamp() * 1000),
                        "sha256": s.sha256,
                        "is_final": s.is_final,
                    }
                    for s in own
                ],
                replayed_matches_final=(
                    replay(changes).rstrip() == final.code.rstrip() if final and changes else None
                ),
                transcription_runs=[run.as_dict() for run in transcription_runs(changes)],
            )
        )
    return replays


@require_GET
def session_replay(request: HttpRequest, model_admin: Any, session_id: str) -> HttpResponse:
    """The replay page of one session (needs the review page's permission)."""
    _require(request, "exams.view_examsession")
    session = get_object_or_404(
        ExamSession.objects.select_related("exam", "candidate"), pk=session_id
    )
    context = _context(
        model_admin,
        request,
        title=f"Code playback: {session.candidate.display_name} — {session.exam.title}",
        session=session,
        editor_recorded=session_editor_recorded(session_id=session.pk),
        replays=[asdict(r) for r in session_replays(session)],
    )
    return render(request, "admin/review/replay.html", context)
