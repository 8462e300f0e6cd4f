"""Run the audio pipeline over a media manifest and print predictions against the labels.

    python -m analysis.analyzers.audio.evaluate \\
        --manifest ../shared/media/MANIFEST.tsv [--diagnostics]

The manifest format is ../shared/media's (tab-separated; ``labels`` holds ``key=value`` pairs
separated by ``;``). Predictions use the manifest's keys: ``speech``, ``speakers``,
``background_voice`` and ``person`` (the first audio item of each person id is that person's
voice enrollment). ``--diagnostics`` prints the quantities the default thresholds were chosen
from (see docs/ANALYZERS.md), measured on every file of the set.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.cluster.hierarchy import linkage

from ..errors import MediaError
from . import ge2e, vad
from .decode import SAMPLE_RATE, decode_wav
from .pipeline import AudioPipeline, AudioResult


@dataclass
class AudioItem:
    """One audio row of a manifest, its expected labels and what the pipeline predicted."""

    path: str
    expected: dict[str, str]
    predicted: dict[str, str]
    result: AudioResult


def parse_labels(text: str) -> dict[str, str]:
    """``"speech=1;speakers=2"`` -> ``{"speech": "1", "speakers": "2"}``."""
    return dict(pair.split("=", 1) for pair in text.split(";") if "=" in pair)


def predicted_labels(result: AudioResult) -> dict[str, str]:
    """An :class:`AudioResult` in the manifest's vocabulary."""
    return {
        "speech": "1" if result.speech else "0",
        "speakers": str(result.speaker_count),
        "background_voice": "1" if result.background_voice else "0",
    }


def evaluate_manifest(manifest: Path, pipeline: AudioPipeline | None = None) -> list[AudioItem]:
    """Analyze every audio row of ``manifest``; recordings at other rates are converted."""
    pipeline = pipeline or AudioPipeline()
    enrolled: dict[str, np.ndarray] = {}
    items: list[AudioItem] = []
    with open(manifest, newline="") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["kind"] == "audio"]
    for row in rows:
        expected = parse_labels(row["labels"])
        pcm = decode_wav((manifest.parent / row["path"]).read_bytes(), strict=False)
        result = pipeline.analyze(pcm)
        predicted = predicted_labels(result)
        person = expected.get("person")
        if person and person not in enrolled:
            enrolled[person] = pipeline.enroll(pcm)
            predicted["person"] = person  # the enrollment item itself
        elif enrolled:
            predicted["person"] = _best_person(pipeline, pcm, enrolled)
        items.append(AudioItem(row["path"], expected, predicted, result))
    return items


def _best_person(pipeline: AudioPipeline, pcm: np.ndarray, enrolled: dict[str, np.ndarray]) -> str:
    """The enrolled person whose voice covers all of the speech (no foreign window), as the
    pipeline decides ``background_voice``; the most similar one if several; else empty."""
    best, best_sim = "", -1.0
    for person, voice in enrolled.items():
        result = pipeline.analyze(pcm, enrolled_voice=voice)
        sim = result.enrolled_similarity
        if result.speech and not result.background_voice and sim is not None and sim > best_sim:
            best, best_sim = person, sim
    return best


def _speech_only(pipeline: AudioPipeline, pcm: np.ndarray) -> np.ndarray:
    probs = vad.speech_probabilities(pcm)
    segs = vad.speech_segments(probs, len(pcm) / SAMPLE_RATE, pipeline.config.segment_rules())
    return np.concatenate([pcm[int(s * SAMPLE_RATE) : int(e * SAMPLE_RATE)] for s, e in segs])


