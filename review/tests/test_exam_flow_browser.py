"""The candidate's path in real Chromium: the steps and rules before consent, a clock that
starts at the problems, rejoining without a second identity check, the receipt, notices and
banners the candidate can act on, and axe-core (WCAG 2.1 AA) on every step.
"""

from __future__ import annotations

import json
import re
import urllib.request
import wave

import numpy as np
import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from analysis.models import MediaItem
from exams.lifecycle import SessionStatus
from exams.models import ExamSession
from monitoring.models import MonitoringLog
from review.tests.axe import assert_accessible, axe_violations
from review.tests.test_exam_editor_browser import EditorPage
from review.tests.test_exam_page_browser import TEST_POLICY, ExamPage, wait_for
from submissions.models import CodeSubmission

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def api_post(server, path: str, body: dict, user) -> tuple[int, dict]:  # noqa: ANN001
    token = str(RefreshToken.for_user(user).access_token)
    request = urllib.request.Request(  # noqa: S310
        f"{server.url}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
        return response.status, json.loads(response.read() or b"{}")


def overlaps(page, first: str, second: str) -> bool:  # noqa: ANN001
    return page.evaluate(
        """([a, b]) => {
            const r = document.querySelector(a).getBoundingClientRect();
            return [...document.querySelectorAll(b)].filter((el) => el.offsetParent).some((el) => {
                const s = el.getBoundingClientRect();
                return r.left < s.right && s.left < r.right && r.top < s.bottom && s.top < r.bottom;
            });
        }""",
        [first, second],
    )


@pytest.fixture
def described_exam(exam):  # noqa: ANN001, ANN201
    exam.description = "Two short problems on lists.\n\nUse any language you like."
    exam.policy = TEST_POLICY
    exam.save(update_fields=["description", "policy"])
    return exam


def test_steps_rules_clock_rejoin_and_receipt_pass_axe_on_every_step(  # noqa: PLR0915
    live_asgi_server, candidate, described_exam, launch_browser, screenshot, settings
):
    browser = launch_browser(video="face")
    context = browser.new_context(viewport={"width": 1366, "height": 800})
    page = context.new_page()
    failed: list[str] = []
    page.on(
        "response",
        lambda response: (
            failed.append(f"{response.status} {response.url}") if response.status >= 400 else None
        ),
    )
    exam_page = ExamPage(page, live_asgi_server, screenshot)
    exam_page.open()
    page.get_by_role("heading", name="Sign in").wait_for()
    assert_accessible(page, "sign-in")
    exam_page.sign_in(candidate.username)
    assert_accessible(page, "choose")
    page.get_by_role("button", name="Continue to the system check").click()
    page.get_by_text("Everything works. You can continue.").wait_for()
    progress = page.get_by_role("navigation", name="Progress")
    assert progress.locator('[aria-current="step"]').inner_text() == "System check"
    assert_accessible(page, "system check")
    page.get_by_role("button", name="Continue to consent").click()

    # Before consent: the description, the rules from the exam's policy, when the clock starts.
    page.get_by_role("heading", name="Monitoring and your consent").wait_for()
    about = page.locator(".about-exam").inner_text()
    assert "Two short problems on lists." in about and "Use any language you like." in about
    assert "for more than 2 seconds is recorded as leaving the exam" in about  # tab rule
    assert "200 characters or more from outside the exam" in about
    assert "clock starts when you reach the problems" in about
    assert progress.locator('[aria-current="step"]').inner_text() == "Rules and consent"
    # The page's own message, not the browser's validation bubble (which would hide it).
    page.get_by_role("button", name="I agree, start the exam").click()
    assert "Tick the box" in page.locator("#consent-error").inner_text()
    screenshot(page, "consent-refused")
    assert_accessible(page, "consent")
    page.get_by_label("I have read what is recorded").check()
    page.get_by_role("button", name="I agree, start the exam").click()
    page.get_by_role("heading", name="Identity check").wait_for()
    session = ExamSession.objects.get(candidate=candidate)
    assert session.problems_opened_at is None  # the checks are not on the clock
    assert page.locator("#countdown").is_hidden()
    assert_accessible(page, "identity")
    exam_page.enroll()

    session.refresh_from_db()
    assert session.problems_opened_at is not None
    minutes = (session.ends_at - session.problems_opened_at).total_seconds() / 60
    assert minutes == described_exam.duration_minutes
    assert progress.locator('[aria-current="step"]').inner_text() == "Exam"
    assert page.locator("#countdown").inner_text().startswith(f"Time left: {minutes - 1:.0f}:")
    first = described_exam.problems.order_by("order").first()
    # The camera thumbnail never covers the editor, wide or narrow.
    for width in (1366, 800):
        page.set_viewport_size({"width": width, "height": 800})
        assert not overlaps(page, "#exam-preview", ".cm-editor"), f"preview covers at {width}px"
        screenshot(page, f"exam-{width}px")
    assert_accessible(page, "exam")
    ends_at = session.ends_at

    # Rejoining in a new tab (no saved state there): no second identity check, same clock.
    other = browser.new_context(viewport={"width": 1366, "height": 800})
    second = ExamPage(other.new_page(), live_asgi_server, screenshot)
    second.sign_in(candidate.username)
    second.system_check()
    second.page.get_by_label("I have read what is recorded").check()
    second.page.get_by_role("button", name="I agree, start the exam").click()
    second.page.get_by_role("tab").first.wait_for()
    assert second.page.locator("#step-enroll").is_hidden()
    session.refresh_from_db()
    assert session.ends_at == ends_at
    second.shot(second.page, "rejoined")
    other.close()

    # Submit one problem, finish: the receipt has what the server stored.
    editor_page = EditorPage(page, live_asgi_server, screenshot)
    editor_page.set_text(first, "print('done')\n")
    page.get_by_role("button", name="Submit this solution").click()
    page.get_by_text("Version 1 submitted").wait_for()
    page.get_by_role("button", name="Finish exam…").click()
    page.get_by_role("dialog", name="Finish the exam?").wait_for()
    assert_accessible(page, "final dialog")
    page.get_by_role("button", name="Yes, finish the exam").click()
    page.get_by_text("Your exam was submitted. Thank you.").wait_for()
    receipt = page.locator("#receipt")
    receipt.wait_for()
    stored = CodeSubmission.objects.get(session=session, problem=first, is_final=True)
    wait_for(lambda: stored.sha256 in receipt.inner_text(), timeout=10, what="the receipt")
    assert f"Version {stored.version}" in receipt.inner_text()
    assert "Nothing submitted" in receipt.inner_text()  # the second problem
    screenshot(page, "receipt")
    assert_accessible(page, "end")
    assert not [f for f in failed if "favicon" in f], failed
    exam_page.assert_no_script_errors()
    context.close()


def test_notices_banners_with_recovery_and_the_reason_of_a_termination(  # noqa: PLR0915
    live_asgi_server, candidate, proctor, exam, start_session, page, screenshot
):
    exam.policy = {**TEST_POLICY, "window_blur_threshold_s": 60}
    exam.save(update_fields=["policy"])
    session, _token = start_session(candidate, exam)
    # Frames go over the session's websocket: while ``refuse_frames`` is set, the socket
    # answers them as an overloaded server would (503 over HTTP, ``overloaded`` here).
    refuse_frames = {"on": False}

    def route_socket(socket) -> None:  # noqa: ANN001
        server = socket.connect_to_server()

        def from_page(message) -> None:  # noqa: ANN001
            if refuse_frames["on"] and isinstance(message, bytes):
                header = json.loads(message[2 : 2 + int.from_bytes(message[:2], "big")])
                if header["type"] == "frame":
                    error = {
                        "code": "overloaded",
                        "message": "Busy.",
                        "details": {"retry_after": 1},
                        "id": header["id"],
                    }
                    socket.send(json.dumps({"event": "error", "data": error}))
                    return
            server.send(message)

        socket.on_message(from_page)

    page.route_web_socket(re.compile(r"/ws/exam/"), route_socket)
    editor_page = EditorPage(page, live_asgi_server, screenshot)
    exam_page = ExamPage(page, live_asgi_server, screenshot)
    editor_page.resume(candidate.username, str(session.pk))
    wait_for(lambda: exam_page.monitor("frames-sent") >= 1, timeout=30, what="a frame sent")

    # A violation is recorded: the candidate is told at once, in words, with what to do.
    exam_page.hide_tab(3)
    notice = page.locator("#notice-banner")
    notice.wait_for()
    assert "You left the exam tab for 3 seconds" in notice.inner_text()
    assert "Stay in this tab" in notice.inner_text()
    screenshot(page, "notice-tab")
    assert_accessible(page, "exam with a notice")
    page.get_by_role("button", name="I understand").click()
    assert notice.is_hidden()

    # The camera stops: a banner, and a button that turns it back on without a reload.
    page.evaluate(
        """() => {
            const track = document.getElementById('exam-preview').srcObject.getVideoTracks()[0];
            track.stop();
            track.dispatchEvent(new Event('ended'));
        }"""
    )
    trouble = page.locator("#trouble-banner")
    trouble.wait_for()
    assert "Your camera stopped" in trouble.inner_text()
    screenshot(page, "camera-lost")
    assert_accessible(page, "exam with the camera lost")
    sent = exam_page.monitor("frames-sent")
    page.get_by_role("button", name="Turn the camera back on").click()
    trouble.wait_for(state="hidden")
    assert (
        page.evaluate(
            "document.getElementById('exam-preview').srcObject.getVideoTracks()[0].readyState"
        )
        == "live"
    )
    wait_for(lambda: exam_page.monitor("frames-sent") > sent, timeout=30, what="frames again")
    wait_for(
        lambda: MonitoringLog.objects.filter(
            session=session, type="camera_on", payload__reason="reacquired"
        ).exists(),
        timeout=30,
        what="camera_on (reacquired) stored",
    )

    # The server fails: frames are refused with 503 (over HTTP or the socket, whichever the
    # page is using) -> a banner that says so.
    frames_http = re.compile(r".*/api/monitoring/frames(\?.*)?$")
    page.route(
        frames_http,
        lambda route: route.fulfill(
            status=503,
            body=json.dumps({"error": {"code": "unavailable", "message": "Busy."}}),
            headers={"Content-Type": "application/json", "Retry-After": "1"},
        ),
    )
    refuse_frames["on"] = True
    wait_for(lambda: trouble.is_visible(), timeout=30, what="the server banner")
    assert "not answering properly (error 503)" in trouble.inner_text()
    screenshot(page, "server-down")
    refuse_frames["on"] = False
    page.unroute(frames_http)
    trouble.wait_for(state="hidden", timeout=30000)

    # The connection drops: a banner; back online, the button sends what waited.
    page.context.set_offline(True)
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    wait_for(lambda: trouble.is_visible(), timeout=20, what="the connection banner")
    assert "connection to the exam server is lost" in trouble.inner_text()
    screenshot(page, "offline")
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    if trouble.is_visible():
        page.get_by_role("button", name="Try to reconnect now").click()
    trouble.wait_for(state="hidden", timeout=30000)

    # Terminated: the reason and what happens next, not a count of unsent events.
    status, _body = api_post(
        live_asgi_server,
        f"/api/admin/exam-sessions/{session.pk}/terminate",
        {"reason": "A second person was seen in the room."},
        proctor,
    )
    assert status == 200
    done = page.locator("#done-text")
    done.wait_for(timeout=30000)
    assert "Reason: A second person was seen in the room." in done.inner_text()
    assert "will be reviewed" in page.locator("#done-next").inner_text()
    assert page.locator("#done-events").inner_text() == ""
    assert trouble.is_hidden() and notice.is_hidden()
    screenshot(page, "terminated")
    assert_accessible(page, "terminated end")
    session.refresh_from_db()
    assert session.status == SessionStatus.TERMINATED
    exam_page.assert_no_script_errors()


# Keeps every stream the page opens, so the test can end the microphone's track as a device
# that goes away would (the page's own modules keep theirs private).
KEEP_STREAMS = """(() => {
    const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    window.__streams = [];
    navigator.mediaDevices.getUserMedia = async (constraints) => {
        const stream = await open(constraints);
        window.__streams.push(stream);
        return stream;
    };
})()"""


def wav_rms(path) -> float:  # noqa: ANN001
    """Root mean square of a PCM16 WAV file's samples (0 for silence)."""
    with wave.open(str(path), "rb") as chunk:
        samples = np.frombuffer(chunk.readframes(chunk.getnframes()), dtype="<i2")
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if samples.size else 0.0


def test_a_lost_microphone_is_turned_back_on_without_a_reload(  # noqa: PLR0915
    live_asgi_server, candidate, exam, start_session, page, screenshot
):
    exam.policy = {**TEST_POLICY, "window_blur_threshold_s": 60}
    exam.save(update_fields=["policy"])
    session, _token = start_session(candidate, exam)
    page.add_init_script(KEEP_STREAMS)
    editor_page = EditorPage(page, live_asgi_server, screenshot)
    exam_page = ExamPage(page, live_asgi_server, screenshot)
    editor_page.resume(candidate.username, str(session.pk))
    wait_for(lambda: exam_page.monitor("audio-sent") >= 1, timeout=30, what="a chunk sent")

    # The microphone goes away: its track ends (a fake device never ends by itself).
    lost = page.evaluate(
        """() => {
            const live = window.__streams.flatMap((s) => s.getAudioTracks())
                .filter((t) => t.readyState === 'live');
            for (const track of live) {
                track.stop();
                track.dispatchEvent(new Event('ended'));
            }
            return live.map((t) => t.id);
        }"""
    )
    assert lost, "the page had a live microphone track"
    trouble = page.locator("#trouble-banner")
    trouble.wait_for()
    text = trouble.inner_text()
    assert "Your microphone stopped (device stopped): the exam needs it." in text
    assert "then turn it back on" in text
    button = page.get_by_role("button", name="Turn the microphone back on")
    assert button.is_visible()
    assert "microphone off (device stopped)" in page.locator("#monitor-status").inner_text()
    screenshot(page, "microphone-lost")
    assert_accessible(page, "exam with the microphone lost")
    wait_for(
        lambda: MonitoringLog.objects.filter(
            session=session, type="mic_off", payload__reason="ended"
        ).exists(),
        timeout=30,
        what="mic_off (ended) stored",
    )
    lost_at = MonitoringLog.objects.get(session=session, type="mic_off").client_ts

    # The button opens the microphone again in the same page: a new live track, and chunks of
    # the candidate's sound (not the silence of the dead track) reach the server again.
    reloads = page.evaluate("() => performance.getEntriesByType('navigation').length")
    button.click()
    trouble.wait_for(state="hidden")
    fresh = page.evaluate(
        """(lost) => window.__streams.flatMap((s) => s.getAudioTracks())
            .filter((t) => t.readyState === 'live' && !lost.includes(t.id)).map((t) => t.id)""",
        lost,
    )
    assert fresh, "a new live microphone track"
    assert "microphone on" in page.locator("#monitor-status").inner_text()
    wait_for(
        lambda: MonitoringLog.objects.filter(
            session=session, type="mic_on", payload__reason="reacquired"
        ).exists(),
        timeout=30,
        what="mic_on (reacquired) stored",
    )
    back_at = MonitoringLog.objects.get(
        session=session, type="mic_on", payload__reason="reacquired"
    ).client_ts

    def sound_after_recovery() -> bool:
        chunks = MediaItem.objects.filter(session=session, kind="audio", captured_at__gte=back_at)
        return any(wav_rms(item.file.path) > 100 for item in chunks if item.file)

    wait_for(sound_after_recovery, timeout=40, what="a chunk with sound after the recovery")
    assert page.evaluate("() => performance.getEntriesByType('navigation').length") == reloads
    assert page.evaluate("() => !!document.querySelector('.cm-editor')")  # still the exam
    screenshot(page, "microphone-back")
    assert_accessible(page, "exam with the microphone back")
    # Nothing the page recorded between the loss and the recovery pretends to be sound.
    between = MediaItem.objects.filter(
        session=session, kind="audio", captured_at__gt=lost_at, captured_at__lt=back_at
    )
    assert all(wav_rms(item.file.path) < 100 for item in between if item.file)
    exam_page.assert_no_script_errors()


def test_axe_runs_on_the_page_and_finds_what_is_wrong(live_asgi_server, page):
    """The accessibility checks above can fail: a broken control is reported."""
    page.goto(f"{live_asgi_server.url}/exam/")
    page.get_by_role("heading", name="Sign in").wait_for()
    assert axe_violations(page) == []
    page.evaluate(
        """() => {
            const input = document.createElement('input');
            document.getElementById('signin-form').append(input);
            document.getElementById('signin-submit').style.color = '#ccc';
        }"""
    )
    found = {violation["id"] for violation in axe_violations(page)}
    assert {"label", "color-contrast"} <= found, found
