from __future__ import annotations

from django.urls import path

from . import apis

urlpatterns = [
    path("", apis.ExamListApi.as_view(), name="exam-list"),
    path("sessions/<uuid:session_id>", apis.SessionDetailApi.as_view(), name="session-detail"),
    path(
        "sessions/<uuid:session_id>/consent",
        apis.SessionConsentApi.as_view(),
        name="session-consent",
    ),
    path(
        "sessions/<uuid:session_id>/open-problems",
        apis.SessionOpenProblemsApi.as_view(),
        name="session-open-problems",
    ),
]
