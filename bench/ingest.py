#!/usr/bin/env python
"""Ingest benchmark: N simulated exam pages against a production-like server.

Starts ``--workers`` daphne processes (production settings, DEBUG off) on 127.0.0.1 against
PostgreSQL and Redis, creates N candidates with running sessions, then every simulated page
sends a heartbeat every ``--interval`` seconds (1) and, with every ``--batch-every``-th (5th)
message, five more events, for ``--duration`` seconds: over its ``ws/exam/<session>/`` socket
(``--transport ws``, what the exam page uses while the socket is up; all pages connect and
authenticate first, then the timed run starts) or as ``POST /api/monitoring/data`` on a
keep-alive connection (``--transport http``, the page's fallback). Pages are spread over the
workers round-robin.

Prints messages (requests)/s, stored events/s, p50/p95/p99/max latency (send -> ack), p99 per
5 s of the run, connect+auth latency (ws), errors, and lost events (events sent minus rows
stored for those sessions). Bounded: at most 2000 pages and 120 s per step.

    .venv/bin/python bench/ingest.py --candidates 500,650,800,1000 --duration 20
    .venv/bin/python bench/ingest.py --candidates 100,150 --duration 20 --transport http
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
MAX_CANDIDATES = 2000
MAX_DURATION = 120


def _server_env(args: argparse.Namespace, secret: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "proctoring_site.settings.production",
            "SECRET_KEY": secret,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "DB_CONN_MAX_AGE": str(args.conn_max_age),
            "LOG_LEVEL": "WARNING",
            "CHANNELS_PREFIX": "bench",
            "CACHE_KEY_PREFIX": "bench",
        }
    )
    return env


def _psql(sql: str, args: argparse.Namespace) -> None:
    admin_url = args.database_url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin_url, "-qc", sql], check=True, capture_output=True)


def prepare_database(args: argparse.Namespace, env: dict[str, str]) -> None:
    name = args.database_url.rsplit("/", 1)[1]
    if not args.keep_db:
        _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', args)
        _psql(f'CREATE DATABASE "{name}"', args)
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )


def start_servers(args: argparse.Namespace, env: dict[str, str]) -> list[subprocess.Popen]:
    servers = []
    for i in range(args.workers):
        port = args.base_port + i
        servers.append(
            subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "daphne",
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "--access-log",
                    os.devnull,
                    "proctoring_site.asgi:application",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=open(args.log_dir / f"ingest-bench-server-{port}.log", "w"),  # noqa: SIM115
            )
        )
    deadline = time.monotonic() + 60
    for i in range(args.workers):
        url = f"http://127.0.0.1:{args.base_port + i}/health/"
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):  # noqa: S310
                    break
            except urllib.error.HTTPError:
                break  # it answers; a 503 only says no worker runs, which this bench needs not
            except OSError:
                pass
            if time.monotonic() > deadline:
                stop_servers(servers)
                raise SystemExit(f"server on port {args.base_port + i} did not start")
            time.sleep(0.3)
    return servers


def stop_servers(servers: list[subprocess.Popen]) -> None:
    for server in servers:
        server.terminate()
    for server in servers:
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def create_sessions(count: int) -> list[tuple[str, str]]:
    """(session id, access token) for ``count`` candidates, each with a fresh running session."""
    from django.utils import timezone

    from accounts.models import CandidateProfile, User
    from accounts.tokens import RevocableAccessToken as AccessToken
    from exams.lifecycle import ACTIVE_STATUSES
    from exams.models import Exam, ExamSession
    from exams.services import session_start

    exam, _ = Exam.objects.get_or_create(
        title="Ingest benchmark", defaults={"duration_minutes": 600}
    )
    existing = {u.username: u for u in User.objects.filter(username__startswith="bench-")}
    missing = [f"bench-{i:05d}" for i in range(count) if f"bench-{i:05d}" not in existing]
    if missing:
        users = User.objects.bulk_create(
            [User(username=name, email=f"{name}@bench.invalid") for name in missing]
        )
        CandidateProfile.objects.bulk_create(
            [CandidateProfile(user=user, full_name=user.username) for user in users]
        )
        existing.update({user.username: user for user in users})
    # Earlier runs' sessions are closed so each step starts clean.
    ExamSession.objects.filter(exam=exam, status__in=ACTIVE_STATUSES).update(status="expired")
    out = []
    for i in range(count):
        user = existing[f"bench-{i:05d}"]
        session, _token = session_start(candidate=user, exam=exam, consent=True)
        out.append((str(session.pk), str(AccessToken.for_user(user))))
    # Starting hundreds of sessions takes a while; as far as liveness goes they all start now
    # (otherwise the first batch of the early ones would rightly record an offline silence).
    ExamSession.objects.filter(pk__in=[sid for sid, _ in out]).update(started_at=timezone.now())
    return out


def stored_rows(session_ids: list[str]) -> int:
    from monitoring.models import MonitoringLog

    return MonitoringLog.objects.filter(session_id__in=session_ids).count()


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    connect_latencies: list[float] = field(default_factory=list)
    answered_at: list[float] = field(default_factory=list)
    requests: int = 0
    events_sent: int = 0
    events_accepted: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    started: float = 0.0

    def record(self, latency: float) -> None:
        self.latencies.append(latency)
        self.answered_at.append(time.monotonic())

    def windows(self, started: float, width: float) -> list[str]:
        """p99 per ``width`` seconds of the run: a tail at the start is a warm-up."""
        buckets: dict[int, list[float]] = {}
        for at, latency in zip(self.answered_at, self.latencies, strict=True):
            buckets.setdefault(int((at - started) // width), []).append(latency * 1000)
        return [
            f"{int(k * width)}-{int((k + 1) * width)}s:{percentile(v, 0.99):.0f}"
            for k, v in sorted(buckets.items())
        ]

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


class KeepAliveClient:
    """A minimal HTTP/1.1 client on one keep-alive connection (no extra dependency)."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def post_json(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None or self.writer.is_closing():
            await self._connect()
        assert self.reader is not None and self.writer is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Authorization: Bearer {self.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        await self.writer.drain()
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                key, value = line.split(":", 1)
                headers[key.strip().lower()] = value.strip()
        if "content-length" in headers:
            payload = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                if size == 0:
                    await self.reader.readline()
                    break
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readline()
            payload = b"".join(chunks)
        else:
            payload = await self.reader.read()
        if headers.get("connection", "").lower() == "close":
            self.writer.close()
        return status, payload

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class WebSocketClient:
    """A minimal RFC 6455 client (text and binary frames, masked as clients must; no extra
    dependency)."""

    def __init__(self, port: int, path: str) -> None:
        self.port = port
        self.path = path
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        key = base64.b64encode(os.urandom(16)).decode()
        self.writer.write(
            (
                f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: http://127.0.0.1:{self.port}\r\n\r\n"
            ).encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(head.split(b"\r\n", 1)[0].decode("latin-1"))

    async def send_json(self, value: object) -> None:
        await self.send_frame(json.dumps(value).encode(), opcode=0x1)

    async def send_bytes(self, data: bytes) -> None:
        await self.send_frame(data, opcode=0x2)

    async def send_frame(self, data: bytes, *, opcode: int) -> None:
        assert self.writer is not None
        size = len(data)
        if size < 126:
            header = bytes([0x80 | opcode, 0x80 | size])
        elif size < 65536:
            header = bytes([0x80 | opcode, 0x80 | 126]) + size.to_bytes(2, "big")
        else:
            header = bytes([0x80 | opcode, 0x80 | 127]) + size.to_bytes(8, "big")
        mask = os.urandom(4)
        stretched = (mask * (size // 4 + 1))[:size]
        masked = (int.from_bytes(data, "big") ^ int.from_bytes(stretched, "big")).to_bytes(
            size, "big"
        )
        self.writer.write(header + mask + masked)
        await self.writer.drain()

    async def receive_json(self) -> dict:
        assert self.reader is not None
        while True:
            first, second = await self.reader.readexactly(2)
            opcode, size = first & 0x0F, second & 0x7F
            if size == 126:
                size = int.from_bytes(await self.reader.readexactly(2), "big")
            elif size == 127:
                size = int.from_bytes(await self.reader.readexactly(8), "big")
            payload = await self.reader.readexactly(size)
            if opcode == 0x8:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                raise ConnectionError(f"closed {code}")
            if opcode == 0x1:
                return json.loads(payload)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _iso_now() -> str:
    return datetime.now(UTC).isoformat()


async def candidate_loop(
    index: int,
    session_id: str,
    token: str,
    args: argparse.Namespace,
    stats: Stats,
    stop_at: float,
    sent_seqs: dict[str, int],
) -> None:
    client = KeepAliveClient(args.base_port + index % args.workers, token)
    seq = 0
    tick = 0
    # Spread the pages over the first interval so they do not all fire together.
    await asyncio.sleep((index / max(1, args.candidates_now)) % 1.0 * args.interval)
    next_at = time.monotonic()
    try:
        while time.monotonic() < stop_at:
            tick += 1
            seq, events = _page_events(seq, tick, args.batch_every)
            body = json.dumps({"session_id": session_id, "events": events}).encode()
            started = time.perf_counter()
            try:
                status, payload = await asyncio.wait_for(
                    client.post_json("/api/monitoring/data", body), timeout=args.timeout
                )
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                stats.error(type(exc).__name__)
                client.close()
                client = KeepAliveClient(client.port, token)
            else:
                stats.record(time.perf_counter() - started)
                if status == 200:
                    stats.events_accepted += len(json.loads(payload)["accepted"])
                else:
                    stats.error(f"http_{status}")
            stats.requests += 1
            stats.events_sent += len(events)
            sent_seqs[session_id] = seq
            next_at += args.interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    finally:
        client.close()


def _page_events(seq: int, tick: int, batch_every: int) -> tuple[int, list[dict]]:
    """A heartbeat each second and, every ``batch_every`` seconds, five more events."""
    seq += 1
    events = [{"seq": seq, "type": "heartbeat", "ts": _iso_now(), "payload": {}}]
    if tick % batch_every == 0:
        for kind, payload in (
            ("tab_hidden", {}),
            ("tab_visible", {}),
            ("copy", {"size": 12}),
            ("paste", {"size": 40}),
            ("editor_activity", {"keys": 37, "problem": 1}),
        ):
            seq += 1
            events.append({"seq": seq, "type": kind, "ts": _iso_now(), "payload": payload})
    return seq, events


async def page_connect_ws(
    index: int, session_id: str, token: str, args: argparse.Namespace, stats: Stats
) -> WebSocketClient | None:
    """Open and authenticate one page's ``ws/exam/<session>/`` socket (spread over a second)."""
    port = args.base_port + index % args.workers
    await asyncio.sleep((index / max(1, args.candidates_now)) % 1.0)
    client = WebSocketClient(port, f"/ws/exam/{session_id}/")
    started = time.perf_counter()
    try:
        await asyncio.wait_for(client.connect(), timeout=args.connect_timeout)
        await client.send_json({"type": "auth", "token": token})
        ready = await asyncio.wait_for(client.receive_json(), timeout=args.connect_timeout)
        if ready.get("event") != "ready":
            raise ConnectionError(f"not ready: {ready}")
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
        stats.error(f"connect_{type(exc).__name__}: {str(exc)[:80]}")
        client.close()
        return None
    stats.connect_latencies.append(time.perf_counter() - started)
    return client


async def candidate_loop_ws(
    index: int,
    session_id: str,
    client: WebSocketClient,
    args: argparse.Namespace,
    stats: Stats,
    stop_at: float,
    sent_seqs: dict[str, int],
) -> None:
    """The same page over its socket: a message per tick, each answered by an ack."""
    await asyncio.sleep((index / max(1, args.candidates_now)) % 1.0 * args.interval)
    seq = 0
    tick = 0
    next_at = time.monotonic()
    try:
        while time.monotonic() < stop_at:
            tick += 1
            seq, events = _page_events(seq, tick, args.batch_every)
            started = time.perf_counter()
            try:
                await client.send_json({"type": "events", "id": tick, "events": events})
                reply = await asyncio.wait_for(client.receive_json(), timeout=args.timeout)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                stats.error(type(exc).__name__)
                stats.requests += 1
                stats.events_sent += len(events)
                sent_seqs[session_id] = seq
                break
            stats.record(time.perf_counter() - started)
            if reply.get("event") == "ack":
                stats.events_accepted += len(reply["data"]["accepted"])
            else:
                stats.error(f"ws_{reply.get('data', {}).get('code', reply.get('event'))}")
            stats.requests += 1
            stats.events_sent += len(events)
            sent_seqs[session_id] = seq
            next_at += args.interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    finally:
        client.close()


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run_step(
    args: argparse.Namespace, sessions: list[tuple[str, str]]
) -> tuple[Stats, float, dict[str, int]]:
    stats = Stats()
    sent: dict[str, int] = {}
    if args.transport == "ws":
        # Every page connects first (an exam's start); the timed run begins once all did.
        clients = await asyncio.gather(
            *(
                page_connect_ws(i, sid, token, args, stats)
                for i, (sid, token) in enumerate(sessions)
            )
        )
        started = stats.started = time.monotonic()
        stop_at = started + args.duration
        await asyncio.gather(
            *(
                candidate_loop_ws(i, sid, client, args, stats, stop_at, sent)
                for i, ((sid, _token), client) in enumerate(zip(sessions, clients, strict=True))
                if client is not None
            )
        )
    else:
        started = stats.started = time.monotonic()
        stop_at = started + args.duration
        await asyncio.gather(
            *(
                candidate_loop(i, sid, token, args, stats, stop_at, sent)
                for i, (sid, token) in enumerate(sessions)
            )
        )
    return stats, time.monotonic() - started, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", default="100", help="N, or a list N1,N2,... of steps")
    parser.add_argument("--duration", type=int, default=20, help="seconds per step")
    parser.add_argument(
        "--interval",
        type=float,
        default=1.0,
        help="seconds between a page's messages (the exam page's heartbeat is 10 s)",
    )
    parser.add_argument(
        "--batch-every", type=int, default=5, help="every Nth message carries five more events"
    )
    parser.add_argument("--workers", type=int, default=2, help="daphne processes")
    parser.add_argument(
        "--transport",
        choices=["http", "ws"],
        default="ws",
        help="POST /api/monitoring/data per tick, or one ws/exam/<session>/ socket per page",
    )
    parser.add_argument("--base-port", type=int, default=8710)
    parser.add_argument("--timeout", type=float, default=10.0, help="request timeout (s)")
    parser.add_argument(
        "--connect-timeout", type=float, default=30.0, help="websocket connect+auth timeout (s)"
    )
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/proctoring_ingest_bench",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/1")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=0,
        help="DB_CONN_MAX_AGE of the servers (0: Django's advice under ASGI)",
    )
    parser.add_argument("--keep-db", action="store_true", help="do not recreate the database")
    parser.add_argument(
        "--log-dir",
        type=Path,
        default=Path("/tmp"),  # noqa: S108 - logs only, named per port
        help="server logs go here",
    )
    args = parser.parse_args()
    steps = [int(n) for n in args.candidates.split(",")]
    if max(steps) > MAX_CANDIDATES or args.duration > MAX_DURATION:
        raise SystemExit(f"bounded: at most {MAX_CANDIDATES} candidates, {MAX_DURATION} s")

    secret = secrets.token_urlsafe(48)
    env = _server_env(args, secret)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    prepare_database(args, env)
    import django

    django.setup()
    from django.db import connection

    servers = start_servers(args, env)
    results = []
    try:
        for count in steps:
            args.candidates_now = count
            sessions = create_sessions(count)
            connection.close()
            load_before = os.getloadavg()[0]
            stats, elapsed, sent = asyncio.run(run_step(args, sessions))
            load_after = os.getloadavg()[0]
            time.sleep(0.5)  # let the last responses' transactions settle
            rows = stored_rows([sid for sid, _ in sessions])
            sent_total = sum(sent.values())
            lat = [v * 1000 for v in stats.latencies]
            result = {
                "candidates": count,
                "workers": args.workers,
                "duration_s": round(elapsed, 1),
                "requests": stats.requests,
                "requests_per_s": round(stats.requests / elapsed, 1),
                "events_sent": sent_total,
                "events_stored_per_s": round(rows / elapsed, 1),
                "p50_ms": round(percentile(lat, 0.50), 1),
                "p95_ms": round(percentile(lat, 0.95), 1),
                "p99_ms": round(percentile(lat, 0.99), 1),
                "max_ms": round(max(lat), 1) if lat else None,
                "mean_ms": round(statistics.fmean(lat), 1) if lat else None,
                "errors": sum(stats.errors.values()),
                "error_kinds": stats.errors,
                "lost_events": sent_total - rows,
                "loadavg_1m_before_after": [round(load_before, 2), round(load_after, 2)],
            }
            result["p99_ms_per_5s"] = stats.windows(stats.started, 5.0)
            if stats.connect_latencies:
                connect = [v * 1000 for v in stats.connect_latencies]
                result["connect_p50_ms"] = round(percentile(connect, 0.50), 1)
                result["connect_p99_ms"] = round(percentile(connect, 0.99), 1)
                result["connect_max_ms"] = round(max(connect), 1)
            results.append(result)
            result["transport"] = args.transport
            print(
                f"{args.transport:4s} N={count:5d} workers={args.workers} "
                f"{result['requests_per_s']:7.1f} req/s "
                f"{result['events_stored_per_s']:7.1f} events/s  p50={result['p50_ms']} ms "
                f"p95={result['p95_ms']} ms p99={result['p99_ms']} ms max={result['max_ms']} ms "
                f"errors={result['errors']} {stats.errors or ''} lost={result['lost_events']} "
                f"load={load_before:.1f}->{load_after:.1f}"
                + (
                    f" connect p50={result['connect_p50_ms']} ms p99={result['connect_p99_ms']} ms"
                    if stats.connect_latencies
                    else ""
                ),
                flush=True,
            )
    finally:
        stop_servers(servers)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
