"""Websockets: the candidate's exam page and the proctors' live feed.

Consumers only authenticate, join groups, forward group messages and hand events to the same
ingest service as HTTP. The database stays the durable record; a message here is a
notification. Authentication is the JWT access token, in ``?token=`` or in a first message
``{"type": "auth", "token": "..."}`` (which keeps it out of URLs and access logs).

Binary messages on ``ws/exam/`` carry frames and audio chunks (``media_socket.py``).

Close codes: 4400 bad request, 4401 not authenticated, 4403 not allowed, 4404 no such
session, 4409 session no longer active, 4410 session terminated.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from accounts.tokens import token_revoked_reason
from exams.models import ExamSession
from exams.selectors import session_for_user, session_require_active
from proctoring_site.exceptions import (
    ApplicationError,
    ConflictError,
    NotFoundError,
    database_overloaded,
)
from proctoring_site.metrics import ack_latency_observe
from proctoring_site.realtime import PROCTOR_FEED_GROUP, proctor_exam_group, session_group

from .ingest_pool import ingest_store_async, run_in_ingest_pool
from .media_socket import MediaMessageError, media_handler, media_message_parse
from .models import SessionMonitor
from .selectors import active_sessions_snapshot

logger = logging.getLogger(__name__)

CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_NOT_ACTIVE = 4409
CLOSE_TERMINATED = 4410


def user_for_access_token(token: str) -> User | None:
    """The active user a valid, unexpired access token names; None otherwise."""
    try:
        access = AccessToken(token)
    except TokenError:
        return None
    user_id = access.get(jwt_settings.USER_ID_CLAIM)
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or token_revoked_reason(access, user) is not None:
        return None
    return user


def _query(scope: dict[str, Any]) -> dict[str, str]:
    raw = scope.get("query_string", b"").decode("latin-1")
    return {key: values[0] for key, values in parse_qs(raw).items() if values}


_group_ops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _group_ops_slot() -> asyncio.Semaphore:
    """Bound the group joins and leaves in flight in this process's event loop.

    When an exam starts, hundreds of pages connect within a second; each join is a Redis
    command, and channels-redis's connection pool (100 per process) raises "Too many
    connections" when all of them run at once (seen in bench/ingest.py as closes with 1011).
    Waiting for a slot here turns that burst into a short queue.
    """
    loop = asyncio.get_running_loop()
    slot = _group_ops.get(loop)
    if slot is None:
        slot = _group_ops[loop] = asyncio.Semaphore(settings.MONITORING_WS_GROUP_OPS)
    return slot


class _AuthenticatedConsumer(AsyncJsonWebsocketConsumer):
    """Token from the query string (checked before accepting) or from the first message."""

    groups_joined: list[str]

    async def connect(self) -> None:
        self.user: User | None = None
        self.groups_joined = []
        self._deadline: asyncio.Task | None = None
        self.query = _query(self.scope)
        token = self.query.get("token")
        if token:
            code = await self.authenticate(token)
            if code is not None:
                await self.close(code=code)  # before accept: the handshake is refused
                return
            await self.accept()
            await self.on_authenticated()
            return
        await self.accept()
        self._deadline = asyncio.ensure_future(self._close_if_silent())

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every message, a thread hop each
        # time. These handlers reach the database only through database_sync_to_async or the
        # ingest pool, which both look after their own connections, so skip it.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def _close_if_silent(self) -> None:
        await asyncio.sleep(settings.MONITORING_WS_AUTH_TIMEOUT_S)
        if self.user is None:
            await self.send_error("auth_timeout", "Authenticate first.")
            await self.close(code=CLOSE_UNAUTHENTICATED)

    async def disconnect(self, code: int) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        for group in self.groups_joined:
            async with _group_ops_slot():
                await self.channel_layer.group_discard(group, self.channel_name)

    async def join(self, group: str) -> None:
        async with _group_ops_slot():
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.append(group)

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        # Error details may hold datetimes (as in the HTTP path's answers).
        return json.dumps(content, cls=DjangoJSONEncoder)

    async def send_error(self, code: str, message: str, **details: Any) -> None:
        await self.send_json(
            {"event": "error", "data": {"code": code, "message": message, "details": details}}
        )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            if bytes_data is None:
                await self.send_error("malformed_request", "Send JSON text messages.")
            elif self.user is None:
                await self.send_error("not_authenticated", "Authenticate first.")
                await self.close(code=CLOSE_UNAUTHENTICATED)
            else:
                await self.receive_bytes(bytes_data)
            return
        if len(text_data) > settings.API_BODY_LIMIT_DEFAULT:
            await self.send_error("payload_too_large", "The message is too large.")
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            await self.send_error("malformed_request", "The message is not valid JSON.")
            return
        if not isinstance(content, dict):
            await self.send_error("malformed_request", "A message must be a JSON object.")
            return
        if self.user is None:
            if content.get("type") != "auth" or not isinstance(content.get("token"), str):
                await self.send_error("not_authenticated", "Authenticate first.")
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
            code = await self.authenticate(content["token"])
            if code is not None:
                await self.send_error("not_authenticated", "Authentication failed.", close=code)
                await self.close(code=code)
                return
            if self._deadline is not None:
                self._deadline.cancel()
            await self.on_authenticated()
            return
        if content.get("type") == "ping":
            await self.send_json({"event": "pong", "data": {"id": content.get("id")}})
            return
        await self.receive_message(content)

    async def feed_event(self, message: dict[str, Any]) -> None:
        await self.send_json({"event": message["event"], "data": message["data"]})

    async def authenticate(self, token: str) -> int | None:
        """Set ``self.user`` (and whatever else) and return None, or a close code."""
        raise NotImplementedError

    async def on_authenticated(self) -> None:
        raise NotImplementedError

    async def receive_message(self, content: dict[str, Any]) -> None:
        await self.send_error("unknown_message", f"Unknown message type {content.get('type')!r}.")

    async def receive_bytes(self, data: bytes) -> None:
        await self.send_error("malformed_request", "Send JSON text messages.")


class ExamSessionConsumer(_AuthenticatedConsumer):
    """``ws/exam/<session>/``: the candidate's page sends events, hears acks and warnings."""

    async def authenticate(self, token: str) -> int | None:
        # One trip to the ingest pool (persistent connections) for the user, the session and
        # where to resume: hundreds of pages connect at once when an exam starts.
        session_id = self.scope["url_route"]["kwargs"]["session_id"]
        outcome = await run_in_ingest_pool(self._authenticate, token, session_id)
        if isinstance(outcome, int):
            return outcome
        self.user, self.session, self.resume = outcome
        self.session_id = str(self.session.pk)
        return None

    @staticmethod
    def _authenticate(token: str, session_id: str) -> int | tuple[User, ExamSession, dict]:
        user = user_for_access_token(token)
        if user is None:
            return CLOSE_UNAUTHENTICATED
        try:
            session = session_for_user(user=user, session_id=session_id)
            if session.candidate_id != user.pk:  # proctors watch through ws/proctor/
                raise NotFoundError("No such session.")
            session_require_active(session)
        except NotFoundError:
            return CLOSE_NOT_FOUND
        except ConflictError:
            return CLOSE_NOT_ACTIVE
        # Where the page should resume numbering (after a reload, say).
        monitor = SessionMonitor.objects.filter(session_id=session.pk).first()
        resume = {
            "highest_contiguous_seq": monitor.contiguous_seq if monitor else 0,
            "max_seq": monitor.max_seq if monitor else 0,
        }
        return user, session, resume

    async def on_authenticated(self) -> None:
        await self.join(session_group(self.session_id))
        await self.send_json(
            {"event": "ready", "data": {"session_id": self.session_id, **self.resume}}
        )

    async def receive_message(self, content: dict[str, Any]) -> None:
        kind = content.get("type")
        if kind not in ("events", "event"):
            await super().receive_message(content)
            return
        events = content.get("events") if kind == "events" else [content.get("event")]
        started = time.perf_counter()
        try:
            # Ownership was settled when the socket authenticated; the ingest checks that the
            # session is still active (expiring it if its time ran out).
            result = await ingest_store_async(session=self.session, raw_events=events)
        except ApplicationError as exc:
            await self.send_failure(exc, content.get("id"))
            return
        await self.send_json(
            {"event": "ack", "data": {**result.as_dict(), "id": content.get("id")}}
        )
        ack_latency_observe(time.perf_counter() - started)

    async def send_failure(self, exc: ApplicationError, request_id: Any) -> None:
        """The HTTP path's error body, with the request's id; close when the session is over."""
        await self.send_json(
            {
                "event": "error",
                "data": {
                    "code": exc.code,
                    "message": exc.message,
                    "details": exc.details,
                    "id": request_id,
                },
            }
        )
        if isinstance(exc, ConflictError | NotFoundError):
            await self.close(code=CLOSE_NOT_ACTIVE)

    async def receive_bytes(self, data: bytes) -> None:
        """A frame or audio chunk (monitoring/media_socket.py): stored by the analysis app's
        handler in the ingest pool, then ``media.ack`` with the HTTP path's answer, or
        ``error`` with its code (a resend of a stored id is acked with ``duplicate: true``)."""
        handler = media_handler()
        if handler is None:
            await self.send_error("unsupported", "Send media over HTTP.")
            return
        try:
            message = media_message_parse(data)
        except MediaMessageError as exc:
            await self.send_json(
                {
                    "event": "error",
                    "data": {
                        "code": "malformed_request",
                        "message": exc.message,
                        "details": {},
                        "id": exc.client_id,
                    },
                }
            )
            return
        try:
            ack = await run_in_ingest_pool(
                handler, user=self.user, session_id=self.session_id, message=message
            )
        except Exception as exc:
            failure = exc if isinstance(exc, ApplicationError) else database_overloaded(exc)
            if failure is None:
                logger.exception("media over the websocket failed (session %s)", self.session_id)
                await self.send_json(
                    {
                        "event": "error",
                        "data": {
                            "code": "server_error",
                            "message": "The media could not be stored; send it over HTTP.",
                            "details": {},
                            "id": message.client_id,
                        },
                    }
                )
                return
            await self.send_failure(failure, message.client_id)
            return
        await self.send_json({"event": "media.ack", "data": {**ack, "id": message.client_id}})

    async def feed_event(self, message: dict[str, Any]) -> None:
        await super().feed_event(message)
        if message["event"] == "session.terminated":
            await self.close(code=CLOSE_TERMINATED)


class ProctorFeedConsumer(_AuthenticatedConsumer):
    """``ws/proctor/`` (``?exam=<id>`` for one exam): live incidents, statuses, risk."""

    async def authenticate(self, token: str) -> int | None:
        user = await database_sync_to_async(user_for_access_token)(token)
        if user is None:
            return CLOSE_UNAUTHENTICATED
        if not user.is_reviewer:
            return CLOSE_FORBIDDEN
        exam = self.query.get("exam")
        if exam is not None and not exam.isdigit():
            return CLOSE_BAD_REQUEST
        self.user = user
        self.exam_id = int(exam) if exam is not None else None
        return None

    async def on_authenticated(self) -> None:
        group = PROCTOR_FEED_GROUP if self.exam_id is None else proctor_exam_group(self.exam_id)
        await self.join(group)
        sessions = await database_sync_to_async(active_sessions_snapshot)(exam_id=self.exam_id)
        await self.send_json(
            {"event": "ready", "data": {"exam_id": self.exam_id, "sessions": sessions}}
        )
