#!/usr/bin/env python
"""Daphne CPU per frame upload: multipart (DRF's parser), the thin HTTP path (the JPEG as the
body) and the exam page's websocket (one binary message, acked after the commit), measured on
one daphne process (production settings, PostgreSQL + Redis) from /proc.

    .venv/bin/python bench/upload_path.py [--uploads 300]   # drops and re-creates its database

Uploads are sent one at a time (HTTP on a keep-alive connection, the websocket on one open
socket), rotating the three paths in blocks of 20 so machine load falls on all alike; the
analysis queue is not consumed (no qcluster). Each upload has its own client id.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from capacity import (  # noqa: E402
    PYTHON,
    Http,
    _cpu_s,
    create_sessions,
    load_media,
    media_message,
    multipart,
    server_env,
)
from ingest import WebSocketClient  # noqa: E402

PATHS = ("multipart", "raw", "websocket")


async def run(port: int, session_id: str, token: str, frame: bytes, uploads: int) -> dict:
    http = Http(port, token)
    socket = WebSocketClient(port, f"/ws/exam/{session_id}/")
    await socket.connect()
    await socket.send_json({"type": "auth", "token": token})
    assert (await socket.receive_json())["event"] == "ready"
    cpu = dict.fromkeys(PATHS, 0.0)
    counts = dict.fromkeys(PATHS, 0)
    answers: dict[str, int] = {}
    number = 0
    for block in range(uploads // 20):
        path_kind = PATHS[block % len(PATHS)]
        before = _cpu_s(run.pid)
        for _ in range(20):
            number += 1
            client_id = f"bench-{number}"
            if path_kind == "multipart":
                body, ctype = multipart(
                    {"session_id": session_id, "client_id": client_id},
                    {"image": ("f.jpg", frame, "image/jpeg")},
                )
                status, _, _ = await http.post("/api/monitoring/frames", body, ctype)
                answer = f"http_{status}"
            elif path_kind == "raw":
                status, _, _ = await http.post(
                    f"/api/monitoring/frames?session_id={session_id}&client_id={client_id}",
                    frame,
                    "image/jpeg",
                )
                answer = f"http_{status}"
            else:
                await socket.send_bytes(media_message("frame", client_id, None, frame))
                reply = await socket.receive_json()
                answer = reply["event"] if reply["event"] != "error" else reply["data"]["code"]
            answers[answer] = answers.get(answer, 0) + 1
        cpu[path_kind] += _cpu_s(run.pid) - before
        counts[path_kind] += 20
    http.close()
    socket.close()
    return {kind: round(cpu[kind] * 1000 / max(1, counts[kind]), 2) for kind in cpu} | {
        "answers": answers
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=300)
    parser.add_argument("--port", type=int, default=8950)
    parser.add_argument("--media", type=Path, default=ROOT.parent / "shared" / "media")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/proctoring_capacity_bench"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--log-dir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    args.secret = secrets.token_urlsafe(48)
    args.workers = 1
    env = server_env(args, tempfile.mkdtemp(prefix="upload-bench-media-"))
    env["ANALYSIS_RATE_MAX_UPLOADS"] = "100000"
    os.environ.update(env)
    # A fresh database: the bench's session uses the exam's only attempt.
    admin = args.database_url.rsplit("/", 1)[0] + "/postgres"
    name = args.database_url.rsplit("/", 1)[1]
    subprocess.run(
        ["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True
    )
    subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    import django

    django.setup()
    from django.db import connection

    media = load_media(args.media)
    [(session_id, token)] = create_sessions(1)
    connection.close()
    server = subprocess.Popen(
        [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(args.port)]
        + ["--access-log", os.devnull, "proctoring_site.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(8)
        run.pid = server.pid
        load = os.getloadavg()[0]
        result = asyncio.run(run(args.port, session_id, token, media.webcam[0], args.uploads))
        print(
            f"daphne CPU ms per frame upload: multipart {result['multipart']}, "
            f"raw body {result['raw']}, websocket {result['websocket']} "
            f"(multipart/websocket {result['multipart'] / result['websocket']:.2f}x, "
            f"raw/websocket {result['raw'] / result['websocket']:.2f}x), "
            f"answers {result['answers']}, load {load:.1f} -> {os.getloadavg()[0]:.1f}"
        )
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
