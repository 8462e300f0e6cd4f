"""Several voices in 5 s chunks: overlapping speech, voices over the session's recent audio,
and the enrolled candidate's voice, on mixtures of the real recordings in ../shared/media."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.analyzers.audio import AudioPipeline, mixtures, overlap, voices
from analysis.analyzers.audio.decode import SAMPLE_RATE
from analysis.analyzers.audio.evaluate_voices import ChunkOutcome, Trace, outcomes

CHUNK = int(mixtures.CHUNK_S * SAMPLE_RATE)
# Pairs spread over the set: male/female, studio/radio, the real dialogue's two speakers. The
# whole set (every pair, every condition) is evaluate_voices' job; tests keep to a few.
# The table of docs/ANALYZERS.md lists the pairs each check misses; these pin working cases.
PAIRS = [("jfk", "allison"), ("librivox", "radio"), ("dialog_90", "dialog_91")]
AT_ONCE = [("allison", "jfk"), ("librivox", "allison"), ("dialog_90", "dialog_91")]
TURNS = [("jfk", "allison"), ("allison", "librivox"), ("radio", "allison")]


@pytest.fixture(scope="module")
def pipeline() -> AudioPipeline:
    return AudioPipeline()


@pytest.fixture(scope="module")
def real_voices(shared_media: Path) -> dict[str, np.ndarray]:
    if not mixtures.media_available(shared_media):
        pytest.skip(f"the recordings of analyzers/audio/mixtures.py are not in {shared_media}")
    return mixtures.load_voices(shared_media)


def _stream(pipeline: AudioPipeline, pcm: np.ndarray, enrolled=None) -> list[ChunkOutcome]:
    """Chunk by chunk as the worker sees them, judged over the last 60 s."""
    results = [
        pipeline.analyze(pcm[s : s + CHUNK], enrolled_voice=enrolled)
        for s in range(0, len(pcm) - CHUNK + 1, CHUNK)
    ]
    trace = Trace("streams", "", "", results, None, enrolled is not None)
    return outcomes(trace, voices.VoiceRules(), pipeline.config.overlap_min_s, enrolled)


# --- the mixtures ------------------------------------------------------------------------------


def test_every_real_voice_is_used_at_one_level(real_voices: dict[str, np.ndarray]) -> None:
    assert len(real_voices) == 8
    assert {"dialog_90", "dialog_91"} <= set(real_voices)  # the real dialogue, split by its RTTM
    levels = [mixtures.active_level_db(pcm) for pcm in real_voices.values()]
    assert max(levels) - min(levels) < 0.5
    pcm = mixtures.two_voices(real_voices["jfk"], real_voices["allison"], "behind", 5.0)
    assert len(pcm) == CHUNK


def test_turns_alternate_the_two_voices(real_voices: dict[str, np.ndarray]) -> None:
    a, b = real_voices["jfk"], real_voices["allison"]
    turns = mixtures.two_voices(a, b, "turns", 10.0)
    turn = int(mixtures.TURN_S * SAMPLE_RATE)
    assert np.array_equal(turns[:turn], mixtures.loop(a, 10.0)[:turn])
    assert np.array_equal(turns[turn : 2 * turn], mixtures.loop(b, 10.0)[turn : 2 * turn])


# --- overlapping speech (pitch cancellation) ---------------------------------------------------


@pytest.mark.parametrize(("first", "second"), AT_ONCE)
def test_two_voices_at_once_are_multiple_voices(
    first: str, second: str, real_voices: dict[str, np.ndarray], pipeline: AudioPipeline
) -> None:
    pcm = mixtures.two_voices(real_voices[first], real_voices[second], "overlap", 5.0, 1.0)
    result = pipeline.analyze(pcm)
    assert result.overlap_s >= pipeline.config.overlap_min_s
    assert "multiple_voices" in result.labels
    assert result.speaker_count >= 2


def test_one_voice_is_never_heard_as_two_at_once(
    real_voices: dict[str, np.ndarray], pipeline: AudioPipeline
) -> None:
    """Every real voice, several passages, normal and 14 dB quieter."""
    worst = 0.0
    for pcm in real_voices.values():
        for offset in (0.0, 2.3):
            chunk = mixtures.loop(pcm, 5.0, offset)
            for gain in (1.0, 10.0 ** (-14.0 / 20.0)):
                worst = max(worst, pipeline.analyze(chunk * gain).overlap_s)
    assert worst < pipeline.config.overlap_min_s


def _harmonic(f0: float, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return sum(np.sin(2 * np.pi * f0 * h * t) / h for h in range(1, 10)).astype(np.float32)


def test_one_period_cancels_one_pitch_and_two_periods_two() -> None:
    one = _harmonic(125.0)
    two = one + _harmonic(177.0)  # not an octave or a fifth of 125 Hz
    single_one, _ = overlap.residuals(one)
    single_two, double_two = overlap.residuals(two)
    middle = slice(3, -3)  # frames away from the edges
    assert float(np.max(single_one[middle])) < 0.05
    assert float(np.min(single_two[middle])) > 0.25
    assert float(np.max(double_two[middle])) < 0.1
    speech = np.ones(len(single_two), dtype=bool)
    assert overlap.overlap_frames(two, speech)[middle].all()
    assert not overlap.overlap_frames(one, speech).any()
    # An octave above is the same voice's harmonics, not a second voice.
    assert not overlap.overlap_frames(one + 0.5 * _harmonic(250.0), speech).any()


def test_music_typing_and_a_cough_are_not_overlapping_speech(
    shared_media: Path, real_voices: dict[str, np.ndarray], pipeline: AudioPipeline
) -> None:
    for case in mixtures.single_voice_cases(real_voices, shared_media, stream=False):
        if case.condition == "non_speech":
            result = pipeline.analyze(case.pcm)
            assert result.overlap_s == 0.0, case.name
            assert not {"multiple_voices", "background_voice"} & set(result.labels), case.name


# --- voices over the session's last minute -----------------------------------------------------


def test_embeddings_round_trip_compactly_and_bad_ones_are_skipped() -> None:
    rng = np.random.default_rng(1)
    emb = np.abs(rng.standard_normal((3, 256))).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    encoded = voices.encode_embeddings(emb)
    assert len(encoded) == 3 and all(len(text) == 684 for text in encoded)
    back = voices.decode_embeddings([*encoded, "not base64!", encoded[0][:40]])
    assert back.shape == (3, 256)
    assert np.abs(back - emb).max() < 1e-3
    assert voices.decode_embeddings([]).shape == (0, 256)


@pytest.mark.parametrize(("first", "second"), TURNS)
def test_turns_across_chunks_are_found_within_ten_seconds(
    first: str, second: str, real_voices: dict[str, np.ndarray], pipeline: AudioPipeline
) -> None:
    """30 s of one voice, then two people taking 2.4 s turns: no 5 s chunk holds 3.1 s of each,
    but the last minute's windows do."""
    a, b = real_voices[first], real_voices[second]
    pcm = np.concatenate([mixtures.loop(a, 30.0), mixtures.two_voices(a, b, "turns", 10.0, 7.0)])
    chunks = _stream(pipeline, pcm)
    assert not any(c.labels for c in chunks if c.at_s < 30.0)
    assert any("multiple_voices" in c.labels for c in chunks if 30.0 <= c.at_s < 40.0)