def print_diagnostics(manifest: Path, pipeline: AudioPipeline) -> None:
    """The measurements behind the default thresholds, for every speech file of the set."""
    with open(manifest, newline="") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["kind"] == "audio"]
    encoder = ge2e.get_encoder()
    print("\n# Voice clustering: height of the last average-linkage merge (cosine distance)")
    halves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for row in rows:
        labels = parse_labels(row["labels"])
        if labels.get("speech") != "1":
            continue
        pcm = decode_wav((manifest.parent / row["path"]).read_bytes(), strict=False)
        speech = _speech_only(pipeline, pcm)
        starts = pipeline._window_starts(speech.size)
        emb = encoder.embed_windows(speech, starts)
        height = "-"
        if len(emb) >= 2:
            dist = 1.0 - (emb @ emb.T)[np.triu_indices(len(emb), 1)]
            height = f"{linkage(np.clip(dist, 0, 2), 'average')[-1, 2]:.3f}"
        print(
            f"{row['path']:60} speakers={labels.get('speakers', '?')} windows={len(emb):3d} "
            f"last_merge={height}"
        )
        if labels.get("speakers") == "1" and speech.size >= 2 * SAMPLE_RATE * 1.6:
            mid = speech.size // 2
            halves[row["path"]] = (encoder.embed_utterance(speech[:mid]), speech[mid:])
    print("\n# Enrollment: window similarity to an enrollment made on the first half of each")
    print("# single-speaker recording (same = its own second half, different = the others)")
    same: list[float] = []
    diff: list[float] = []
    for path, (voice, _) in halves.items():
        for other, (_, rest) in halves.items():
            sims = encoder.embed_windows(rest, pipeline._window_starts(rest.size)) @ voice
            (same if other == path else diff).extend(sims.tolist())
    if same and diff:
        s, d = np.array(same), np.array(diff)
        print(
            f"same speaker:      {len(s):4d} windows, min {s.min():.3f}, "
            f"5th pct {np.percentile(s, 5):.3f}"
        )
        print(
            f"different speaker: {len(d):4d} windows, 95th pct {np.percentile(d, 95):.3f}, "
            f"max {d.max():.3f}"
        )
    print_enrollment_checks(manifest, pipeline)
    print(
        "\n# Quiet voice behind the main one: longest VAD-speech run >= "
        f"{pipeline.config.background_level_db:g} dB below the loud speech level"
    )
    for row in rows:
        labels = parse_labels(row["labels"])
        if labels.get("speech") != "1":
            continue
        pcm = decode_wav((manifest.parent / row["path"]).read_bytes(), strict=False)
        run_s = pipeline._quiet_voice_run_s(pcm, vad.speech_probabilities(pcm))
        print(
            f"{row['path']:60} background_voice={labels.get('background_voice', '0')} "
            f"longest_quiet_run={run_s:.2f} s"
        )


def print_enrollment_checks(manifest: Path, pipeline: AudioPipeline) -> None:
    """Candidate reading aloud vs someone else: enroll on the first 40 % of each
    single-speaker recording, then analyze its remaining 60 % and every other such recording."""
    with open(manifest, newline="") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["kind"] == "audio"]
    clips: dict[str, np.ndarray] = {}
    for row in rows:
        if parse_labels(row["labels"]).get("speakers") == "1":
            clips[row["path"]] = decode_wav(
                (manifest.parent / row["path"]).read_bytes(), strict=False
            )
    own_ok = own_n = other_ok = other_n = 0
    print("\n# Enrollment on the first 40 % of each single-speaker recording")
    for path, pcm in clips.items():
        cut = int(len(pcm) * 0.4)
        try:
            voice = pipeline.enroll(pcm[:cut])
        except MediaError as exc:
            print(f"{path:60} not enrollable: {exc.reason}")
            continue
        own = pipeline.analyze(pcm[cut:], enrolled_voice=voice)
        own_n += 1
        own_ok += own.labels == ["speech"]
        flagged = []
        for other, other_pcm in clips.items():
            if other == path:
                continue
            result = pipeline.analyze(other_pcm, enrolled_voice=voice)
            other_n += 1
            other_ok += result.background_voice
            if not result.background_voice:
                flagged.append(Path(other).name)
        print(
            f"{path:60} rest of own recording: {own.labels} sim={own.enrolled_similarity}; "
            f"other speakers NOT flagged: {flagged or 'none'}"
        )
    print(
        f"own voice without voice labels: {own_ok}/{own_n}; other speakers flagged as "
        f"background_voice: {other_ok}/{other_n}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--diagnostics", action="store_true")
    args = parser.parse_args(argv)
    pipeline = AudioPipeline()
    items = evaluate_manifest(args.manifest, pipeline)
    keys = ("speech", "speakers", "background_voice", "person")
    print(f"{'path':60} " + " ".join(f"{k:>22}" for k in keys) + "  vad_max")
    correct = dict.fromkeys(keys, 0)
    judged = dict.fromkeys(keys, 0)
    for item in items:
        cells = []
        for key in keys:
            exp = item.expected.get(key, "0" if key == "background_voice" else None)
            got = item.predicted.get(key, "")
            if exp is None:
                cells.append(f"{'(' + got + ')':>22}")
                continue
            judged[key] += 1
            correct[key] += got == exp
            mark = "ok" if got == exp else "WRONG"
            cells.append(f"{exp + '->' + got + ' ' + mark:>22}")
        print(f"{item.path:60} " + " ".join(cells) + f"  {item.result.speech_prob_max:.2f}")
    print("\naccuracy: " + ", ".join(f"{k} {correct[k]}/{judged[k]}" for k in keys if judged[k]))
    if args.diagnostics:
        print_diagnostics(args.manifest, pipeline)


if __name__ == "__main__":
    main()
