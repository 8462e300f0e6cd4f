"""The fairness audit in production: report, command and admin page on simulated verdicts."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from analysis.models import RiskModel
from review.dashboard.fairness import fairness_report
from review.tests.risk_verdicts import verdicts_simulate

pytestmark = pytest.mark.django_db

LIST = "/admin/exams/examsession/"


@pytest.fixture
def audited(analyzed_frames, exam, proctor):
    # Reviewers dismiss most incidents raised on dark or far-away faces (risk_verdicts).
    return verdicts_simulate(analyzed_frames, exam=exam, reviewer=proctor, incidents=240, seed=4)


def _row(report, dimension, bucket):
    return next(row for row in report.sections[dimension] if row.bucket == bucket)


def test_the_report_warns_about_the_bucket_reviewers_dismiss_most(audited, exam):
    report = fairness_report(exam_id=exam.pk)
    dark = _row(report, "brightness", "dark (<40)")
    assert dark.reviewed > 30 and dark.frames > dark.reviewed  # 1-3 evidence frames each
    assert dark.dismissal_rate > 0.7
    low, high = dark.dismissal_interval
    assert low < dark.dismissal_rate < high
    assert dark.excess_interval[0] > 0 and "dark (<40)" in dark.warning
    normal = [r for r in report.sections["brightness"] if r.bucket != "dark (<40)"]
    assert all(r.dismissal_rate < dark.dismissal_rate for r in normal if r.reviewed)
    assert {r.bucket for r in report.sections["exam"]} == {exam.title}
    assert {r.bucket for r in report.sections["accommodation"]} <= {"none", "extra_time"}
    assert sum(r.reviewed for r in report.sections["exam"]) == sum(audited.values())


def test_a_report_without_reviews_has_no_warning(exam):
    report = fairness_report(exam_id=exam.pk)
    assert report.warnings == [] and all(not rows for rows in report.sections.values())


def test_the_command_prints_rates_intervals_and_warnings(audited, exam):
    out = StringIO()
    call_command("fairness_report", "--exam", str(exam.pk), stdout=out)
    text = out.getvalue()
    assert "Brightness of the frame" in text and "dark (<40)" in text
    assert "WARNING: Brightness of the frame 'dark (<40)'" in text
    with pytest.raises(CommandError, match="No exam"):
        call_command("fairness_report", "--exam", "999999")


def test_admin_pages_show_the_audit_and_the_models(audited, proctor, web_client_for):
    client = web_client_for(proctor)
    response = client.get(f"{LIST}fairness/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="chart"') == 10  # flag and dismissal rates on five dimensions
    assert "dark (&lt;40)" in html and 'class="fairness-warning"' in html
    assert "reviewers dismiss" in html
    RiskModel.objects.create(
        version=1, status="insufficient", reason="12 labelled incidents", features_version="x"
    )
    response = client.get(f"{LIST}risk-models/")
    assert response.status_code == 200
    assert "12 labelled incidents" in response.content.decode()
    listing = client.get(LIST).content.decode()
    assert f"{LIST}fairness/" in listing and "Needs a human" in listing


def test_the_audit_needs_staff(audited, candidate, web_client_for):
    response = web_client_for(candidate).get(f"{LIST}fairness/")
    assert response.status_code == 302  # to the admin login
