"""Re-score stored session risks as 100 E / (E + 1) of the expected confirmed violations.

Rows scored by the rules before ``risk-2`` hold a noisy-OR score (several incidents all read
98-99) and an E in which a confirmed incident counted its weight instead of 1. They are
re-scored from their incidents with the current rules (``analysis.scoring`` is plain Python),
so the list, the review page and the API agree from the first page after the upgrade. Rows of
a learned model already have that score; only their level follows the new thresholds.
"""

from django.conf import settings
from django.db import migrations

from analysis import scoring


def rescore(apps, schema_editor) -> None:
    SessionRisk = apps.get_model("analysis", "SessionRisk")
    Incident = apps.get_model("monitoring", "Incident")
    thresholds = {"medium": settings.ANALYSIS_RISK_MEDIUM, "high": settings.ANALYSIS_RISK_HIGH}
    for risk in SessionRisk.objects.all().iterator():
        explanation = dict(risk.explanation or {})
        if risk.model_version:
            risk.level = scoring.risk_level(risk.score, **thresholds)
            explanation.update(scoring.level_thresholds(**thresholds))
            risk.explanation = explanation
            risk.save(update_fields=["level", "explanation"])
            continue
        facts = [
            scoring.IncidentFacts(
                incident_id=incident.pk,
                kind=incident.kind,
                severity=incident.severity,
                confidence=incident.confidence,
                duration_s=None
                if incident.ended_at is None
                else max(0.0, (incident.ended_at - incident.started_at).total_seconds()),
                review_status=incident.review_status,
            )
            for incident in Incident.objects.filter(session_id=risk.session_id)
        ]
        score, level, fresh = scoring.session_risk(facts, **thresholds)
        if "model" in explanation:
            fresh["model"] = explanation["model"]
        risk.score, risk.level, risk.explanation = score, level, fresh
        risk.expected_violations = fresh["expected_violations"]
        risk.uncertainty = sum(
            row["probability"] * (1 - row["probability"])
            for row in fresh["incidents"]
            if row["review_status"] not in ("confirmed", "dismissed")
        )
        risk.save(
            update_fields=["score", "level", "explanation", "expected_violations", "uncertainty"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("analysis", "0005_learned_risk_model"),
        ("monitoring", "0004_editor_changes_and_authorship_kinds"),
    ]

    operations = [migrations.RunPython(rescore, migrations.RunPython.noop)]
