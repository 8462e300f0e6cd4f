from __future__ import annotations

from django.contrib import admin

from .models import Incident


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
