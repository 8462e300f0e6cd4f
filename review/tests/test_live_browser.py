"""The live page in Chromium: a tile per active session that a proctor can act from.

200 active sessions on one page; one candidate with a real analysed webcam frame, a hidden
tab, a camera switched off and an open "no face" incident. The page is measured applying 200
tile updates (the figure is printed and written to artifacts/, never asserted on time).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from analysis.services import media_analyze
from conftest import PASSWORD
from exams.lifecycle import SessionStatus
from exams.models import Exam, ExamSession
from monitoring.incidents import incident_create
from monitoring.models import Incident
from monitoring.services import events_ingest
from review.models import ProctorAction
from review.tests.dashboard_scenario import media_create
from review.tests.test_dashboard_browser import _sign_in, page  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TILES = 200
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture
def tiles_server(monkeypatch, request):  # noqa: ANN001, ANN201
    # The snapshot fallback would overwrite the measured updates with the stored truth.
    monkeypatch.setenv("REVIEW_LIVE_REFRESH_SECONDS", "600")
    return request.getfixturevalue("live_asgi_server")


def _candidates(count: int) -> list:
    User = get_user_model()
    users = [
        User(
            username=f"cand{n:03d}",
            email=f"cand{n:03d}@example.com",
            first_name="Candidate",
            last_name=f"{n:03d}",
            role=User.Role.CANDIDATE,
        )
        for n in range(count)
    ]
    for user in users:
        user.set_unusable_password()
    return User.objects.bulk_create(users)


def _viewport_shot(screenshot, browser_page, name: str) -> None:  # noqa: ANN001
    """What the proctor sees without scrolling (the full page of 200 tiles is very tall)."""
    full = screenshot(browser_page, name)
    browser_page.screenshot(path=str(full))


def _featured(exam, start_session, shared_media):  # noqa: ANN001, ANN202
    """A candidate whose tile has everything: frame, tab hidden, camera off, no face now."""
    User = get_user_model()
    user = User.objects.create_user(
        username="dana", email="dana@example.com", password=PASSWORD, first_name="Dana"
    )
    session, _ = start_session(user, exam)
    frame = (shared_media / "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg").read_bytes()
    captured = timezone.now()
    item = media_create(session, "frame", frame, captured, evidence=False)
    result = media_analyze(media_id=item.pk)
    assert result is not None and result.status == "ok"
    now = timezone.now()
    events_ingest(
        session=session,
        raw_events=[
            {"seq": 1, "type": "heartbeat", "ts": (now - timedelta(seconds=20)).isoformat()},
            {"seq": 2, "type": "tab_hidden", "ts": (now - timedelta(seconds=4)).isoformat()},
            {"seq": 3, "type": "camera_off", "ts": (now - timedelta(seconds=3)).isoformat()},
        ],
    )
    incident_create(
        session=session,
        kind=Incident.Kind.NO_FACE,
        source=Incident.Source.ANALYZER,
        started_at=now - timedelta(seconds=1),
        severity=Incident.Severity.HIGH,
        confidence=0.95,
    )
    return session, result


def test_live_tiles_state_actions_and_200_updates(  # noqa: PLR0915
    tiles_server,
    page,  # noqa: F811
    screenshot,
    proctor,
    exam,
    start_session,
    shared_media,
) -> None:
    server = tiles_server
    if not (shared_media / "A_single_frontal_face").exists():
        pytest.skip("shared media not found (set SHARED_MEDIA_DIR)")
    users = _candidates(TILES - 1)
    sessions = [start_session(user, exam)[0] for user in users]
    other_exam = Exam.objects.create(title="Databases final", duration_minutes=60)
    elsewhere, _ = start_session(users[0], other_exam)
    # Last, so the page still counts this candidate as connected when it opens.
    featured, result = _featured(exam, start_session, shared_media)

    _sign_in(page, server, proctor)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{server.url}/admin/exams/examsession/live/?exam={exam.pk}")
    tiles = page.locator("#live-tiles .tile")
    assert tiles.count() == TILES
    assert page.locator(f'.tile[data-session="{elsewhere.pk}"]').count() == 0  # other exam

    # The riskiest candidate first, with the candidate's state now and the analysed frame.
    first = tiles.first
    assert first.get_attribute("data-session") == str(featured.pk)
    text = first.inner_text()
    for words in ("Dana", "Tab hidden now", "Face absent now", "Camera off", "Connected"):
        assert words in text, (words, text)
    assert "open incident" in text and "0 open incidents" not in text
    assert not first.locator(".risk-badge").inner_text().startswith("Not scored")
    img = first.locator(".tile-thumb img")
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=img.element_handle()
    )
    assert img.get_attribute("src").endswith(f"?v={result.pk}")
    quiet = page.locator(f'.tile[data-session="{sessions[5].pk}"]')
    assert "No analysed frame yet" in quiet.inner_text()
    assert "Offline" in quiet.inner_text()  # started, never heard from
    page.wait_for_function("() => document.getElementById('feed-state').textContent === 'live'")
    # The catch-up after ready:
    page.wait_for_function("() => window.liveTiles.stats.refreshes >= 1")
    screenshot(page, "live-tiles")
    _viewport_shot(screenshot, page, "live-tiles-top")

    # 200 updates through the page's feed handler (what each websocket message calls):
    # every tile gets a new risk and state; measured until the page has redrawn them.
    updates = [
        {
            "event": "risk.updated",
            "data": {"session_id": str(s.pk), "score": (n * 7) % 97 + 1, "level": "medium"},
        }
        for n, s in enumerate(sessions)
    ] + [
        {
            "event": "session.state",
            "data": {
                "session_id": str(featured.pk),
                "connection": "connected",
                "tab_hidden": False,
                "camera_off": False,
            },
        }
    ]
    assert len(updates) == TILES
    timing = page.evaluate(
        """async (updates) => {
            const t0 = performance.now();
            let changed = 0;
            for (const update of updates) if (window.liveTiles.receive(update)) changed += 1;
            await window.liveTiles.flushed();
            const applied = performance.now() - t0;
            await new Promise((resolve) => requestAnimationFrame(() => resolve()));
            return { applied, painted: performance.now() - t0, changed,
                     lastFlushMs: window.liveTiles.stats.lastFlushMs };
        }""",
        updates,
    )
    assert timing["changed"] == TILES
    # Re-sorted by the new risks: every tile's score, top to bottom, never goes up.
    scores = page.eval_on_selector_all(
        "#live-tiles .tile .risk-badge",
        "(els) => els.map((e) => parseFloat(e.textContent.split('·')[1]))",
    )
    assert len(scores) == TILES and all(score == score for score in scores)  # no NaN
    assert scores == sorted(scores, reverse=True)
    assert scores[0] >= 97
    featured_tile = page.locator(f'.tile[data-session="{featured.pk}"]')
    featured_text = featured_tile.inner_text()
    assert "Tab hidden now" not in featured_text and "Camera off" not in featured_text
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "live_tiles_timing.json").write_text(json.dumps({"tiles": TILES, **timing}))
    print(
        f"live page: {TILES} tile updates applied in {timing['applied']:.1f} ms, painted in "
        f"{timing['painted']:.1f} ms (last redraw {timing['lastFlushMs']:.1f} ms)"
    )

    # Warn from a tile: the prompt's text reaches the service; the feed confirms on the tile.
    target = page.locator(f'.tile[data-session="{sessions[1].pk}"]')
    page.once("dialog", lambda dialog: dialog.accept("Eyes on your own screen, please."))
    target.locator("button.warn").click()
    target.locator(".tile-note", has_text="Warn").wait_for(timeout=10000)
    page.wait_for_function(
        "(el) => el.textContent.startsWith('Warned')",
        arg=target.locator(".tile-note").element_handle(),
        timeout=10000,
    )
    action = ProctorAction.objects.get(session=sessions[1])
    assert (action.kind, action.message) == ("warning", "Eyes on your own screen, please.")

    # Terminate from a tile: a reason, then a confirmation; the tile leaves the page.
    doomed = sessions[2]
    answers = iter(["Phone on the desk.", None])

    def answer(dialog) -> None:  # noqa: ANN001
        value = next(answers)
        dialog.accept(value) if value else dialog.accept()

    page.on("dialog", answer)
    page.locator(f'.tile[data-session="{doomed.pk}"] button.terminate').click()
    page.locator(f'.tile[data-session="{doomed.pk}"]').wait_for(state="detached", timeout=10000)
    page.remove_listener("dialog", answer)
    doomed.refresh_from_db()
    assert doomed.status == SessionStatus.TERMINATED
    assert ProctorAction.objects.get(session=doomed).message == "Phone on the desk."
    assert ExamSession.objects.get(pk=sessions[3].pk).status == SessionStatus.IN_PROGRESS
    assert tiles.count() == TILES - 1
    target.scroll_into_view_if_needed()
    _viewport_shot(screenshot, page, "live-tiles-after-actions")

    # Open review from the tile.
    featured_tile.locator("a.open-review").click()
    page.wait_for_url(f"**/admin/exams/examsession/{featured.pk}/review/")
    assert "Dana" in page.title()
