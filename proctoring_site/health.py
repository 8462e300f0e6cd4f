"""Liveness and dependency status for load balancers and operators.

``/health/`` answers 503 when the database or Redis is down, or when no django-q2 worker has
finished a task for ``HEALTH_WORKER_STALE_S`` seconds (0 turns that condition off; the worker
is still reported). Workers are seen through django-q2's own task records: every task a worker
finishes successfully is stored with its stop time (the last ``save_limit`` of them, so keep it
above 0), and the minute schedules (session expiry, the monitoring and analysis sweeps) make
an idle worker finish one every minute. Apps add their own sections (retention, analysis
backlog) with ``health_section_register`` from their ``AppConfig.ready``; a section reports,
it does not decide the status.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from .exceptions import error_body
from .metrics import capacity_report, metrics_text

logger = logging.getLogger(__name__)

HealthSection = Callable[[], dict[str, Any]]
_sections: dict[str, HealthSection] = {}


def health_section_register(name: str, section: HealthSection) -> None:
    """Add ``name: section()`` to every health answer (idempotent per name)."""
    _sections[name] = section


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


def _queue_backlog() -> int | None:
    """Tasks waiting in the broker (Redis list or ORM queue); None if it cannot be read."""
    from django_q.brokers import get_broker

    try:
        return get_broker().queue_size()
    except Exception as exc:
        logger.warning("health: queue size unavailable: %s", exc.__class__.__name__)
        return None


def _worker_status() -> dict[str, Any]:
    from django_q.models import Task

    stale_after = settings.HEALTH_WORKER_STALE_S
    try:
        last_seen = (
            # Successes only: save_limit bounds them (500), so this scan stays small.
            Task.objects.filter(success=True, stopped__isnull=False)
            .order_by("-stopped")
            .values_list("stopped", flat=True)
            .first()
        )
    except Exception as exc:
        logger.warning("health: task records unavailable: %s", exc.__class__.__name__)
        last_seen = None
    age = (timezone.now() - last_seen).total_seconds() if last_seen else None
    alive = age is not None and (not stale_after or age <= stale_after)
    return {
        "alive": alive,
        "last_seen": last_seen,
        "seconds_since_seen": round(age, 1) if age is not None else None,
        "stale_after_s": stale_after,
        "queue_backlog": _queue_backlog(),
    }


def health(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_status(), "redis": _redis_status()}
    healthy = all(value in ("ok", "not_configured") for value in checks.values())
    body: dict[str, Any] = {"checks": checks}
    if checks["database"] == "ok":
        body["worker"] = _worker_status()
        if settings.HEALTH_WORKER_STALE_S and not body["worker"]["alive"]:
            healthy = False
        for name, section in _sections.items():
            try:
                body[name] = section()
            except Exception as exc:
                body[name] = {"error": exc.__class__.__name__}
    # This process's load: queue depth, ack latency, analysis lag, connection budget.
    body["capacity"] = capacity_report()
    body = {"status": "ok" if healthy else "unavailable", **body}
    response = JsonResponse(body, status=200 if healthy else 503)
    # A probe every few seconds would otherwise add a django.request ERROR line each time;
    # the access log records the 503 and the body says why.
    response._has_been_logged = True
    return response


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format; with METRICS_TOKEN set, only for ``Authorization: Bearer``."""
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(given.encode(), token.encode()):
            return JsonResponse(error_body("not_authenticated", "Token required."), status=401)
    return HttpResponse(metrics_text(), content_type="text/plain; version=0.0.4; charset=utf-8")
