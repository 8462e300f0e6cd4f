"""Run ingest work in a small fixed thread pool whose database connections persist.

Under ASGI, Django runs each request's synchronous code in a thread of its own, so a
persistent connection (CONN_MAX_AGE > 0) would be left behind by every request and the
project keeps CONN_MAX_AGE at 0: every request opens a new database connection (and Channels'
``database_sync_to_async`` closes it after every websocket message). For ingest, which every
exam page calls every second, that connect (a new PostgreSQL backend process) costs more than
the work. Here the ingest views and the websocket's event handling run in
``MONITORING_INGEST_THREADS`` long-lived threads per server process, each keeping its own
connection for up to ``MONITORING_INGEST_CONN_MAX_AGE`` seconds (checked before each use and
replaced when it broke). Outside ASGI (tests, WSGI), or with the age set to 0, nothing
changes.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from asgiref.sync import SyncToAsync, sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import HttpRequest, HttpResponse

T = TypeVar("T")

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_opened_at = threading.local()


def pool_enabled() -> bool:
    return settings.MONITORING_INGEST_CONN_MAX_AGE > 0


def _pool() -> ThreadPoolExecutor:
    global _executor  # noqa: PLW0603 - one pool per process, created on first use
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=settings.MONITORING_INGEST_THREADS, thread_name_prefix="ingest"
            )
        return _executor


def _prepare_connection() -> None:
    """Keep this thread's connection unless it broke or is older than the maximum age."""
    now = time.monotonic()
    for conn in connections.all(initialized_only=True):
        if conn.connection is None:
            continue
        opened = getattr(_opened_at, conn.alias, now)
        too_old = now - opened > settings.MONITORING_INGEST_CONN_MAX_AGE
        if too_old or (conn.errors_occurred and not conn.is_usable()):
            conn.close()
            if hasattr(_opened_at, conn.alias):
                delattr(_opened_at, conn.alias)
        conn.errors_occurred = False


def _remember_connections() -> None:
    now = time.monotonic()
    for conn in connections.all(initialized_only=True):
        if conn.in_atomic_block:  # never keep a transaction open between uses
            conn.close()
        if conn.connection is None:
            if hasattr(_opened_at, conn.alias):
                delattr(_opened_at, conn.alias)
        elif not hasattr(_opened_at, conn.alias):
            setattr(_opened_at, conn.alias, now)


def _run(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    _prepare_connection()
    try:
        return func(*args, **kwargs)
    finally:
        _remember_connections()


async def run_in_ingest_pool(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Await ``func`` in the ingest pool (or as Channels' database_sync_to_async if off)."""
    if not pool_enabled():
        return await database_sync_to_async(func)(*args, **kwargs)
    return await SyncToAsync(_run, thread_sensitive=False, executor=_pool())(func, *args, **kwargs)


def ingest_pool_close_connections() -> None:
    """Close every pool thread's connection (shutdown, or a test dropping its database)."""
    if _executor is None:
        return
    size = settings.MONITORING_INGEST_THREADS
    barrier = threading.Barrier(size, timeout=10)

    def close() -> None:
        connections.close_all()
        if hasattr(_opened_at, "default"):
            delattr(_opened_at, "default")
        barrier.wait()  # one call per thread: each holds its thread until all have closed

    for future in [_executor.submit(close) for _ in range(size)]:
        future.result()


def in_ingest_pool(view: Callable[..., HttpResponse]) -> Callable[..., Any]:
    """Wrap a (DRF) view so that under ASGI it runs in the ingest thread pool."""

    # The DRF attributes (cls, initkwargs, csrf_exempt...) carry over for routing and schema.
    @functools.wraps(view)
    async def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if isinstance(request, ASGIRequest) and pool_enabled():
            return await run_in_ingest_pool(view, request, *args, **kwargs)
        return await sync_to_async(view)(request, *args, **kwargs)

    return wrapper
