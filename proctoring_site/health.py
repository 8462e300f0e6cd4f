"""Liveness and dependency status for load balancers and operators."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from .exceptions import error_body
from .metrics import capacity_report, metrics_text


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the reason helps operators
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _redis_status() -> str:
    if not settings.REDIS_URL:
        return "not_configured"
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        client.ping()
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"
    return "ok"


def health(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_status(), "redis": _redis_status()}
    healthy = all(value in ("ok", "not_configured") for value in checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "checks": checks,
            # This process's load: queue depth, ack latency, analysis lag, connection budget.
            "capacity": capacity_report(),
        },
        status=200 if healthy else 503,
    )


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format; with METRICS_TOKEN set, only for ``Authorization: Bearer``."""
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(given.encode(), token.encode()):
            return JsonResponse(error_body("not_authenticated", "Token required."), status=401)
    return HttpResponse(metrics_text(), content_type="text/plain; version=0.0.4; charset=utf-8")
