"""The JSON parser now lives in proctoring_site (every API uses it); named here for the views
that already import it from monitoring."""

from __future__ import annotations

from proctoring_site.parsers import NestingSafeJSONParser

__all__ = ["NestingSafeJSONParser"]
