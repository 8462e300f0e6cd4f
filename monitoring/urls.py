from __future__ import annotations

from django.urls import path

from . import apis

urlpatterns = [
    path("data", apis.EventBatchApi.as_view(), name="monitoring-data"),
    path("log", apis.EventLogApi.as_view(), name="monitoring-log"),
    path("logs", apis.LogListApi.as_view(), name="monitoring-logs"),
    path(
        "suspicious-activity",
        apis.SuspiciousActivityApi.as_view(),
        name="monitoring-suspicious-activity",
    ),
]
