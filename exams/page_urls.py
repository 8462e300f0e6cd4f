"""The candidate's exam page (built in the exam-page work)."""

from __future__ import annotations

urlpatterns: list = []
