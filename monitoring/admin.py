"""Admin of the browser events; incidents are judged in the review app's admin."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import MonitoringLog


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
