#!/usr/bin/env python
"""Daphne CPU per frame upload: multipart (DRF's parser) against the thin path (the JPEG as the
body), measured on one daphne process (production settings, PostgreSQL + Redis) from /proc.

    .venv/bin/python bench/upload_path.py [--uploads 200]

Uploads are sent one at a time on a keep-alive connection, alternating the two paths in blocks
of 20 so machine load falls on both alike; the analysis queue is not consumed (no qcluster).
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
    multipart,
    server_env,
)


async def run(port: int, session_id: str, token: str, frame: bytes, uploads: int) -> dict:
    http = Http(port, token)
    cpu = {"multipart": 0.0, "raw": 0.0}
    counts = {"multipart": 0, "raw": 0}
    statuses: dict[int, int] = {}
    for block in range(uploads // 20):
        path_kind = "multipart" if block % 2 == 0 else "raw"
        before = _cpu_s(run.pid)
        for _ in range(20):
            if path_kind == "multipart":
                body, ctype = multipart(
                    {"session_id": session_id}, {"image": ("f.jpg", frame, "image/jpeg")}
                )
                status, _, _ = await http.post("/api/monitoring/frames", body, ctype)
            else:
                status, _, _ = await http.post(
                    f"/api/monitoring/frames?session_id={session_id}", frame, "image/jpeg"
                )
            statuses[status] = statuses.get(status, 0) + 1
        cpu[path_kind] += _cpu_s(run.pid) - before
        counts[path_kind] += 20
    http.close()
    return {kind: round(cpu[kind] * 1000 / max(1, counts[kind]), 2) for kind in cpu} | {
        "statuses": statuses
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=200)
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
            f"raw body {result['raw']} (ratio {result['multipart'] / result['raw']:.2f}x), "
            f"answers {result['statuses']}, load {load:.1f} -> {os.getloadavg()[0]:.1f}"
        )
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
