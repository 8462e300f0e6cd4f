"""Analysis data in the admin: read-only, and media only through the staff evidence view."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from .models import AnalysisResult, Enrollment, MediaItem, SessionRisk


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _evidence_link(item: MediaItem) -> str:
    if not item.has_file:
        return "purged" if item.file_deleted_at else "—"
    return format_html(
        '<a href="{}">open</a>',
        reverse("admin:exams_examsession_evidence", args=[item.kind, item.pk]),
    )


@admin.register(MediaItem)
class MediaItemAdmin(ReadOnlyAdmin):
    # ``file`` is never shown as a field: the admin would link it under the public MEDIA_URL.
    list_display = [
        "id",
        "session",
        "kind",
        "captured_at",
        "size_bytes",
        "is_evidence",
        "file_deleted_at",
        "evidence_link",
    ]
    list_filter = ["kind", "is_evidence", "session__exam"]
    search_fields = ["session__candidate__username", "session__candidate__email"]
    list_select_related = ["session__candidate", "session__exam"]
    exclude = ["file"]
    readonly_fields = ["evidence_link"]

    @admin.display(description="File")
    def evidence_link(self, obj: MediaItem) -> str:
        return _evidence_link(obj)


@admin.register(AnalysisResult)
class AnalysisResultAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "session",
        "kind",
        "captured_at",
        "status",
        "face_count",
        "gaze_direction",
        "identity_similarity",
        "speech_prob",
        "speaker_count",
        "risk_score",
        "labels",
        "processing_ms",
    ]
    list_filter = ["kind", "status", "gaze_direction", "session__exam"]
    search_fields = ["session__candidate__username", "session__candidate__email"]
    list_select_related = ["session__candidate", "session__exam"]
    date_hierarchy = "captured_at"


@admin.register(Enrollment)
class EnrollmentAdmin(ReadOnlyAdmin):
    # The template is biometric data: the admin shows that it exists, not its numbers.
    list_display = ["session", "kind", "model_version", "samples_used", "created_at"]
    list_filter = ["kind"]
    fields = ["session", "kind", "model_version", "samples_used", "created_at", "updated_at"]


@admin.register(SessionRisk)
class SessionRiskAdmin(ReadOnlyAdmin):
    list_display = [
        "session",
        "score",
        "level",
        "expected_violations",
        "model_version",
        "updated_at",
    ]
    list_filter = ["level", "session__exam"]
    # As the proctors' list: by expected confirmed violations (the score is 100 E / (E + 1)).
    ordering = ["-expected_violations", "-score"]
    list_select_related = ["session__candidate", "session__exam"]
