"""What the engine adds around the analyzers, per frame and per audio chunk.

Stores real frames and chunks from the shared media for one session (as the upload endpoint
does: header check + file + row), then runs the worker's service on each item in capture order
(read file, analyze, store the result, aggregate into incidents, delete non-evidence files) and
prints milliseconds per item: upload-side cost, worker wall time, the analyzers' own time, and
the difference (the engine's overhead: database, aggregation, retention).

    .venv/bin/python bench/engine.py [--frames 60] [--chunks 6]

Uses a throwaway SQLite database and media folder unless DATABASE_URL is set (then that database
must be empty or disposable: the script migrates it and adds one exam and session).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MEDIA = Path(os.environ.get("SHARED_MEDIA_DIR", REPO.parent / "shared" / "media"))
FRAMES = [
    "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg",
    "C_no_face/c01_opencv_desk_objects.jpg",
    "C_no_face/c01_opencv_desk_objects.jpg",
    "C_no_face/c01_opencv_desk_objects.jpg",
    "B_multiple_faces/b04_ultralytics_zidane_2people.jpg",
    "A_single_frontal_face/a01_pyfeat_webcam_frame000.jpg",
]
CHUNKS = [
    "F_no_speech/n01_pyannote_sample_leadin_roomtone.wav",
    "E_speech_single_speaker/e02_librivox_austen_0870.wav",
    "F_two_speakers/f04_jfk_plus_background_voice_-15dB.wav",
]


def _setup() -> None:
    sys.path.insert(0, str(REPO))
    scratch = Path(tempfile.mkdtemp(prefix="bench-engine-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch / 'bench.sqlite3'}")
    os.environ["MEDIA_ROOT"] = str(scratch / "media")
    os.environ["DJANGO_SETTINGS_MODULE"] = "proctoring_site.settings.local"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["ANALYSIS_PRELOAD_MODELS"] = "0"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _stats(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return (
        f"mean {statistics.fmean(values):7.1f}  median {statistics.median(values):7.1f}  "
        f"p95 {p95:7.1f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--chunks", type=int, default=6)
    args = parser.parse_args()
    _setup()

    from django.core.files.base import ContentFile
    from django.db import connection

    from accounts.models import User
    from analysis import runner
    from analysis.models import AnalysisResult, MediaItem
    from analysis.services import media_analyze
    from exams.models import Exam
    from exams.services import session_start
    from monitoring.models import Incident

    user = User.objects.create_user(
        username=f"bench{time.time_ns()}", email=f"b{time.time_ns()}@example.com"
    )
    exam = Exam.objects.create(title="Bench")
    session, _ = session_start(candidate=user, exam=exam, consent=True)

    started = time.perf_counter()
    runner.preload_models()
    print(f"models loaded in {time.perf_counter() - started:.1f} s")
    print(f"database: {connection.vendor}")

    def store(kind: str, data: bytes, at) -> tuple[MediaItem, float]:  # noqa: ANN001
        tick = time.perf_counter()
        if kind == "frame":
            runner.image_header_check(data)
        else:
            runner.wav_header_check(data)
        media = MediaItem(session=session, kind=kind, captured_at=at, size_bytes=len(data))
        media.file.save("x.jpg" if kind == "frame" else "x.wav", ContentFile(data), save=False)
        media.save()
        return media, (time.perf_counter() - tick) * 1000

    for kind, names, count, step in (
        ("frame", FRAMES, args.frames, 3.0),
        ("audio", CHUNKS, args.chunks, 12.0),
    ):
        blobs = [(MEDIA / name).read_bytes() for name in names]
        upload, wall, analyzer = [], [], []
        for index in range(count):
            at = session.started_at + timedelta(seconds=step * index)
            media, upload_ms = store(kind, blobs[index % len(blobs)], at)
            tick = time.perf_counter()
            media_analyze(media_id=media.pk)
            wall.append((time.perf_counter() - tick) * 1000)
            upload.append(upload_ms)
            analyzer.append(AnalysisResult.objects.get(media=media).processing_ms)
        overhead = [w - a for w, a in zip(wall, analyzer, strict=True)]
        print(f"\n{kind}s: {count} items")
        print(f"  upload (header check + store) ms   {_stats(upload)}")
        print(f"  worker wall ms                     {_stats(wall)}")
        print(f"  analyzers ms                       {_stats(analyzer)}")
        print(f"  engine overhead ms                 {_stats(overhead)}")
        print(f"  worker items/s (one process)       {1000 * count / sum(wall):.1f}")
    incidents = Incident.objects.filter(session=session).values_list("kind", flat=True)
    kept = MediaItem.objects.filter(session=session, file_deleted_at__isnull=True).count()
    print(f"\nincidents: {sorted(incidents)}; files kept: {kept} of {args.frames + args.chunks}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
