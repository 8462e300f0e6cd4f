"""Where to put the energy gate in front of Silero: the loudest 32 ms window of every 5 s
chunk of the shared audio, beside Silero's verdict on that chunk.

    .venv/bin/python bench/energy_gate.py [--media ../shared/media] [--chunk-s 5]

A gate below the quietest chunk in which Silero hears speech (minus a margin) skips Silero
only on chunks it would have called silent anyway.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.analyzers.audio import vad  # noqa: E402
from analysis.analyzers.audio.decode import SAMPLE_RATE, decode_wav  # noqa: E402
from analysis.analyzers.audio.pipeline import AudioConfig, loudest_window_dbfs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--media", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "media"
    )
    parser.add_argument("--chunk-s", type=float, default=5.0)
    args = parser.parse_args()
    rules = AudioConfig().segment_rules()
    speech_levels: list[float] = []
    silent_levels: list[float] = []
    silero_ms: list[float] = []
    with (args.media / "MANIFEST.tsv").open() as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["kind"] == "audio"]
    for row in rows:
        pcm = decode_wav((args.media / row["path"]).read_bytes(), max_seconds=600, strict=False)
        step = int(args.chunk_s * SAMPLE_RATE)
        for index, start in enumerate(range(0, len(pcm), step)):
            chunk = pcm[start : start + step]
            if len(chunk) < SAMPLE_RATE:
                continue
            t0 = time.perf_counter()
            probs = vad.speech_probabilities(chunk)
            silero_ms.append((time.perf_counter() - t0) * 1000)
            speech = bool(vad.speech_segments(probs, len(chunk) / SAMPLE_RATE, rules))
            level = loudest_window_dbfs(chunk)
            (speech_levels if speech else silent_levels).append(level)
            print(f"{row['path']:70s} chunk {index:2d} loudest {level:7.1f} dBFS speech={speech}")
    print()
    print(
        f"chunks with speech: {len(speech_levels)}, "
        f"quietest loudest-window {min(speech_levels):.1f} dBFS"
    )
    print(
        f"chunks without speech: {len(silent_levels)}, "
        f"levels {sorted(round(v, 1) for v in silent_levels)}"
    )
    print(f"Silero per chunk: median {np.median(silero_ms):.1f} ms")
    print(f"gate in use: {AudioConfig().energy_gate_dbfs} dBFS")


if __name__ == "__main__":
    main()
