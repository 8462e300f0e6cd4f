"""The exam page sends its frames and audio chunks over the session's websocket (binary
messages) while it is up, and over the raw-body HTTP upload when it is not: real Chromium with
a fake camera and microphone, against a live daphne on the test database."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlparse

import pytest

from analysis.models import MediaItem
from review.tests.test_exam_page_browser import TEST_POLICY, ExamPage, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]

MEDIA_POST = re.compile(r".*/api/monitoring/(frames|audio)(\?.*)?$")


@pytest.fixture
def timed_exam(exam):  # noqa: ANN001, ANN201
    exam.policy = TEST_POLICY  # a frame a second, 3 s chunks
    exam.save(update_fields=["policy"])
    return exam


def media_header(payload: bytes) -> dict:
    size = int.from_bytes(payload[:2], "big")
    return json.loads(payload[2 : 2 + size])


def stored(session_id: str) -> list[str]:
    items = MediaItem.objects.filter(session_id=session_id, kind__in=("frame", "audio"))
    return list(items.values_list("client_id", flat=True))


def test_frames_and_chunks_go_over_the_socket_while_it_is_up(
    live_asgi_server, candidate, timed_exam, page, screenshot, settings
):
    exam_page = ExamPage(page, live_asgi_server, screenshot)
    binary: list[dict] = []
    posts: list[str] = []

    def watch_socket(socket) -> None:  # noqa: ANN001
        def sent(payload) -> None:  # noqa: ANN001
            if isinstance(payload, bytes):
                binary.append(media_header(payload))

        socket.on("framesent", sent)

    page.on("websocket", watch_socket)
    page.on("request", lambda r: posts.append(r.url) if MEDIA_POST.match(r.url) else None)
    session_id = exam_page.start(candidate.username, settings.MEDIA_RETENTION_DAYS)
    page.locator('#monitor-status[data-live="connected"]').wait_for()
    wait_for(
        lambda: exam_page.monitor("frames-sent") >= 4 and exam_page.monitor("audio-sent") >= 2,
        timeout=60,
        what="frames and chunks sent",
    )
    assert posts == [], f"media went over HTTP although the socket was up: {posts}"
    kinds = {header["type"] for header in binary}
    assert kinds == {"frame", "audio"}, binary
    assert exam_page.monitor("media-via-http") == 0
    assert exam_page.monitor("media-via-socket") >= 6

    def stored_matches_sent() -> bool:
        sent = exam_page.monitor("frames-sent") + exam_page.monitor("audio-sent")
        return len(stored(session_id)) == sent and exam_page.monitor("media-pending") == 0

    wait_for(stored_matches_sent, timeout=30, what="every item the page sent stored")
    ids = stored(session_id)
    assert len(ids) == len(set(ids)), "an item was stored twice"
    assert set(ids) <= {header["id"] for header in binary}
    for kind in ("frame", "audio"):
        captured = list(
            MediaItem.objects.filter(session_id=session_id, kind=kind)
            .order_by("pk")
            .values_list("captured_at", flat=True)
        )
        assert captured == sorted(captured), f"{kind} items stored out of capture order"
    exam_page.assert_no_script_errors()


def test_a_failing_socket_falls_back_to_http_and_nothing_is_stored_twice(
    live_asgi_server, candidate, timed_exam, page, screenshot, settings
):
    """The socket stores the media but its acks are lost (a connection that dies after the
    server has the message): the page waits for the ack, then sends the same items over HTTP
    with the same client ids, and the server answers them as duplicates. Then the socket is
    closed under the page: media goes on (HTTP while it is down, the socket once back), and
    nothing is lost."""
    exam_page = ExamPage(page, live_asgi_server, screenshot)
    state = {"drop_acks": 0, "dropped": [], "sockets": []}
    http: list[tuple[str, int, object]] = []

    def route(socket) -> None:  # noqa: ANN001
        server = socket.connect_to_server()
        state["sockets"].append(socket)

        def from_server(message) -> None:  # noqa: ANN001
            if state["drop_acks"] and isinstance(message, str) and '"media.ack"' in message:
                state["drop_acks"] -= 1
                state["dropped"].append(json.loads(message)["data"]["id"])
                return
            socket.send(message)

        server.on_message(from_server)

    def watch_response(response) -> None:  # noqa: ANN001
        if MEDIA_POST.match(response.url) and response.request.method == "POST":
            client_id = parse_qs(urlparse(response.url).query).get("client_id", [""])[0]
            http.append((client_id, response.status, response))

    page.route_web_socket(re.compile(r"/ws/exam/"), route)
    page.on("response", watch_response)
    session_id = exam_page.start(candidate.username, settings.MEDIA_RETENTION_DAYS)
    page.locator('#monitor-status[data-live="connected"]').wait_for()
    wait_for(
        lambda: exam_page.monitor("media-via-socket") >= 2, timeout=60, what="media on the socket"
    )

    # Two acks lost: those two items were stored by the socket, then resent over HTTP.
    state["drop_acks"] = 2
    try:
        wait_for(
            lambda: (
                page.wait_for_timeout(200) is None  # Playwright delivers the routes' events
                and len(state["dropped"]) == 2
                and {cid for cid, _, _ in http} >= set(state["dropped"])
            ),
            timeout=60,
            what="the items whose acks were lost resent over HTTP",
        )
    finally:
        print("dropped", state["dropped"], "http", [(c, s) for c, s, _ in http], flush=True)
    for client_id in state["dropped"]:
        answers = [(status, r.json()) for cid, status, r in http if cid == client_id]
        assert answers[0][0] == 200 and answers[0][1]["duplicate"] is True, answers
    # Media after the fallback goes over the socket again (it stayed up).
    via_socket = exam_page.monitor("media-via-socket")
    wait_for(
        lambda: exam_page.monitor("media-via-socket") > via_socket,
        timeout=30,
        what="media back on the socket",
    )

    # The socket closed under the page: it reconnects, and no item is lost meanwhile.
    sent_before = exam_page.monitor("frames-sent")
    state["sockets"][-1].close(code=1011, reason="test")
    page.locator('#monitor-status[data-live="connected"]').wait_for()
    wait_for(
        lambda: page.wait_for_timeout(200) is None and len(state["sockets"]) >= 2,
        timeout=30,
        what="a reconnect",
    )
    wait_for(
        lambda: exam_page.monitor("frames-sent") >= sent_before + 3,
        timeout=60,
        what="frames after the reconnect",
    )

    def stored_matches_sent() -> bool:
        sent = exam_page.monitor("frames-sent") + exam_page.monitor("audio-sent")
        return len(stored(session_id)) == sent and exam_page.monitor("media-pending") == 0

    wait_for(stored_matches_sent, timeout=30, what="every item the page sent stored once")
    ids = stored(session_id)
    assert len(ids) == len(set(ids)) and "" not in ids
    assert exam_page.monitor("media-lost") == 0
    exam_page.assert_no_script_errors()