def test_one_voice_reading_for_a_minute_stays_one_voice(
    real_voices: dict[str, np.ndarray], pipeline: AudioPipeline
) -> None:
    # allison: the single voice with the most two-pitch hops on the set.
    chunks = _stream(pipeline, mixtures.loop(real_voices["allison"], 60.0))
    assert not any(c.labels for c in chunks)


def test_judgement_names_the_chunks_where_the_other_voice_speaks(
    real_voices: dict[str, np.ndarray], pipeline: AudioPipeline
) -> None:
    a, b = real_voices["jfk"], real_voices["allison"]
    history = voices.VoiceHistory()
    session = voices.SessionVoices()
    for k, pcm in enumerate(
        [mixtures.loop(a, 5.0, 5.0 * k) for k in range(4)]
        + [mixtures.loop(b, 5.0), mixtures.loop(a, 5.0, 21.0), mixtures.loop(b, 5.0, 5.0)]
    ):
        result = pipeline.analyze(pcm)
        emb = voices.decode_embeddings(result.window_embeddings)
        session = history.add(voices.ChunkWindows(k, 5.0 * k, emb))
    assert session.voices == 2
    assert session.other_voice_chunks == [4, 6]
    assert voices.chunk_labels(session, 6, enrolled=False) == {"multiple_voices"}
    assert voices.chunk_labels(session, 5, enrolled=False) == set()


def test_old_chunks_leave_the_window() -> None:
    rng = np.random.default_rng(2)
    history = voices.VoiceHistory(voices.VoiceRules(window_s=30.0))
    far = np.abs(rng.standard_normal((4, 256))).astype(np.float32)
    far /= np.linalg.norm(far, axis=1, keepdims=True)
    history.add(voices.ChunkWindows("old", 0.0, far))
    session = history.add(voices.ChunkWindows("new", 30.0, far[:1]))
    assert session.windows == 1


# --- the enrolled candidate --------------------------------------------------------------------


