#!/usr/bin/env python
"""Capacity benchmark: N simulated candidates fully monitored, end to end.

Starts the README's process layout per node (``--daphnes`` daphne processes and one qcluster
with ``--workers`` workers, production settings, DEBUG off) on PostgreSQL and Redis; with
``--nodes 2`` two such groups share the database and the broker. For each N:

1. N candidates with running sessions; each enrolls face and voice through the real API
   (``/api/monitoring/enroll/face`` and ``/enroll/voice``), 4 at a time;
2. for ``--duration`` seconds every page, at the exam page's own rates, sends a 640x480 JPEG
   webcam frame every 3 s, a 5 s 16 kHz WAV chunk every 5 s and an event batch every 5 s,
   all over its ``ws/exam/<session>/`` socket as the page does (media as binary messages
   with a client id, acked after the commit); media not acked within 10 s, or sent while the
   socket is down, goes over the raw-body HTTP upload with the same client id
   (``--media-over http`` sends every item that way); 429/503 are retried after
   Retry-After, as the page does;
3. a scripted subset: every 10th candidate's face leaves (no-face frames) and every 10th
   (offset 5) gets a second voice, from a third of the run on;
4. after the run the queue drains (up to ``--drain`` s) and the database is read.

Reports per N: websocket ack p99, upload-to-result p50/p95 for frames and audio (result row
created minus upload received), queue depth sampled every 5 s, uploads never accepted, and
those accepted (202) but without a result when the queue drained or the drain time ran out
(lost if the queue had drained), scripted incidents raised and how long after the evidence that
triggered them arrived, CPU ms per candidate-second by process (from /proc), the
analyzers' own CPU on the same frames and chunks measured in this process in the same run, and
the ratio between the two. The machine's load average is printed beside every figure.

The "queue" is the items waiting for a result (accepted, not analysed), sampled every 5 s
beside the broker's task count: a worker task takes several waiting items of one session, so
the broker holds one task per busy session at most. Each step also says which of the issue's
targets it met (ack p99 < 100 ms, frame and audio p95 < 2 s, queue flat: the last third of the
run waits no longer than the first within max(3, 5 % of N) items and the rest drains within
10 s, nothing lost, every scripted incident raised). CPU is counted over the run and its
drain (the analysis of the run's items), or over the run alone when the drain timed out.

    .venv/bin/python bench/capacity.py --candidates 20,40 --duration 120
    .venv/bin/python bench/capacity.py --candidates 40 --nodes 2 --duration 120
    .venv/bin/python bench/capacity.py --search 20,20,300 --ten-minutes   # largest N
    ANALYSIS_BATCH_MAX_ITEMS=1 ANALYSIS_SKIP_UNCHANGED_FRAMES=0 .venv/bin/python bench/capacity.py
        (the servers inherit the environment: one task per item, every frame analysed)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from ingest import WebSocketClient, percentile  # noqa: E402, I001

PYTHON = sys.executable
FRAME_EVERY_S = 3.0
AUDIO_EVERY_S = 5.0
EVENTS_EVERY_S = 5.0
MAX_CANDIDATES = 400
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def server_env(args: argparse.Namespace, media_root: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "proctoring_site.settings.production",
            "SECRET_KEY": args.secret,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "LOG_LEVEL": "WARNING",
            "MEDIA_ROOT": media_root,
            "Q_WORKERS": str(args.workers),
            "CHANNELS_PREFIX": "capbench",
            "CACHE_KEY_PREFIX": "capbench",
            "Q_CLUSTER_NAME": "capbench",
            "Q_SAVE_LIMIT": "0",  # keep every finished task: who analysed what, how often
            "OMP_NUM_THREADS": "1",
        }
    )
    return env


# --- media ------------------------------------------------------------------------------------


def _letterbox_jpeg(image: np.ndarray) -> bytes:
    scale = min(640 / image.shape[1], 480 / image.shape[0])
    resized = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.zeros((480, 640, 3), np.uint8)
    y0, x0 = (480 - resized.shape[0]) // 2, (640 - resized.shape[1]) // 2
    canvas[y0 : y0 + resized.shape[0], x0 : x0 + resized.shape[1]] = resized
    ok, data = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return data.tobytes()


def _wav(pcm: np.ndarray) -> bytes:
    import io
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes((np.clip(pcm, -1, 1) * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


@dataclass
class Media:
    webcam: list[bytes]
    no_face: list[bytes]
    enroll_face: bytes
    enroll_voice: bytes
    quiet_chunks: list[bytes]
    voice_chunks: list[bytes]


def load_media(media: Path) -> Media:
    from analysis.analyzers.audio.decode import decode_wav

    capture = cv2.VideoCapture(str(media / "V_video/v01_pyfeat_single_face_webcam.mp4"))
    webcam = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        webcam.append(_letterbox_jpeg(frame))
    capture.release()
    no_face = [
        _letterbox_jpeg(cv2.imread(str(path))) for path in sorted(media.glob("C_no_face/*.jpg"))
    ]

    def chunks(name: str) -> list[bytes]:
        pcm = decode_wav((media / name).read_bytes(), max_seconds=600, strict=False)
        step = 5 * 16000
        return [_wav(pcm[i : i + step]) for i in range(0, len(pcm) - step + 1, step)] or [
            _wav(np.pad(pcm, (0, step - len(pcm))))
        ]

    return Media(
        webcam=webcam,
        no_face=no_face,
        enroll_face=(media / "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg").read_bytes(),
        enroll_voice=(media / "E_speech_single_speaker/e04_cmu_arctic_a0007_male.wav").read_bytes(),
        quiet_chunks=chunks("F_no_speech/n01_pyannote_sample_leadin_roomtone.wav"),
        voice_chunks=chunks("F_two_speakers/f04_jfk_plus_background_voice_-15dB.wav"),
    )


# --- processes --------------------------------------------------------------------------------


@dataclass
class Node:
    ports: list[int]
    daphnes: list[subprocess.Popen] = field(default_factory=list)
    cluster: subprocess.Popen | None = None


def start_nodes(args: argparse.Namespace, env: dict[str, str]) -> list[Node]:
    nodes = []
    log = open(args.log_dir / "capacity-bench.log", "a")  # noqa: SIM115
    for n in range(args.nodes):
        ports = [args.base_port + n * 10 + i for i in range(args.daphnes)]
        node = Node(ports)
        for port in ports:
            node.daphnes.append(
                subprocess.Popen(
                    [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
                    + ["--access-log", os.devnull, "proctoring_site.asgi:application"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=log,
                )
            )
        node.cluster = subprocess.Popen(
            [PYTHON, "manage.py", "qcluster"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )
        nodes.append(node)
    deadline = time.monotonic() + 120
    for node in nodes:
        for port in node.ports:
            while True:
                try:
                    with urllib.request.urlopen(  # noqa: S310
                        f"http://127.0.0.1:{port}/health/", timeout=2
                    ) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    stop_nodes(nodes)
                    raise SystemExit(f"daphne on {port} did not start")
                time.sleep(0.5)
    time.sleep(args.worker_warmup)  # the workers load their models (post_spawn)
    return nodes


def stop_nodes(nodes: list[Node]) -> None:
    procs = [p for node in nodes for p in [*node.daphnes, node.cluster] if p is not None]
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def cpu_snapshot(nodes: list[Node]) -> dict[str, float]:
    """CPU seconds so far of each role: daphne, and the qcluster tree (workers, monitor...)."""
    out: dict[str, float] = {"daphne": 0.0, "qcluster": 0.0}
    for number, node in enumerate(nodes):
        daphne = sum(_cpu_s(p.pid) for p in node.daphnes)
        cluster = 0.0
        if node.cluster is not None:
            for pid in _descendants(node.cluster.pid):
                out[f"pid{pid}"] = _cpu_s(pid)
                cluster += out[f"pid{pid}"]
        out["daphne"] += daphne
        out["qcluster"] += cluster
        if len(nodes) > 1:  # how the work was shared between the nodes
            out[f"node{number}_daphne"] = daphne
            out[f"node{number}_qcluster"] = cluster
    return out


# --- clients ----------------------------------------------------------------------------------


class Http:
    """One keep-alive HTTP/1.1 connection (as a browser tab keeps), multipart or JSON."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, content_type: str) -> tuple[int, dict, bytes]:
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Authorization: Bearer {self.token}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
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
        payload = await self.reader.readexactly(int(headers.get("content-length", 0)))
        return status, headers, payload

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def multipart(
    fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]
) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + f"{value}\r\n".encode()
        )
    for name, (filename, data, ctype) in files.items():
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'
            ).encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def media_message(kind: str, client_id: str, captured_at: str | None, data: bytes) -> bytes:
    """A frame or chunk as ws/exam/ takes it (monitoring/media_socket.py)."""
    header = json.dumps({"type": kind, "id": client_id, "captured_at": captured_at}).encode()
    return len(header).to_bytes(2, "big") + header + data


