"""Training the learned risk on verdicts simulated from real analysis results."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from analysis.models import RiskModel, SessionRisk
from analysis.services.risk import risk_recompute
from monitoring.models import Incident
from review.dashboard.risk_training import risk_model_train, training_set_build
from review.models import IncidentVerdict
from review.services import incident_verdict_record
from review.tests.risk_verdicts import verdicts_simulate

pytestmark = pytest.mark.django_db


def test_too_few_verdicts_keep_the_rules_and_say_so(analyzed_frames, exam, proctor, settings):
    settings.RISK_MODEL_MIN_VERDICTS = 200
    counts = verdicts_simulate(analyzed_frames, exam=exam, reviewer=proctor, incidents=60)
    row = risk_model_train()
    assert row.status == RiskModel.Status.INSUFFICIENT and not row.is_active
    assert row.training_size == 60 and row.class_balance == counts
    assert "needs at least 200" in row.reason and row.weights == {}
    session_id = Incident.objects.first().session_id
    risk = risk_recompute(session_id=session_id)
    assert risk.model_version == ""
    assert risk.explanation["model"]["kind"] == "rules"
    assert "needs at least 200" in risk.explanation["model"]["reason"]


def test_unreviewed_and_second_review_incidents_are_not_training_data(
    analyzed_frames, exam, proctor
):
    verdicts_simulate(analyzed_frames, exam=exam, reviewer=proctor, incidents=20)
    first, second = Incident.objects.order_by("pk")[:2]
    IncidentVerdict.objects.filter(incident=first).delete()
    IncidentVerdict.objects.create(incident=second, verdict="needs_second_review", reviewer=proctor)
    data = training_set_build()
    ids = {incident.pk for incident in data.incidents}
    assert first.pk not in ids and second.pk not in ids and len(ids) == 18


def test_the_model_learns_what_rules_cannot_know_and_serves_probabilities(
    analyzed_frames, exam, proctor, django_capture_on_commit_callbacks
):
    verdicts_simulate(analyzed_frames, exam=exam, reviewer=proctor, incidents=450, seed=1)
    row = risk_model_train(seed=0)
    figures = row.metrics
    assert row.status == RiskModel.Status.ACTIVE and row.is_active, row.reason
    assert figures["model"]["auc"] > figures["rules"]["auc"]
    assert figures["model"]["ece"] < figures["rules"]["ece"]
    assert figures["auc_gain_interval"][0] > 0
    assert figures["split"]["held_out"] == figures["model"]["n"] >= 80
    assert set(figures["per_kind"]) <= {
        "no_face",
        "looking_away",
        "multiple_faces",
        "identity_mismatch",
    }
    assert row.weights["network"]["layers"] and row.feature_names[0].startswith("kind=")

    # Serving: a new, unreviewed incident on a dark frame gets a lower probability than the
    # same incident on a good frame, and the session risk says which model said so.
    session = Incident.objects.first().session
    good = Incident.objects.filter(session=session).first()
    start = timezone.now() - timedelta(minutes=5)
    fresh = Incident.objects.create(
        session=session,
        kind=good.kind,
        source="analyzer",
        started_at=start,
        ended_at=start + timedelta(seconds=30),
        confidence=0.9,
        evidence=good.evidence,
    )
    risk = risk_recompute(session_id=session.pk)
    assert risk.model_version == f"v{row.version}"
    assert risk.explanation["model"] == {"kind": "learned", "version": row.version, "ece": row.ece}
    rows = {r["incident_id"]: r for r in risk.explanation["incidents"]}
    assert 0.0 < rows[fresh.pk]["probability"] < 1.0
    before = risk.expected_violations
    # Dismissing it moves the expected count (and the list order) at once, by its probability.
    # The risk is re-scored once the verdict's transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        incident_verdict_record(incident=fresh, reviewer=proctor, verdict="dismissed")
    after = SessionRisk.objects.get(session=session).expected_violations
    assert after == pytest.approx(before - rows[fresh.pk]["probability"], abs=1e-3)

    # A second run on the same verdicts must beat this champion, not the rules: it cannot.
    challenger = risk_model_train(seed=0)
    assert challenger.metrics["compared_with"] == f"v{row.version}"
    assert not challenger.is_active and challenger.status == RiskModel.Status.REJECTED
    assert RiskModel.objects.get(is_active=True).version == row.version


def test_verdicts_without_signal_activate_no_model(analyzed_frames, exam, proctor, capsys):
    verdicts_simulate(
        analyzed_frames, exam=exam, reviewer=proctor, incidents=400, signal=False, seed=2
    )
    call_command("train_risk_model")
    row = RiskModel.objects.get()
    assert row.status == RiskModel.Status.REJECTED and not row.is_active
    assert row.reason.startswith("Not activated")
    assert "no signal" in row.reason
    assert f"risk model v{row.version}" in capsys.readouterr().out
    assert not RiskModel.objects.filter(is_active=True).exists()


def test_a_training_task_is_queued_after_enough_new_verdicts(
    analyzed_frames, exam, proctor, settings, django_capture_on_commit_callbacks
):
    settings.RISK_MODEL_RETRAIN_EVERY = 5
    settings.RISK_MODEL_MIN_VERDICTS = 10_000  # the queued run records "insufficient" quickly
    verdicts_simulate(analyzed_frames, exam=exam, reviewer=proctor, incidents=4)
    incident = Incident.objects.first()
    with django_capture_on_commit_callbacks(execute=True):
        incident_verdict_record(incident=incident, reviewer=proctor, verdict="confirmed")
    # Q_SYNC in tests: the task ran inline and recorded its run.
    row = RiskModel.objects.get()
    assert row.trigger == "verdicts" and row.status == RiskModel.Status.INSUFFICIENT
    assert row.verdict_count == 5
    with django_capture_on_commit_callbacks(execute=True):
        incident_verdict_record(incident=incident, reviewer=proctor, verdict="dismissed")
    assert RiskModel.objects.count() == 1  # one new verdict since: not due yet


@pytest.fixture
def patient_worker(monkeypatch):
    """The worker started next will not hand a long training run to a second worker."""
    monkeypatch.setenv("Q_RETRY", "1500")
    monkeypatch.setenv("RISK_MODEL_FIT_TIMEOUT_S", "600")


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_qcluster_trains_after_a_verdict(
    analyzed_frames, exam, proctor, settings, patient_worker, qcluster_worker
):
    # A loaded CI machine may take minutes for the Keras fit: the worker gets time for it.
    settings.RISK_MODEL_RETRAIN_EVERY = 1
    settings.RISK_MODEL_FIT_TIMEOUT_S = 600
    verdicts_simulate(analyzed_frames, exam=exam, reviewer=proctor, incidents=450, seed=1)
    incident = Incident.objects.filter(review_status="dismissed").first()
    incident_verdict_record(incident=incident, reviewer=proctor, verdict="dismissed")
    row = qcluster_worker.wait_for(
        lambda: RiskModel.objects.filter(trigger="verdicts").first(), timeout=900, interval=2
    )
    assert row.status == RiskModel.Status.ACTIVE, row.reason
    assert row.verdict_count == 451
    assert qcluster_worker.alive
