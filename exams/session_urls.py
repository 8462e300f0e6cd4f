"""Starting and ending an exam, at the seed's paths under ``/api/auth/``.

They sit beside the sign-in routes only in the URL space; the views are this app's.
"""

from __future__ import annotations

from django.urls import path

from . import apis

urlpatterns = [
    path("start-exam/<id:candidate_id>", apis.StartExamApi.as_view(), name="auth-start-exam"),
    path("end-exam/<str:session_token>", apis.EndExamApi.as_view(), name="auth-end-exam"),
]
