"""One domain exception hierarchy and one DRF handler, so every API error has one shape:

{"error": {"code": "...", "message": "...", "details": {...}}}
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError as DatabaseOperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_default_handler

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """Base of every error our services raise on purpose."""

    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details or {}
        self.headers = headers or {}


class InvalidInputError(ApplicationError):
    status_code = 400
    code = "invalid"


class PermissionDeniedError(ApplicationError):
    status_code = 403
    code = "permission_denied"


class NotFoundError(ApplicationError):
    status_code = 404
    code = "not_found"


class ConflictError(ApplicationError):
    status_code = 409
    code = "conflict"


class PayloadTooLargeError(ApplicationError):
    status_code = 413
    code = "payload_too_large"


class RateLimitedError(ApplicationError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = max(1, int(retry_after))
        self.headers["Retry-After"] = str(self.retry_after)
        self.details.setdefault("retry_after", self.retry_after)


class ServiceUnavailableError(ApplicationError):
    status_code = 503
    code = "service_unavailable"


class OverloadedError(ServiceUnavailableError):
    """The process is at its bound (connections, queue): 503 with Retry-After, never a 500."""

    code = "overloaded"

    def __init__(self, message: str, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = max(1, int(retry_after))
        self.headers["Retry-After"] = str(self.retry_after)
        self.details.setdefault("retry_after", self.retry_after)


def database_overloaded(exc: Exception) -> OverloadedError | None:
    """The OverloadedError for a database refusing connections (None for other errors).

    The connection budget keeps each process under its share; this covers the database being
    full anyway (another process, an operator's session): the client retries, nothing is lost.
    """
    if not isinstance(exc, DatabaseOperationalError):
        return None
    text = str(exc).lower()
    if not any(marker in text for marker in _DATABASE_BUSY_MARKERS):
        return None
    from django.conf import settings

    logger.warning("database refused a connection: %s", exc.__class__.__name__)
    return OverloadedError(
        "The database is busy; retry shortly.",
        code="database_busy",
        retry_after=settings.OVERLOAD_RETRY_AFTER_S,
    )


# psycopg2's texts for a full server or one that is starting or stopping, and SQLite's lock.
_DATABASE_BUSY_MARKERS = (
    "too many clients",
    "remaining connection slots are reserved",
    "the database system is starting up",
    "the database system is shutting down",
    "could not connect to server",
    "connection refused",
    "database is locked",
)


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _drf_details(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {"fields": detail}
    if isinstance(detail, list):
        return {"errors": detail}
    return {}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn any exception raised in a DRF view into the single error shape."""
    exc = database_overloaded(exc) or exc
    if isinstance(exc, ApplicationError):
        return Response(
            error_body(exc.code, exc.message, exc.details),
            status=exc.status_code,
            headers=exc.headers,
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("payload_too_large", "The request body is too large."), status=413
        )
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )

    response = drf_default_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django's 500 handling (JSON for /api/) take it

    if isinstance(exc, drf_exceptions.ValidationError):
        code, message = "invalid", "The request is not valid."
        details = _drf_details(exc.detail)
    elif isinstance(exc, drf_exceptions.ParseError):
        code, message, details = "malformed_request", str(exc.detail), {}
    elif isinstance(exc, drf_exceptions.APIException):
        detail = exc.detail
        if isinstance(detail, dict) and "detail" in detail:
            # SimpleJWT's InvalidToken carries {"detail", "code", "messages"}.
            code = str(detail.get("code") or exc.default_code)
            message = str(detail["detail"])
        else:
            codes = exc.get_codes()
            code = codes if isinstance(codes, str) else exc.default_code
            message = str(detail)
        details = {}
        if isinstance(exc, drf_exceptions.Throttled) and exc.wait is not None:
            details["retry_after"] = int(exc.wait)
    else:  # pragma: no cover - DRF only handles APIException subclasses
        code, message, details = "error", "Error.", {}

    response.data = error_body(str(code), message, details)
    return response


def json_404(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def json_500(request):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("server_error", "Internal server error."), status=500)
    from django.views.defaults import server_error

    return server_error(request)
