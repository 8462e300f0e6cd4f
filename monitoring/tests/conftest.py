from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

BASE_TS = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)


def event(seq: int, type_: str = "heartbeat", at_s: float = 0.0, **payload: Any) -> dict:
    """An event as the page sends it, ``at_s`` seconds after a fixed base time."""
    ts = BASE_TS + timedelta(seconds=at_s if at_s else seq)
    return {"seq": seq, "type": type_, "ts": ts.isoformat(), "payload": payload}


@pytest.fixture
def post_batch(client_for) -> Callable:
    def post(user, session, events: list, **extra: Any):
        return client_for(user).post(
            "/api/monitoring/data",
            {"session_id": str(session.pk), "events": events, **extra},
            format="json",
        )

    return post
