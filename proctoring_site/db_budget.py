"""One bound on the database connections of an ASGI server process.

Django runs each HTTP request's synchronous code in a thread of its own (one
``ThreadSensitiveContext`` per request), so with no bound a burst of uploads opens as many
PostgreSQL connections as there are requests in flight: at 100 candidates on one box that
passed PostgreSQL's ``max_connections`` and uploads failed with 500 ("sorry, too many clients
already"). Here every place a process can hold a connection has a fixed size, all read from
settings (``proctoring_site/settings/capacity.py``):

- the ingest pool (``MONITORING_INGEST_THREADS``) and its group-commit writers
  (``MONITORING_INGEST_WRITERS``): events, frames and audio, each thread one connection;
- Channels' single thread for ``database_sync_to_async`` (the proctor feed): one;
- everything else (admin, auth, results...) runs in Django's per-request threads, of which at
  most ``request_slots()`` run at once; the others wait up to ``ASGI_REQUEST_WAIT_S`` and are
  then answered 503 with ``Retry-After``, never with a connection too many.

``RequestSlots`` is the ASGI middleware that holds a request slot for the whole of Django's
handling of a request, up to the ``response.close()`` that closes its connection.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings

from .exceptions import error_body

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Paths whose views run in the ingest pool (monitoring.ingest_pool): that pool bounds them.
POOLED_PATHS = (
    "/api/monitoring/data",
    "/api/monitoring/log",
    "/api/monitoring/frames",
    "/api/monitoring/audio",
)
# Paths that never reach the database.
NO_DATABASE_PREFIXES = ("/static/", "/health/live")


def fixed_connections() -> int:
    """Connections held by the pools of one process (ingest threads, writers, Channels)."""
    if settings.MONITORING_INGEST_CONN_MAX_AGE > 0:
        return settings.MONITORING_INGEST_THREADS + settings.MONITORING_INGEST_WRITERS + 1
    return 1


def request_slots() -> int:
    """How many requests may run Django's synchronous code (and hold a connection) at once."""
    return max(1, settings.DB_CONNECTIONS_PER_PROCESS - fixed_connections())


def overload_response_body(message: str) -> bytes:
    retry_after = settings.OVERLOAD_RETRY_AFTER_S
    return json.dumps(
        error_body("overloaded", message, {"retry_after": retry_after}),
        separators=(",", ":"),
    ).encode()


async def send_overloaded(send: Send, message: str) -> None:
    """A 503 in the common error shape, with Retry-After, straight from the ASGI layer."""
    body = overload_response_body(message)
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(settings.OVERLOAD_RETRY_AFTER_S).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestSlots:
    """ASGI middleware: at most ``request_slots()`` HTTP requests inside Django at once."""

    def __init__(self, app: AsgiApp) -> None:
        self.app = app
        self._semaphore: asyncio.Semaphore | None = None
        self.in_use = 0
        self.waiting = 0
        self.refused = 0

    def _slots(self) -> asyncio.Semaphore:
        if self._semaphore is None:  # created in the server's event loop, on first use
            self._semaphore = asyncio.Semaphore(request_slots())
        return self._semaphore

    @staticmethod
    def exempt(path: str) -> bool:
        if path.startswith(NO_DATABASE_PREFIXES):
            return True
        # The pooled views hold no request thread of their own only while the pool is on.
        return settings.MONITORING_INGEST_CONN_MAX_AGE > 0 and path.startswith(POOLED_PATHS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.exempt(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        slots = self._slots()
        self.waiting += 1
        try:
            await asyncio.wait_for(slots.acquire(), timeout=settings.ASGI_REQUEST_WAIT_S)
        except TimeoutError:
            self.refused += 1
            await send_overloaded(send, "The server is busy; retry shortly.")
            return
        finally:
            self.waiting -= 1
        self.in_use += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_use -= 1
            slots.release()


_instances: list[RequestSlots] = []


def request_slots_app(app: AsgiApp) -> RequestSlots:
    """Wrap the HTTP application (asgi.py); the instance is kept for the metrics."""
    limiter = RequestSlots(app)
    _instances.append(limiter)
    return limiter


def request_slots_state() -> dict[str, int]:
    """In use, waiting and refused (since start) over this process's limiters."""
    return {
        "slots": request_slots(),
        "in_use": sum(limiter.in_use for limiter in _instances),
        "waiting": sum(limiter.waiting for limiter in _instances),
        "refused": sum(limiter.refused for limiter in _instances),
    }
