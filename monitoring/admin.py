from __future__ import annotations

from django.contrib import admin

from .models import Incident, MonitoringLog


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = [
        "kind",
        "session",
        "severity",
        "source",
        "started_at",
        "ended_at",
        "review_status",
    ]
    list_filter = ["kind", "severity", "source", "review_status"]
    search_fields = ["session__candidate__username", "session__candidate__email"]
    date_hierarchy = "started_at"


@admin.register(MonitoringLog)
class MonitoringLogAdmin(admin.ModelAdmin):
    """Read-only: the logs are evidence, hash-chained; nobody edits them by hand."""

    list_display = ["session", "seq", "type", "client_ts", "server_ts", "chain_index"]
    list_filter = ["type"]
    search_fields = ["session__id", "session__candidate__username"]
    readonly_fields = [f.name for f in MonitoringLog._meta.fields]

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False
