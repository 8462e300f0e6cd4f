"""The synchronous analyze endpoint: per-user rate limit and a per-process concurrency bound."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from analysis.analyze_gate import analyze_gate

pytestmark = pytest.mark.django_db
URL = "/api/ai-monitoring/analyze"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def test_per_user_rate_limit_answers_429_with_retry_after(
    client_for, candidate, other_candidate, settings
) -> None:
    settings.ANALYZE_RATE_MAX_PER_USER = 3
    client = client_for(candidate)
    # Counted before any work: even invalid calls use up the allowance.
    assert [client.post(URL, {}, format="json").status_code for _ in range(3)] == [400] * 3
    refused = client.post(URL, {}, format="json")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= settings.ANALYZE_RATE_WINDOW_S
    # Another user has an allowance of their own.
    assert client_for(other_candidate).post(URL, {}, format="json").status_code == 400


def test_calls_beyond_the_concurrency_bound_are_refused_at_once(
    client_for, candidate, settings
) -> None:
    settings.ANALYZE_MAX_CONCURRENT = 1
    assert analyze_gate.try_enter()  # a call in flight holds the only slot
    try:
        busy = client_for(candidate).post(URL, {}, format="json")
    finally:
        analyze_gate.leave()
    assert busy.status_code == 429
    assert busy["Retry-After"] == "1"
    assert busy.json()["error"]["code"] == "analyze_busy"
    assert client_for(candidate).post(URL, {}, format="json").status_code == 400
    assert analyze_gate.inside == 0
