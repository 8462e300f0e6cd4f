from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from exams.models import IncidentVerdict
from exams.review_services import incidents_verdict_bulk
from proctoring_site.exceptions import ApplicationError

from .models import Incident, MonitoringLog


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Incidents are recorded by services; reviewers judge them with verdicts (bulk here)."""

    list_display = [
        "kind",
        "session_link",
        "severity",
        "source",
        "started_at",
        "ended_at",
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
    list_select_related = ["session__candidate__candidate_profile"]
    # review_status follows the latest verdict; it is never typed in.
    readonly_fields = ["review_status", "created_at", "updated_at"]
    actions = ["verdict_confirmed", "verdict_dismissed", "verdict_second_review"]

    @admin.display(description="Session", ordering="session__started_at")
    def session_link(self, obj: Incident) -> str:
        return format_html(
            '<a href="{}#incident-{}">{}</a>',
            reverse("admin:exams_examsession_review", args=[obj.session_id]),
            obj.pk,
            obj.session.candidate.display_name,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # incidents come from detectors and monitoring/incidents.py only

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("exams.add_incidentverdict")

    def _bulk(self, request: HttpRequest, queryset: QuerySet, verdict: str) -> None:
        try:
            rows = incidents_verdict_bulk(
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


@admin.register(MonitoringLog)
class MonitoringLogAdmin(admin.ModelAdmin):
    """The hash-chained browser events: readable by proctors, never edited or deleted here."""

    list_display = ["session", "seq", "type", "client_ts", "server_ts", "chain_index"]
    list_filter = ["type", "session__exam"]
    search_fields = ["session__candidate__username", "session__candidate__email"]
    date_hierarchy = "client_ts"
    list_select_related = ["session__candidate", "session__exam"]
    readonly_fields = [f.name for f in MonitoringLog._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: MonitoringLog | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: MonitoringLog | None = None) -> bool:
        return False  # deleting a row would break the session's hash chain
