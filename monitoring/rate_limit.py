"""Per-session rate limits on ingest (HTTP and websocket together), in fixed windows."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.cache import cache

from proctoring_site.exceptions import RateLimitedError

_redis_client = None


def _redis() -> Any:
    """One client (and connection pool) per process, shared by every thread.

    Django's cache handler builds a cache object, and so a Redis connection, per request
    context under ASGI; the rate limit runs on every ingest request and must not reconnect.
    """
    global _redis_client  # noqa: PLW0603 - created once per process on first use
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(settings.REDIS_URL)
    return _redis_client


def _count_in_window(keys_amounts: list[tuple[str, int]], window: int) -> list[int]:
    """Add to fixed-window counters; the new totals. One round trip when Redis is configured."""
    if settings.REDIS_URL:
        prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
        pipe = _redis().pipeline(transaction=False)
        for key, amount in keys_amounts:
            key = f"{prefix}:{key}" if prefix else key
            pipe.incrby(key, amount)
            pipe.expire(key, window + 1, nx=True)
        return [int(v) for v in pipe.execute()[::2]]
    totals = []
    for key, amount in keys_amounts:
        cache.add(key, 0, timeout=window + 1)
        try:
            totals.append(cache.incr(key, amount))
        except ValueError:  # expired between add and incr
            cache.set(key, amount, timeout=window + 1)
            totals.append(amount)
    return totals


def ingest_rate_limit_count(counts: Sequence[tuple[Any, int]]) -> list[RateLimitedError | None]:
    """Count ingest requests, ``(session id, events)`` each; per request, None or its 429.

    Fixed windows in Redis when REDIS_URL is set (shared by every worker process, one round
    trip for all of them), in the local-memory cache otherwise.
    """
    window = settings.MONITORING_RATE_WINDOW_S
    now = time.time()
    bucket = int(now // window)
    keys_amounts = []
    for session_id, events in counts:
        base = f"monitoring:rate:{session_id}:{bucket}"
        keys_amounts += [(f"{base}:r", 1), (f"{base}:e", events)]
    totals = _count_in_window(keys_amounts, window)
    retry_after = math.ceil((bucket + 1) * window - now)
    errors: list[RateLimitedError | None] = []
    for requests, event_count in zip(totals[::2], totals[1::2], strict=True):
        if (
            requests > settings.MONITORING_RATE_MAX_REQUESTS
            or event_count > settings.MONITORING_RATE_MAX_EVENTS
        ):
            errors.append(
                RateLimitedError(
                    "Too many monitoring requests for this session; retry later.",
                    retry_after=retry_after,
                    details={
                        "window_s": window,
                        "max_requests": settings.MONITORING_RATE_MAX_REQUESTS,
                        "max_events": settings.MONITORING_RATE_MAX_EVENTS,
                    },
                )
            )
        else:
            errors.append(None)
    return errors


def ingest_rate_limit_hit(*, session_id: Any, events: int) -> None:
    """Count one ingest request of ``events`` events for the session; 429 when over the limit."""
    error = ingest_rate_limit_count([(session_id, events)])[0]
    if error is not None:
        raise error


def fixed_window_hit(key: str, *, window: int) -> tuple[int, int]:
    """Count one hit on ``key`` in the current fixed window of ``window`` seconds.

    Returns the hits so far in this window and the seconds until it ends (for Retry-After).
    Shared by every process through Redis when REDIS_URL is set, like the ingest limits.
    """
    now = time.time()
    bucket = int(now // window)
    (total,) = _count_in_window([(f"{key}:{bucket}", 1)], window)
    return total, max(1, math.ceil((bucket + 1) * window - now))
