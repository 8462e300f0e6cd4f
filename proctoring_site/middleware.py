"""Body size limits for the API, answered with 413 in the common error shape."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

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


class BodySizeLimitMiddleware:
    """Refuse API requests whose declared body is over the limit before reading it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
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
        return self.get_response(request)


class AccessLogMiddleware:
    """One access-log line per request through Python logging, so the redaction filter applies.

    The server's own access log is switched off (see Makefile): it would print session tokens
    that sit in URL paths (``/api/auth/end-exam/<token>``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        access_logger.info(
            "%s %s %s %.1fms",
            request.method,
            request.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response
