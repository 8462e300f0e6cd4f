"""Learned incident risk: training time, inference time per incident, held-out figures.

Simulates a verdict set from real analysis results on the shared media (see
``exams/tests/risk_verdicts.py``: reviewers confirm most incidents on good frames and dismiss
most raised on dark or far-away faces), trains with ``risk_model_train`` (Keras in a child
process), then times numpy inference and prints the model's and the rules' figures. Repeats
with coin-flip verdicts (no signal) to show that no model is activated then.

    .venv/bin/python bench/risk_model.py [--incidents 450] [--repeat 2000]

Uses a throwaway SQLite database and media folder unless DATABASE_URL is set (then that
database must be empty or disposable: the script migrates it and adds rows).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MEDIA = Path(os.environ.get("SHARED_MEDIA_DIR", REPO.parent / "shared" / "media"))


def _setup() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="bench-risk-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch / 'bench.sqlite3'}")
    os.environ["MEDIA_ROOT"] = str(scratch / "media")
    os.environ["DJANGO_SETTINGS_MODULE"] = "proctoring_site.settings.local"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["RISK_MODEL_RETRAIN_EVERY"] = "0"
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _row(name: str, figures: dict) -> str:
    return (
        f"| {name} | {figures['n']} | {figures['auc']:.3f} | {figures['brier']:.3f} | "
        f"{figures['ece']:.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=450)
    parser.add_argument("--repeat", type=int, default=2000, help="Incidents scored for timing.")
    args = parser.parse_args()
    if not (MEDIA / "MANIFEST.tsv").exists():
        sys.exit(f"shared media not found at {MEDIA} (set SHARED_MEDIA_DIR)")
    _setup()
    from exams.tests.risk_verdicts import analyze_conditions, verdicts_simulate

    from accounts.services import proctor_create
    from analysis.learned.features import feature_matrix
    from analysis.services.risk import active_predictor
    from analysis.services.risk_signals import incident_signals
    from exams.models import Exam
    from monitoring.models import Incident
    from review.dashboard.risk_training import risk_model_train
    from review.models import IncidentVerdict

    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    start = time.perf_counter()
    frames = analyze_conditions(MEDIA)
    print(f"real analysis of {len(frames)} frames: {time.perf_counter() - start:.1f} s")
    reviewer = proctor_create(
        username="bench", email="bench@example.com", password=os.urandom(12).hex()
    )
    exam = Exam.objects.create(title="Bench")

    for signal in (True, False):
        Incident.objects.all().delete()
        IncidentVerdict.objects.all().delete()
        counts = verdicts_simulate(
            frames,
            exam=exam,
            reviewer=reviewer,
            incidents=args.incidents,
            signal=signal,
            seed=11 if signal else 12,
        )
        start = time.perf_counter()
        row = risk_model_train(trigger="bench")
        seconds = time.perf_counter() - start
        m = row.metrics
        print(f"\n## verdicts {'with' if signal else 'without'} signal: {counts}")
        print(
            f"training (features + Keras fit in a child process + calibration + figures): "
            f"{seconds:.1f} s; v{row.version} {row.status}"
        )
        print(row.reason)
        print("| score | held-out n | AUC | Brier | ECE |\n|---|---:|---:|---:|---:|")
        print(_row("learned model (calibrated)", m["model"]))
        print(_row("rules (risk-1 contribution)", m["rules"]))
        if "champion" in m:
            print(_row("champion", m["champion"]))
        low, high = m["model_auc_interval"]
        print(
            f"model AUC 95% bootstrap interval {low:.3f}-{high:.3f}; "
            f"AUC gain 90% interval {m['auc_gain_interval'][0]:.3f}-{m['auc_gain_interval'][1]:.3f}"
        )
        print("per kind (held out): kind n confirmed-rate model-AUC rules-AUC model-ECE rules-ECE")
        for kind, k in m["per_kind"].items():
            fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
            print(
                f"  {kind} {k['n']} {k['confirmed_rate']:.2f} {fmt(k['model']['auc'])} "
                f"{fmt(k['rules']['auc'])} {fmt(k['model']['ece'])} {fmt(k['rules']['ece'])}"
            )

    # The model trained on the signal run (the no-signal run's model was not activated).
    predictor = active_predictor()
    incidents = list(Incident.objects.all()[: args.repeat])
    start = time.perf_counter()
    features = feature_matrix(incident_signals(incidents))
    signals_s = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(20):
        predictor.probabilities(features)
    inference_s = (time.perf_counter() - start) / 20
    start = time.perf_counter()
    for row in features[:200]:
        predictor.probabilities(row[None, :])
    single_s = (time.perf_counter() - start) / 200
    print(
        f"\ninference: signals + features {1e3 * signals_s / len(incidents):.3f} ms/incident "
        f"(DB reads, batched, {len(incidents)} incidents); numpy forward pass "
        f"{1e6 * inference_s / len(incidents):.2f} us/incident batched, "
        f"{1e6 * single_s:.1f} us for one incident alone"
    )
    load = os.getloadavg()
    print(f"load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
