"""Several voices in 5 s chunks: the evaluation table of docs/ANALYZERS.md.

    python -m analysis.analyzers.audio.evaluate_voices --media ../shared/media [--sweep]

Builds the mixtures of :mod:`mixtures` (every ordered pair of distinct real voices; overlap at
0 dB, a voice 10 dB behind, turns of 2.4 s; single voices, quiet voices and non-speech as the
false-alarm side), runs the audio pipeline on every 5 s chunk in order, judges the session's
voices over the last 60 s as a worker does (:mod:`voices`), and prints per condition how many
cases had a second voice found (for 60 s streams: within 10 s of it starting) and how many
single-voice cases raised a voice label. With an enrolled voice (the first 40 % of the first
voice's recording): the second voice alone must be ``background_voice``, both together
``multiple_voices``. ``--sweep`` scores the same analyzed chunks under other thresholds (the
grid the defaults were chosen from).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..errors import MediaError
from . import ge2e, mixtures, vad, voices
from .decode import SAMPLE_RATE
from .pipeline import AudioConfig, AudioPipeline, AudioResult

VOICE_LABELS = {"multiple_voices", "background_voice"}
FOUND_WITHIN_S = 10.0


@dataclass
class Trace:
    """One case as the pipeline saw it, chunk by chunk (scored later under any thresholds)."""

    table: str  # "chunks": each 5 s chunk judged alone; "streams": 60 s in order
    condition: str
    name: str
    results: list[AudioResult]
    second_voice_at_s: float | None  # None: one voice (or none); no voice label is right
    enrolled: bool = False
    wanted: str = ""  # enrolled cases: the label a correct judgement gives from 20 s on
    ms_per_chunk: float = 0.0


@dataclass
class ChunkOutcome:
    at_s: float
    labels: set[str]


_ChunkKey = tuple[bytes, bytes]


@dataclass
class _Planned:
    """A trace before analysis: its audio and the enrolled voice its chunks are judged with."""

    trace: Trace
    pcm: np.ndarray
    voice: np.ndarray | None = None


def _chunk_keys(planned: _Planned) -> list[tuple[_ChunkKey, np.ndarray]]:
    step = int(mixtures.CHUNK_S * SAMPLE_RATE)
    voice = b"" if planned.voice is None else np.asarray(planned.voice, np.float32).tobytes()
    out = []
    for start in range(0, len(planned.pcm) - step + 1, step):
        chunk = planned.pcm[start : start + step]
        out.append(((hashlib.blake2b(chunk.tobytes(), digest_size=16).digest(), voice), chunk))
    return out


_worker_pipeline: AudioPipeline | None = None


def _init_worker(config: AudioConfig) -> None:
    global _worker_pipeline
    _worker_pipeline = AudioPipeline(config)
    # Load the models now, so no chunk's time includes them.
    vad.speech_probabilities(np.zeros(SAMPLE_RATE, np.float32))
    ge2e.get_encoder()


def _analyze_one(job: tuple[np.ndarray, np.ndarray | None]) -> tuple[AudioResult, float]:
    chunk, voice = job
    assert _worker_pipeline is not None
    t0 = time.perf_counter()
    result = _worker_pipeline.analyze(chunk, enrolled_voice=voice)
    return result, (time.perf_counter() - t0) * 1000.0


def _analyze_all(
    plans: list[_Planned],
    config: AudioConfig,
    jobs: int,
    log: Callable[[str], None],
) -> None:
    """Fill every planned trace's results. Streams share chunks (the first voice's lead, the
    enrolled candidate's first 20 s), so each distinct chunk (same samples, same enrollment) is
    analyzed once; with ``jobs`` > 1 in that many worker processes (one BLAS thread each)."""
    todo: dict[_ChunkKey, tuple[np.ndarray, np.ndarray | None]] = {}
    keyed = []
    for planned in plans:
        keys = _chunk_keys(planned)
        keyed.append([key for key, _ in keys])
        for key, chunk in keys:
            todo.setdefault(key, (chunk, planned.voice))
    log(f"{sum(map(len, keyed))} chunks in {len(plans)} cases, {len(todo)} distinct to analyze")
    order = list(todo)
    if jobs <= 1:
        _init_worker(config)
        done = dict(zip(order, map(_analyze_one, (todo[k] for k in order)), strict=True))
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # Spawned workers read the BLAS thread count from the environment at import.
        saved = {k: os.environ.get(k) for k in _ONE_THREAD}
        os.environ.update(_ONE_THREAD)
        try:
            with ProcessPoolExecutor(
                jobs, multiprocessing.get_context("spawn"), _init_worker, (config,)
            ) as pool:
                results = pool.map(_analyze_one, (todo[k] for k in order), chunksize=8)
                done = dict(zip(order, results, strict=True))
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    for planned, keys in zip(plans, keyed, strict=True):
        planned.trace.results = [done[k][0] for k in keys]
        spent = [done[k][1] for k in keys]
        planned.trace.ms_per_chunk = float(np.mean(spent)) if spent else 0.0


_ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


_decoded_cache: dict[int, tuple[AudioResult, np.ndarray]] = {}


def _decoded(result: AudioResult) -> np.ndarray:
    """The result's window embeddings, decoded once (streams share their lead chunks' results,
    and every threshold scored decodes them again)."""
    hit = _decoded_cache.get(id(result))
    if hit is None or hit[0] is not result:
        hit = (result, voices.decode_embeddings(result.window_embeddings))
        _decoded_cache[id(result)] = hit
    return hit[1]


def outcomes(
    trace: Trace,
    rules: voices.VoiceRules,
    overlap_min_s: float,
    enrolled: np.ndarray | None = None,
    quiet_min_s: float | None = None,
) -> list[ChunkOutcome]:
    """The labels of every chunk as the worker gives them: the chunk's own (with overlapping
    speech judged at ``overlap_min_s`` and a quieter voice behind at ``quiet_min_s``, the
    pipeline's ``background_min_run_s``) and the session judgement's over ``rules.window_s``."""
    quiet_min_s = AudioConfig().background_min_run_s if quiet_min_s is None else quiet_min_s
    history = voices.VoiceHistory(rules)
    out: list[ChunkOutcome] = []
    for k, result in enumerate(trace.results):
        at = k * mixtures.CHUNK_S
        labels = set(result.labels) & VOICE_LABELS
        if result.overlap_s >= overlap_min_s:
            labels.add("multiple_voices")
        if result.quiet_voice_run_s >= quiet_min_s:
            # As the pipeline: a second voice (multiple_voices) that is behind the main one.
            labels |= VOICE_LABELS
        if trace.table == "streams":
            windows = voices.ChunkWindows(k, at, _decoded(result))
            session = history.add(windows, enrolled)
            labels |= voices.chunk_labels(session, k, enrolled is not None)
        if enrolled is not None and "multiple_voices" in labels:
            labels.discard("background_voice")
        out.append(ChunkOutcome(at, labels))
    return out


@dataclass
class Row:
    condition: str
    cases: int = 0
    found: int = 0
    false_alarms: int = 0
    judged_found: bool = True
    misses: list[str] = field(default_factory=list)


def _score_trace(trace: Trace, chunks: list[ChunkOutcome], row: Row) -> None:
    row.cases += 1
    if trace.second_voice_at_s is None:
        row.judged_found = False
        alarms = [c for c in chunks if c.labels]
        row.false_alarms += bool(alarms)
        if alarms:
            row.misses.append(f"{trace.name}@{alarms[0].at_s:g}s:{sorted(alarms[0].labels)}")
        return
    since = trace.second_voice_at_s
    before = [c for c in chunks if c.at_s + mixtures.CHUNK_S <= since + 1e-6]
    within = [
        c for c in chunks if since - 1e-6 <= c.at_s and c.at_s + mixtures.CHUNK_S <= since + 10.0
    ]
    if trace.table == "chunks" and not trace.enrolled:
        within = chunks
    row.false_alarms += any(c.labels for c in before)
    if trace.wanted:
        # The wanted label, and never the other one, once the second voice is there.
        wrong = (VOICE_LABELS - {trace.wanted}).pop()
        after = [c for c in chunks if c.at_s >= since - 1e-6]
        ok = any(trace.wanted in c.labels for c in within) and not any(
            wrong in c.labels for c in after
        )
    else:
        ok = any(c.labels for c in within)
    row.found += ok
    if not ok:
        row.misses.append(f"{trace.name}:{[sorted(c.labels) for c in chunks if c.at_s >= since]}")


def score(
    traces: list[Trace],
    enrolled: dict[str, np.ndarray],
    rules: voices.VoiceRules | None = None,
    overlap_min_s: float | None = None,
    quiet_min_s: float | None = None,
) -> dict[str, list[Row]]:
    """Rows per table ("chunks", "streams", "enrolled") under the given thresholds."""
    rules = rules or voices.VoiceRules()
    overlap_min_s = AudioConfig().overlap_min_s if overlap_min_s is None else overlap_min_s
    tables: dict[str, dict[str, Row]] = {}
    for trace in traces:
        voice = enrolled.get(trace.name.split("+")[0]) if trace.enrolled else None
        chunks = outcomes(trace, rules, overlap_min_s, voice, quiet_min_s)
        table = "enrolled" if trace.enrolled else trace.table
        rows = tables.setdefault(table, {})
        _score_trace(trace, chunks, rows.setdefault(trace.condition, Row(trace.condition)))
    return {table: list(rows.values()) for table, rows in tables.items()}


def _enrollment_cut(pcm: np.ndarray) -> int:
    return int(len(pcm) * 0.4)


PARTS = ("chunks", "streams", "enrolled")


def collect(
    media: Path,
    pipeline: AudioPipeline,
    log: Callable[[str], None] = lambda _: None,
    parts: tuple[str, ...] = PARTS,
    jobs: int = 1,
) -> tuple[list[Trace], dict[str, np.ndarray]]:
    """Analyze every case of ``parts`` once (``jobs`` worker processes). The pipeline's own
    overlap and quiet-voice labels are switched off here (the scoring applies ``overlap_min_s``
    to ``overlap_s`` and ``background_min_run_s`` to ``quiet_voice_run_s``) so one run serves
    every threshold."""
    config = replace(pipeline.config, overlap_min_s=float("inf"), background_min_run_s=float("inf"))
    pipeline = AudioPipeline(config)
    all_voices = mixtures.load_voices(media)
    real, missing = mixtures.real_sounds()
    if missing:
        log(missing)
    plans: list[_Planned] = []
    for stream in (False, True):
        table = "streams" if stream else "chunks"
        if table not in parts:
            continue
        for case in [
            *mixtures.two_voice_cases(all_voices, stream),
            *mixtures.single_voice_cases(all_voices, media, stream, real),
        ]:
            second = None if len(case.voices) < 2 else (case.second_voice_at_s or 0.0)
            plans.append(_Planned(Trace(table, case.condition, case.name, [], second), case.pcm))
    enrolled: dict[str, np.ndarray] = {}
    for name, pcm in all_voices.items():
        try:
            enrolled[name] = pipeline.enroll(pcm[: _enrollment_cut(pcm)])
        except MediaError:
            log(f"{name}: too little speech in 40 % of the recording to enroll; not a candidate")
    if "enrolled" in parts:
        plans.extend(_enrolled_plans(all_voices, enrolled))
    _analyze_all(plans, config, jobs, log)
    return [planned.trace for planned in plans], enrolled


def _enrolled_plans(
    all_voices: dict[str, np.ndarray], enrolled: dict[str, np.ndarray]
) -> list[_Planned]:
    """The candidate enrolled: 20 s of their own speech, then 10 s of the candidate alone
    (nothing is right), another voice alone (background_voice), or both in turns
    (multiple_voices)."""
    plans: list[_Planned] = []
    names = sorted(all_voices)
    for a in sorted(enrolled):
        own = all_voices[a][_enrollment_cut(all_voices[a]) :]
        lead = mixtures.loop(own, 20.0)
        alone = np.concatenate([lead, mixtures.loop(own, 10.0, 3.1)])
        trace = Trace("streams", "candidate alone", a, [], None, True, "")
        plans.append(_Planned(trace, alone, enrolled[a]))
        for b in names:
            if a == b:
                continue
            tails = {
                "background_voice": mixtures.loop(all_voices[b], 10.0),
                "multiple_voices": mixtures.two_voices(own, all_voices[b], "turns", 10.0, 3.1),
            }
            for wanted, tail in tails.items():
                condition = (
                    "other voice alone" if wanted == "background_voice" else "candidate and other"
                )
                trace = Trace("streams", condition, f"{a}+{b}", [], 20.0, True, wanted)
                plans.append(_Planned(trace, np.concatenate([lead, tail]), enrolled[a]))
    return plans


TITLES = {
    "chunks": "5 s chunks, each judged alone",
    "streams": "60 s streams of 5 s chunks (second voice from 50 s; found = within 10 s)",
    "enrolled": (
        "Candidate enrolled, 30 s streams (the candidate 20 s, then 10 s of: the candidate, "
        "another voice alone = background_voice, both in turns = multiple_voices)"
    ),
}


def print_table(title: str, rows: list[Row], verbose: bool = False) -> None:
    print(f"\n### {title}\n")
    print("| condition | cases | second voice found | false alarms |")
    print("|---|---|---|---|")
    for row in rows:
        found = f"{row.found}/{row.cases} ({100.0 * row.found / row.cases:.0f} %)"
        print(
            f"| {row.condition} | {row.cases} | {found if row.judged_found else '-'} "
            f"| {row.false_alarms} |"
        )
    if verbose:
        for row in rows:
            if row.misses:
                print(f"- {row.condition}: {', '.join(row.misses)}")


def _totals(tables: dict[str, list[Row]]) -> tuple[float, int]:
    found = cases = alarms = 0
    for table, rows in tables.items():
        for row in rows:
            alarms += row.false_alarms
            if row.judged_found and table != "enrolled":
                found += row.found
                cases += row.cases
    return found / max(1, cases), alarms


def print_sweep(traces: list[Trace], enrolled: dict[str, np.ndarray]) -> None:
    """Found rate (two-voice cases, chunks and streams) and false alarms (every table) over a
    grid of the thresholds."""
    print("\n### Threshold sweep\n")
    print(
        "| cluster_distance | min_centroid_distance | min_voice_windows | overlap_min_s "
        "| found | false alarms |"
    )
    print("|---|---|---|---|---|---|")
    for distance in (0.25, 0.30, 0.35):
        for centroid in (0.15, 0.20, 0.25):
            for windows in (2, 3):
                for overlap_s in (0.09, 0.13, 0.19):
                    rules = voices.VoiceRules(
                        cluster_distance=distance,
                        min_centroid_distance=centroid,
                        min_voice_windows=windows,
                    )
                    found, alarms = _totals(score(traces, enrolled, rules, overlap_s))
                    print(
                        f"| {distance:.2f} | {centroid:.2f} | {windows} | {overlap_s:.2f} | "
                        f"{100 * found:.1f} % | {alarms} |"
                    )


QUIET_SWEEP_S = (0.7, 0.75, 0.8, 0.9, 1.0, float("inf"))


def print_quiet_sweep(traces: list[Trace], enrolled: dict[str, np.ndarray]) -> None:
    """The quieter-voice rule (``background_min_run_s``) at the other defaults: two-voice cases
    found per table and false alarms, so its cut is chosen on the whole set."""
    print("\n### Quieter voice behind: background_min_run_s\n")
    print(
        "| background_min_run_s | 5 s chunks found | 60 s streams found | enrolled found "
        "| false alarms (which) |"
    )
    print("|---|---|---|---|---|")
    for quiet_s in QUIET_SWEEP_S:
        tables = score(traces, enrolled, quiet_min_s=quiet_s)
        cells = []
        for table in PARTS:
            rows = [row for row in tables.get(table, []) if row.judged_found]
            found, cases = sum(r.found for r in rows), sum(r.cases for r in rows)
            cells.append(f"{found}/{cases} ({100.0 * found / max(1, cases):.1f} %)")
        alarms = [
            m for rows in tables.values() for r in rows if not r.judged_found for m in r.misses
        ]
        alarms += [
            f"{r.condition}: before the second voice"
            for rows in tables.values()
            for r in rows
            if r.judged_found and r.false_alarms
        ]
        label = "off" if quiet_s == float("inf") else f"{quiet_s:.2f}"
        print(f"| {label} | {' | '.join(cells)} | {len(alarms)} ({', '.join(alarms) or '-'}) |")
    one, two = _quiet_runs(traces)
    print(f"\nlongest quiet runs (s), one-voice chunks ({len(one)} distinct): {one[-5:]}")
    print(f"longest quiet runs (s), chunks with another voice ({len(two)} distinct): {two[-5:]}")


def _quiet_runs(traces: list[Trace]) -> tuple[list[float], list[float]]:
    """``quiet_voice_run_s`` of every distinct chunk where one voice speaks (single-voice cases,
    and the lead before a second voice starts) and where two do, sorted."""
    one: dict[int, float] = {}
    two: dict[int, float] = {}
    for trace in traces:
        for k, result in enumerate(trace.results):
            since = trace.second_voice_at_s
            alone = since is None or k * mixtures.CHUNK_S + mixtures.CHUNK_S <= since + 1e-6
            (one if alone else two)[id(result)] = result.quiet_voice_run_s
    return sorted(one.values()), sorted(two.values())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--media", type=Path, default=Path(os.environ.get("SHARED_MEDIA_DIR", "../shared/media"))
    )
    parser.add_argument("--verbose", action="store_true", help="list every miss and alarm")
    parser.add_argument("--sweep", action="store_true", help="score a grid of thresholds")
    parser.add_argument(
        "--sweep-quiet", action="store_true", help="score the quieter-voice rule's cut alone"
    )
    parser.add_argument("--save", type=Path, help="keep the analyzed chunks in this file (pickle)")
    parser.add_argument("--load", type=Path, help="score chunks kept by --save; no analysis")
    parser.add_argument(
        "--jobs", type=int, default=1, help="worker processes analyzing chunks (default 1)"
    )
    args = parser.parse_args(argv)
    if not mixtures.media_available(args.media):
        raise SystemExit(f"shared media not found at {args.media}")
    started = time.perf_counter()
    load_before = os.getloadavg()
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, jobs {args.jobs}", flush=True)
    if args.load:
        with open(args.load, "rb") as fh:  # a file this command wrote (--save), not an upload
            traces, enrolled = pickle.load(fh)  # noqa: S301
    else:
        traces, enrolled = collect(
            args.media,
            AudioPipeline(),
            log=lambda msg: print(f"# {msg}", flush=True),
            jobs=args.jobs,
        )
    if args.save:
        with open(args.save, "wb") as fh:
            pickle.dump((traces, enrolled), fh)
    for table, rows in score(traces, enrolled).items():
        print_table(TITLES[table], rows, args.verbose)
    if args.sweep:
        print_sweep(traces, enrolled)
    if args.sweep or args.sweep_quiet:
        print_quiet_sweep(traces, enrolled)
    cost = [t.ms_per_chunk for t in traces]
    load = " -> ".join(" ".join(f"{x:.2f}" for x in avg) for avg in (load_before, os.getloadavg()))
    print(
        f"\ncost: {np.median(cost):.0f} ms per 5 s chunk (median over cases; p90 "
        f"{np.percentile(cost, 90):.0f}); load average {load}; "
        f"{time.perf_counter() - started:.0f} s in all"
    )


if __name__ == "__main__":
    main()
