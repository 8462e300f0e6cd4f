#!/usr/bin/env python
"""The worker's CPU per item, one task per item against several per task with unchanged frames
skipped, on the same items in one process, against the models' own CPU on those items.

Process CPU time, not wall time: the figures hold on a loaded machine (the other processes'
load changes the wall clock, much less the CPU a process spends). A throw-away SQLite database
(or ``DATABASE_URL``), the local settings, models preloaded. For each mode a fresh session gets
the same items, as the capacity bench's page sends them: ``--frames`` consecutive 640x480 JPEG
frames of the webcam clip V_video/v01 (a frame every 3 s) and a 5 s room-tone chunk every 5 s.

- ``per-item``: ``media_analyze(media_id=)`` on each item in capture order, every frame
  analysed (``ANALYSIS_BATCH_MAX_ITEMS=1``, ``ANALYSIS_SKIP_UNCHANGED_FRAMES=0``): before;
- ``batched``: ``session_media_analyze`` (the worker task) until nothing waits, up to
  ``ANALYSIS_BATCH_MAX_ITEMS`` items per task, unchanged frames skipped: after;
- ``models``: ``runner.frame_analyze`` / ``audio_analyze`` alone on the same bytes (no
  database, no files): the floor.

Prints CPU ms per item and per candidate-second (page rates), queries per item, frames skipped,
and the labels per frame in both modes (they must agree: a skipped frame carries its match's).

    .venv/bin/python bench/worker_cost.py --frames 60
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

FRAME_EVERY_S, AUDIO_EVERY_S = 3.0, 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--media", type=Path, default=ROOT.parent / "shared" / "media")
    parser.add_argument("--profile", action="store_true", help="cProfile the batched mode")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="worker-cost-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proctoring_site.settings.local")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/db.sqlite3")
    os.environ["MEDIA_ROOT"] = f"{workdir}/media"
    os.environ["Q_SYNC"] = "1"
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    settings.Q_CLUSTER["sync"] = True

    from capacity import load_media
    from django.core.files.base import ContentFile
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import CandidateProfile, User
    from analysis import runner
    from analysis import tasks as analysis_tasks
    from analysis.models import AnalysisResult, Enrollment, MediaItem
    from analysis.tasks import media_analyze, session_media_analyze
    from exams.models import Exam
    from exams.policy import DEFAULT_POLICY
    from exams.services import session_start

    media = load_media(args.media)
    runner.preload_models()
    frames = [media.webcam[i % len(media.webcam)] for i in range(args.frames)]
    span_s = args.frames * FRAME_EVERY_S
    chunks = [
        media.quiet_chunks[i % len(media.quiet_chunks)] for i in range(int(span_s / AUDIO_EVERY_S))
    ]
    face = runner.face_enroll([media.enroll_face])
    voice, version = runner.voice_enroll(media.enroll_voice)

    def session_with_items(name: str):
        user = User.objects.create(username=name, email=f"{name}@bench.invalid")
        CandidateProfile.objects.create(user=user, full_name=name)
        exam = Exam.objects.create(title=f"worker cost {name}", duration_minutes=600)
        session, _ = session_start(candidate=user, exam=exam, consent=True)
        Enrollment.objects.create(
            session=session, kind="face", template=face.template, model_version="bench"
        )
        Enrollment.objects.create(
            session=session, kind="voice", template=voice, model_version=version
        )
        items = []
        for kind, data, every in (("frame", frames, FRAME_EVERY_S), ("audio", chunks, 5.0)):
            for i, payload in enumerate(data):
                item = MediaItem(
                    session=session,
                    kind=kind,
                    captured_at=session.started_at + timedelta(seconds=i * every),
                    size_bytes=len(payload),
                )
                item.file.save("f.jpg" if kind == "frame" else "c.wav", ContentFile(payload))
                items.append(item)
        return session, sorted(items, key=lambda m: (m.captured_at, m.pk))

    # Warm-up: the first analyses pay one-off costs (graph set-up, caches).
    for data in frames[:5]:
        runner.frame_analyze(data, policy=DEFAULT_POLICY, face_template=None, check_identity=False)

    report = {}
    labels = {}
    for mode in ("per-item", "batched"):
        settings.ANALYSIS_BATCH_MAX_ITEMS = 1 if mode == "per-item" else 8
        settings.ANALYSIS_SKIP_UNCHANGED_FRAMES = mode == "batched"
        session, items = session_with_items(f"cost-{mode}")
        started = time.process_time()
        with CaptureQueriesContext(connection) as queries:
            if mode == "per-item":
                tasks = len(items)
                for item in items:
                    media_analyze(item.pk)
            else:
                # The task queues its own continuation (run inline here: Q_SYNC): count calls.
                calls = []

                def counted(session_id: str, calls: list[str] = calls) -> str:
                    calls.append(session_id)
                    return session_media_analyze(session_id)

                analysis_tasks.session_media_analyze = counted
                profile = cProfile.Profile() if args.profile else None
                if profile:
                    profile.enable()
                while counted(str(session.pk)) != "analysed ":
                    pass
                if profile:
                    profile.disable()
                    pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
                analysis_tasks.session_media_analyze = session_media_analyze
                tasks = len(calls) - 1  # the last look found nothing
        cpu_ms = (time.process_time() - started) * 1000
        results = AnalysisResult.objects.filter(session=session)
        assert results.count() == len(items), (mode, results.count(), len(items))
        frame_results = results.filter(kind="frame").order_by("captured_at")
        labels[mode] = [tuple(r.labels) for r in frame_results]
        report[mode] = {
            "cpu_ms_per_item": cpu_ms / len(items),
            "cpu_ms_per_candidate_s": cpu_ms / span_s,
            "queries_per_item": len(queries.captured_queries) / len(items),
            "tasks": tasks,
            "frames_unchanged": sum("unchanged" in r.raw for r in frame_results),
        }

    started = time.process_time()
    template = face.template
    for i, data in enumerate(frames):
        runner.frame_analyze(
            data, policy=DEFAULT_POLICY, face_template=template, check_identity=i % 5 == 0
        )
    for data in chunks:
        runner.audio_analyze(data, policy=DEFAULT_POLICY, voice_template=voice)
    floor_ms = (time.process_time() - started) * 1000
    floor = {
        "cpu_ms_per_item": floor_ms / (len(frames) + len(chunks)),
        "cpu_ms_per_candidate_s": floor_ms / span_s,
    }

    print(f"{len(frames)} frames + {len(chunks)} chunks, {span_s:.0f} s of one candidate")
    print(f"load average {os.getloadavg()[0]:.2f}")
    print("mode       CPU ms/item  CPU ms/cand-s  vs models  queries/item  tasks  unchanged")
    for mode, row in report.items():
        print(
            f"{mode:9s}  {row['cpu_ms_per_item']:11.2f}  {row['cpu_ms_per_candidate_s']:13.2f}"
            f"  {row['cpu_ms_per_candidate_s'] / floor['cpu_ms_per_candidate_s']:8.2f}x"
            f"  {row['queries_per_item']:12.1f}  {row['tasks']:5d}  {row['frames_unchanged']:9d}"
        )
    print(
        f"models     {floor['cpu_ms_per_item']:11.2f}  {floor['cpu_ms_per_candidate_s']:13.2f}"
        "      1.00x"
    )
    same = sum(a == b for a, b in zip(labels["per-item"], labels["batched"], strict=True))
    print(f"frames with the same labels in both modes: {same} of {len(labels['per-item'])}")


if __name__ == "__main__":
    main()
