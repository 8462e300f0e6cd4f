#!/usr/bin/env python
"""Does the synchronous analyze endpoint starve the server? ``/api/auth/me`` latency idle and
while ``--threads`` clients call ``POST /api/ai-monitoring/analyze`` as fast as they can.

Starts one daphne (local settings, DEBUG off) on a throw-away SQLite database, signs one
candidate in, measures ``/api/auth/me`` sequentially for ``--duration`` seconds idle, then
again while the analyze threads run (one real frame from ../shared/media each call). Prints
p50/p95 of ``me`` in both phases, their ratio, and the analyze answers by status (200 done,
429 refused by the per-user limit or the concurrency gate).

    .venv/bin/python bench/analyze_starvation.py --threads 8 --duration 10
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRAME = (
    ROOT.parent / "shared" / "media" / "A_single_frontal_face" / "a01_pyfeat_webcam_frame000.jpg"
)


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _call(url: str, body: dict | None = None, token: str = "") -> tuple[int, float]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, (time.perf_counter() - started) * 1000


def _me_latencies(base: str, token: str, seconds: float) -> list[float]:
    out = []
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        status, ms = _call(f"{base}/api/auth/me", token=token)
        assert status == 200, status
        out.append(ms)
    return out


def _summary(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[int(0.95 * (len(values) - 1))]
    return f"n={len(values)} p50={statistics.median(values):.0f} ms p95={p95:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-analyze-"))
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="proctoring_site.settings.local",
        DEBUG="0",
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        MEDIA_ROOT=str(folder / "media"),
        SECRET_KEY=secrets.token_urlsafe(50),
        LOG_LEVEL="WARNING",
    )
    env.pop("REDIS_URL", None)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [
            python,
            "manage.py",
            "shell",
            "-c",
            "from accounts.services import candidate_register as r; "
            "r(username='bench', email='bench@example.com', password='bench-pass-12345', "
            "full_name='Bench')",
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    port = _port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(  # noqa: S603
        [
            python,
            "-m",
            "daphne",
            "--access-log",
            "/dev/null",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "proctoring_site.asgi:application",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/health/", timeout=2)  # noqa: S310
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.5)
        login = {"username": "bench", "password": "bench-pass-12345"}
        request = urllib.request.Request(  # noqa: S310
            f"{base}/api/auth/login",
            json.dumps(login).encode(),
            {"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:  # noqa: S310
            token = json.loads(response.read())["access"]
        image = base64.b64encode(FRAME.read_bytes()).decode()
        _call(f"{base}/api/ai-monitoring/analyze", {"image": image}, token)  # load the models

        idle = _me_latencies(base, token, args.duration)
        statuses: Counter[int] = Counter()
        stop = threading.Event()

        def hammer() -> None:
            while not stop.is_set():
                status, _ = _call(f"{base}/api/ai-monitoring/analyze", {"image": image}, token)
                statuses[status] += 1

        threads = [threading.Thread(target=hammer) for _ in range(args.threads)]
        for thread in threads:
            thread.start()
        loaded = _me_latencies(base, token, args.duration)
        stop.set()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"load average: {os.getloadavg()[0]:.1f}")
    print(f"/api/auth/me idle:            {_summary(idle)}")
    print(f"/api/auth/me under analyze:   {_summary(loaded)}")
    print(f"p50 ratio loaded/idle: {statistics.median(loaded) / statistics.median(idle):.1f}x")
    print(f"analyze answers in {args.duration:.0f} s from {args.threads} threads: {dict(statuses)}")


if __name__ == "__main__":
    main()
