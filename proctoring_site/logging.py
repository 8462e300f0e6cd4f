"""A logging filter that keeps session tokens, JWTs and passwords out of every log line."""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    (re.compile(r"(end-exam/)[^/\s\"']+"), r"\1[redacted]"),
    (re.compile(r"((?:token|access|refresh|password)=)[^&\s\"']+", re.I), r"\1[redacted]"),
    (re.compile(r"(Bearer\s+)[A-Za-z0-9\-_.]+"), r"\1[redacted]"),
    (re.compile(r"eyJ[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+"), "[redacted-jwt]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
