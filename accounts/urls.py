from __future__ import annotations

from django.urls import path

from exams.apis import EndExamApi, StartExamApi

from . import apis

urlpatterns = [
    path("register", apis.RegisterApi.as_view(), name="auth-register"),
    path("login", apis.LoginApi.as_view(), name="auth-login"),
    path("refresh", apis.RefreshApi.as_view(), name="auth-refresh"),
    path("logout", apis.LogoutApi.as_view(), name="auth-logout"),
    path("me", apis.MeApi.as_view(), name="auth-me"),
    path("start-exam/<id:candidate_id>", StartExamApi.as_view(), name="auth-start-exam"),
    path("end-exam/<str:session_token>", EndExamApi.as_view(), name="auth-end-exam"),
]
