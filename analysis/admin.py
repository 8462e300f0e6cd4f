"""Read-only admin views of what the engine stores (the review dashboard builds on them)."""

from __future__ import annotations

from django.contrib import admin

from .models import AnalysisResult, Enrollment, MediaItem, SessionRisk


class ReadOnlyAdmin(admin.ModelAdmin):
    """Analyzer output is a record: proctors read it, nobody edits it by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AnalysisResult)
class AnalysisResultAdmin(ReadOnlyAdmin):
    list_display = ["id", "session", "kind", "captured_at", "status", "risk_score", "labels"]
    list_filter = ["kind", "status"]
    search_fields = ["session__candidate__username"]
    date_hierarchy = "captured_at"


@admin.register(MediaItem)
class MediaItemAdmin(ReadOnlyAdmin):
    list_display = ["id", "session", "kind", "captured_at", "is_evidence", "file_deleted_at"]
    list_filter = ["kind", "is_evidence"]
    search_fields = ["session__candidate__username"]


@admin.register(SessionRisk)
class SessionRiskAdmin(ReadOnlyAdmin):
    list_display = ["session", "score", "level", "updated_at"]
    list_filter = ["level"]
    ordering = ["-score"]


@admin.register(Enrollment)
class EnrollmentAdmin(ReadOnlyAdmin):
    # The template itself (biometric data) is not shown.
    list_display = ["session", "kind", "model_version", "samples_used", "updated_at"]
    exclude = ["template"]
