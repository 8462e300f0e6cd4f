"""The review page and the lists in Chromium, as a proctor reads them during a live session.

Verdicts are recorded without losing the proctor's place; the session verdict is reachable
from the top; raw events wait collapsed behind the incidents; details and elapsed time are in
words; overlapping incidents get their own rows on the timeline; the page follows the feed.
The sessions list colours incident chips by severity and says "Scored, nothing found" for a
clean analysed session; the incident list shows seconds and the session.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from analysis.models import AnalysisResult
from monitoring.incidents import incident_create
from monitoring.models import Incident
from review.models import IncidentVerdict, ProctorAction
from review.tests.dashboard_scenario import build
from review.tests.test_dashboard_browser import _sign_in, page  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def review_server(monkeypatch, request):  # noqa: ANN001, ANN201
    return request.getfixturevalue("live_asgi_server")


def test_review_page_keeps_the_place_and_follows_the_session(  # noqa: PLR0915
    review_server,
    page,  # noqa: F811
    screenshot,
    proctor,
    exam,
    candidate,
    other_candidate,
    start_session,
    django_user_model,
) -> None:
    server = review_server
    scenario = build(
        exam=exam,
        candidate=candidate,
        other_candidate=other_candidate,
        start_session=start_session,
        submit=False,
    )
    session = scenario.session
    # A long high-severity incident with a short low one inside it, in the same lane.
    long_high = incident_create(
        session=session,
        kind=Incident.Kind.LOOKING_AWAY,
        source=Incident.Source.ANALYZER,
        started_at=session.started_at + timedelta(seconds=300),
        ended_at=session.started_at + timedelta(seconds=500),
        severity=Incident.Severity.HIGH,
        details={"positives": 40, "judged": 41, "merged_runs": 3},
    )
    short_low = incident_create(
        session=session,
        kind=Incident.Kind.LOW_QUALITY,
        source=Incident.Source.ANALYZER,
        started_at=session.started_at + timedelta(seconds=350),
        ended_at=session.started_at + timedelta(seconds=360),
        severity=Incident.Severity.LOW,
    )
    # A clean session the engine analysed: it must not read like a failed analysis.
    clean_user = django_user_model.objects.create_user(
        username="erin", email="erin@example.com", password="x-unused-9", first_name="Erin"
    )
    clean, _ = start_session(clean_user, exam)
    AnalysisResult.objects.create(
        session=clean, kind="frame", captured_at=timezone.now(), status="ok", labels=[]
    )

    _sign_in(page, server, proctor)
    page.set_viewport_size({"width": 1440, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # ---- sessions list
    page.goto(f"{server.url}/admin/exams/examsession/")
    risky_row = page.locator("#result_list tbody tr", has_text=session.candidate.display_name)
    assert risky_row.locator(".kind-chip.sev-high").count() >= 2  # several faces, identity
    assert risky_row.locator(".kind-chip.sev-low").count() >= 1
    first_chip = risky_row.locator(".kind-chip").first
    assert "sev-high" in first_chip.get_attribute("class")  # worst first
    clean_row = page.locator("#result_list tbody tr", has_text="Erin")
    assert clean_row.locator(".risk-badge").inner_text() == "Scored, nothing found"
    screenshot(page, "session-list-chips")

    # ---- incident list: seconds and the session
    page.goto(f"{server.url}/admin/monitoring/incident/")
    row = page.locator("#result_list tbody tr", has_text="Looking away")
    text = row.inner_text()
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", text), text
    assert exam.title in text and str(session.pk)[:8] in text
    assert "3 min 20 s" in text  # lasted, in words
    screenshot(page, "incident-list")

    # ---- review page
    page.goto(f"{server.url}/admin/exams/examsession/{session.pk}/review/")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height > 3000, height  # a long page: the place matters
    # Session verdict reachable from the top.
    jump = page.locator("#review-header a.jump-verdict")
    assert jump.get_attribute("href") == "#verdict-heading"
    # Raw events collapsed behind the incidents, opened by a link into them.
    raw = page.locator("details#raw-events")
    assert raw.count() == 1 and raw.get_attribute("open") is None
    assert not page.locator("#raw-events li.kind-heartbeats").first.is_visible()
    main_kinds = page.eval_on_selector_all(
        "#events-section > ol.timeline-list > li", "(els) => els.map((e) => e.className)"
    )
    assert not any("kind-heartbeats" in kind or "kind-event" in kind for kind in main_kinds)
    # Words a proctor uses, elapsed time as elapsed time.
    detail = page.locator(f"#incident-{long_high.pk} .detail").first.inner_text()
    assert "seen in 40 of 41 analysed items" in detail
    assert "3 nearby stretches joined into one" in detail
    assert "merged_runs" not in detail and "positives" not in detail
    offset = page.locator(f"#incident-{long_high.pk} .offset").inner_text()
    assert offset == "5 min 00 s in", offset
    # Lanes: the short low incident sits on its own row, below the long high one.
    rects = page.eval_on_selector_all(
        ".timeline-strip a.mark-incident rect",
        "(els) => els.map((e) => [e.querySelector('title').textContent, +e.getAttribute('y')])",
    )
    y_high = next(y for title, y in rects if "Looking away" in title)
    y_low = next(y for title, y in rects if "Low image quality" in title)
    assert y_low > y_high
    screenshot(page, "review-top")

    # A verdict far down the page: recorded in place, the page does not move.
    target = page.locator(f"#incident-{short_low.pk}")
    target.scroll_into_view_if_needed()
    page.mouse.wheel(0, 200)
    page.wait_for_timeout(200)
    before = page.evaluate("window.scrollY")
    assert before > 1000
    where = f"document.getElementById('incident-{short_low.pk}').getBoundingClientRect().top"
    top_before = page.evaluate(where)
    target.locator("button[value=dismissed]").click()
    page.locator(f"#incident-{short_low.pk} .form-status.success").wait_for(timeout=20000)
    assert not errors, errors
    # Still where the proctor was: far down the page, the incident where it was on screen (a
    # verdict line added inside it may nudge the view by a line, never back to the top).
    assert page.evaluate("window.scrollY") >= before - 2
    assert abs(page.evaluate(where) - top_before) <= 40
    assert "Dismissed" in page.locator(f"#incident-{short_low.pk} .review-state").first.inner_text()
    assert IncidentVerdict.objects.get(incident=short_low).verdict == "dismissed"
    page.screenshot(path=str(screenshot(page, "verdict-in-place")))  # the viewport, as seen

    # Live: a warning sent from another tab shows up in this page's timeline by itself.
    page.wait_for_function(
        "() => document.querySelector('.review-page').classList.contains('connected')"
    )
    other = page.context.new_page()
    other.goto(f"{server.url}/admin/exams/examsession/{session.pk}/review/")
    other.fill("#id_message", "Please face the camera.")
    other.click("form.warn-form button[type=submit]")
    other.wait_for_selector(".messagelist .success")
    other.close()
    page.locator("#events-section .timeline-list li.kind-action").first.wait_for(timeout=15000)
    assert "Please face the camera." in page.locator("#events-section").inner_text()
    assert ProctorAction.objects.filter(session=session, kind="warning").exists()

    # A link from an incident to its browser events opens the collapsed list.
    link = page.locator('#events-section > ol.timeline-list a[href^="#event-"]').first
    link.click()
    assert page.locator("details#raw-events").get_attribute("open") is not None
    seq = link.get_attribute("href")
    assert page.locator(seq).is_visible()
    # The session verdict from the top of the page.
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("#review-header a.jump-verdict").click()
    page.wait_for_function(
        "() => { const r = document.getElementById('verdict-heading').getBoundingClientRect();"
        " return window.scrollY > 1000 && r.top >= 0 && r.bottom <= window.innerHeight; }"
    )
    screenshot(page, "review-live-updated")
