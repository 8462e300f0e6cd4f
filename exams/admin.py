from __future__ import annotations

from django.contrib import admin

from .models import Exam, ExamSession, Problem, SessionTransition


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


class TransitionInline(admin.TabularInline):
    model = SessionTransition
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "reason", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ExamSession)
class ExamSessionAdmin(admin.ModelAdmin):
    list_display = ["id", "candidate", "exam", "status", "started_at", "ends_at", "legal_hold"]
    list_filter = ["status", "exam", "legal_hold"]
    search_fields = [
        "candidate__username",
        "candidate__email",
        "candidate__candidate_profile__full_name",
    ]
    readonly_fields = ["token_hash", "created_at", "started_at", "ended_at", "status"]
    inlines = [TransitionInline]


@admin.register(SessionTransition)
class SessionTransitionAdmin(admin.ModelAdmin):
    list_display = ["session", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["to_status"]
    search_fields = ["session__candidate__username", "reason"]