class PageSocket:
    """The page's ws/exam/ socket: event batches and media sent on it, answers matched by id
    (as static/exam/live.js does), unusable once it failed."""

    ACK_TIMEOUT_S = 10.0

    def __init__(self, port: int, session_id: str) -> None:
        self.client = WebSocketClient(port, f"/ws/exam/{session_id}/")
        self.waiting: dict[object, asyncio.Future] = {}
        self.lock = asyncio.Lock()
        self.usable = False
        self.reader: asyncio.Task | None = None

    async def open(self, token: str) -> None:
        await self.client.connect()
        await self.client.send_json({"type": "auth", "token": token})
        await self.client.receive_json()
        self.usable = True
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            while True:
                reply = await self.client.receive_json()
                future = self.waiting.pop((reply.get("data") or {}).get("id"), None)
                if future is not None and not future.done():
                    future.set_result(reply)
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError) as exc:
            self.usable = False
            for future in self.waiting.values():
                if not future.done():
                    future.set_exception(ConnectionError(f"socket closed ({exc})"))
            self.waiting.clear()

    async def request(self, key: object, *, text: object = None, data: bytes = b"") -> dict:
        """Send and wait for the answer with ``key`` as its id (TimeoutError, ConnectionError)."""
        if not self.usable:
            raise ConnectionError("socket down")
        future = asyncio.get_running_loop().create_future()
        self.waiting[key] = future
        try:
            async with self.lock:  # one frame written at a time
                if text is not None:
                    await self.client.send_json(text)
                else:
                    await self.client.send_bytes(data)
            return await asyncio.wait_for(future, self.ACK_TIMEOUT_S)
        finally:
            self.waiting.pop(key, None)

    def close(self) -> None:
        self.usable = False
        if self.reader is not None:
            self.reader.cancel()
        self.client.close()


