"""Keep session tokens, JWTs and passwords out of every log line, at the handler level.

A filter on a logger only sees records logged to that logger and only the message; Django's
own ``django.request`` lines (``Unauthorized: /api/auth/end-exam/<session token>``), a
traceback's text or a handler someone adds bypass it. So the redaction is in the formatter of
every handler we configure: it cleans the finished line (message, arguments and traceback
alike), and ``LOGGING`` routes Django's loggers to those handlers only.
"""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    (re.compile(r"(end-exam/)[^/\s\"']+"), r"\1[redacted]"),
    (
        re.compile(r"((?:token|access|refresh|password|secret)=)[^&\s\"']+", re.I),
        r"\1[redacted]",
    ),
    (
        re.compile(
            r"([\"'](?:token|access|refresh|password|session_token)[\"']\s*:\s*[\"'])[^\"']*", re.I
        ),
        r"\1[redacted]",
    ),
    (re.compile(r"((?:Bearer|JWT)\s+)[A-Za-z0-9\-_.]+"), r"\1[redacted]"),
    (re.compile(r"eyJ[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+"), "[redacted-jwt]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    """A Formatter whose every finished line, traceback included, is redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class RedactSecretsFilter(logging.Filter):
    """Redacts the message of records passing a logger or handler that names it.

    Kept for configurations that attach it; the formatter above is what guarantees it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
