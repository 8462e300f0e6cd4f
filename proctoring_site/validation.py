"""Input bounds shared by every app, so no request can reach the database out of range."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

# The largest id a 64-bit signed column holds (SQLite raises OverflowError beyond it).
MAX_DB_INT = 2**63 - 1


class IdConverter:
    """``<id:name>`` in a URL: a positive integer that fits the database (else 404)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: Any) -> str:
        return str(int(value))


def reject_nul(value: Any) -> None:
    """ValidationError when a string anywhere in ``value`` holds a NUL (PostgreSQL's text and
    jsonb cannot store one, and it is never meaningful in this API)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise serializers.ValidationError("NUL characters are not allowed.")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