@dataclass
class Stats:
    acks: list[float] = field(default_factory=list)
    media_acks: list[float] = field(default_factory=list)
    via: dict[str, int] = field(default_factory=lambda: {"socket": 0, "http": 0})
    uploads: dict[str, int] = field(default_factory=lambda: {"frame": 0, "audio": 0})
    accepted: dict[str, int] = field(default_factory=lambda: {"frame": 0, "audio": 0})
    retries: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    never_accepted: int = 0
    upload_ms: list[float] = field(default_factory=list)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


RETRY_CODES = ("rate_limited", "overloaded", "database_busy")


async def upload(
    pool: Connections,
    socket: PageSocket | None,
    kind: str,
    session_id: str,
    data: bytes,
    stats: Stats,
    stop: float,
) -> None:
    """Send one frame/chunk as the page does: over the socket while it is usable, else (or
    when no ack came in time) over the raw-body HTTP path with the same client id; retry
    429/503/network like the page, until 30 s past the run."""
    captured = datetime.now(UTC).isoformat()
    client_id = uuid.uuid4().hex
    stats.uploads[kind] += 1
    delay = 1.0
    while socket is not None and socket.usable:
        started = time.perf_counter()
        try:
            reply = await socket.request(
                client_id, data=media_message(kind, client_id, captured, data)
            )
        except (TimeoutError, OSError, ConnectionError) as exc:
            stats.error(f"{kind}_ws_{type(exc).__name__}")
            break  # to HTTP, with the same client id
        if reply.get("event") == "media.ack":
            stats.accepted[kind] += 1
            stats.via["socket"] += 1
            stats.media_acks.append(time.perf_counter() - started)
            return
        error = reply.get("data") or {}
        if error.get("code") in RETRY_CODES and time.monotonic() < stop + 30:
            stats.retries[f"{kind}_ws_{error['code']}"] = (
                stats.retries.get(f"{kind}_ws_{error['code']}", 0) + 1
            )
            wait = max(delay, float((error.get("details") or {}).get("retry_after", 0) or 0))
            await asyncio.sleep(wait * (1 + 0.25 * np.random.random()))
            delay = min(30.0, delay * 2)
            continue
        stats.error(f"{kind}_ws_{error.get('code')}")
        stats.never_accepted += 1
        return
    http = pool.take()
    try:
        await _upload(http, kind, session_id, data, stats, stop, captured, client_id)
    finally:
        pool.give_back(http)