@pytest.mark.parametrize(("candidate", "other"), PAIRS[:2])
def test_enrolled_candidate_silent_other_voice_is_background_voice(
    candidate: str, other: str, real_voices: dict[str, np.ndarray], pipeline: AudioPipeline
) -> None:
    own = real_voices[candidate]
    cut = int(len(own) * 0.4)
    voice = pipeline.enroll(own[:cut])
    pcm = np.concatenate([mixtures.loop(own[cut:], 20.0), mixtures.loop(real_voices[other], 10.0)])
    chunks = _stream(pipeline, pcm, voice)
    assert not any(c.labels for c in chunks if c.at_s < 20.0)
    tail = [c.labels for c in chunks if c.at_s >= 20.0]
    assert any("background_voice" in labels for labels in tail)
    assert not any("multiple_voices" in labels for labels in tail)


@pytest.mark.parametrize(("candidate", "other"), PAIRS[:2])
def test_enrolled_candidate_speaking_with_another_is_multiple_voices(
    candidate: str, other: str, real_voices: dict[str, np.ndarray], pipeline: AudioPipeline
) -> None:
    own = real_voices[candidate]
    cut = int(len(own) * 0.4)
    voice = pipeline.enroll(own[:cut])
    both = mixtures.two_voices(own[cut:], real_voices[other], "turns", 10.0, 3.1)
    chunks = _stream(pipeline, np.concatenate([mixtures.loop(own[cut:], 20.0), both]), voice)
    assert not any(c.labels for c in chunks if c.at_s < 20.0)
    tail = [c.labels for c in chunks if c.at_s >= 20.0]
    assert any("multiple_voices" in labels for labels in tail)
    assert not any("background_voice" in labels for labels in tail)


# --- the evaluation's scoring ------------------------------------------------------------------


def _trace(labels: list[list[str]], second_at: float | None, table: str = "streams") -> Trace:
    from analysis.analyzers.audio import AudioResult

    results = [AudioResult(ok=True, labels=chunk) for chunk in labels]
    return Trace(table, "turns" if second_at is not None else "single", "a+b", results, second_at)


def test_scoring_counts_found_within_ten_seconds_and_alarms_before() -> None:
    from analysis.analyzers.audio.evaluate_voices import score

    quiet = [[] for _ in range(10)]
    traces = [
        _trace([*quiet, ["multiple_voices"], []], 50.0),  # found in the first chunk
        _trace([*quiet, [], ["background_voice"]], 50.0),  # found in the second
        _trace([*quiet[:9], ["multiple_voices"], [], []], 50.0),  # too early: an alarm
        _trace([[]] * 12, None),  # one voice, nothing: right
        _trace([[], ["multiple_voices"]] + [[]] * 10, None),  # one voice, a label: an alarm
    ]
    tables = score(traces, {})
    turns, single = tables["streams"]
    assert (turns.cases, turns.found, turns.false_alarms) == (3, 2, 1)
    assert (single.cases, single.false_alarms) == (2, 1)


# --- one voice enrolled, its quiet stretches; real non-speech --------------------------------


def test_every_enrolled_candidate_alone_stays_one_voice(
    real_voices: dict[str, np.ndarray], pipeline: AudioPipeline
) -> None:
    """The evaluation's candidate-alone streams, every enrollable voice: dialog_90's own quiet
    trailing speech ran 0.70 s at the 20 s splice, which the quieter-voice rule (then 0.7 s)
    took for a second voice and, with the candidate speaking, for multiple_voices."""
    from analysis.analyzers.audio.evaluate_voices import _enrolled_plans, _enrollment_cut

    enrolled = {}
    for name, pcm in real_voices.items():
        if name != "goforward":  # too short to enroll (tested in test_audio)
            enrolled[name] = pipeline.enroll(pcm[: _enrollment_cut(pcm)])
    alone = [
        p for p in _enrolled_plans(real_voices, enrolled) if p.trace.condition == "candidate alone"
    ]
    assert len(alone) == 7
    for planned in alone:
        chunks = _stream(pipeline, planned.pcm, planned.voice)
        assert not any(c.labels for c in chunks), planned.trace.name
        runs = [
            pipeline.analyze(planned.pcm[s : s + CHUNK]).quiet_voice_run_s
            for s in range(0, len(planned.pcm) - CHUNK + 1, CHUNK)
        ]
        assert max(runs) < pipeline.config.background_min_run_s, planned.trace.name


def test_the_quieter_voice_behind_still_fires_on_the_real_background_talker(
    shared_media: Path, pipeline: AudioPipeline
) -> None:
    from analysis.analyzers.audio import decode_wav

    pcm = decode_wav(
        (shared_media / "F_two_speakers/f04_jfk_plus_background_voice_-15dB.wav").read_bytes(),
        strict=False,
        max_seconds=600.0,
    )
    result = pipeline.analyze(pcm)
    assert result.quiet_voice_run_s >= pipeline.config.background_min_run_s
    assert "background_voice" in result.labels


