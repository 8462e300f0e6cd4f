"""The candidate's exam page at /exam/."""

from __future__ import annotations

from django.urls import path

from . import page_views

urlpatterns = [path("", page_views.exam_page, name="exam-page")]
