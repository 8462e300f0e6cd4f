"""Stored risks scored by the noisy-OR are re-scored as 100 E / (E + 1) on migrate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from analysis.models import SessionRisk

BEFORE = [("analysis", "0005_learned_risk_model")]


def _migrate(targets: list[tuple[str, str]]) -> object:
    executor = MigrationExecutor(connection)
    return executor.migrate(targets).apps


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_saturated_rules_scores_are_rescored_from_their_incidents(session):
    old = _migrate(BEFORE)
    Incident = old.get_model("monitoring", "Incident")
    Risk = old.get_model("analysis", "SessionRisk")
    start = timezone.now() - timedelta(minutes=10)
    for index in range(4):
        at = start + timedelta(seconds=90 * index)
        Incident.objects.create(
            session_id=session.pk,
            kind="identity_mismatch",
            source="analyzer",
            severity="high",
            confidence=0.95,
            started_at=at,
            ended_at=at + timedelta(seconds=60),
            review_status="confirmed" if index == 0 else "unreviewed",
        )
    # As the noisy-OR stored it: "High · 100, ≈ 3.80 expected".
    Risk.objects.create(
        session_id=session.pk,
        score=100,
        level="high",
        expected_violations=3.8,
        explanation={"version": "risk-1", "model": {"kind": "rules", "reason": "too few"}},
    )

    _migrate(_latest())

    risk = SessionRisk.objects.get(session=session)
    # The confirmed one counts 1, the three others 0.95 each: E = 3.85.
    assert risk.expected_violations == pytest.approx(3.85)
    assert risk.score == 79
    assert risk.level == "high"
    assert risk.explanation["version"] == "risk-2"
    assert risk.explanation["model"] == {"kind": "rules", "reason": "too few"}
    assert risk.uncertainty == pytest.approx(3 * 0.95 * 0.05)
