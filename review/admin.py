"""The review admin: sessions by risk, incidents with bulk verdicts, review history."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from exams.admin import ReadOnlyAdminMixin, TransitionInline
from exams.attempts import session_attempt_grant
from exams.models import ExamSession
from monitoring.incidents import incidents_changed
from monitoring.models import Incident
from proctoring_site.exceptions import ApplicationError

from . import admin_views, services
from .admin_forms import GrantAttemptForm
from .dashboard import replay, risk_admin_views, selectors, sources
from .dashboard.timeline import elapsed_words
from .models import IncidentVerdict, ProctorAction, SessionVerdict

# --------------------------------------------------------------------------- triage list


class RiskLevelFilter(admin.SimpleListFilter):
    title = "risk level"
    parameter_name = "risk"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("high", "High"), ("medium", "Medium"), ("low", "Low"), ("none", "Not scored")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "none":
            return queryset.filter(Q(risk_level__isnull=True) | Q(risk_level=""))
        if self.value() in sources.RISK_LEVELS:
            return queryset.filter(risk_level=self.value())
        return queryset


class ReviewStateFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("unreviewed", "Has unreviewed incidents"),
            ("no_verdict", "No session verdict yet"),
            ("second_review", "Needs a second review"),
            ("verdict", "Has a session verdict"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "unreviewed":
            return queryset.filter(incident_unreviewed__gt=0)
        if value == "no_verdict":
            return queryset.filter(latest_verdict__isnull=True)
        if value == "second_review":
            return queryset.filter(
                Exists(
                    Incident.objects.filter(
                        session=OuterRef("pk"),
                        review_status=Incident.ReviewStatus.NEEDS_SECOND_REVIEW,
                    )
                )
            )
        if value == "verdict":
            return queryset.filter(latest_verdict__isnull=False)
        return queryset


class IncidentKindFilter(admin.SimpleListFilter):
    title = "incident kind"
    parameter_name = "incident_kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(Incident.Kind.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in Incident.Kind.values:
            return queryset.filter(
                Exists(Incident.objects.filter(session=OuterRef("pk"), kind=self.value()))
            )
        return queryset


class TriageChangeList(ChangeList):
    """Riskiest first unless a column is clicked; each row gets its incident counts by kind."""

    def get_ordering(self, request: HttpRequest, queryset: QuerySet) -> list[Any]:
        # Not ModelAdmin.get_ordering: the admin also applies that to plain ExamSession
        # querysets (foreign key choices), which lack the triage annotations.
        if ORDER_VAR in self.params:
            return super().get_ordering(request, queryset)
        return [*selectors.TRIAGE_ORDERING, "-pk"]

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        ids = [row.pk for row in self.result_list]
        counts = selectors.incident_kind_counts(ids)
        severities = selectors.incident_kind_severity(ids)
        analysed = selectors.sessions_analysed(ids)
        for row in self.result_list:
            row.kind_counts = counts.get(row.pk, {})
            row.kind_severity = severities.get(row.pk, {})
            row.analysed = row.pk in analysed


@admin.register(ExamSession)
class ExamSessionAdmin(admin.ModelAdmin):
    list_display = [
        "candidate_column",
        "risk_column",
        "doubt_column",
        "incidents_column",
        "review_column",
    ]
    list_display_links = None
    list_filter = [
        "exam",
        "status",
        RiskLevelFilter,
        ReviewStateFilter,
        IncidentKindFilter,
        "legal_hold",
    ]
    search_fields = [
        "candidate__candidate_profile__full_name",
        "candidate__first_name",
        "candidate__last_name",
        "candidate__username",
        "candidate__email",
    ]
    readonly_fields = ["token_hash", "created_at", "started_at", "ended_at", "status"]
    inlines = [TransitionInline]
    actions = ["verdict_clear", "verdict_suspicious", "verdict_violation", "grant_attempt"]
    list_per_page = 50
    change_list_template = "admin/exams/examsession/change_list.html"

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        return super().changelist_view(
            request, {"title": "Sessions by risk", **(extra_context or {})}
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return selectors.sessions_for_triage(super().get_queryset(request))

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return TriageChangeList

    def get_urls(self) -> list[Any]:
        def view(func: Any, **kwargs: Any) -> Any:
            def wrapped(request: HttpRequest, *args: Any, **kw: Any) -> Any:
                return func(request, self, *args, **kw)

            return self.admin_site.admin_view(wrapped)

        prefix = "exams_examsession"
        return [
            path("live/", view(admin_views.live), name=f"{prefix}_live"),
            path("live/data.json", view(admin_views.live_data), name=f"{prefix}_live_data"),
            path("live/token.json", view(admin_views.live_token), name=f"{prefix}_live_token"),
            path(
                "live/<uuid:session_id>/frame.jpg",
                view(admin_views.live_frame),
                name=f"{prefix}_live_frame",
            ),
            path("statistics/", view(admin_views.statistics), name=f"{prefix}_statistics"),
            path("fairness/", view(risk_admin_views.fairness_audit), name=f"{prefix}_fairness"),
            path("risk-models/", view(risk_admin_views.risk_models), name=f"{prefix}_risk_models"),
            path(
                "evidence/<str:kind>/<int:pk>/",
                view(admin_views.evidence),
                name=f"{prefix}_evidence",
            ),
            path(
                "<uuid:session_id>/review/",
                view(admin_views.session_review),
                name=f"{prefix}_review",
            ),
            path(
                "<uuid:session_id>/review/replay/",
                view(replay.session_replay),
                name=f"{prefix}_replay",
            ),
            path(
                "<uuid:session_id>/review/incident-verdict/",
                view(admin_views.incident_verdict),
                name=f"{prefix}_incident_verdict",
            ),
            path(
                "<uuid:session_id>/review/session-verdict/",
                view(admin_views.session_verdict),
                name=f"{prefix}_session_verdict",
            ),
            path(
                "<uuid:session_id>/review/warn/",
                view(admin_views.session_warn),
                name=f"{prefix}_warn",
            ),
            path(
                "<uuid:session_id>/review/terminate/",
                view(admin_views.session_terminate),
                name=f"{prefix}_terminate",
            ),
            *super().get_urls(),
        ]

    # ---- columns

    @admin.display(description="Candidate", ordering="candidate__candidate_profile__full_name")
    def candidate_column(self, obj: ExamSession) -> str:
        return format_html(
            '<a href="{}"><strong>{}</strong></a> <span class="quiet">{}</span><br>'
            '{} · <span class="status status-{}">{}</span>',
            reverse("admin:exams_examsession_review", args=[obj.pk]),
            obj.candidate.display_name,
            obj.candidate.email,
            obj.exam.title,
            obj.status,
            obj.get_status_display(),
        )

    @admin.display(description="Risk", ordering="risk_expected")
    def risk_column(self, obj: ExamSession) -> str:
        level = obj.risk_level or ""
        score = "–" if obj.risk_score is None else f"{obj.risk_score:.0f}"
        if not getattr(obj, "kind_counts", {}) and getattr(obj, "analysed", False):
            # Analysed and clean: a result, not a failure to analyse.
            return format_html(
                '<span class="risk-badge risk-clean" title="{}">{}</span>',
                "The engine analysed this session and found no incident",
                "Scored, nothing found",
            )
        label = level.title() if level else "Not scored"
        expected = getattr(obj, "risk_expected", None)
        return format_html(
            '<span class="risk-badge risk-{}" title="Risk score {} of 100; sorted by the '
            'expected number of confirmed violations">{} · {}</span>{}',
            level or "none",
            score,
            label,
            score,
            format_html('<br><span class="quiet">≈ {} expected</span>', f"{expected:.2f}")
            if expected is not None
            else "",
        )

    @admin.display(description="Needs a human", ordering="-risk_uncertainty")
    def doubt_column(self, obj: ExamSession) -> str:
        # sum of p(1 - p) over unreviewed incidents: sorting on it lists first the sessions
        # where a verdict removes the most doubt.
        doubt = getattr(obj, "risk_uncertainty", None)
        if doubt is None:
            return format_html('<span class="quiet">{}</span>', "–")
        return format_html(
            '<span title="Sum of p(1 - p) over unreviewed incidents">{}</span>', f"{doubt:.2f}"
        )

    @admin.display(description="Incidents", ordering="incident_total")
    def incidents_column(self, obj: ExamSession) -> str:
        counts = getattr(obj, "kind_counts", {})
        if not counts:
            return format_html('<span class="quiet">{}</span>', "none")
        labels = dict(Incident.Kind.choices)
        severity = getattr(obj, "kind_severity", {})
        rank = selectors.SEVERITY_ORDER
        # Worst first, then the most frequent; the colour says the worst severity of the kind.
        ordered = sorted(
            counts.items(), key=lambda item: (-rank.get(severity.get(item[0], ""), 0), -item[1])
        )
        return format_html_join(
            " ",
            '<span class="kind-chip sev-{}" title="{}, worst: {} severity">{} × {}</span>',
            (
                (
                    severity.get(kind, "none"),
                    labels.get(kind, kind),
                    severity.get(kind, "unknown"),
                    labels.get(kind, kind),
                    n,
                )
                for kind, n in ordered
            ),
        )

    @admin.display(description="Review", ordering="started_at")
    def review_column(self, obj: ExamSession) -> str:
        key, label = selectors.review_state(
            obj.latest_verdict, obj.incident_unreviewed, obj.incident_total
        )
        started = obj.started_at.strftime("%Y-%m-%d %H:%M") if obj.started_at else "not started"
        return format_html(
            '<span class="review-state review-{}">{}</span><br><span class="quiet">{}</span>',
            key,
            label,
            started,
        )

    # ---- bulk actions

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("review.add_sessionverdict")

    def _bulk_verdict(self, request: HttpRequest, queryset: QuerySet, verdict: str) -> None:
        try:
            rows = services.sessions_verdict_bulk(
                sessions=list(queryset),
                reviewer=request.user,
                verdict=verdict,
                notes="Bulk verdict from the session list.",
            )
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        label = SessionVerdict.Verdict(verdict).label
        self.message_user(request, f"{label}: verdict recorded on {len(rows)} session(s).")

    @admin.action(description="Verdict: clear", permissions=["review"])
    def verdict_clear(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._bulk_verdict(request, queryset, SessionVerdict.Verdict.CLEAR)

    @admin.action(description="Verdict: suspicious", permissions=["review"])
    def verdict_suspicious(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._bulk_verdict(request, queryset, SessionVerdict.Verdict.SUSPICIOUS)

    @admin.action(description="Verdict: violation", permissions=["review"])
    def verdict_violation(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._bulk_verdict(request, queryset, SessionVerdict.Verdict.VIOLATION)

    def has_grant_attempt_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("exams.grant_attempt")

    @admin.action(
        description="Grant another attempt (ended sessions)", permissions=["grant_attempt"]
    )
    def grant_attempt(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
        """Ask why first (an intermediate page), then one history row per session."""
        form = GrantAttemptForm(request.POST if "apply" in request.POST else None)
        if not form.is_bound or not form.is_valid():
            return TemplateResponse(
                request,
                "admin/exams/examsession/grant_attempt.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Grant another attempt",
                    "opts": self.model._meta,
                    "form": form,
                    "sessions": queryset.select_related("candidate", "exam"),
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        granted = 0
        for session in queryset:
            try:
                session_attempt_grant(
                    session=session, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except ApplicationError as error:
                self.message_user(request, f"{session}: {error.message}", messages.ERROR)
            else:
                granted += 1
        if granted:
            self.message_user(request, f"Another attempt granted on {granted} session(s).")
        return None


@admin.register(IncidentVerdict)
class IncidentVerdictAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["incident", "verdict", "reviewer", "created_at", "notes"]
    list_filter = ["verdict", "incident__kind"]
    search_fields = ["notes", "reviewer__username", "incident__session__candidate__email"]
    date_hierarchy = "created_at"


@admin.register(SessionVerdict)
class SessionVerdictAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["session", "verdict", "reviewer", "created_at", "notes"]
    list_filter = ["verdict"]
    search_fields = ["notes", "reviewer__username", "session__candidate__email"]
    date_hierarchy = "created_at"


@admin.register(ProctorAction)
class ProctorActionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["session", "kind", "actor", "created_at", "message"]
    list_filter = ["kind"]
    search_fields = ["message", "actor__username", "session__candidate__email"]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Incidents are recorded by services; reviewers judge them with verdicts (bulk here)."""

    list_display = [
        "kind",
        "session_link",
        "severity",
        "source",
        "started_column",
        "duration_column",
        "confidence",
        "review_status",
    ]
    list_filter = ["kind", "severity", "source", "review_status", "session__exam"]
    search_fields = [
        "session__candidate__username",
        "session__candidate__email",
        "session__candidate__candidate_profile__full_name",
    ]
    date_hierarchy = "started_at"
    list_select_related = ["session__candidate__candidate_profile", "session__exam"]
    # review_status follows the latest verdict; it is never typed in.
    readonly_fields = ["review_status", "created_at", "updated_at"]
    actions = ["verdict_confirmed", "verdict_dismissed", "verdict_second_review"]

    @admin.display(description="Session", ordering="session__started_at")
    def session_link(self, obj: Incident) -> str:
        return format_html(
            '<a href="{}#incident-{}">{}</a><br><span class="quiet">{} · session {}</span>',
            reverse("admin:exams_examsession_review", args=[obj.session_id]),
            obj.pk,
            obj.session.candidate.display_name,
            obj.session.exam.title,
            str(obj.session_id)[:8],
        )

    @admin.display(description="Started", ordering="started_at")
    def started_column(self, obj: Incident) -> str:
        local = timezone.localtime(obj.started_at)
        return format_html(
            '<time datetime="{}">{}</time>', local.isoformat(), local.strftime("%Y-%m-%d %H:%M:%S")
        )

    @admin.display(description="Lasted", ordering="ended_at")
    def duration_column(self, obj: Incident) -> str:
        if obj.duration_s is None:
            return "still going"
        return elapsed_words(obj.duration_s)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # incidents come from detectors and monitoring/incidents.py only

    def save_model(self, request: HttpRequest, obj: Incident, form: Any, change: bool) -> None:
        # An admin's edit (severity, times) changes the risk like any incident change does.
        super().save_model(request, obj, form, change)
        incidents_changed(session_id=obj.session_id)

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("review.add_incidentverdict")

    def _bulk(self, request: HttpRequest, queryset: QuerySet, verdict: str) -> None:
        try:
            rows = services.incidents_verdict_bulk(
                incidents=list(queryset),
                reviewer=request.user,
                verdict=verdict,
                notes="Bulk verdict from the incident list.",
            )
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        label = IncidentVerdict.Verdict(verdict).label
        self.message_user(request, f"{label}: {len(rows)} incident(s).")

    @admin.action(description="Verdict: confirmed", permissions=["review"])
    def verdict_confirmed(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._bulk(request, queryset, IncidentVerdict.Verdict.CONFIRMED)

    @admin.action(description="Verdict: dismissed", permissions=["review"])
    def verdict_dismissed(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._bulk(request, queryset, IncidentVerdict.Verdict.DISMISSED)

    @admin.action(description="Verdict: needs second review", permissions=["review"])
    def verdict_second_review(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._bulk(request, queryset, IncidentVerdict.Verdict.NEEDS_SECOND_REVIEW)
