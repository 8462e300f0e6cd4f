"""The audio pipeline: one 16 kHz mono chunk in, an :class:`AudioResult` out.

Stages: Silero VAD over the whole chunk (cheap), loudness, and only where the VAD found speech
the GE2E speaker encoder (expensive), whose window embeddings are clustered to count voices and
compared with the candidate's enrolled voice, and the pitch-cancellation overlap detector
(``overlap.py``: two people talking at once). Typical exam audio is mostly quiet, so most chunks
never reach the encoder. The window embeddings are returned (``window_embeddings``) so the
caller can judge voices over the session's last minute (``voices.py``), not one chunk alone.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from ..errors import MediaError
from . import ge2e, overlap, vad, voices
from .decode import SAMPLE_RATE, decode_wav

PIPELINE_VERSION = "audio-3"
_DBFS_FLOOR = -120.0  # digital silence: a finite number keeps results JSON-serialisable


@dataclass(frozen=True)
class AudioConfig:
    """Thresholds of the audio pipeline. Defaults were chosen on the whole shared media set
    (see docs/ANALYZERS.md); an accommodation can turn checks down or off per candidate.
    """

    # Silero hysteresis (Silero's own defaults).
    speech_threshold: float = 0.5
    speech_neg_threshold: float = 0.35
    min_speech_s: float = 0.25
    min_silence_s: float = 0.1
    speech_pad_s: float = 0.03
    # Speaker embeddings: 1.6 s windows (the encoder's training length) every 0.75 s of speech.
    embed_hop_s: float = 0.75
    # Less speech than this gives no embedding: a padded half-second is not a voice print.
    min_embed_speech_s: float = 1.0
    # Average-linkage cut on cosine distance between window embeddings; a voice needs this many
    # windows (3 windows = 3.1 s of speech, the "another voice for >= 3 s").
    cluster_distance: float = 0.30
    min_voice_windows: int = 3
    # A window whose cosine similarity to the enrolled voice is below this is someone else;
    # background_voice needs this many such windows (fewer if the chunk has fewer windows).
    enrolled_threshold: float = 0.65
    min_foreign_windows: int = 2
    # A quieter talker behind the main one: speech (VAD) continuing for background_min_run_s at
    # background_level_db or more below the chunk's loud speech level. One voice alone reaches
    # 0.70 s on the whole mixture set (the real dialogue's speaker, docs/ANALYZERS.md), the
    # background talker of f04 0.96 s: 0.8 sits between, three 32 ms hops above one voice.
    background_level_db: float = 12.0
    background_min_run_s: float = 0.8
    # Two voices at once (overlap.py): 32 ms hops of speech that one pitch period leaves more
    # than overlap_single_min of, that two unrelated periods cancel below overlap_double_max
    # and below overlap_gain times the single residual, in runs of overlap_min_run hops (gaps
    # of one hop bridged). A chunk with overlap_min_s of such hops holds overlapping speech
    # (0.13 s: 4 hops, more than one short run). Chosen on the mixtures of docs/ANALYZERS.md.
    overlap_single_min: float = 0.25
    overlap_double_max: float = 0.25
    overlap_gain: float = 0.4
    overlap_min_run: int = 3
    overlap_min_s: float = 0.13
    # Overlap is counted in the densest overlap_span_s of the audio (the whole of a 5 s chunk),
    # so sporadic hops over a long recording do not add up to an overlap that lasts.
    overlap_span_s: float = 5.0

    # Energy gate: a chunk whose loudest 32 ms window is below this level skips Silero (and
    # so the encoder) and counts as silent. Chosen with bench/energy_gate.py on the shared
    # audio cut into the page's 5 s chunks (docs/ANALYZERS.md "Energy gate"). None: no gate.
    energy_gate_dbfs: float | None = -40.0
    # Accommodations: turn voice checks off for one candidate (e.g. one who reads aloud).
    count_voices: bool = True
    check_background_voice: bool = True

    def overlap_rules(self) -> overlap.OverlapRules:
        return overlap.OverlapRules(
            single_min=self.overlap_single_min,
            double_max=self.overlap_double_max,
            gain=self.overlap_gain,
            min_run=self.overlap_min_run,
        )

    def segment_rules(self) -> vad.SegmentRules:
        return vad.SegmentRules(
            threshold=self.speech_threshold,
            neg_threshold=self.speech_neg_threshold,
            min_speech_s=self.min_speech_s,
            min_silence_s=self.min_silence_s,
            pad_s=self.speech_pad_s,
        )


@dataclass
class AudioResult:
    """What the audio pipeline found in one chunk. ``ok`` is False (with ``error_reason``) for
    media that could not be analyzed; every other field then keeps its empty default."""

    ok: bool
    error_reason: str | None = None
    duration_s: float = 0.0
    speech: bool = False
    speech_prob_max: float = 0.0
    speech_ratio: float = 0.0
    speech_segments: list[list[float]] = field(default_factory=list)
    loudness_dbfs: float = _DBFS_FLOOR
    peak_dbfs: float = _DBFS_FLOOR
    speaker_count: int = 0
    background_voice: bool = False
    enrolled_similarity: float | None = None
    # Seconds of speech where two pitches are heard at once, in the densest 5 s
    # (AudioConfig.overlap_span_s); 0 when the check is off.
    overlap_s: float = 0.0
    # Longest stretch (s) of VAD speech AudioConfig.background_level_db or more below the
    # chunk's loud speech: a quieter voice behind the main one when it lasts
    # background_min_run_s; 0 when the check is off.
    quiet_voice_run_s: float = 0.0
    # Each GE2E window's span in the chunk ([start_s, end_s] of the speech it covers) and its
    # embedding (voices.encode_embeddings: float16, base64), for judging the session's voices.
    window_spans: list[list[float]] = field(default_factory=list)
    window_embeddings: list[str] = field(default_factory=list)

    # True when the energy gate judged the chunk silent without running the VAD.
    gated: bool = False
    labels: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-serialisable dict (floats rounded for storage)."""
        return asdict(self)


