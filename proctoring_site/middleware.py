"""Middleware: body size limits (413 in the common error shape), the access log, security
headers."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from .exceptions import error_body

access_logger = logging.getLogger("proctoring.access")


def body_limit_for_path(path: str) -> int:
    best_prefix = ""
    limit = settings.API_BODY_LIMIT_DEFAULT
    for prefix, value in settings.API_BODY_LIMITS.items():
        if path.startswith(prefix) and len(prefix) > len(best_prefix):
            best_prefix, limit = prefix, value
    return limit


class _BothModes:
    """Sync and async capable, so Django's ASGI handler does not hop threads around it.

    A sync-only middleware makes Django's async request path switch to a thread and back for
    it (seen in bench/ingest.py with py-spy); this one runs in whichever mode it is called.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)


class BodySizeLimitMiddleware(_BothModes):
    """Refuse API requests whose declared body is over the limit before reading it."""

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        return self.refusal(request) or self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        return self.refusal(request) or await self.get_response(request)

    @staticmethod
    def refusal(request: HttpRequest) -> HttpResponse | None:
        if not request.path.startswith("/api/"):
            return None
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse(
                error_body("malformed_request", "Invalid Content-Length header."), status=400
            )
        limit = body_limit_for_path(request.path)
        if length > limit:
            return JsonResponse(
                error_body(
                    "payload_too_large",
                    f"The request body is {length} bytes; the limit here is {limit} bytes.",
                    {"limit": limit, "size": length},
                ),
                status=413,
            )
        return None


class AccessLogMiddleware(_BothModes):
    """One access-log line per request through Python logging, so the redaction filter applies.

    The server's own access log is switched off (see Makefile): it would print session tokens
    that sit in URL paths (``/api/auth/end-exam/<token>``).
    """

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        started = time.perf_counter()
        return self.log(request, self.get_response(request), started)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        return self.log(request, await self.get_response(request), started)

    @staticmethod
    def log(request: HttpRequest, response: HttpResponse, started: float) -> HttpResponse:
        access_logger.info(
            "%s %s %s %.1fms",
            request.method,
            request.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response


class SecurityHeadersMiddleware(_BothModes):
    """The Content-Security-Policy of the response's page family, and a strict referrer policy.

    Policies are django-csp's (``settings.CSP_FAMILIES``, built by ``csp.utils.build_policy``;
    a view decorated with ``csp.decorators.csp`` brings its own). django-csp's own middleware
    is a MiddlewareMixin, which under ASGI hops to a thread for every request (the cost
    ``_BothModes`` exists to avoid), so the header is set here. A response that already
    carries a policy (the exam page sets its own) keeps it.
    """

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        return self.decorate(request, self.get_response(request))

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        return self.decorate(request, await self.get_response(request))

    @staticmethod
    def decorate(request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if "Content-Security-Policy" not in response:
            family = max(
                (prefix for prefix in settings.CSP_FAMILIES if request.path.startswith(prefix)),
                key=len,
            )
            config = getattr(response, "_csp_config", None) or settings.CSP_FAMILIES[family]
            update = None
            if family in settings.CSP_WEBSOCKET_FAMILIES:
                scheme = "wss" if request.is_secure() else "ws"
                update = {"connect-src": [f"{scheme}://{request.get_host()}"]}
            response["Content-Security-Policy"] = build_policy(config=config, update=update)
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response
