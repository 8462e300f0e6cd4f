from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from monitoring.models import Incident
from proctoring_site.exceptions import ApplicationError

from . import admin_views, review_services
from .dashboard import replay, selectors, sources
from .models import (
    Exam,
    ExamSession,
    IncidentVerdict,
    Problem,
    ProctorAction,
    SessionTransition,
    SessionVerdict,
)


class ReadOnlyAdminMixin:
    """History and review rows are written by services only, never edited in the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ProblemInline(admin.StackedInline):
    model = Problem
    extra = 0


@admin.register(Exam)
class ExamAdmin(admin.ModelAdmin):
    list_display = ["title", "duration_minutes", "starts_at", "ends_at", "is_published"]
    list_filter = ["is_published"]
    search_fields = ["title"]
    inlines = [ProblemInline]


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    list_display = ["title", "exam", "language", "order"]
    list_filter = ["language", "exam"]
    search_fields = ["title", "statement"]


class TransitionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SessionTransition
    extra = 0
    readonly_fields = ["from_status", "to_status", "actor", "reason", "created_at"]


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
        counts = selectors.incident_kind_counts([row.pk for row in self.result_list])
        for row in self.result_list:
            row.kind_counts = counts.get(row.pk, {})


@admin.register(ExamSession)
class ExamSessionAdmin(admin.ModelAdmin):
    list_display = ["candidate_column", "risk_column", "incidents_column", "review_column"]
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
    actions = ["verdict_clear", "verdict_suspicious", "verdict_violation"]
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
            path("statistics/", view(admin_views.statistics), name=f"{prefix}_statistics"),
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

    @admin.display(description="Risk", ordering="risk_score")
    def risk_column(self, obj: ExamSession) -> str:
        level = obj.risk_level or ""
        score = "–" if obj.risk_score is None else f"{obj.risk_score:.0f}"
        label = level.title() if level else "Not scored"
        return format_html(
            '<span class="risk-badge risk-{}" title="Risk score {} of 100">{} · {}</span>',
            level or "none",
            score,
            label,
            score,
        )

    @admin.display(description="Incidents", ordering="incident_total")
    def incidents_column(self, obj: ExamSession) -> str:
        counts = getattr(obj, "kind_counts", {})
        if not counts:
            return format_html('<span class="quiet">{}</span>', "none")
        labels = dict(Incident.Kind.choices)
        return format_html_join(
            " ",
            '<span class="kind-chip" title="{}">{} × {}</span>',
            (
                (labels.get(kind, kind), labels.get(kind, kind), n)
                for kind, n in sorted(counts.items(), key=lambda item: -item[1])
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
        return request.user.has_perm("exams.add_sessionverdict")

    def _bulk_verdict(self, request: HttpRequest, queryset: QuerySet, verdict: str) -> None:
        try:
            rows = review_services.sessions_verdict_bulk(
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


@admin.register(SessionTransition)
class SessionTransitionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["session", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["to_status"]
    search_fields = ["session__candidate__username", "reason"]


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
