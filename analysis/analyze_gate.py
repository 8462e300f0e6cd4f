"""Keep the synchronous analyze endpoint from starving the server.

``POST /api/ai-monitoring/analyze`` runs the analyzers inside the request (hundreds of
milliseconds of CPU each). Under ASGI, Django runs every synchronous view in one shared thread
per process, so 8 threads calling it pushed ``/api/auth/me`` from 40 ms to 580 ms. Here:

- each user gets ``ANALYZE_RATE_MAX_PER_USER`` calls per ``ANALYZE_RATE_WINDOW_S`` (429 with
  Retry-After beyond, counted before any work);
- at most ``ANALYZE_MAX_CONCURRENT`` run at once per process, in a pool of their own threads
  (not the shared one); a call beyond that is refused at once with 429 and Retry-After rather
  than queued.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import SyncToAsync, sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import close_old_connections, connections
from django.http import HttpRequest, HttpResponse, JsonResponse

from accounts.models import User
from monitoring.rate_limit import fixed_window_hit
from proctoring_site.exceptions import RateLimitedError, error_body


class ConcurrencyGate:
    """A non-blocking counting gate: ``try_enter`` is False when every slot is taken."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.inside = 0

    def try_enter(self) -> bool:
        with self._lock:
            if self.inside >= settings.ANALYZE_MAX_CONCURRENT:
                return False
            self.inside += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self.inside -= 1


analyze_gate = ConcurrencyGate()
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _executor  # noqa: PLW0603 - one pool per process, made on first use
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=settings.ANALYZE_MAX_CONCURRENT, thread_name_prefix="analyze"
            )
        return _executor


def analyze_rate_limit_hit(*, user: User) -> None:
    """Count one analyze call for ``user``; RateLimitedError (429) past the per-user limit."""
    window = settings.ANALYZE_RATE_WINDOW_S
    hits, retry_after = fixed_window_hit(f"analyze:user:{user.pk}", window=window)
    if hits > settings.ANALYZE_RATE_MAX_PER_USER:
        raise RateLimitedError(
            "Too many analyze calls; retry later.",
            code="rate_limited",
            retry_after=retry_after,
            details={"window_s": window, "max_calls": settings.ANALYZE_RATE_MAX_PER_USER},
        )


def _busy() -> JsonResponse:
    response = JsonResponse(
        error_body(
            "analyze_busy",
            "The analyzers are busy; retry in a moment.",
            {"retry_after": 1, "max_concurrent": settings.ANALYZE_MAX_CONCURRENT},
        ),
        status=429,
    )
    response["Retry-After"] = "1"
    return response


def _run_in_thread(view: Callable[..., HttpResponse], *args: Any, **kwargs: Any) -> HttpResponse:
    close_old_connections()
    try:
        return view(*args, **kwargs)
    finally:
        connections.close_all()  # this thread is not a request thread Django cleans up


def bounded_analyze(view: Callable[..., HttpResponse]) -> Callable[..., Any]:
    """Wrap the (DRF) analyze view: admission by the gate, then its own thread pool."""

    @functools.wraps(view)
    async def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not analyze_gate.try_enter():
            return _busy()
        try:
            if isinstance(request, ASGIRequest):
                run = SyncToAsync(_run_in_thread, thread_sensitive=False, executor=_pool())
                return await run(view, request, *args, **kwargs)
            # The test client (and WSGI): the caller's thread and database connection.
            return await sync_to_async(view)(request, *args, **kwargs)
        finally:
            analyze_gate.leave()

    return wrapper