def test_scoring_applies_the_quiet_voice_cut_as_the_pipeline_does(
    shared_media: Path, real_voices: dict[str, np.ndarray], pipeline: AudioPipeline
) -> None:
    """The evaluation analyzes with the rule off and applies its cut afterwards (so one run
    scores every cut): the labels must be the pipeline's own."""
    from dataclasses import replace

    from analysis.analyzers.audio import decode_wav

    f04 = decode_wav(
        (shared_media / "F_two_speakers/f04_jfk_plus_background_voice_-15dB.wav").read_bytes(),
        strict=False,
        max_seconds=600.0,
    )
    chunks = [f04[:CHUNK], f04[CHUNK : 2 * CHUNK], mixtures.loop(real_voices["jfk"], 5.0)]
    off = AudioPipeline(replace(pipeline.config, background_min_run_s=float("inf")))
    rules = voices.VoiceRules()
    for pcm in chunks:
        own = pipeline.analyze(pcm)
        trace = Trace("chunks", "", "", [off.analyze(pcm)], None)
        (scored,) = outcomes(trace, rules, pipeline.config.overlap_min_s)
        assert scored.labels == set(own.labels) - {"speech"}
    assert any(pipeline.analyze(pcm).background_voice for pcm in chunks)


def test_real_music_and_a_real_breath_raise_no_voice_label(pipeline: AudioPipeline) -> None:
    real, missing = mixtures.real_sounds()
    if missing:
        pytest.skip(missing)
    assert set(real) == {"music", "breath"}
    assert len(real["music"]) > 60 * SAMPLE_RATE  # the medley covers a 60 s stream
    for name, pcm in real.items():
        chunks = _stream(pipeline, mixtures.loop(pcm, 60.0, gap_s=0.0))
        assert not any(c.labels for c in chunks), name


def test_real_sounds_say_why_when_not_installed(tmp_path: Path) -> None:
    real, missing = mixtures.real_sounds(tmp_path)
    assert real == {}
    assert missing is not None and "lmms-common" in missing


# --- the evaluation run ------------------------------------------------------------------------


def test_each_distinct_chunk_is_analyzed_once_in_one_or_two_processes(
    real_voices: dict[str, np.ndarray], pipeline: AudioPipeline
) -> None:
    from analysis.analyzers.audio.evaluate_voices import _analyze_all, _Planned

    a = mixtures.loop(real_voices["jfk"], 10.0)
    b = np.concatenate([a, mixtures.loop(real_voices["allison"], 5.0)])
    said: list[str] = []
    by_jobs = {}
    for jobs in (1, 2):
        plans = [
            _Planned(Trace("streams", "", name, [], None), pcm)
            for name, pcm in (("a", a), ("b", b))
        ]
        _analyze_all(plans, pipeline.config, jobs, said.append)
        by_jobs[jobs] = [r for p in plans for r in p.trace.results]
        assert plans[0].trace.results[0] is plans[1].trace.results[0]  # shared, analyzed once
    assert said == ["5 chunks in 2 cases, 3 distinct to analyze"] * 2
    assert len(by_jobs[1]) == 5
    # A worker's one BLAS thread may round differently from this process's: same verdicts,
    # embeddings equal to float16 precision.
    for one, two in zip(by_jobs[1], by_jobs[2], strict=True):
        assert one.labels == two.labels and one.speech_segments == two.speech_segments
        assert one.quiet_voice_run_s == two.quiet_voice_run_s
        assert one.overlap_s == two.overlap_s
        emb_one = voices.decode_embeddings(one.window_embeddings)
        emb_two = voices.decode_embeddings(two.window_embeddings)
        assert emb_one.shape == emb_two.shape and np.abs(emb_one - emb_two).max() < 1e-2


def test_evaluate_voices_command_scores_kept_chunks(tmp_path: Path) -> None:
    import pickle

    from django.core.management import call_command

    from analysis.analyzers.audio import AudioResult

    quiet = [AudioResult(ok=True) for _ in range(10)]
    traces = [
        Trace("streams", "turns", "a+b", [*quiet, AudioResult(ok=True, overlap_s=0.5)], 50.0),
        Trace(
            "streams", "single", "a", [*quiet, AudioResult(ok=True, quiet_voice_run_s=2.0)], None
        ),
    ]
    kept = tmp_path / "kept.pickle"
    kept.write_bytes(pickle.dumps((traces, {})))
    import contextlib
    from io import StringIO

    out = StringIO()
    with contextlib.redirect_stdout(out):
        call_command("evaluate_voices", "--load", str(kept), "--verbose")
    text = out.getvalue()
    assert "| turns | 1 | 1/1 (100 %) | 0 |" in text
    assert "| single | 1 | - | 1 |" in text
    assert "a@50s:['background_voice', 'multiple_voices']" in text