def _dbfs(value: float) -> float:
    return max(_DBFS_FLOOR, 20.0 * float(np.log10(value))) if value > 0 else _DBFS_FLOOR


def _window_spans(segments: list[tuple[float, float]], starts: list[int]) -> list[list[float]]:
    """Where each window (sample offsets into the concatenated speech) lies in the chunk."""
    win_s = ge2e.PARTIAL_FRAMES * ge2e.HOP / SAMPLE_RATE
    bounds = np.cumsum([0.0] + [e - s for s, e in segments])

    def chunk_time(offset_s: float) -> float:
        k = int(np.clip(np.searchsorted(bounds, offset_s, side="right") - 1, 0, len(segments) - 1))
        return min(segments[k][1], segments[k][0] + offset_s - bounds[k])

    return [
        [round(chunk_time(s / SAMPLE_RATE), 3), round(chunk_time(s / SAMPLE_RATE + win_s), 3)]
        for s in starts
    ]


def _densest(mask: np.ndarray, span_s: float) -> int:
    """Most True hops in any ``span_s`` of the mask (all of them in shorter audio)."""
    span = max(1, round(span_s / vad.WINDOW_S))
    if len(mask) <= span:
        return int(mask.sum())
    return int(np.convolve(mask.astype(np.int32), np.ones(span, np.int32), "valid").max())


def loudest_window_dbfs(pcm: np.ndarray) -> float:
    """Level (dBFS) of the loudest of the VAD's 32 ms windows: what the energy gate compares."""
    n = int(np.ceil(pcm.size / vad.WINDOW))
    frames = np.zeros(n * vad.WINDOW, dtype=np.float32)
    frames[: pcm.size] = pcm
    power = np.mean(np.square(frames.reshape(n, vad.WINDOW), dtype=np.float64), axis=1)
    return _dbfs(float(np.sqrt(power.max())))


def _longest_run(mask: np.ndarray) -> int:
    best = run = 0
    for flag in mask:
        run = run + 1 if flag else 0
        best = max(best, run)
    return best


