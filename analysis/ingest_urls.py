"""Media ingest and enrollment, mounted under /api/monitoring/ (beside monitoring.urls)."""

from __future__ import annotations

from django.urls import path

from monitoring.ingest_pool import in_ingest_pool

from . import apis

urlpatterns = [
    # In the ingest pool: persistent connections, and the pool's size bounds them.
    path("frames", in_ingest_pool(apis.FrameUploadApi.as_view()), name="monitoring-frames"),
    path("audio", in_ingest_pool(apis.AudioUploadApi.as_view()), name="monitoring-audio"),
    path("enroll/face", apis.FaceEnrollApi.as_view(), name="monitoring-enroll-face"),
    path("enroll/voice", apis.VoiceEnrollApi.as_view(), name="monitoring-enroll-voice"),
    path("enroll/status", apis.EnrollStatusApi.as_view(), name="monitoring-enroll-status"),
]
