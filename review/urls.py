"""The administration API for proctors and admins, at ``/api/admin/``."""

from __future__ import annotations

from django.urls import path

from . import apis

urlpatterns = [
    path("stats", apis.StatsApi.as_view(), name="admin-stats"),
    path("candidates", apis.CandidateListApi.as_view(), name="admin-candidates"),
    path("exam-sessions", apis.SessionListApi.as_view(), name="admin-exam-sessions"),
    path(
        "exam-sessions/<uuid:session_id>/terminate",
        apis.TerminateSessionApi.as_view(),
        name="admin-session-terminate",
    ),
]
