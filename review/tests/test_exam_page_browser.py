"""The exam page end to end: Debian's Chromium with a fake camera and microphone playing real
media, against a live daphne server and a real qcluster worker on the test database.

Headless Chromium never hides a tab (bringing another tab to the front, minimising the window
through CDP and opening a target beside it all leave ``document.visibilityState`` "visible"),
so the tab switch is produced by giving the page the exact signal the browser would: the
visibility state turns "hidden" and ``visibilitychange`` fires. Everything after that (the
page's queue, the HTTP ingest, incident derivation) is the real code path.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from conftest import PASSWORD
from exams.lifecycle import SessionStatus
from exams.models import Exam, ExamSession, Problem
from monitoring.models import Incident, MonitoringLog
from submissions.models import CodeSubmission

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# Short thresholds so a test sees incidents in seconds; the values are ordinary policy keys.
TEST_POLICY = {
    "frame_interval_s": 1,
    "audio_chunk_s": 3,
    "tab_hidden_threshold_s": 2,
    "no_face_min_s": 3,
    "no_face_min_frames": 2,
}
SOLUTION = "def two_sum(numbers, target):\nseen = {}\nfor i, n in enumerate(numbers):\n"


def wait_for(check: Callable[[], Any], *, timeout: float, what: str, every: float = 0.5) -> Any:
    """Poll ``check`` until it returns something truthy; fail saying ``what`` was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


