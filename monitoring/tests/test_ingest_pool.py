"""The ingest views under ASGI run in the pooled threads; same answers as everywhere else."""

from __future__ import annotations

import json
import threading

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator

from conftest import access_token_for
from monitoring import ingest_pool
from monitoring.ingest_pool import ingest_pool_close_connections
from monitoring.models import MonitoringLog
from proctoring_site.asgi import application

from .conftest import event

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def post(token: str, body: dict) -> tuple[int, dict]:
    payload = json.dumps(body).encode()
    communicator = HttpCommunicator(
        application,
        "POST",
        "/api/monitoring/data",
        body=payload,
        headers=[
            (b"content-length", str(len(payload)).encode()),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
            (b"host", b"testserver"),
        ],
    )
    response = await communicator.get_response(timeout=10)
    return response["status"], json.loads(response["body"])


async def test_batches_through_the_asgi_pool(
    candidate, other_candidate, session, settings, monkeypatch
):
    settings.MONITORING_INGEST_CONN_MAX_AGE = 300
    threads: list[str] = []
    real_ingest = ingest_pool.events_ingest_many

    def recording_ingest(**kwargs):
        threads.append(threading.current_thread().name)
        return real_ingest(**kwargs)

    monkeypatch.setattr(ingest_pool, "events_ingest_many", recording_ingest)
    token = await database_sync_to_async(access_token_for)(candidate)
    try:
        status, body = await post(token, {"session_id": str(session.pk), "events": [event(1)]})
        assert status == 200, body
        assert body["accepted"] == [1]
        status, body = await post(
            token, {"session_id": str(session.pk), "events": [event(1), event(2)]}
        )
        assert (status, body["accepted"], body["duplicates"]) == (200, [2], [1])
        stranger = await database_sync_to_async(access_token_for)(other_candidate)
        status, body = await post(stranger, {"session_id": str(session.pk), "events": []})
        assert status == 404
        assert body["error"]["code"] == "not_found"
        count = await database_sync_to_async(MonitoringLog.objects.count)()
        assert count == 2
        assert len(threads) == 2
        # Stored by the group-commit writer threads (the 404 never reached the ingest).
        assert all(name.startswith("ingest-writer") for name in threads)
    finally:
        await sync_to_async(ingest_pool_close_connections, thread_sensitive=False)()