class AudioPipeline:
    """Speech, loudness and voices in 16 kHz mono float32 audio.

    Models load lazily once per process (Silero once per thread); an instance is cheap and holds
    only its :class:`AudioConfig`.
    """

    def __init__(self, config: AudioConfig | None = None) -> None:
        self.config = config or AudioConfig()

    @staticmethod
    def versions() -> dict[str, str]:
        """Versions of the models and of this pipeline, stored with every result."""
        return {
            "vad": vad.silero_version(),
            "speaker": ge2e.GE2EEncoder.VERSION,
            "pipeline": PIPELINE_VERSION,
        }

    def analyze_wav(
        self,
        data: bytes,
        *,
        enrolled_voice: np.ndarray | None = None,
        max_seconds: float = 60.0,
    ) -> AudioResult:
        """Decode a 16 kHz mono PCM16 WAV and analyze it; bad media gives ``ok=False`` with the
        :class:`MediaError` reason instead of raising, so a worker never dies on an upload."""
        try:
            pcm = decode_wav(data, max_seconds=max_seconds)
        except MediaError as exc:
            return AudioResult(ok=False, error_reason=exc.reason, versions=self.versions())
        return self.analyze(pcm, enrolled_voice=enrolled_voice)

    def analyze(self, pcm: np.ndarray, *, enrolled_voice: np.ndarray | None = None) -> AudioResult:
        """Analyze float32 mono 16 kHz samples in [-1, 1].

        Labels: ``speech`` when the VAD finds a speech segment; ``multiple_voices`` when two or
        more distinct voices are heard in the chunk (two clusters of windows, or two pitches at
        once for ``overlap_min_s``); ``background_voice`` when a quieter voice continues behind
        the main one, or when the speech does not match ``enrolled_voice``. With an enrolled
        voice, another voice while the candidate also speaks is ``multiple_voices``, and
        ``background_voice`` only when the candidate is silent.
        """
        cfg = self.config
        versions = self.versions()
        pcm = np.asarray(pcm, dtype=np.float32).reshape(-1)
        if pcm.size == 0:
            return AudioResult(ok=False, error_reason="empty", versions=versions)
        if not np.all(np.isfinite(pcm)):
            return AudioResult(ok=False, error_reason="not_finite", versions=versions)
        duration = pcm.size / SAMPLE_RATE

        t0 = time.perf_counter()
        gated = cfg.energy_gate_dbfs is not None and loudest_window_dbfs(pcm) < cfg.energy_gate_dbfs
        if gated:  # too quiet for speech anywhere: Silero would find none
            probs = np.zeros(int(np.ceil(pcm.size / vad.WINDOW)), dtype=np.float32)
            segments = []
        else:
            probs = vad.speech_probabilities(pcm)
            segments = vad.speech_segments(probs, duration, cfg.segment_rules())
        vad_ms = (time.perf_counter() - t0) * 1000.0

        rms = float(np.sqrt(np.mean(np.square(pcm, dtype=np.float64))))
        result = AudioResult(
            ok=True,
            duration_s=round(duration, 3),
            speech=bool(segments),
            speech_prob_max=round(float(probs.max()), 4),
            speech_ratio=round(sum(e - s for s, e in segments) / duration, 4),
            speech_segments=[[round(s, 3), round(e, 3)] for s, e in segments],
            loudness_dbfs=round(_dbfs(rms), 2),
            peak_dbfs=round(_dbfs(float(np.max(np.abs(pcm)))), 2),
            gated=gated,
            versions=versions,
        )

        embed_ms = overlap_ms = 0.0
        foreign_present = candidate_present = False
        if segments:
            result.speaker_count = 1
            speech = np.concatenate(
                [pcm[int(s * SAMPLE_RATE) : int(e * SAMPLE_RATE)] for s, e in segments]
            )
            if speech.size >= cfg.min_embed_speech_s * SAMPLE_RATE and (
                cfg.count_voices or cfg.check_background_voice
            ):
                t1 = time.perf_counter()
                starts = self._window_starts(speech.size)
                embeddings = ge2e.get_encoder().embed_windows(speech, starts)
                embed_ms = (time.perf_counter() - t1) * 1000.0
                result.window_spans = _window_spans(segments, starts)
                result.window_embeddings = voices.encode_embeddings(embeddings)
                foreign_present, candidate_present = self._judge_voices(
                    result, embeddings, enrolled_voice
                )
            if cfg.check_background_voice:
                result.quiet_voice_run_s = round(self._quiet_voice_run_s(pcm, probs), 3)
            quiet_voice = (
                cfg.check_background_voice and result.quiet_voice_run_s >= cfg.background_min_run_s
            )
            if quiet_voice:
                result.background_voice = True
                result.speaker_count = max(result.speaker_count, 2)
            if cfg.count_voices:
                t2 = time.perf_counter()
                hops = overlap.overlap_frames(
                    pcm, probs >= cfg.speech_threshold, cfg.overlap_rules()
                )
                overlap_ms = (time.perf_counter() - t2) * 1000.0
                result.overlap_s = round(_densest(hops, cfg.overlap_span_s) * vad.WINDOW_S, 3)
                if result.overlap_s >= cfg.overlap_min_s:
                    result.speaker_count = max(result.speaker_count, 2)
            if (
                enrolled_voice is not None
                and candidate_present
                and (foreign_present or quiet_voice or result.overlap_s >= cfg.overlap_min_s)
            ):
                # The candidate speaks and someone else too: that is several voices, not a
                # voice in the background while the candidate is silent.
                result.background_voice = False
                result.speaker_count = max(result.speaker_count, 2)

        labels = set()
        if result.speech:
            labels.add("speech")
        if cfg.count_voices and result.speaker_count >= 2:
            labels.add("multiple_voices")
        if cfg.check_background_voice and result.background_voice:
            labels.add("background_voice")
        result.labels = sorted(labels)
        result.timings_ms = {
            "vad": round(vad_ms, 2),
            "embed": round(embed_ms, 2),
            "overlap": round(overlap_ms, 2),
        }
        return result

    def enroll(self, pcm: np.ndarray) -> np.ndarray:
        """The candidate's voice print (256 float32, L2-normalised) from a sentence read aloud.

        Only the speech the VAD finds is used. Raises ``MediaError("no_speech")`` when there is
        less than ``min_embed_speech_s`` of speech, and ``MediaError("empty")`` for no samples.
        """
        pcm = np.asarray(pcm, dtype=np.float32).reshape(-1)
        if pcm.size == 0:
            raise MediaError("empty", "The enrollment audio is empty.")
        probs = vad.speech_probabilities(pcm)
        segments = vad.speech_segments(probs, pcm.size / SAMPLE_RATE, self.config.segment_rules())
        speech_s = sum(e - s for s, e in segments)
        if speech_s < self.config.min_embed_speech_s:
            raise MediaError(
                "no_speech",
                f"The enrollment recording holds {speech_s:.1f} s of speech; "
                f"at least {self.config.min_embed_speech_s:g} s is needed. "
                "Please read the sentence aloud.",
            )
        speech = np.concatenate(
            [pcm[int(s * SAMPLE_RATE) : int(e * SAMPLE_RATE)] for s, e in segments]
        )
        return ge2e.get_encoder().embed_utterance(speech)

    def _window_starts(self, n_samples: int) -> list[int]:
        win = ge2e.PARTIAL_FRAMES * ge2e.HOP
        hop = int(self.config.embed_hop_s * SAMPLE_RATE)
        starts = list(range(0, n_samples - win + 1, hop))
        # A tail longer than half a hop gets its own (end-aligned) window so it is not ignored.
        if not starts:
            return [0]
        if n_samples - (starts[-1] + win) > hop // 2:
            starts.append(n_samples - win)
        return starts

    def _judge_voices(
        self, result: AudioResult, embeddings: np.ndarray, enrolled: np.ndarray | None
    ) -> tuple[bool, bool]:
        """Count voices in the chunk; with an enrolled voice, say whether someone else's voice
        and the candidate's own are present (``(foreign, candidate)``)."""
        cfg = self.config
        n = len(embeddings)
        if n >= cfg.min_voice_windows:
            sims = embeddings @ embeddings.T
            condensed = 1.0 - sims[np.triu_indices(n, 1)]
            labels = fcluster(
                linkage(np.clip(condensed, 0.0, 2.0), "average"),
                cfg.cluster_distance,
                "distance",
            )
            sizes = np.bincount(labels)
            # Small clusters are noisy windows (coughs, overlap, a word cut in two), not voices.
            result.speaker_count = max(1, int(np.sum(sizes >= cfg.min_voice_windows)))
        if enrolled is not None:
            enrolled = np.asarray(enrolled, dtype=np.float32).reshape(-1)
            enrolled = enrolled / max(float(np.linalg.norm(enrolled)), 1e-12)
            mean = embeddings.mean(axis=0)
            result.enrolled_similarity = round(
                float(mean @ enrolled / max(float(np.linalg.norm(mean)), 1e-12)), 4
            )
            window_sims = embeddings @ enrolled
            foreign = int(np.sum(window_sims < cfg.enrolled_threshold))
            matching = n - foreign
            needed = min(cfg.min_foreign_windows, n)
            if cfg.check_background_voice and foreign >= needed:
                result.background_voice = True
            if foreign >= cfg.min_foreign_windows and matching >= cfg.min_foreign_windows:
                # Candidate and someone else both speak: two voices even if clustering merged them.
                result.speaker_count = max(result.speaker_count, 2)
            return foreign >= needed, matching >= cfg.min_foreign_windows
        return False, False

    def _quiet_voice_run_s(self, pcm: np.ndarray, probs: np.ndarray) -> float:
        """Longest stretch (s) where the VAD still hears speech at ``background_level_db`` or
        more below the chunk's loud speech: a talker behind the main one keeps the VAD on in
        the main speaker's pauses, while one person's own pauses are silent."""
        cfg = self.config
        n = len(probs)
        frames = np.zeros(n * vad.WINDOW, dtype=np.float32)
        frames[: pcm.size] = pcm
        level = 10.0 * np.log10(np.mean(np.square(frames.reshape(n, vad.WINDOW)), axis=1) + 1e-12)
        # ~160 ms smoothing so a single quiet consonant does not count as a quiet voice.
        level = np.convolve(level, np.ones(5) / 5.0, mode="same")
        is_speech = probs >= cfg.speech_threshold
        if not np.any(is_speech):
            return 0.0
        loud = float(np.percentile(level[is_speech], 90))
        quiet_speech = is_speech & (level < loud - cfg.background_level_db)
        return _longest_run(quiet_speech) * vad.WINDOW_S