async def _upload(
    http: Http,
    kind: str,
    session_id: str,
    data: bytes,
    stats: Stats,
    stop: float,
    captured: str,
    client_id: str,
) -> None:
    """The page's HTTP fallback: the media as the body (no multipart), ids in the query."""
    ctype, path = (
        ("image/jpeg", "/api/monitoring/frames")
        if kind == "frame"
        else ("audio/wav", "/api/monitoring/audio")
    )
    query = urllib.parse.urlencode(
        {"session_id": session_id, "captured_at": captured, "client_id": client_id}
    )
    delay = 1.0
    while True:
        started = time.perf_counter()
        try:
            posted = http.post(f"{path}?{query}", data, ctype)
            status, headers, _ = await asyncio.wait_for(posted, 30)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            status, headers = 0, {}
            stats.error(f"{kind}_{type(exc).__name__}")
            http.close()
        if status in (200, 202):  # 200: the socket had stored it before its ack was lost
            stats.accepted[kind] += 1
            stats.via["http"] += 1
            stats.upload_ms.append((time.perf_counter() - started) * 1000)
            return
        if status in (0, 429, 503) and time.monotonic() < stop + 30:
            stats.retries[f"{kind}_{status}"] = stats.retries.get(f"{kind}_{status}", 0) + 1
            wait = max(delay, float(headers.get("retry-after", 0) or 0))
            await asyncio.sleep(wait * (1 + 0.25 * np.random.random()))
            delay = min(30.0, delay * 2)
            continue
        stats.error(f"{kind}_http_{status}")
        stats.never_accepted += 1
        return


async def page(
    index: int,
    session_id: str,
    token: str,
    port: int,
    media: Media,
    args: argparse.Namespace,
    stats: Stats,
    start: float,
    stop: float,
    script: dict[str, float],
) -> None:
    """One exam page: events, frames and audio over its websocket (HTTP as the fallback)."""
    pool = Connections(port, token)
    socket = PageSocket(port, session_id)
    await socket.open(token)
    media_socket = socket if args.media_over == "socket" else None
    role = "face_leaves" if index % 10 == 0 else "second_voice" if index % 10 == 5 else ""
    offset = (index / max(1, args.candidates_now)) * FRAME_EVERY_S
    await asyncio.sleep(max(0.0, start + offset - time.monotonic()))
    tasks: set[asyncio.Task] = set()
    next_frame = next_audio = next_events = time.monotonic()
    frame_i = audio_i = seq = 0
    scripted_from = start + (stop - start) / 3
    try:
        while time.monotonic() < stop:
            now = time.monotonic()
            if now >= next_frame:
                scripted = role == "face_leaves" and now >= scripted_from
                if scripted and session_id not in script:
                    script[session_id] = time.time()
                frames = media.no_face if scripted else media.webcam
                data = frames[(index * 7 + frame_i) % len(frames)]
                frame_i += 1
                tasks.add(
                    asyncio.create_task(
                        upload(pool, media_socket, "frame", session_id, data, stats, stop)
                    )
                )
                next_frame += FRAME_EVERY_S
            if now >= next_audio:
                scripted = role == "second_voice" and now >= scripted_from
                if scripted and session_id not in script:
                    script[session_id] = time.time()
                chunks = media.voice_chunks if scripted else media.quiet_chunks
                data = chunks[audio_i % len(chunks)]
                audio_i += 1
                tasks.add(
                    asyncio.create_task(
                        upload(pool, media_socket, "audio", session_id, data, stats, stop)
                    )
                )
                next_audio += AUDIO_EVERY_S
            if now >= next_events:
                seq += 1
                events = [
                    {
                        "seq": seq,
                        "type": "heartbeat",
                        "ts": datetime.now(UTC).isoformat(),
                        "payload": {},
                    }
                ]
                sent = time.perf_counter()
                try:
                    reply = await socket.request(
                        seq, text={"type": "events", "id": seq, "events": events}
                    )
                    stats.acks.append(time.perf_counter() - sent)
                    if reply.get("event") != "ack":
                        stats.error(f"ws_{reply.get('data', {}).get('code')}")
                except (TimeoutError, OSError, ConnectionError) as exc:
                    stats.error(f"ws_{type(exc).__name__}")
                next_events += EVENTS_EVERY_S
            tasks = {t for t in tasks if not t.done()}
            await asyncio.sleep(
                max(0.01, min(next_frame, next_audio, next_events) - time.monotonic())
            )
        if tasks:
            await asyncio.gather(*tasks)
    finally:
        socket.close()
        pool.close()


