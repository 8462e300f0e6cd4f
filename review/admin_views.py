"""The dashboard's own admin pages: session review, live view, statistics, evidence media.

Registered by ``ExamSessionAdmin.get_urls`` behind ``admin_site.admin_view`` (signed-in,
active staff only); each view then checks the specific permission it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.tokens import RevocableAccessToken
from analysis.live import live_thumbnail_read
from exams.models import Exam, ExamSession
from monitoring.models import Incident
from proctoring_site.exceptions import ApplicationError, InvalidInputError

from . import services as review_services
from .admin_forms import IncidentVerdictForm, SessionVerdictForm, TerminateForm, WarnForm
from .dashboard import charts, selectors, sources, stats
from .dashboard.live import live_tiles
from .dashboard.timeline import session_timeline
from .models import IncidentVerdict


def _require(request: HttpRequest, *perms: str) -> None:
    if not request.user.has_perms(perms):
        raise PermissionDenied


def _context(model_admin: Any, request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "can_review": request.user.has_perms(
            ["review.add_incidentverdict", "review.add_sessionverdict"]
        ),
        "can_warn": request.user.has_perm("review.warn_session"),
        "can_terminate": request.user.has_perm("review.terminate_session"),
        "can_view_evidence": request.user.has_perm("review.view_evidence"),
        **extra,
    }


def _exam_scope(request: HttpRequest) -> tuple[int | None, list[Exam]]:
    """The ``?exam=`` the page is limited to (None: all exams), and the exams to choose from."""
    value = request.GET.get("exam", "")
    exams = list(Exam.objects.order_by("title").only("pk", "title"))
    exam_id = int(value) if value.isdigit() else None
    if exam_id is not None and all(exam.pk != exam_id for exam in exams):
        raise Http404("No such exam.")
    return exam_id, exams


NIL = "00000000-0000-0000-0000-000000000000"  # the id placeholder of URL templates for scripts


def _review_url(session_id: Any) -> str:
    return reverse("admin:exams_examsession_review", args=[session_id])


@require_GET
def session_review(request: HttpRequest, model_admin: Any, session_id: str) -> HttpResponse:
    _require(request, "exams.view_examsession")
    session = get_object_or_404(
        ExamSession.objects.select_related("exam", "candidate__candidate_profile"), pk=session_id
    )
    incidents = selectors.session_incidents(session)
    timeline = session_timeline(session, incidents)
    context = _context(
        model_admin,
        request,
        title=f"Review: {session.candidate.display_name} — {session.exam.title}",
        session=session,
        risk=sources.risk_for_session(session),
        incidents=incidents,
        timeline=timeline,
        timeline_svg=charts.timeline_strip(timeline),
        session_verdicts=selectors.session_verdicts(session),
        incident_verdict_choices=IncidentVerdict.Verdict.choices,
        session_verdict_form=SessionVerdictForm(),
        warn_form=WarnForm(),
        terminate_form=TerminateForm(),
    )
    return TemplateResponse(request, "admin/exams/examsession/review.html", context)


def _fail(request: HttpRequest, error: ApplicationError | str) -> None:
    messages.error(request, error.message if isinstance(error, ApplicationError) else error)


def _form_then_service(
    request: HttpRequest,
    session: ExamSession,
    form: forms.Form,
    *,
    invalid: str,
    act: Callable[[dict[str, Any]], Any],
    done: Callable[[Any], str],
) -> HttpResponse:
    """What every action of the review and live pages does: validate its form, call one
    service, say how it went (the service's own message on an ApplicationError).

    A page that asks for JSON (``Accept: application/json``: the live tiles, the review page's
    in-place verdicts) gets ``{"message"}`` or the project's error shape and stays where it
    is; a plain form post goes back to the review page with the message.
    """
    wants_json = "application/json" in request.headers.get("Accept", "")
    if not form.is_valid():
        if wants_json:
            return _json_error(
                InvalidInputError(invalid, details={"fields": form.errors.get_json_data()})
            )
        _fail(request, invalid)
    else:
        try:
            outcome = act(form.cleaned_data)
        except ApplicationError as error:
            if wants_json:
                return _json_error(error)
            _fail(request, error)
        else:
            if wants_json:
                return JsonResponse({"message": done(outcome)})
            messages.success(request, done(outcome))
    return redirect(_review_url(session.pk))


def _json_error(error: ApplicationError) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": error.code, "message": error.message, "details": error.details}},
        status=error.status_code,
    )


@require_POST
def incident_verdict(request: HttpRequest, model_admin: Any, session_id: str) -> HttpResponse:
    """One or several incidents of this session get the same verdict (one history row each)."""
    _require(request, "review.add_incidentverdict")
    session = get_object_or_404(ExamSession, pk=session_id)
    ids = list(Incident.objects.filter(session=session).values_list("pk", flat=True))
    return _form_then_service(
        request,
        session,
        IncidentVerdictForm(request.POST, incident_ids=ids),
        invalid="Choose at least one incident of this session and a verdict.",
        act=lambda data: review_services.incidents_verdict_bulk(
            incidents=Incident.objects.filter(session=session, pk__in=data["incidents"]),
            reviewer=request.user,
            verdict=data["verdict"],
            notes=data["notes"],
        ),
        done=lambda rows: (
            f"{IncidentVerdict.Verdict(rows[0].verdict).label}: {len(rows)} incident(s)."
            if rows
            else "No incident changed."
        ),
    )


@require_POST
def session_verdict(request: HttpRequest, model_admin: Any, session_id: str) -> HttpResponse:
    _require(request, "review.add_sessionverdict")
    session = get_object_or_404(ExamSession, pk=session_id)
    return _form_then_service(
        request,
        session,
        SessionVerdictForm(request.POST),
        invalid="Choose a verdict for the session.",
        act=lambda data: review_services.session_verdict_record(
            session=session, reviewer=request.user, **data
        ),
        done=lambda row: f"Session verdict recorded: {row.get_verdict_display()}.",
    )


@require_POST
def session_warn(request: HttpRequest, model_admin: Any, session_id: str) -> HttpResponse:
    _require(request, "review.warn_session")
    session = get_object_or_404(ExamSession, pk=session_id)
    return _form_then_service(
        request,
        session,
        WarnForm(request.POST),
        invalid="Write the warning the candidate will see.",
        act=lambda data: review_services.session_warn(
            session=session, actor=request.user, message=data["message"]
        ),
        done=lambda _action: "Warning sent to the candidate's exam page.",
    )


@require_POST
def session_terminate(request: HttpRequest, model_admin: Any, session_id: str) -> HttpResponse:
    _require(request, "review.terminate_session")
    session = get_object_or_404(ExamSession, pk=session_id)
    return _form_then_service(
        request,
        session,
        TerminateForm(request.POST),
        invalid="Give a reason and tick the confirmation to terminate.",
        act=lambda data: review_services.session_terminate_by_proctor(
            session=session, actor=request.user, reason=data["reason"]
        ),
        done=lambda _session: "Session terminated; the candidate's page was told why.",
    )


@require_GET
def live(request: HttpRequest, model_admin: Any) -> HttpResponse:
    _require(request, "exams.view_examsession")
    exam_id, exams = _exam_scope(request)
    snapshot = _live_snapshot(exam_id)
    context = _context(
        model_admin,
        request,
        title="Live sessions",
        exam_id=exam_id,
        exams=exams,
        live_data_url=reverse("admin:exams_examsession_live_data"),
        live_token_url=reverse("admin:exams_examsession_live_token"),
        review_url_template=_review_url(NIL),
        warn_url_template=reverse("admin:exams_examsession_warn", args=[NIL]),
        terminate_url_template=reverse("admin:exams_examsession_terminate", args=[NIL]),
        thumb_url_template=reverse("admin:exams_examsession_live_frame", args=[NIL]),
        refresh_seconds=settings.REVIEW_LIVE_REFRESH_SECONDS,
        silent_seconds=settings.REVIEW_LIVE_SILENT_SECONDS,
        sessions=snapshot["sessions"],
        recent=snapshot["incidents"],
        snapshot=snapshot,
        kind_labels=dict(Incident.Kind.choices),
    )
    return TemplateResponse(request, "admin/exams/examsession/live.html", context)


@require_GET
def live_data(request: HttpRequest, model_admin: Any) -> JsonResponse:
    """The live page's snapshot (also its fallback when the websocket is down)."""
    _require(request, "exams.view_examsession")
    exam_id, _exams = _exam_scope(request)
    return JsonResponse(_live_snapshot(exam_id))


def _live_snapshot(exam_id: int | None) -> dict[str, Any]:
    return {
        "sessions": live_tiles(exam_id=exam_id),
        "incidents": selectors.recent_incidents(exam_id=exam_id),
    }


@require_GET
def live_frame(request: HttpRequest, model_admin: Any, session_id: str) -> HttpResponse:
    """The session's newest analysed frame, small (the live tile's picture); evidence rules."""
    _require(request, "exams.view_examsession", "review.view_evidence")
    session = get_object_or_404(ExamSession, pk=session_id)
    jpeg = live_thumbnail_read(session_id=session.pk) if session.is_active else None
    if jpeg is None:
        raise Http404("No analysed frame for this session.")
    response = HttpResponse(jpeg, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def live_token(request: HttpRequest, model_admin: Any) -> JsonResponse:
    """A short-lived JWT access token for the ``ws/proctor/`` feed of the signed-in reviewer.

    The feed authenticates with JWTs (like the API); the admin signs in with a cookie. POST
    with the CSRF token, so another site cannot obtain one through the proctor's browser.
    """
    _require(request, "exams.view_examsession")
    if not request.user.is_reviewer:
        raise PermissionDenied
    token = RevocableAccessToken.for_user(request.user)
    response = JsonResponse({"token": str(token), "expires_at": token["exp"]})
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def statistics(request: HttpRequest, model_admin: Any) -> HttpResponse:
    _require(request, "exams.view_examsession", "monitoring.view_incident")
    exam_id, exams = _exam_scope(request)
    over_time = stats.incidents_over_time(days=settings.REVIEW_STATS_DAYS, exam_id=exam_id)
    risk_rows = stats.risk_per_exam(exam_id=exam_id)
    verdict_rows = stats.verdicts_per_kind(exam_id=exam_id)
    level_labels = {"high": "High", "medium": "Medium", "low": "Low", "": "Not scored"}
    status_labels = dict(Incident.ReviewStatus.choices)
    context = _context(
        model_admin,
        request,
        title="Review statistics",
        exam_id=exam_id,
        exams=exams,
        days=settings.REVIEW_STATS_DAYS,
        over_time=over_time,
        over_time_svg=charts.stacked_columns(over_time.days, over_time.series, over_time.labels),
        over_time_totals=[
            (over_time.labels.get(k, k), sum(v)) for k, v in over_time.series.items()
        ],
        risk_rows=risk_rows,
        risk_svg=charts.stacked_bars(
            [(row.exam, row.levels) for row in risk_rows],
            ["high", "medium", "low", ""],
            charts.LEVEL_COLOURS,
            level_labels,
            share=False,
            label="Risk level of sessions per exam",
        ),
        verdict_rows=verdict_rows,
        verdict_svg=charts.stacked_bars(
            [(row.label, row.counts) for row in verdict_rows],
            ["confirmed", "needs_second_review", "dismissed", "unreviewed"],
            charts.VERDICT_COLOURS,
            status_labels,
            share=True,
            label="Reviewers' verdicts per incident kind",
        ),
        buckets=[f"{low}–{min(high, 100)}" for low, high in stats.RISK_BUCKETS],
    )
    return TemplateResponse(request, "admin/exams/examsession/statistics.html", context)


@require_GET
def evidence(request: HttpRequest, model_admin: Any, kind: str, pk: int) -> HttpResponse:
    """Stream one stored frame or clip to signed-in staff allowed to see evidence.

    Media is never under a public URL: this view is the only way to it. Unknown kinds, missing
    rows and purged files are all 404.
    """
    _require(request, "review.view_evidence")
    item = sources.media_get(kind, pk)
    if item is None or not item.available:
        raise Http404("No such evidence.")
    try:
        handle = item.file.storage.open(item.file.name, "rb")
    except FileNotFoundError:
        raise Http404("The evidence file is gone (purged).") from None
    response = FileResponse(handle, content_type=item.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = f'inline; filename="{kind}-{pk}"'
    return response
