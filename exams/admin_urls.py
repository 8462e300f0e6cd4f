from __future__ import annotations

from django.urls import path

from . import admin_apis

urlpatterns = [
    path("stats", admin_apis.StatsApi.as_view(), name="admin-stats"),
    path("candidates", admin_apis.CandidateListApi.as_view(), name="admin-candidates"),
    path("exam-sessions", admin_apis.SessionListApi.as_view(), name="admin-exam-sessions"),
    path(
        "exam-sessions/<uuid:session_id>/terminate",
        admin_apis.TerminateSessionApi.as_view(),
        name="admin-session-terminate",
    ),
]