def api_post(server, path: str, body: dict, user) -> tuple[int, dict]:
    """POST JSON to the live server as ``user`` (a real JWT), as another client would."""
    token = str(RefreshToken.for_user(user).access_token)
    request = urllib.request.Request(  # noqa: S310
        f"{server.url}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture
def timed_exam(exam) -> Exam:
    exam.policy = TEST_POLICY
    exam.save(update_fields=["policy"])
    return exam


class ExamPage:
    """Drives /exam/ like a candidate, saving a screenshot of each step."""

    def __init__(self, page, server, screenshot: Callable) -> None:
        self.page = page
        self.server = server
        self.shot = screenshot
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.set_default_timeout(20000)

    def open(self) -> None:
        self.page.goto(f"{self.server.url}/exam/")

    def sign_in(self, username: str) -> None:
        """Sign in with the keyboard only: type, Tab to the next field, Enter to submit."""
        self.open()
        self.page.get_by_role("heading", name="Sign in").wait_for()
        self.page.get_by_label("Username").focus()
        self.page.keyboard.type(username)
        self.page.keyboard.press("Tab")
        self.page.keyboard.type(PASSWORD)
        self.shot(self.page, "sign-in")
        self.page.keyboard.press("Enter")
        self.page.get_by_role("heading", name="Choose your exam").wait_for()
        self.shot(self.page, "choose-exam")

    def system_check(self) -> None:
        self.page.get_by_role("button", name="Continue to the system check").click()
        self.page.get_by_text("Everything works. You can continue.").wait_for()
        for check in ("browser", "camera", "microphone", "fullscreen"):
            item = self.page.locator(f'#check-list [data-check="{check}"]')
            assert item.get_attribute("data-result") == "pass", item.inner_text()
            assert ": OK — " in item.inner_text()  # said in words, not by colour alone
        self.assert_controls_labelled()
        self.shot(self.page, "system-check")
        self.page.get_by_role("button", name="Continue to consent").click()

    def consent(self, retention_days: int) -> None:
        self.page.get_by_role("heading", name="Monitoring and your consent").wait_for()
        text = self.page.locator("#step-consent").inner_text()
        assert f"{retention_days} days" in text
        self.shot(self.page, "consent")
        self.page.get_by_label("I have read what is recorded").check()
        self.page.get_by_role("button", name="I agree, start the exam").click()
        self.page.get_by_role("heading", name="Identity check").wait_for()

    def enroll(self) -> None:
        self.shot(self.page, "identity-check")
        self.page.get_by_role("button", name="Take photos and record my voice").click()
        go = self.page.get_by_role("button", name="Go to the exam")
        error = self.page.locator("#enroll-error")
        self.page.wait_for_function(
            "() => !document.getElementById('enroll-continue').hidden"
            " || !document.getElementById('enroll-error').hidden",
            timeout=60000,
        )
        if error.is_visible():
            self.shot(self.page, "identity-check-failed")
            pytest.fail(f"enrollment refused by the server: {error.inner_text()}")
        self.shot(self.page, "identity-check-done")
        go.click()
        self.page.get_by_role("tab").first.wait_for()

    def start(self, username: str, retention_days: int) -> str:
        """Sign in through enrollment to the exam; returns the session id."""
        self.sign_in(username)
        self.system_check()
        self.consent(retention_days)
        self.enroll()
        self.shot(self.page, "exam")
        return self.state()["sessionId"]

    def state(self) -> dict:
        return self.page.evaluate("JSON.parse(sessionStorage.getItem('exam.state') || '{}')")

    def queue(self, session_id: str) -> dict:
        return self.page.evaluate(
            "(key) => JSON.parse(localStorage.getItem(key) || 'null')", f"exam.events.{session_id}"
        )

    def code(self, session_id: str, problem_id: int) -> str:
        """The editor's text, as the page saved it (the draft is saved on every change)."""
        return self.page.evaluate(
            "(key) => JSON.parse(localStorage.getItem(key)).code",
            f"exam.draft.{session_id}.{problem_id}",
        )

    def monitor(self, name: str) -> int:
        value = self.page.locator("#monitor-status").get_attribute(f"data-{name}")
        return int(value or 0)

    def hide_tab(self, seconds: float) -> None:
        """The candidate switches to another tab for ``seconds`` (see the module docstring)."""
        self.page.evaluate(
            """() => {
                Object.defineProperty(document, 'visibilityState',
                    {configurable: true, get: () => 'hidden'});
                Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
                window.dispatchEvent(new Event('blur'));
                document.dispatchEvent(new Event('visibilitychange'));
            }"""
        )
        self.page.wait_for_timeout(seconds * 1000)
        self.page.evaluate(
            """() => {
                delete document.visibilityState;
                delete document.hidden;
                document.dispatchEvent(new Event('visibilitychange'));
                window.dispatchEvent(new Event('focus'));
            }"""
        )

    def assert_controls_labelled(self) -> None:
        """Every visible control has an accessible name (a label, aria-label or its text)."""
        unlabelled = self.page.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea, button')]
                .filter((el) => el.offsetParent !== null)
                .filter((el) => !((el.labels && el.labels.length)
                    || el.getAttribute('aria-label') || el.textContent.trim()))
                .map((el) => el.outerHTML.slice(0, 80))"""
        )
        assert not unlabelled, f"controls without a label: {unlabelled}"

    def assert_no_script_errors(self) -> None:
        assert not self.errors, f"JavaScript errors on the page: {self.errors}"


def test_whole_exam_from_sign_in_to_final_submit(
    live_asgi_server, qcluster_worker, candidate, timed_exam, page, screenshot, settings
):
    exam_page = ExamPage(page, live_asgi_server, screenshot)
    session_id = exam_page.start(candidate.username, settings.MEDIA_RETENTION_DAYS)
    session = ExamSession.objects.get(pk=session_id)
    assert session.candidate == candidate
    assert session.status == SessionStatus.IN_PROGRESS
    assert session.consent_at is not None
    assert page.locator("#countdown").inner_text().startswith("Time left: ")

    # Write a solution: Enter keeps and extends indentation, Tab indents.
    first = Problem.objects.filter(exam=timed_exam).order_by("order").first()
    editor = page.locator(f"#code-{first.pk} .cm-content")
    editor.focus()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.type("def two_sum(numbers, target):\nseen = {}")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.type("pass")
    code = exam_page.code(session_id, first.pk)
    assert code == "def two_sum(numbers, target):\n    seen = {}\n        pass"
    exam_page.assert_controls_labelled()
    # Tab stays in the editor; Escape then Tab moves on (no keyboard trap).
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert not page.evaluate("document.activeElement.classList.contains('cm-content')")
    assert exam_page.code(session_id, first.pk) == code
    page.get_by_role("button", name="Submit this solution").click()
    page.get_by_text("Version 1 submitted").wait_for()
    exam_page.shot(page, "problem-submitted")

    # Frames reach the worker's analyzers, which see one face.
    from analysis.models import AnalysisResult, MediaItem

    wait_for(
        lambda: AnalysisResult.objects.filter(
            session_id=session_id, kind="frame", status="ok", face_count=1
        ).exists(),
        timeout=90,
        what="an analysed frame with one face",
    )
    assert exam_page.monitor("frames-sent") >= 1
    assert not AnalysisResult.objects.filter(
        session_id=session_id, kind="frame", status="ok", face_count=0
    ).exists()
    wait_for(
        lambda: AnalysisResult.objects.filter(
            session_id=session_id, kind="audio", status="ok"
        ).exists(),
        timeout=60,
        what="an analysed audio chunk",
    )
    # The page's own 16 kHz mono PCM16 WAV chunks, one per audio_chunk_s (3 s here).
    durations = MediaItem.objects.filter(session_id=session_id, kind="audio").values_list(
        "duration_s", flat=True
    )
    assert durations and all(abs(d - 3.0) < 0.05 for d in durations), list(durations)

    # Switching tabs longer than the threshold becomes a tab incident with its duration.
    exam_page.hide_tab(3.5)
    incident = wait_for(
        lambda: Incident.objects.filter(
            session_id=session_id, kind="tab_hidden", ended_at__isnull=False
        ).first(),
        timeout=30,
        what="a closed tab_hidden incident",
    )
    assert incident.source == "browser"
    assert (incident.ended_at - incident.started_at).total_seconds() >= 3

    # Final submit: the confirmation lists what will be submitted; the changed code goes too.
    editor.focus()
    page.keyboard.press("Control+End")
    page.keyboard.type("  # done")
    page.get_by_role("button", name="Finish exam…").click()
    dialog = page.get_by_role("dialog", name="Finish the exam?")
    dialog.wait_for()
    assert "your latest code will be submitted now" in dialog.inner_text()
    exam_page.shot(page, "final-submit-confirmation")
    page.get_by_role("button", name="Yes, finish the exam").click()
    page.get_by_text("Your exam was submitted. Thank you.").wait_for()
    exam_page.shot(page, "finished")

    session.refresh_from_db()
    assert session.status == SessionStatus.SUBMITTED
    final = CodeSubmission.objects.get(session=session, problem=first, is_final=True)
    assert final.code == code + "  # done"
    assert final.version == 2
    assert final.language == "python"
    logs = list(MonitoringLog.objects.filter(session=session).values_list("seq", flat=True))
    assert sorted(logs) == list(range(1, len(logs) + 1)), "event seqs have gaps"
    types = set(MonitoringLog.objects.filter(session=session).values_list("type", flat=True))
    assert {"heartbeat", "tab_hidden", "tab_visible", "camera_on", "mic_on"} <= types
    exam_page.assert_no_script_errors()


def test_enrollment_without_a_face_asks_to_retry(
    live_asgi_server, candidate, timed_exam, launch_browser, screenshot, settings
):
    page = launch_browser(video="noface").new_page()
    exam_page = ExamPage(page, live_asgi_server, screenshot)
    exam_page.sign_in(candidate.username)
    exam_page.system_check()
    exam_page.consent(settings.MEDIA_RETENTION_DAYS)
    page.get_by_role("button", name="Take photos and record my voice").click()
    error = page.locator("#enroll-error")
    error.wait_for(timeout=60000)
    exam_page.shot(page, "identity-check-no-face")
    assert "No face was seen" in error.inner_text()
    assert page.get_by_role("button", name="Take photos and record my voice").is_enabled()
    assert page.get_by_role("button", name="Go to the exam").is_hidden()
    exam_page.assert_no_script_errors()


def test_no_face_video_gives_an_incident_and_termination_reaches_the_page(
    live_asgi_server,
    qcluster_worker,
    candidate,
    proctor,
    timed_exam,
    launch_browser,
    screenshot,
    settings,
):
    # Enrol in front of the camera, then the same candidate's tab comes back with a camera
    # that shows no one (the candidate left): a second browser, same sign-in and session.
    face_page = launch_browser(video="face").new_page()
    exam_page = ExamPage(face_page, live_asgi_server, screenshot)
    session_id = exam_page.start(candidate.username, settings.MEDIA_RETENTION_DAYS)
    storage = face_page.evaluate("JSON.stringify(Object.assign({}, sessionStorage))")
    face_page.context.close()

    empty_context = launch_browser(video="noface").new_context()
    empty_context.add_init_script(
        "if (!sessionStorage.getItem('exam.state')) {"
        f" const saved = {storage};"
        " for (const [k, v] of Object.entries(saved)) sessionStorage.setItem(k, v); }"
    )
    page = empty_context.new_page()
    exam_page = ExamPage(page, live_asgi_server, screenshot)
    exam_page.open()
    page.get_by_role("tab").first.wait_for(timeout=30000)
    exam_page.shot(page, "exam-resumed-no-face")

    incident = wait_for(
        lambda: Incident.objects.filter(session_id=session_id, kind="no_face").first(),
        timeout=120,
        what="a no_face incident from the analysed frames",
    )
    assert incident.source == "analyzer"
    assert incident.evidence, "the no_face incident links no frames"

    reason = "Another person was seen helping the candidate."
    status, body = api_post(
        live_asgi_server,
        f"/api/admin/exam-sessions/{session_id}/terminate",
        {"reason": reason},
        proctor,
    )
    assert status == 200, body
    done = page.locator("#done-text")
    done.wait_for(timeout=10000)
    exam_page.shot(page, "terminated")
    assert "Your exam was ended by the proctor." in done.inner_text()
    assert reason in done.inner_text()
    assert page.locator("#countdown").is_hidden()
    assert page.locator("#step-exam").is_hidden()
    # Monitoring stopped: the camera tracks are released.
    assert page.evaluate(
        "() => document.getElementById('exam-preview').srcObject.getTracks()"
        ".every((t) => t.readyState === 'ended')"
    )
    exam_page.assert_no_script_errors()


def test_reload_in_the_middle_loses_no_events_and_duplicates_none(
    live_asgi_server, qcluster_worker, candidate, timed_exam, page, screenshot, settings
):
    exam_page = ExamPage(page, live_asgi_server, screenshot)
    # The page sends its events through the websocket while that is up; with the socket held
    # unanswered (never "ready") they go over HTTP, whose answers this test can drop.
    page.route_web_socket(re.compile(r"/ws/exam/"), lambda socket: None)
    session_id = exam_page.start(candidate.username, settings.MEDIA_RETENTION_DAYS)
    acks: list[dict] = []

    def record_ack(response) -> None:
        if response.url.endswith("/api/monitoring/data") and response.ok:
            acks.append(response.json())

    page.on("response", record_ack)

    # 1. The server stores a batch but its answer is lost: the page must resend it.
    def store_then_drop(route) -> None:
        route.fetch()
        route.abort("connectionreset")

    page.route("**/api/monitoring/data", store_then_drop)
    page.locator("#code-" + str(timed_exam.problems.order_by("order").first().pk)).focus()
    page.keyboard.type("x = 1")
    page.keyboard.press("Control+a")
    page.keyboard.press("Control+c")
    exam_page.hide_tab(0.5)
    page.wait_for_timeout(1500)
    stored_unacked = exam_page.queue(session_id)["pending"]
    assert stored_unacked, "no event was waiting for its acknowledgement"
    page.unroute("**/api/monitoring/data")

    # 2. The network is gone: events pile up in localStorage only.
    page.route("**/api/monitoring/data", lambda route: route.abort("internetdisconnected"))
    exam_page.hide_tab(0.5)
    page.keyboard.press("Control+c")
    page.wait_for_timeout(1000)
    before_reload = exam_page.queue(session_id)
    exam_page.shot(page, "events-waiting-before-reload")
    created = before_reload["nextSeq"] - 1
    pending = {event["seq"]: event for event in before_reload["pending"]}
    assert len(pending) > len(stored_unacked)

    # 3. Reload mid-exam with the network back.
    page.unroute("**/api/monitoring/data")
    page.reload()
    page.get_by_role("tab").first.wait_for(timeout=30000)
    exam_page.shot(page, "exam-after-reload")
    wait_for(
        lambda: (
            exam_page.queue(session_id)["pending"] == []
            and exam_page.queue(session_id)["nextSeq"] > created + 1
        ),
        timeout=30,
        what="the queue to empty after the reload",
    )

    logs = {
        log.seq: log for log in MonitoringLog.objects.filter(session_id=session_id).order_by("seq")
    }
    assert sorted(logs) == list(range(1, max(logs) + 1)), "events were lost (gaps in seq)"
    assert max(logs) >= created
    for seq, event in pending.items():
        stored = logs[seq]
        assert stored.type == event["type"]
        assert stored.payload == event["payload"]
        assert abs((stored.client_ts - _parse(event["ts"])).total_seconds()) < 0.001
    # The resent batch was recognised as already stored, not stored again under new seqs.
    assert any(ack["duplicates"] for ack in acks), "no resend was answered as a duplicate"
    copies = [log for log in logs.values() if log.type == "copy"]
    assert len(copies) == 2, [(log.seq, log.payload) for log in copies]
    # Two tab switches before the reload; the reload itself hid the old page, and the new one
    # said at once that it is visible again.
    hidden = [log.seq for log in logs.values() if log.type == "tab_hidden"]
    assert len([seq for seq in hidden if seq <= created]) == 2
    assert len(hidden) <= 3
    for seq in hidden:
        following = [log for log in logs.values() if log.seq > seq and log.type == "tab_visible"]
        assert following, f"tab_hidden #{seq} was never followed by tab_visible"
    # Monitoring resumed after the reload: frames again, the session still running.
    frames_before = exam_page.monitor("frames-sent")
    wait_for(lambda: exam_page.monitor("frames-sent") > frames_before, timeout=20, what="frames")
    assert ExamSession.objects.get(pk=session_id).status == SessionStatus.IN_PROGRESS

    # The browser loses its saved queue (storage cleared): its counter restarts at 1, the
    # server refuses those seqs as taken by other events, and the page renumbers after them.
    stored_before = MonitoringLog.objects.filter(session_id=session_id).count()
    page.evaluate("(key) => localStorage.removeItem(key)", f"exam.events.{session_id}")
    exam_page.hide_tab(0.3)
    wait_for(
        lambda: (
            exam_page.queue(session_id)["pending"] == []
            and MonitoringLog.objects.filter(session_id=session_id, type="tab_hidden").count()
            == len(hidden) + 1
        ),
        timeout=30,
        what="the tab switch after the storage loss to be stored",
    )
    seqs = sorted(MonitoringLog.objects.filter(session_id=session_id).values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert len(seqs) >= stored_before + 4
    exam_page.assert_no_script_errors()


def test_events_go_through_the_websocket_while_it_is_up(
    live_asgi_server, candidate, timed_exam, page, screenshot, settings
):
    exam_page = ExamPage(page, live_asgi_server, screenshot)
    sent_frames: list[str] = []
    posts: list[str] = []

    def watch_socket(socket) -> None:
        socket.on("framesent", lambda payload: sent_frames.append(str(payload)))

    def watch_request(request) -> None:
        if "/api/monitoring/data" in request.url:
            posts.append(request.url)

    page.on("websocket", watch_socket)
    page.on("request", watch_request)
    session_id = exam_page.start(candidate.username, settings.MEDIA_RETENTION_DAYS)
    page.locator('#monitor-status[data-live="connected"]').wait_for()
    wait_for(lambda: exam_page.queue(session_id)["pending"] == [], timeout=20, what="no backlog")
    posts_before = len(posts)
    hidden_before = MonitoringLog.objects.filter(session_id=session_id, type="tab_hidden").count()

    exam_page.hide_tab(0.5)
    wait_for(
        lambda: (
            MonitoringLog.objects.filter(session_id=session_id, type="tab_hidden").count()
            == hidden_before + 1
            and exam_page.queue(session_id)["pending"] == []
        ),
        timeout=20,
        what="the tab switch to be stored and acknowledged",
    )
    assert len(posts) == posts_before, "events went over HTTP although the socket was up"
    batches = [json.loads(frame) for frame in sent_frames if '"type":"events"' in frame]
    assert any(event["type"] == "tab_hidden" for batch in batches for event in batch["events"]), (
        "the tab switch did not travel through the websocket"
    )
    seqs = sorted(MonitoringLog.objects.filter(session_id=session_id).values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1)), "events were lost or stored twice"
    exam_page.assert_no_script_errors()


def test_media_refused_for_load_is_retried_in_order_and_none_is_lost(
    live_asgi_server, candidate, timed_exam, page, screenshot, settings
):
    """The server answers the first uploads 503 + Retry-After (what an overloaded process
    says); the page keeps those frames and chunks and sends them again, in capture order."""
    from analysis.models import MediaItem

    refused = {"frames": 0, "audio": 0}
    overloaded = json.dumps(
        {"error": {"code": "overloaded", "message": "busy", "details": {"retry_after": 1}}}
    )

    def overload_first_uploads(route, request) -> None:
        kind = "frames" if "/monitoring/frames" in request.url else "audio"
        if request.method == "POST" and refused[kind] < 3:
            refused[kind] += 1
            route.fulfill(
                status=503,
                headers={"Retry-After": "1", "Content-Type": "application/json"},
                body=overloaded,
            )
            return
        route.continue_()

    page.route(re.compile(r".*/api/monitoring/(frames|audio)(\?.*)?$"), overload_first_uploads)
    # No websocket (it never opens): media goes over HTTP, the path under test here; the same
    # refusals over the socket are answered the same way (test_exam_media_socket_browser.py).
    page.route_web_socket(re.compile(r"/ws/exam/"), lambda socket: None)
    exam_page = ExamPage(page, live_asgi_server, screenshot)
    session_id = exam_page.start(candidate.username, settings.MEDIA_RETENTION_DAYS)
    seen: list[str] = []

    def retried_and_sent() -> bool:
        seen[:] = [
            f"{refused} {page.locator('#monitor-status').get_attribute('data-frames-sent')}"
            f"/{page.locator('#monitor-status').get_attribute('data-audio-sent')} sent"
        ]
        return (
            refused == {"frames": 3, "audio": 3}
            and exam_page.monitor("frames-sent") >= 4
            and exam_page.monitor("audio-sent") >= 2
        )

    try:
        wait_for(retried_and_sent, timeout=150, what="refused uploads retried, later ones sent")
    finally:
        print("media state:", seen, flush=True)
    assert exam_page.monitor("frame-retries") >= 3
    assert exam_page.monitor("audio-retries") >= 3
    assert exam_page.monitor("media-lost") == 0

    def stored_matches_sent() -> bool:
        frames = MediaItem.objects.filter(session_id=session_id, kind="frame").count()
        chunks = MediaItem.objects.filter(session_id=session_id, kind="audio").count()
        sent = (exam_page.monitor("frames-sent"), exam_page.monitor("audio-sent"))
        return (frames, chunks) == sent

    wait_for(stored_matches_sent, timeout=30, what="every frame and chunk the page sent stored")
    for kind in ("frame", "audio"):
        captured = list(
            MediaItem.objects.filter(session_id=session_id, kind=kind)
            .order_by("pk")
            .values_list("captured_at", flat=True)
        )
        assert captured == sorted(captured), f"{kind} uploads arrived out of capture order"
    exam_page.assert_no_script_errors()


def _parse(value: str):
    from django.utils.dateparse import parse_datetime

    parsed = parse_datetime(value)
    return parsed if parsed.tzinfo else timezone.make_aware(parsed)


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="needs REDIS_URL: with the in-memory channel layer a message published by the test "
    "process cannot reach the server process's websockets (CI runs this on Redis)",
)
def test_proctor_warning_is_shown_at_once(
    live_asgi_server, candidate, timed_exam, page, screenshot, settings
):
    from proctoring_site.realtime import session_publish

    exam_page = ExamPage(page, live_asgi_server, screenshot)
    session_id = exam_page.start(candidate.username, settings.MEDIA_RETENTION_DAYS)
    page.wait_for_function(
        "() => document.getElementById('monitor-status').textContent.includes('live link on')"
    )
    message = "Please keep your face in front of the camera."

    def publish() -> None:
        # Playwright's sync API keeps an event loop in this thread, where async_to_sync
        # refuses to run: publish as the dashboard would, from a plain thread.
        from django.db import connection

        session_publish(
            session_id=session_id,
            event="session.warning",
            data={"session_id": session_id, "message": message},
        )
        connection.close()

    sender = threading.Thread(target=publish)
    sender.start()
    sender.join(timeout=10)
    banner = page.get_by_role("alert").filter(has_text="Warning from your proctor")
    banner.wait_for(timeout=10000)
    exam_page.shot(page, "proctor-warning")
    assert message in banner.inner_text()
    page.get_by_role("button", name="Dismiss warning").press("Enter")
    assert banner.is_hidden()
    # A warning does not end anything.
    assert page.get_by_role("tab").first.is_visible()
    assert ExamSession.objects.get(pk=session_id).status == SessionStatus.IN_PROGRESS
    exam_page.assert_no_script_errors()


def test_system_check_explains_a_refused_camera_and_microphone(
    live_asgi_server, candidate, timed_exam, launch_browser, screenshot
):
    page = launch_browser(grant_media=False).new_page()
    exam_page = ExamPage(page, live_asgi_server, screenshot)
    exam_page.sign_in(candidate.username)
    page.get_by_role("button", name="Continue to the system check").click()
    page.get_by_text("The check failed").wait_for()
    exam_page.shot(page, "system-check-refused")
    camera = page.locator('#check-list [data-check="camera"]')
    microphone = page.locator('#check-list [data-check="microphone"]')
    assert camera.get_attribute("data-result") == "fail"
    assert "Problem — Permission to use the camera was denied" in camera.inner_text()
    assert "Permission to use the microphone was denied" in microphone.inner_text()
    assert page.get_by_role("button", name="Continue to consent").is_disabled()
    assert not ExamSession.objects.filter(candidate=candidate).exists()
    exam_page.assert_no_script_errors()


def test_page_modules_encode_audio_and_keep_the_event_queue(live_asgi_server, page):
    """The page's own modules, run in Chromium: WAV encoding, downsampling, the queue."""
    page.goto(f"{live_asgi_server.url}/exam/")
    result = page.evaluate(
        """async () => {
            const media = await import('/static/exam/media.js');
            const { EventQueue } = await import('/static/exam/event-queue.js');
            const out = {};
            const wav = new DataView(await media.encodeWav(new Float32Array(16000)).arrayBuffer());
            const text = (o, n) => String.fromCharCode(
                ...Array.from({length: n}, (_, i) => wav.getUint8(o + i)));
            out.wav = {riff: text(0, 4), wave: text(8, 4), format: wav.getUint16(20, true),
                channels: wav.getUint16(22, true), rate: wav.getUint32(24, true),
                bits: wav.getUint16(34, true), bytes: wav.byteLength};
            for (const rate of [48000, 44100]) {
                const down = new media.Downsampler(rate);
                let length = 0, energy = 0;
                for (let start = 0; start < rate; start += 128) {
                    const block = Float32Array.from({length: 128},
                        (_, i) => 0.5 * Math.sin(2 * Math.PI * 440 * (start + i) / rate));
                    const samples = down.push(block);
                    length += samples.length;
                    for (const s of samples) energy += s * s;
                }
                const fed = Math.ceil(rate / 128) * 128;
                out[rate] = {length, expected: fed * 16000 / rate, rms: Math.sqrt(energy / length)};
            }
            // The queue: seqs persist across instances (a reload); acks remove; errors keep.
            localStorage.clear();
            const answers = [];
            const api = {post: async (path, body) => {
                const next = answers.shift();
                if (next instanceof Error) throw next;
                return next(body);
            }};
            const first = new EventQueue({api, sessionId: 's1'});
            first.push('copy', {length: 3});
            first.push('paste', {length: 9});
            first.stop();
            const second = new EventQueue({api, sessionId: 's1'});
            second.push('heartbeat');
            out.seqs = second.load().pending.map((e) => e.seq);
            const unreachable = Object.assign(new Error('down'), {status: 0});
            answers.push(unreachable);
            second.stopped = false;
            await second.flush();
            out.afterError = second.stats().pending;
            out.errorStats = second.stats();
            answers.push((body) => ({accepted: [1, 3], duplicates: [2], rejected: [],
                highest_contiguous_seq: 3}));
            second.failures = 0;
            await second.flush();
            out.afterAck = second.stats();
            second.stop();
            return out;
        }"""
    )
    assert result["wav"] == {
        "riff": "RIFF",
        "wave": "WAVE",
        "format": 1,
        "channels": 1,
        "rate": 16000,
        "bits": 16,
        "bytes": 44 + 32000,
    }
    for rate in ("48000", "44100"):
        assert abs(result[rate]["length"] - result[rate]["expected"]) <= 1, result[rate]
        # A 440 Hz sine of amplitude 0.5 keeps its level (RMS 0.354) through the filter.
        assert abs(result[rate]["rms"] - 0.354) < 0.01, result[rate]
    assert result["seqs"] == [1, 2, 3]
    assert result["afterError"] == 3
    # A send without an answer is counted (status 0), so the page can say the link is down.
    assert result["errorStats"]["failures"] == 1
    assert result["errorStats"]["lastStatus"] == 0
    assert result["afterAck"] == {
        "pending": 0,
        "nextSeq": 4,
        "acked": 3,
        "failures": 0,
        "lastStatus": None,
    }


def test_time_running_out_keeps_the_latest_code_and_ends_the_exam(
    live_asgi_server, candidate, timed_exam, page, screenshot, settings
):
    # The exam window closes 50 s from now, so the session's deadline is then too.
    timed_exam.ends_at = timezone.now() + timedelta(seconds=50)
    timed_exam.save(update_fields=["ends_at"])
    exam_page = ExamPage(page, live_asgi_server, screenshot)
    session_id = exam_page.start(candidate.username, settings.MEDIA_RETENTION_DAYS)
    second = timed_exam.problems.order_by("order").last()
    page.get_by_role("tab", name=f"2. {second.title}").click()
    page.locator(f"#code-{second.pk} .cm-content").fill("print(list(reversed([1, 2, 3])))\n")
    page.get_by_text("Time is up").or_(page.locator("#done-text")).first.wait_for(timeout=70000)
    done = page.locator("#done-text")
    done.wait_for(timeout=30000)
    exam_page.shot(page, "time-ran-out")
    assert "The time for this exam ran out" in done.inner_text()
    session = ExamSession.objects.get(pk=session_id)
    assert session.status == SessionStatus.EXPIRED
    stored = CodeSubmission.objects.get(session=session, problem=second)
    assert stored.code == "print(list(reversed([1, 2, 3])))\n"
    exam_page.assert_no_script_errors()
