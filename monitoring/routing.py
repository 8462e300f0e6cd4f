from __future__ import annotations

from django.urls import re_path

from .consumers import ExamSessionConsumer, ProctorFeedConsumer

websocket_urlpatterns = [
    re_path(
        r"^ws/exam/(?P<session_id>[0-9a-fA-F-]{32,36})/?$",
        ExamSessionConsumer.as_asgi(),
    ),
    re_path(r"^ws/proctor/?$", ProctorFeedConsumer.as_asgi()),
]
