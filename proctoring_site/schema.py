"""OpenAPI schema: the error responses every operation can give, paginated list shapes, and
the JWT scheme of our revocable authentication, so the document says what the API answers
(schemathesis checks it in proctoring_site/tests/test_api_fuzz.py)."""

from __future__ import annotations

from functools import cache
from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework import serializers


class RevocableJWTScheme(SimpleJWTScheme):
    target_class = "accounts.authentication.RevocableJWTAuthentication"


@cache
def paginated(serializer_class: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The page ``StandardPagination`` answers with, around ``serializer_class`` rows."""
    name = serializer_class.__name__.removesuffix("Serializer")
    return type(
        f"Paginated{name}ListSerializer",
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
            "__module__": __name__,
        },
    )


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "object", "additionalProperties": True},
            },
        }
    },
}

_ERRORS = {
    "400": "Invalid input (the body, a field or a query parameter).",
    "401": "Not signed in, or the token is invalid, expired or revoked.",
    "403": "Signed in, but not allowed to do this.",
    "404": "No such object, or not yours (the two look the same).",
    "405": "Method not allowed.",
    "409": "Conflicts with the current state (e.g. the session has ended).",
    "413": "The request body is over this path's limit.",
    "415": "Unsupported media type.",
    "429": "Too many requests; retry after the Retry-After seconds.",
    "503": "Overloaded or a dependency is down; retry after the Retry-After seconds.",
}
_WRITE_ONLY = {"409", "413", "415"}
_RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}


def add_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: document the one error shape under every 4xx/5xx an operation
    can answer (a 409/413/415 only where a request has a body)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in _ERRORS.items():
                if code in responses or (code in _WRITE_ONLY and method == "get"):
                    continue
                response: dict[str, Any] = {
                    "description": description,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
                if code in {"429", "503"}:
                    response["headers"] = _RETRY_AFTER
                responses[code] = response
    return result
