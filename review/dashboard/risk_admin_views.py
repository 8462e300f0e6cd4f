"""Admin pages of the learned risk and the fairness audit (registered by ExamSessionAdmin)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from analysis.models import RiskModel

from ..admin_views import _context, _exam_scope, _require
from .fairness import DIMENSION_LABELS, fairness_report
from .fairness_charts import rate_intervals


@require_GET
def fairness_audit(request: HttpRequest, model_admin: Any) -> HttpResponse:
    _require(request, "exams.view_examsession", "monitoring.view_incident")
    exam_id, exams = _exam_scope(request)
    report = fairness_report(exam_id=exam_id, days=settings.REVIEW_STATS_DAYS)
    sections = []
    for dimension, rows in report.sections.items():
        label = DIMENSION_LABELS[dimension]
        sections.append(
            {
                "key": dimension,
                "label": label,
                "rows": rows,
                "flag_svg": rate_intervals(
                    [(r.bucket, r.flag_rate, r.flag_interval, False) for r in rows],
                    label=f"Flag rate per {label.lower()}",
                ),
                "dismissal_svg": rate_intervals(
                    [
                        (r.bucket, r.dismissal_rate, r.dismissal_interval, bool(r.warning))
                        for r in rows
                    ],
                    label=f"Dismissal rate per {label.lower()}",
                ),
            }
        )
    context = _context(
        model_admin,
        request,
        title="Fairness audit by capture condition",
        exam_id=exam_id,
        exams=exams,
        days=report.days,
        sections=sections,
        warnings=report.warnings,
    )
    return TemplateResponse(request, "admin/review/fairness.html", context)


@require_GET
def risk_models(request: HttpRequest, model_admin: Any) -> HttpResponse:
    _require(request, "exams.view_examsession", "monitoring.view_incident")
    rows = list(RiskModel.objects.order_by("-version")[:50])
    active = next((row for row in rows if row.is_active), None)
    context = _context(
        model_admin,
        request,
        title="Learned risk models",
        rows=rows,
        active=active,
        min_verdicts=settings.RISK_MODEL_MIN_VERDICTS,
        min_per_class=settings.RISK_MODEL_MIN_PER_CLASS,
        retrain_every=settings.RISK_MODEL_RETRAIN_EVERY,
    )
    return TemplateResponse(request, "admin/review/risk_models.html", context)
