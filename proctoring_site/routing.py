"""Websocket routes of every app, gathered for asgi.py."""

from __future__ import annotations

from monitoring.routing import websocket_urlpatterns as monitoring_websockets

websocket_urlpatterns = [*monitoring_websockets]
