"""ASGI middleware: what must hold for requests Django's own middleware never sees.

``StaticSecurityHeadersMiddleware``: static files are served by the ASGI app itself
(``ASGIStaticFilesHandler``, without Django's middleware), so their security headers are
added here.

``ChunkedBodyLimitMiddleware``: the API's body limits hold for bodies sent without
Content-Length.

``BodySizeLimitMiddleware`` refuses a declared Content-Length over the limit before the body
is read. A chunked body declares nothing: Django's ASGI handler would spool all of it (50 MB
and more) and DRF would then read it as empty, so such a request was silently ignored. Here
the body is counted as it arrives; past the path's limit the answer is 413 at once, and a
body within the limit is handed on with the Content-Length it turned out to have.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings

from .exceptions import error_body
from .middleware import body_limit_for_path

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ChunkedBodyLimitMiddleware:
    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not scope["path"].startswith("/api/")
            or any(name.lower() == b"content-length" for name, _ in scope["headers"])
        ):
            await self.app(scope, receive, send)
            return
        limit = body_limit_for_path(scope["path"])
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _refuse(send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        scope = {**scope, "headers": [*scope["headers"], (b"content-length", b"%d" % len(body))]}
        pending = [{"type": "http.request", "body": body, "more_body": False}]

        async def replay() -> Message:
            return pending.pop() if pending else await receive()

        await self.app(scope, replay, send)


async def _refuse(send: Send, limit: int) -> None:
    content = json.dumps(
        error_body(
            "payload_too_large",
            f"The request body is over the limit here of {limit} bytes.",
            {"limit": limit},
        )
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(content)),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


class StaticSecurityHeadersMiddleware:
    """Add CSP_STATIC, nosniff and a referrer policy to every /static/ response."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(settings.STATIC_URL):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in _STATIC_HEADERS if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


_STATIC_HEADERS = [
    (b"content-security-policy", settings.CSP_STATIC.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
