"""``manage.py train_risk_model``: train the learned incident risk on the stored verdicts."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from review.dashboard.risk_training import risk_model_train


class Command(BaseCommand):
    help = (
        "Train a small Keras model on the incidents' latest verdicts (TensorFlow runs in a "
        "child process), calibrate it, and activate it only if it beats the active model or "
        "the rules on the held-out split on both AUC and ECE."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=0, help="Split and fit seed.")
        parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        row = risk_model_train(trigger="command", seed=options["seed"])
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "version": row.version,
                        "status": row.status,
                        "reason": row.reason,
                        "class_balance": row.class_balance,
                        "metrics": row.metrics,
                    },
                    indent=2,
                    default=str,
                )
            )
            return
        self.stdout.write(f"risk model v{row.version}: {row.get_status_display()}")
        self.stdout.write(row.reason)
        if row.auc is not None:
            self.stdout.write(
                f"held-out: model AUC {row.auc:.3f} Brier {row.brier:.3f} ECE {row.ece:.3f}; "
                f"rules AUC {row.rules_auc:.3f} ECE {row.rules_ece:.3f}"
            )
