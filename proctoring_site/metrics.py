"""What an operator watches: queue depth, websocket ack latency, analysis lag, and the
connection budget, as Prometheus metrics (``/metrics``) and in the health endpoint.

This module sits at the bottom of the house's order, so it knows no app: apps register a
probe (``register_probe``) in their ``AppConfig.ready`` that returns a few numbers, and the
websocket consumer records its ack latencies with ``ack_latency_observe``. Each server process
answers for itself (scrape every daphne process, or read each node's health).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .db_budget import request_slots_state

logger = logging.getLogger(__name__)

Probe = Callable[[], dict[str, float | int | None]]
_probes: dict[str, Probe] = {}

REGISTRY = CollectorRegistry(auto_describe=True)

ACK_SECONDS = Histogram(
    "proctoring_ws_ack_seconds",
    "Time from a websocket message's arrival to its ack (events stored and committed).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=REGISTRY,
)
# The most recent ack latencies of this process, for the health endpoint's p50/p99.
_recent_acks: deque[float] = deque(maxlen=2000)
_recent_lock = threading.Lock()


def ack_latency_observe(seconds: float) -> None:
    ACK_SECONDS.observe(seconds)
    with _recent_lock:
        _recent_acks.append(seconds)


def ack_latency_summary() -> dict[str, float | int | None]:
    with _recent_lock:
        values = sorted(_recent_acks)
    if not values:
        return {"count": 0, "p50_ms": None, "p99_ms": None}

    def quantile(q: float) -> float:
        return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1)

    return {"count": len(values), "p50_ms": quantile(0.5), "p99_ms": quantile(0.99)}


def register_probe(name: str, probe: Probe) -> None:
    """Add ``probe`` (numbers by key) under ``name`` to the metrics and the health report."""
    _probes[name] = probe


def capacity_report() -> dict[str, dict[str, float | int | None]]:
    """Every probe's numbers, the connection budget and ack latency (health, metrics)."""
    report: dict[str, dict[str, float | int | None]] = {
        "request_slots": dict(request_slots_state()),
        "ws_ack": ack_latency_summary(),
    }
    for name, probe in _probes.items():
        try:
            report[name] = probe()
        except Exception as exc:  # a failing probe must not take the health endpoint down
            logger.warning("metrics probe %s failed: %s", name, exc.__class__.__name__)
            report[name] = {"error": None}
    return report


class _CapacityCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        for group, values in capacity_report().items():
            if group == "ws_ack":  # the histogram above says it better
                continue
            for key, value in values.items():
                if value is None:
                    continue
                yield GaugeMetricFamily(
                    f"proctoring_{group}_{key}", f"{group}: {key.replace('_', ' ')}", value=value
                )


REGISTRY.register(_CapacityCollector())


def metrics_text() -> bytes:
    return generate_latest(REGISTRY)
