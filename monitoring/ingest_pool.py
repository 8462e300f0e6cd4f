"""Run ingest work in a small fixed thread pool whose database connections persist, and
store it by group commit.

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

Group commit: every exam page of a server process sends a message each second or so, and
each one stored in a transaction of its own costs a lock query, an insert, an update and a
commit, most of it fixed cost (the ORM builds each query, PostgreSQL syncs each commit). So
the websocket's events and the HTTP views' batches are handed to ``MONITORING_INGEST_WRITERS``
writer threads; each takes every request waiting (at most ``MONITORING_INGEST_GROUP_MAX``, one
per session) and stores them together with ``services.events_ingest_many``: one transaction,
one rate-limit round trip. A lone request is stored at once (no waiting to fill a group), and
each request still gets its own answer only after the commit.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from asgiref.sync import SyncToAsync, sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse

from exams.models import ExamSession
from proctoring_site.exceptions import OverloadedError, error_body

from .services import IngestResult, events_ingest, events_ingest_many

T = TypeVar("T")
logger = logging.getLogger(__name__)

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


_pooled = threading.local()


def _run(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    _prepare_connection()
    _pooled.active = True
    try:
        return func(*args, **kwargs)
    finally:
        _pooled.active = False
        _remember_connections()


_pending_lock = threading.Lock()
_pending = 0


def ingest_pool_pending() -> int:
    """Calls queued for or running in this process's ingest pool (a metric)."""
    return _pending


def _overloaded(what: str) -> OverloadedError:
    return OverloadedError(
        f"The server is behind on {what}; retry shortly.",
        retry_after=settings.OVERLOAD_RETRY_AFTER_S,
    )


async def run_in_ingest_pool(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Await ``func`` in the ingest pool (or as Channels' database_sync_to_async if off).

    OverloadedError (503, Retry-After) at once when ``MONITORING_INGEST_QUEUE_MAX`` calls are
    already waiting: the pool's threads are the process's bound on connections for ingest.
    """
    global _pending  # noqa: PLW0603 - one counter per process
    if not pool_enabled():
        return await database_sync_to_async(func)(*args, **kwargs)
    with _pending_lock:
        if _pending >= settings.MONITORING_INGEST_QUEUE_MAX:
            raise _overloaded("uploads")
        _pending += 1
    try:
        return await SyncToAsync(_run, thread_sensitive=False, executor=_pool())(
            func, *args, **kwargs
        )
    finally:
        with _pending_lock:
            _pending -= 1


def ingest_pool_close_connections() -> None:
    """Close every pool and writer thread's connection (shutdown, or a test dropping its
    database). Writer threads stop; the next request starts new ones."""
    _writer.stop()
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
            try:
                return await run_in_ingest_pool(view, request, *args, **kwargs)
            except OverloadedError as exc:
                response = JsonResponse(
                    error_body(exc.code, exc.message, exc.details), status=exc.status_code
                )
                response["Retry-After"] = str(exc.retry_after)
                return response
        return await sync_to_async(view)(request, *args, **kwargs)

    return wrapper


@dataclass
class _Submission:
    session: ExamSession
    raw_events: Any
    future: Future


class IngestWriter:
    """Writer threads storing queued ingest requests by group commit (see the module doc)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: deque[_Submission] = deque()
        self._threads: list[tuple[threading.Thread, threading.Event]] = []

    def submit(self, session: ExamSession, raw_events: Any) -> Future:
        """Queue one request; the future gets its IngestResult, or the error it raised."""
        submission = _Submission(session, raw_events, Future())
        with self._cond:
            if len(self._queue) >= settings.MONITORING_INGEST_QUEUE_MAX:
                raise _overloaded("events")
            if not self._threads:
                self._start()
            self._queue.append(submission)
            self._cond.notify()
        return submission.future

    def _start(self) -> None:
        for number in range(settings.MONITORING_INGEST_WRITERS):
            stop = threading.Event()
            thread = threading.Thread(
                target=self._work, args=(stop,), name=f"ingest-writer-{number}", daemon=True
            )
            thread.start()
            self._threads.append((thread, stop))

    def stop(self) -> None:
        """Let the writers finish what is queued, close their connections and end."""
        with self._cond:
            threads, self._threads = self._threads, []
            for _thread, stop in threads:
                stop.set()
            self._cond.notify_all()
        for thread, _stop in threads:
            thread.join(timeout=30)

    def _take(self, stop: threading.Event) -> list[_Submission] | None:
        """Everything queued, one request per session, in arrival order (None: stop now)."""
        with self._cond:
            while not self._queue:
                if stop.is_set():
                    return None
                self._cond.wait()
            group: list[_Submission] = []
            later: list[_Submission] = []
            sessions: set[Any] = set()
            while self._queue and len(group) < settings.MONITORING_INGEST_GROUP_MAX:
                submission = self._queue.popleft()
                if submission.session.pk in sessions:
                    later.append(submission)  # after this one's commit, in the next group
                elif submission.future.set_running_or_notify_cancel():
                    sessions.add(submission.session.pk)
                    group.append(submission)
            self._queue.extendleft(reversed(later))
            if later:
                self._cond.notify()
            return group

    def _work(self, stop: threading.Event) -> None:
        try:
            while (group := self._take(stop)) is not None:
                if group:
                    self._store(group)
        finally:
            connections.close_all()

    @staticmethod
    def _store(group: list[_Submission]) -> None:
        # Whatever fails here is handed to the waiting callers: a writer thread must not die
        # with futures unanswered (a page would wait for its ack forever).
        try:
            _prepare_connection()
            outcomes: list[Any] = events_ingest_many(
                batches=[(submission.session, submission.raw_events) for submission in group]
            )
        except Exception as exc:  # noqa: BLE001
            outcomes = [exc] * len(group)
        finally:
            try:
                _remember_connections()
            except Exception:
                logger.exception("ingest writer could not recycle its database connection")
                connections.close_all()
        for submission, outcome in zip(group, outcomes, strict=True):
            if isinstance(outcome, Exception):
                submission.future.set_exception(outcome)
            else:
                submission.future.set_result(outcome)


_writer = IngestWriter()


def ingest_writer_queued() -> int:
    """Requests waiting for a group-commit writer in this process (a metric)."""
    return len(_writer._queue)


def ingest_store(*, session: ExamSession, raw_events: Any) -> IngestResult:
    """``events_ingest``, by group commit when called from the ASGI ingest pool."""
    if getattr(_pooled, "active", False):
        return _writer.submit(session, raw_events).result()
    return events_ingest(session=session, raw_events=raw_events)


async def ingest_store_async(*, session: ExamSession, raw_events: Any) -> IngestResult:
    """For consumers: group commit when the pool is on (Channels' thread hop otherwise)."""
    if not pool_enabled():
        return await database_sync_to_async(events_ingest)(session=session, raw_events=raw_events)
    return await asyncio.wrap_future(_writer.submit(session, raw_events))
