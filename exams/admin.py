"""Admin of the core: exams with their problems, and the session status history."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Exam, Problem, SessionTransition


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


@admin.register(SessionTransition)
class SessionTransitionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["session", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["to_status"]
    search_fields = ["session__candidate__username", "reason"]
