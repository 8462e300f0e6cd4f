from __future__ import annotations

from django.contrib import admin

from .models import CodeSubmission, SimilarityMatch


class ReadOnlyAdmin(admin.ModelAdmin):
    """Submissions and matches are evidence: proctors read them, nobody edits them here."""

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


@admin.register(CodeSubmission)
class CodeSubmissionAdmin(ReadOnlyAdmin):
    list_display = ["id", "session", "problem", "language", "version", "size", "is_final"]
    list_filter = ["is_final", "language", "problem__exam"]
    search_fields = ["session__candidate__username", "sha256"]
    list_select_related = ["session__candidate", "session__exam", "problem"]


@admin.register(SimilarityMatch)
class SimilarityMatchAdmin(ReadOnlyAdmin):
    list_display = ["id", "problem", "score", "session_a", "session_b", "created_at"]
    list_filter = ["exam", "problem"]
    list_select_related = [
        "problem",
        "session_a__candidate",
        "session_a__exam",
        "session_b__candidate",
        "session_b__exam",
    ]