class Connections:
    """A page's keep-alive connections: an upload takes an idle one or opens another (a
    browser opens up to six per host), so two uploads never share a connection."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.idle: list[Http] = []
        self.opened: list[Http] = []

    def take(self) -> Http:
        if self.idle:
            return self.idle.pop()
        http = Http(self.port, self.token)
        self.opened.append(http)
        return http

    def give_back(self, http: Http) -> None:
        self.idle.append(http)

    def close(self) -> None:
        for http in self.opened:
            http.close()


# --- setup and results ------------------------------------------------------------------------


def create_sessions(count: int) -> list[tuple[str, str]]:
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import CandidateProfile, User
    from exams.lifecycle import ACTIVE_STATUSES
    from exams.models import Exam, ExamSession
    from exams.services import session_start

    # One exam per step: a candidate has one attempt per exam, and each step starts afresh.
    exam = Exam.objects.create(
        title=f"Capacity benchmark {count} {time.strftime('%H:%M:%S')}", duration_minutes=600
    )
    existing = {u.username: u for u in User.objects.filter(username__startswith="cap-")}
    missing = [f"cap-{i:05d}" for i in range(count) if f"cap-{i:05d}" not in existing]
    if missing:
        users = User.objects.bulk_create(
            [User(username=name, email=f"{name}@bench.invalid") for name in missing]
        )
        CandidateProfile.objects.bulk_create(
            [CandidateProfile(user=user, full_name=user.username) for user in users]
        )
        existing.update({user.username: user for user in users})
    ExamSession.objects.filter(exam=exam, status__in=ACTIVE_STATUSES).update(status="expired")
    out = []
    for i in range(count):
        user = existing[f"cap-{i:05d}"]
        session, _token = session_start(candidate=user, exam=exam, consent=True)
        out.append((str(session.pk), str(AccessToken.for_user(user))))
    ExamSession.objects.filter(pk__in=[sid for sid, _ in out]).update(started_at=timezone.now())
    return out


async def enroll_all(sessions, ports, media: Media) -> int:
    """Face and voice enrollment through the API, 4 candidates at a time; returns failures."""
    gate = asyncio.Semaphore(4)
    failures = 0

    async def one(i: int, sid: str, token: str) -> None:
        nonlocal failures
        async with gate:
            http = Http(ports[i % len(ports)], token)
            try:
                for path, name, data, ctype in (
                    ("/api/monitoring/enroll/face", "frame", media.enroll_face, "image/jpeg"),
                    ("/api/monitoring/enroll/voice", "audio", media.enroll_voice, "audio/wav"),
                ):
                    body, content_type = multipart({"session_id": sid}, {name: (name, data, ctype)})
                    status, _, payload = await http.post(path, body, content_type)
                    if status != 201:
                        failures += 1
                        print(f"enroll {path} -> {status} {payload[:200]!r}", flush=True)
            finally:
                http.close()

    await asyncio.gather(*(one(i, sid, tok) for i, (sid, tok) in enumerate(sessions)))
    return failures


def queue_depth() -> int:
    from django_q.brokers import get_broker

    return get_broker().queue_size()


def pending_items(session_ids: list[str]) -> int:
    """Accepted frames and chunks of these sessions still without a result."""
    from django.db import close_old_connections

    from analysis.models import MediaItem

    close_old_connections()
    return MediaItem.objects.filter(
        session_id__in=session_ids, kind__in=["frame", "audio"], analysis_leased_at__isnull=False
    ).count()


async def sample_queue(
    samples: list[tuple[float, int, int]], stop: asyncio.Event, start: float, ids: list[str]
) -> None:
    """Every 5 s: (seconds into the run, tasks in the broker, items waiting for a result).

    With several items per task the broker holds one task per busy session at most: the
    backlog is the items waiting (accepted, no result yet), which is what "queue" means here.
    """
    while not stop.is_set():
        depth = await asyncio.to_thread(queue_depth)
        waiting = await asyncio.to_thread(pending_items, ids)
        samples.append((round(time.monotonic() - start, 1), depth, waiting))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 5)


def results_for(session_ids: list[str]) -> dict:
    from django.db.models import F

    from analysis.models import AnalysisResult, MediaItem
    from monitoring.models import Incident

    out: dict = {}
    for kind in ("frame", "audio"):
        items = MediaItem.objects.filter(session_id__in=session_ids, kind=kind)
        lags = [
            (r - m).total_seconds()
            for m, r in AnalysisResult.objects.filter(media__in=items)
            .annotate(received=F("media__received_at"))
            .values_list("received", "created_at")
        ]
        out[kind] = {
            "stored": items.count(),
            "analysed": len(lags),
            "p50_s": round(percentile(lags, 0.5), 2) if lags else None,
            "p95_s": round(percentile(lags, 0.95), 2) if lags else None,
        }
    incidents = {}
    for incident in Incident.objects.filter(session_id__in=session_ids, source="analyzer"):
        ids = [e["id"] for e in incident.evidence if e.get("type") in ("frame", "audio")]
        arrived = [
            m.received_at
            for m in MediaItem.objects.filter(pk__in=ids)
            if m.received_at <= incident.created_at
        ]
        delay = (incident.created_at - max(arrived)).total_seconds() if arrived else None
        incidents.setdefault(str(incident.session_id), []).append((incident.kind, delay))
    out["incidents"] = incidents
    # Exactly once: finished analysis tasks per media item (the nodes' share of the work is
    # their qcluster CPU time, cpu_snapshot).
    from collections import Counter

    from django_q.models import Task

    item_ids = set(
        MediaItem.objects.filter(session_id__in=session_ids).values_list("pk", flat=True)
    )
    runs = Counter()
    tasks = Counter()
    # One task per item (the sweep's deliveries) answers its item's status, "skipped" when it
    # found a result already; a session task (several items) answers the ids it analysed.
    for func, args, result in Task.objects.filter(
        func__in=["analysis.tasks.media_analyze", "analysis.tasks.session_media_analyze"]
    ).values_list("func", "args", "result"):
        tasks[func.rsplit(".", 1)[1]] += 1
        if func.endswith(".media_analyze"):
            media_id = args[0] if args else None
            if media_id in item_ids and result != "skipped":
                runs[media_id] += 1
        elif isinstance(result, str) and result.startswith("analysed "):
            for media_id in filter(None, result.removeprefix("analysed ").split(",")):
                if int(media_id) in item_ids:
                    runs[int(media_id)] += 1
    out["analysis_tasks_finished"] = dict(tasks)
    out["items_per_task"] = round(sum(runs.values()) / max(1, sum(tasks.values())), 2)
    out["items_analysed_more_than_once"] = sum(1 for n in runs.values() if n > 1)
    frames = AnalysisResult.objects.filter(
        media__session_id__in=session_ids, kind="frame", status="ok"
    )
    out["frames_unchanged"] = frames.filter(raw__has_key="unchanged").count()
    out["frames_full"] = frames.count() - out["frames_unchanged"]
    return out


def analyzer_floor(media: Media) -> dict[str, float]:
    """The analyzers' own CPU ms per frame and per chunk on this run's media, in this process
    (one thread, models preloaded, the default policy, identity on every 5th frame): what the
    workers would pay with no HTTP, queue or database around them."""
    from analysis import runner
    from exams.policy import DEFAULT_POLICY

    runner.preload_models()
    face = runner.face_enroll([media.enroll_face])
    template = face.template if face.ok else None
    frames = media.webcam[:60]
    for data in frames[:5]:
        runner.frame_analyze(
            data, policy=DEFAULT_POLICY, face_template=template, check_identity=True
        )
    cpu = time.process_time()
    for i, data in enumerate(frames):
        runner.frame_analyze(
            data, policy=DEFAULT_POLICY, face_template=template, check_identity=i % 5 == 0
        )
    frame_ms = (time.process_time() - cpu) * 1000 / len(frames)
    chunks = media.quiet_chunks * 4
    cpu = time.process_time()
    for data in chunks:
        runner.audio_analyze(data, policy=DEFAULT_POLICY, voice_template=None)
    audio_ms = (time.process_time() - cpu) * 1000 / len(chunks)
    per_candidate_s = frame_ms / FRAME_EVERY_S + audio_ms / AUDIO_EVERY_S
    return {
        "frame_ms": round(frame_ms, 2),
        "quiet_chunk_ms": round(audio_ms, 2),
        "per_candidate_s_ms": round(per_candidate_s, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", default="20", help="N, or N1,N2,...")
    parser.add_argument("--duration", type=int, default=120, help="seconds per step (600 asked)")
    parser.add_argument(
        "--ten-minutes", action="store_true", help="the issue's 10-minute runs (--duration 600)"
    )
    parser.add_argument(
        "--search",
        default="",
        help="START,STEP[,MAX]: N = START, START+STEP, ... until a step misses a target; "
        "prints the largest N that met every target",
    )
    parser.add_argument("--nodes", type=int, default=1, help="process groups sharing PG + Redis")
    parser.add_argument("--daphnes", type=int, default=2, help="daphne processes per node")
    parser.add_argument("--workers", type=int, default=2, help="qcluster workers per node")
    parser.add_argument("--drain", type=int, default=120, help="seconds to wait for the queue")
    parser.add_argument("--worker-warmup", type=float, default=15.0)
    parser.add_argument(
        "--media-over",
        choices=("socket", "http"),
        default="socket",
        help="socket: as the exam page (HTTP only as the fallback); http: raw-body uploads",
    )
    parser.add_argument("--base-port", type=int, default=8830)
    parser.add_argument("--media", type=Path, default=ROOT.parent / "shared" / "media")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/proctoring_capacity_bench"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--log-dir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    if args.ten_minutes:
        args.duration = 600
    if args.search:
        start, step, *top = (int(n) for n in args.search.split(","))
        steps = list(range(start, min(top[0] if top else MAX_CANDIDATES, MAX_CANDIDATES) + 1, step))
    else:
        steps = [int(n) for n in args.candidates.split(",")]
    if max(steps) > MAX_CANDIDATES:
        raise SystemExit(f"bounded: at most {MAX_CANDIDATES} candidates")
    args.secret = secrets.token_urlsafe(48)
    media_root = tempfile.mkdtemp(prefix="capacity-bench-media-")
    env = server_env(args, media_root)
    os.environ.update(env)
    admin = args.database_url.rsplit("/", 1)[0] + "/postgres"
    name = args.database_url.rsplit("/", 1)[1]
    subprocess.run(
        ["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True
    )
    subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    import django

    django.setup()
    import redis
    from django.db import connection

    redis.Redis.from_url(args.redis_url).flushdb()
    media = load_media(args.media)
    nodes = start_nodes(args, env)
    ports = [port for node in nodes for port in node.ports]
    rows = []
    try:
        for count in steps:
            args.candidates_now = count
            sessions = create_sessions(count)
            connection.close()
            failures = asyncio.run(enroll_all(sessions, ports, media))
            row = asyncio.run(run_step(args, sessions, ports, media, nodes))
            row["enroll_failures"] = failures
            rows.append(row)
            print(json.dumps(row), flush=True)
            if args.search and not row["meets_targets"]:
                break
    finally:
        stop_nodes(nodes)
    print(json.dumps(rows, indent=2))
    passing = [row["candidates"] for row in rows if row["meets_targets"]]
    print(f"largest N meeting every target: {max(passing) if passing else 'none'}", flush=True)
    for row in rows:
        missed = [name for name, ok in row["targets"].items() if not ok]
        verdict = "all met" if not missed else "missed " + ", ".join(missed)
        print(f"  N={row['candidates']}: {verdict}")


async def run_step(args, sessions, ports, media: Media, nodes: list[Node]) -> dict:
    stats = Stats()
    script: dict[str, float] = {}
    samples: list[tuple[float, int, int]] = []
    load_before = os.getloadavg()
    cpu_before = cpu_snapshot(nodes)
    start = time.monotonic() + 2
    stop = start + args.duration
    sampling = asyncio.Event()
    ids = [sid for sid, _ in sessions]
    sampler = asyncio.create_task(sample_queue(samples, sampling, start, ids))
    await asyncio.gather(
        *(
            page(i, sid, tok, ports[i % len(ports)], media, args, stats, start, stop, script)
            for i, (sid, tok) in enumerate(sessions)
        )
    )
    elapsed = time.monotonic() - start
    cpu_after = cpu_snapshot(nodes)
    load_run = os.getloadavg()
    drain_started = time.monotonic()
    while (
        await asyncio.to_thread(queue_depth) > 0 and time.monotonic() - drain_started < args.drain
    ):
        await asyncio.sleep(1)
    # Tasks a cluster already took from the broker (its prefetch) are still being analysed.
    while (
        await asyncio.to_thread(pending_items, ids) > 0
        and time.monotonic() - drain_started < args.drain
    ):
        await asyncio.sleep(1)
    drained_s = round(time.monotonic() - drain_started, 1)
    await asyncio.sleep(3)  # the last tasks' transactions
    # All the CPU spent on the run's items, their analysis after the run included.
    cpu_drained = cpu_snapshot(nodes)
    late = await asyncio.to_thread(pending_items, ids)
    sampling.set()
    await sampler
    results = await asyncio.to_thread(results_for, ids)
    floor = await asyncio.to_thread(analyzer_floor, media)
    candidate_s = len(sessions) * elapsed
    analysed = results["frame"]["analysed"] + results["audio"]["analysed"]
    # Per item, whatever the drain did: every CPU second of the cluster up to the last result
    # over every item that has one (a fair comparison between runs that kept up and not).
    per_item = {
        "qcluster_ms_per_item_analysed": round(
            (cpu_drained["qcluster"] - cpu_before["qcluster"]) * 1000 / max(1, analysed), 2
        ),
        "daphne_ms_per_upload": round(
            (cpu_drained["daphne"] - cpu_before["daphne"])
            * 1000
            / max(1, sum(stats.uploads.values())),
            2,
        ),
    }
    cpu_after = cpu_drained if late == 0 else cpu_after
    cpu = {
        role: round((cpu_after[role] - cpu_before[role]) * 1000 / candidate_s, 2)
        for role in cpu_after
        if not role.startswith("pid")
    }
    # Inside qcluster: the busiest processes are the workers (django-q2 names none of its
    # processes here); the rest is its sentinel, monitor and pusher.
    per_pid = sorted(
        (cpu_after[k] - cpu_before.get(k, 0.0) for k in cpu_after if k.startswith("pid")),
        reverse=True,
    )
    busiest = args.workers * args.nodes
    cpu["qcluster_workers"] = round(sum(per_pid[:busiest]) * 1000 / candidate_s, 2)
    cpu["qcluster_other"] = round(sum(per_pid[busiest:]) * 1000 / candidate_s, 2)
    total = cpu["daphne"] + cpu["qcluster"]
    # Accepted (202) but without a result when the drain time ran out: late, not lost, while
    # the queue still holds items; lost if the queue had drained.
    unanalysed = (
        sum(stats.accepted.values()) - results["frame"]["analysed"] - results["audio"]["analysed"]
    )
    scripted = {sid: results["incidents"].get(sid, []) for sid in script}
    wanted = {
        sid: ("no_face" if i % 10 == 0 else "background_voice")
        for i, (sid, _) in enumerate(sessions)
        if sid in script
    }
    raised, delays = 0, []
    for sid, kind in wanted.items():
        hits = [
            d
            for k, d in scripted[sid]
            if k == kind or (kind == "background_voice" and k == "multiple_voices")
        ]
        if hits:
            raised += 1
            delays.extend(d for d in hits if d is not None)
    in_run = [(t, waiting) for t, _, waiting in samples if 0 <= t <= elapsed]
    thirds = max(1, len(in_run) // 3)
    depth_first = float(np.mean([d for _, d in in_run[:thirds]])) if in_run else 0.0
    depth_last = float(np.mean([d for _, d in in_run[-thirds:]])) if in_run else 0.0
    # Flat: the last third of the run waits no longer than the first (a few items of jitter,
    # at most 5 % of N), and the backlog left at the end drains within 10 s.
    queue_flat = depth_last <= depth_first + max(3.0, 0.05 * len(sessions)) and drained_s <= 10
    acks_ms = [a * 1000 for a in stats.acks]
    # Accepted items still without a result once the broker's queue drained and the workers
    # went quiet: lost (none may be). While the queue still held items they are late instead.
    lost = unanalysed if late == 0 else 0
    meets = {
        "ack_p99_lt_100ms": bool(acks_ms) and percentile(acks_ms, 0.99) < 100,
        "frame_p95_lt_2s": (results["frame"]["p95_s"] or 99) < 2,
        "audio_p95_lt_2s": (results["audio"]["p95_s"] or 99) < 2,
        "queue_flat": queue_flat,
        "nothing_lost": lost == 0 and stats.never_accepted == 0,
        "scripted_incidents_raised": raised == len(wanted),
    }
    return {
        "meets_targets": all(meets.values()),
        "targets": meets,
        "candidates": len(sessions),
        "nodes": args.nodes,
        "duration_s": round(elapsed, 1),
        "ack_p99_ms": round(percentile(acks_ms, 0.99), 1) if acks_ms else None,
        "media_over": args.media_over,
        "media_via": stats.via,
        "media_ack_p99_ms": (
            round(percentile([a * 1000 for a in stats.media_acks], 0.99), 1)
            if stats.media_acks
            else None
        ),
        "frame": results["frame"],
        "audio": results["audio"],
        "uploads": stats.uploads,
        "accepted": stats.accepted,
        "upload_p95_ms": round(percentile(stats.upload_ms, 0.95), 1) if stats.upload_ms else None,
        "analysis_tasks_finished": results["analysis_tasks_finished"],
        "items_per_task": results["items_per_task"],
        "frames_full_unchanged": [results["frames_full"], results["frames_unchanged"]],
        "items_analysed_more_than_once": results["items_analysed_more_than_once"],
        "retries": stats.retries,
        "errors": stats.errors,
        "never_accepted": stats.never_accepted,
        "unanalysed_at_end": unanalysed,
        "queue_at_end": samples[-1][1] if samples else None,
        "late_at_end": late,
        "cpu_counted": "run and drain" if late == 0 else "run only (drain incomplete)",
        "cpu_per_item": per_item,
        "queue_flat": queue_flat,
        "lost": lost,
        "queue_depth_first_third_mean": round(depth_first, 1),
        "queue_depth_last_third_mean": round(depth_last, 1),
        "queue_samples": samples,
        "drained_after_s": drained_s,
        "scripted": len(wanted),
        "scripted_raised": raised,
        "incident_delay_p95_s": round(percentile(delays, 0.95), 2) if delays else None,
        "cpu_ms_per_candidate_s": {**cpu, "total": round(total, 2)},
        "analyzer_floor": floor,
        "ratio_to_floor": round(total / floor["per_candidate_s_ms"], 2),
        "load_before_during": [round(load_before[0], 2), round(load_run[0], 2)],
    }


if __name__ == "__main__":
    main()
