from __future__ import annotations

from django.urls import path

from . import apis
from .ingest_pool import in_ingest_pool

urlpatterns = [
    path("data", in_ingest_pool(apis.EventBatchApi.as_view()), name="monitoring-data"),
    path("log", in_ingest_pool(apis.EventLogApi.as_view()), name="monitoring-log"),
    path("logs", apis.LogListApi.as_view(), name="monitoring-logs"),
    path(
        "suspicious-activity",
        apis.SuspiciousActivityApi.as_view(),
        name="monitoring-suspicious-activity",
    ),
]
