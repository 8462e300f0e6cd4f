"""No input produces a 5xx: the repros of issue 13, each answered with a clear 4xx."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

from monitoring.models import Incident

pytestmark = pytest.mark.django_db
DEEP = "[" * 20_000 + "]" * 20_000
HUGE = "18446744073709551615"


@pytest.mark.parametrize(
    "path",
    ["/api/auth/login", "/api/auth/register", "/api/auth/refresh", "/api/ai-monitoring/analyze"],
)
def test_json_nested_20000_deep_is_400(client_for, candidate, api_client, path) -> None:
    client = client_for(candidate) if "ai-monitoring" in path else api_client
    response = client.post(path, data=DEEP, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


@pytest.mark.parametrize(
    "url",
    [
        f"/api/monitoring/logs?exam_id={HUGE}",
        f"/api/ai-monitoring/stats?exam={HUGE}",
        f"/api/admin/exam-sessions?exam={HUGE}",
        f"/api/ai-monitoring/media/{HUGE}",
        f"/api/submissions/submissions/{HUGE}",
    ],
)
def test_ids_past_64_bits_are_4xx(client_for, proctor, url) -> None:
    response = client_for(proctor).get(url)
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["error"]["code"] in {"invalid", "not_found"}


def test_start_exam_with_a_huge_id_is_4xx(client_for, candidate) -> None:
    response = client_for(candidate).post(
        f"/api/auth/start-exam/{HUGE}", {"exam_id": 1}, format="json"
    )
    assert response.status_code == 404
    body = {"exam_id": int(HUGE)}
    response = client_for(candidate).post(
        f"/api/auth/start-exam/{candidate.pk}", body, format="json"
    )
    assert response.status_code == 400


def test_event_time_before_year_one_in_utc_is_rejected(candidate, session, client_for) -> None:
    event = {"seq": 1, "type": "heartbeat", "ts": "0001-01-01T00:00:00+14:00", "payload": {}}
    response = client_for(candidate).post(
        "/api/monitoring/data", {"session_id": str(session.pk), "events": [event]}, format="json"
    )
    assert response.status_code == 200
    assert [r["code"] for r in response.json()["rejected"]] == ["invalid_ts"]


def test_nul_in_suspicious_activity_details_is_400(candidate, session, client_for) -> None:
    response = client_for(candidate).post(
        "/api/monitoring/suspicious-activity",
        {"session_id": str(session.pk), "kind": "tab_hidden", "details": {"why": "a\u0000b"}},
        format="json",
    )
    assert response.status_code == 400
    assert "details" in response.json()["error"]["details"]["fields"]
    assert not Incident.objects.exists()


def _chunked_post(server_url: str, path: str, total: int, headers: dict[str, str]) -> tuple:
    parts = urlsplit(server_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    chunk = b"x" * (1024 * 1024)

    def body():
        sent = 0
        while sent < total:
            yield chunk
            sent += len(chunk)

    try:
        connection.request("POST", path, body=body(), headers=headers, encode_chunked=True)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    except (BrokenPipeError, ConnectionResetError):
        # The server answered 413 and closed before the whole body was sent.
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


@pytest.mark.integration
def test_chunked_body_without_length_is_413_on_the_live_server(live_asgi_server) -> None:
    status, body = _chunked_post(
        live_asgi_server.url,
        "/api/auth/login",
        50 * 1024 * 1024,
        {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
    )
    assert status == 413
    assert body["error"]["code"] == "payload_too_large"


@pytest.mark.integration
def test_small_chunked_body_is_read_not_ignored(live_asgi_server, candidate) -> None:
    parts = urlsplit(live_asgi_server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    payload = json.dumps({"username": "alice", "password": "wrong-password-1"}).encode()
    connection.request(
        "POST",
        "/api/auth/login",
        body=iter([payload[:10], payload[10:]]),
        headers={"Content-Type": "application/json"},
        encode_chunked=True,
    )
    response = connection.getresponse()
    # Read as a real body: wrong credentials, not "field required".
    assert response.status == 401, response.read()
    connection.close()
