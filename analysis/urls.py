"""The seed's AI-monitoring endpoints, mounted under /api/ai-monitoring/."""

from __future__ import annotations

from django.urls import path

from . import apis
from .analyze_gate import bounded_analyze

urlpatterns = [
    path("analyze", bounded_analyze(apis.AnalyzeApi.as_view()), name="ai-monitoring-analyze"),
    path("results", apis.ResultListApi.as_view(), name="ai-monitoring-results"),
    path("stats", apis.StatsApi.as_view(), name="ai-monitoring-stats"),
    path("media/<id:media_id>", apis.MediaFileApi.as_view(), name="ai-monitoring-media"),
]
