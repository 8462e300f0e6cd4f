"""The dashboard in Debian's Chromium against a live daphne server: screenshots looked at.

Skipped without Chromium (failed when CI=true). Playwright runs for this test only: the
shared session-wide Playwright keeps an event loop running in the main thread, which breaks
the async websocket tests that run after it.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from conftest import PASSWORD
from monitoring.incidents import incident_create
from monitoring.models import Incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(playwright_instance):  # noqa: ANN001, ANN201
    """A Chromium page (no fake camera needed for the admin), on the session's one Playwright.

    One Playwright per test session: a second ``sync_playwright()`` started while the session's
    instance runs finds its event loop in this thread and refuses to start.
    """
    from proctoring_site.testing.live_server import CHROMIUM

    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    try:
        yield context.new_page()
    finally:
        context.close()
        browser.close()
        # While Playwright's loop runs, Django keeps this test's connections per context,
        # apart from the ones pytest-django closes: close them here, or PostgreSQL
        # cannot drop the test database at the end.
        connections.close_all()


@pytest.fixture
def dashboard_server(monkeypatch, request):  # noqa: ANN001, ANN201
    # The live page's fallback refresh, short so the test does not wait long without a feed.
    monkeypatch.setenv("REVIEW_LIVE_REFRESH_SECONDS", "2")
    return request.getfixturevalue("live_asgi_server")


def _sign_in(page, server, user) -> None:  # noqa: ANN001
    page.goto(f"{server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/$"))


def test_session_list_timeline_and_live_page(  # noqa: PLR0913
    dashboard_server, page, screenshot, scenario, proctor, exam, start_session, django_user_model
):  # noqa: ANN001
    server = dashboard_server
    _sign_in(page, server, proctor)
    assert page.locator("#proctoring-dashboard").is_visible()

    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{server.url}/admin/exams/examsession/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    # Riskiest first: the candidate with the analyzer incidents and the copied code.
    assert scenario.session.candidate.display_name in rows.nth(0).inner_text()
    assert page.locator("#result_list .risk-badge").first.inner_text().startswith("High")
    screenshot(page, "session-list")

    page.locator("#result_list tbody tr").nth(0).locator("a").first.click()
    page.wait_for_selector(".timeline-strip svg")
    thumbs = page.locator("a.thumb img")
    assert thumbs.count() >= 5
    # Every thumbnail really loaded through the staff-only evidence view.
    page.wait_for_function(
        "() => [...document.querySelectorAll('a.thumb img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    page.evaluate("Promise.all([...document.querySelectorAll('a.thumb img')].map(i => i.decode()))")
    assert page.locator("audio").count() == 1
    assert page.locator(".code-pair pre").count() >= 2
    assert page.locator(".risk-explanation tbody tr").count() >= 5
    screenshot(page, "session-timeline")
    thumbs.first.click()
    page.wait_for_selector("dialog#lightbox[open] img")
    assert page.evaluate("document.querySelector('dialog#lightbox img').naturalWidth") > 0
    screenshot(page, "frame-enlarged")
    page.keyboard.press("Escape")

    # A live session for the live page, then a new incident while the page is open.
    live_candidate = django_user_model.objects.create_user(
        username="carol", email="carol@example.com", password=PASSWORD
    )
    live_session, _ = start_session(live_candidate, exam)
    page.goto(f"{server.url}/admin/exams/examsession/live/")
    assert page.locator(f'#live-tiles .tile[data-session="{live_session.pk}"]').count() == 1
    incident = incident_create(
        session=live_session,
        kind=Incident.Kind.MULTIPLE_FACES,
        source=Incident.Source.ANALYZER,
        started_at=timezone.now() - timedelta(seconds=3),
        severity=Incident.Severity.HIGH,
        confidence=0.9,
    )
    page.wait_for_selector(f'#live-incidents li[data-incident="{incident.pk}"]', timeout=15000)
    # The feed is connected (JWT from the admin session, first-message auth).
    page.wait_for_function("() => document.getElementById('feed-state').textContent === 'live'")

    # A verdict recorded in another tab reaches the open live page over the websocket only
    # (the polling fallback adds new incidents but never rewrites an existing one).
    other_tab = page.context.new_page()
    other_tab.goto(f"{server.url}/admin/exams/examsession/{live_session.pk}/review/")
    other_tab.locator(f"#incident-{incident.pk} button[value=confirmed]").click()
    # Recorded in place (the review page keeps the proctor's place), said next to the form.
    other_tab.wait_for_selector(f"#incident-{incident.pk} .form-status.success")
    page.wait_for_selector(
        f'#live-incidents li[data-incident="{incident.pk}"] .review-confirmed', timeout=10000
    )
    screenshot(page, "live-page")

    # Warn from the live session's review page: confirmed on screen and kept in its history.
    other_tab.fill("#id_message", "Please keep your face in view of the camera.")
    other_tab.click("form.warn-form button[type=submit]")
    other_tab.wait_for_selector(".messagelist .success")
    assert "Warning by" in other_tab.locator(".timeline-list").inner_text()
    screenshot(other_tab, "live-session-review")
    other_tab.close()

    page.goto(f"{server.url}/admin/exams/examsession/statistics/")
    assert page.locator("svg.chart").count() == 3
    assert page.locator("svg.chart rect title").count() > 0
    screenshot(page, "statistics")
