"""The connection budget: a bounded number of requests in Django at once, 503 + Retry-After
beyond it (never a 500), and a database that refuses connections answered the same way."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator
from django.db import OperationalError

from conftest import access_token_for
from monitoring.ingest_pool import ingest_pool_close_connections
from proctoring_site import db_budget
from proctoring_site.asgi import application
from proctoring_site.db_budget import RequestSlots, request_slots
from proctoring_site.exceptions import api_exception_handler

FRAME = Path(__file__).resolve().parents[2] / "analysis" / "tests" / "media" / "grace_hopper.jpg"


def _request(app, path: str = "/api/auth/me", **kwargs) -> HttpCommunicator:
    return HttpCommunicator(app, "GET", path, headers=[(b"host", b"testserver")], **kwargs)


def test_request_slots_are_what_the_pools_leave_of_the_budget(settings) -> None:
    settings.DB_CONNECTIONS_PER_PROCESS = 16
    settings.MONITORING_INGEST_THREADS = 4
    settings.MONITORING_INGEST_WRITERS = 2
    settings.MONITORING_INGEST_CONN_MAX_AGE = 300
    assert request_slots() == 16 - 4 - 2 - 1
    settings.MONITORING_INGEST_CONN_MAX_AGE = 0  # no pool: its views use request slots too
    assert request_slots() == 16 - 1


@pytest.mark.asyncio
async def test_a_request_beyond_the_slots_gets_503_with_retry_after(settings) -> None:
    settings.DB_CONNECTIONS_PER_PROCESS = 1 + db_budget.fixed_connections()
    settings.ASGI_REQUEST_WAIT_S = 0.05
    settings.OVERLOAD_RETRY_AFTER_S = 3
    inside = asyncio.Event()
    release = asyncio.Event()
    entered: list[str] = []

    async def slow_app(scope, receive, send) -> None:
        entered.append(scope["path"])
        inside.set()
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    limiter = RequestSlots(slow_app)
    first = _request(limiter)
    await first.send_input({"type": "http.request", "body": b""})
    await inside.wait()
    assert limiter.in_use == 1

    refused = await _request(limiter).get_response(timeout=5)
    assert refused["status"] == 503
    headers = dict(refused["headers"])
    assert headers[b"retry-after"] == b"3"
    body = json.loads(refused["body"])
    assert body["error"]["code"] == "overloaded"
    assert body["error"]["details"] == {"retry_after": 3}
    assert limiter.refused == 1
    assert entered == ["/api/auth/me"]  # the refused one never reached the application

    static = _request(limiter, "/static/exam/app.js")  # no database: never waits
    await static.send_input({"type": "http.request", "body": b""})
    await asyncio.sleep(0)
    release.set()
    assert (await first.get_response(timeout=5))["status"] == 200
    assert (await static.get_response(timeout=5))["status"] == 200
    assert entered == ["/api/auth/me", "/static/exam/app.js"]

    again = await _request(limiter).get_response(timeout=5)  # the slot was given back
    assert again["status"] == 200
    assert limiter.in_use == 0


def test_asgi_application_runs_http_through_the_request_slots() -> None:
    http = application.application_mapping["http"]
    assert isinstance(http, RequestSlots)


@pytest.mark.parametrize(
    "message",
    [
        "FATAL:  sorry, too many clients already",
        "FATAL:  remaining connection slots are reserved for non-replication superuser",
    ],
)
def test_a_database_refusing_connections_is_503_not_500(settings, message) -> None:
    settings.OVERLOAD_RETRY_AFTER_S = 2
    response = api_exception_handler(OperationalError(message), {})
    assert response is not None
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response.data["error"]["code"] == "database_busy"


def test_other_database_errors_stay_errors() -> None:
    assert api_exception_handler(OperationalError("no such column: x"), {}) is None


async def _post_frame(token: str, session_id: str) -> dict:
    boundary = "capacity-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="session_id"\r\n\r\n'
            f'{session_id}\r\n--{boundary}\r\nContent-Disposition: form-data; name="frame"; '
            'filename="frame.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        + FRAME.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    communicator = HttpCommunicator(
        application,
        "POST",
        "/api/monitoring/frames",
        body=body,
        headers=[
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
            (b"content-length", str(len(body)).encode()),
        ],
    )
    return await communicator.get_response(timeout=20)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_uploads_run_in_the_ingest_pool_and_a_full_pool_answers_503(
    candidate, session, settings
) -> None:
    settings.MONITORING_INGEST_CONN_MAX_AGE = 300
    settings.OVERLOAD_RETRY_AFTER_S = 4
    token = await database_sync_to_async(access_token_for)(candidate)
    try:
        accepted = await _post_frame(token, str(session.pk))
        assert accepted["status"] == 202, accepted["body"]
        settings.MONITORING_INGEST_QUEUE_MAX = 0
        refused = await _post_frame(token, str(session.pk))
        assert refused["status"] == 503
        headers = {name.lower(): value for name, value in refused["headers"]}
        assert headers[b"retry-after"] == b"4"
        assert json.loads(refused["body"])["error"]["code"] == "overloaded"
    finally:
        await database_sync_to_async(ingest_pool_close_connections)()


@pytest.mark.django_db
def test_health_reports_queue_depth_ack_latency_and_analysis_lag(client) -> None:
    from proctoring_site.metrics import ack_latency_observe

    ack_latency_observe(0.020)
    capacity = client.get("/health/").json()["capacity"]
    assert capacity["request_slots"]["slots"] == request_slots()
    assert capacity["analysis"]["queue_depth"] >= 0
    assert "last_upload_to_result_s" in capacity["analysis"]
    assert capacity["ingest"] == {"pool_pending": 0, "writer_queued": 0}
    assert capacity["ws_ack"]["count"] >= 1


@pytest.mark.django_db
def test_metrics_in_prometheus_format_and_token_protected(client, settings) -> None:
    body = client.get("/metrics").content.decode()
    assert "proctoring_ws_ack_seconds_bucket" in body
    assert "proctoring_analysis_queue_depth" in body
    assert "proctoring_request_slots_slots" in body
    settings.METRICS_TOKEN = "s3cret-metrics"
    assert client.get("/metrics").status_code == 401
    allowed = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics")
    assert allowed.status_code == 200
