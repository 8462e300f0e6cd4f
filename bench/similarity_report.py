"""Benchmark the whole similarity report of an exam, database included.

``bench/similarity.py`` times the engine alone; this one times what the django-q2 task does:
load every candidate's final submission from the database, compare them, store the matches and
raise two incidents per match, then a second, idempotent run over the same exam (what happens
when a late candidate finishes); peak traced memory comes from a third run under tracemalloc. Submissions are the engine benchmark's synthetic ones (about
200 lines of Python each, with planted rings of disguised copies).

Runs on a throw-away SQLite file by default (or the database in BENCH_DATABASE_URL, which is
migrated and filled: use a scratch database).

    .venv/bin/python bench/similarity_report.py [--sizes 100 250 500]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _engine_bench():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("engine_bench", ROOT / "bench" / "similarity.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _setup_django() -> None:
    scratch = os.environ.get("BENCH_DATABASE_URL")
    if not scratch:
        folder = tempfile.mkdtemp(prefix="similarity-report-bench-")
        scratch = f"sqlite:///{folder}/bench.sqlite3"
    os.environ["DATABASE_URL"] = scratch
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proctoring_site.settings.local")
    os.environ["Q_SYNC"] = "1"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _fill(size: int, bench) -> tuple[int, set]:  # noqa: ANN001
    """An ended exam with ``size`` candidates' final submissions; its id and the planted pairs."""
    from django.utils import timezone

    from accounts.models import User
    from exams.lifecycle import SessionStatus
    from exams.models import Exam, ExamSession, Problem
    from submissions.models import CodeSubmission

    sources, planted = bench.make_submissions(size)
    exam = Exam.objects.create(title=f"bench {size}")
    problem = Problem.objects.create(
        exam=exam, title="P", statement="s", starter_code=bench.STARTER, language="python"
    )
    now = timezone.now()
    users = User.objects.bulk_create(
        User(username=f"b{exam.pk}-{s.id}", email=f"b{exam.pk}-{s.id}@example.com") for s in sources
    )
    sessions = ExamSession.objects.bulk_create(
        ExamSession(
            candidate=user,
            exam=exam,
            status=SessionStatus.SUBMITTED,
            token_hash=uuid.uuid4().hex * 2,
            started_at=now,
            ended_at=now,
        )
        for user in users
    )
    CodeSubmission.objects.bulk_create(
        CodeSubmission(
            session=session,
            problem=problem,
            language="python",
            code=source.code,
            version=1,
            sha256="0" * 64,
            size=len(source.code.encode()),
            is_final=True,
        )
        for session, source in zip(sessions, sources, strict=True)
    )
    return exam.pk, planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 250, 500])
    args = parser.parse_args()
    bench = _engine_bench()
    _setup_django()
    from exams.models import Exam
    from monitoring.models import Incident
    from submissions.reports import similarity_report_run

    print(
        f"{'n':>5} {'first_s':>8} {'cpu_s':>6} {'ms/sub':>7} {'rerun_s':>8} {'peak_MB':>8} "
        f"{'matches':>8} {'incidents':>9} {'planted':>8} {'found':>6}"
    )
    for size in args.sizes:
        exam_id, planted = _fill(size, bench)
        exam = Exam.objects.get(pk=exam_id)
        started, cpu_started = time.perf_counter(), time.process_time()
        report = similarity_report_run(exam=exam)
        first = time.perf_counter() - started
        first_cpu = time.process_time() - cpu_started
        started = time.perf_counter()
        similarity_report_run(exam=exam)
        rerun = time.perf_counter() - started
        tracemalloc.start()  # a third run, as tracing slows everything down
        similarity_report_run(exam=exam)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        matches = report.problems[0].matches
        found = {
            frozenset((m.session_a.candidate.username, m.session_b.candidate.username))
            for m in matches
        }
        incidents = Incident.objects.filter(session__exam=exam).count()
        print(
            f"{size:>5} {first:>8.2f} {first_cpu:>6.2f} {1000 * first / size:>7.1f} {rerun:>8.2f} "
            f"{peak / 2**20:>8.1f} {len(matches):>8} {incidents:>9} {len(planted):>8} "
            f"{len(found & _pairs_by_name(planted, exam_id)):>6}"
        )


def _pairs_by_name(planted: set, exam_id: int) -> set:
    return {frozenset(f"b{exam_id}-{i}" for i in pair) for pair in planted}


if __name__ == "__main__":
    main()
