"""Two-voice mixtures and single-voice streams built from the shared real recordings.

The evaluation set of the voice checks (docs/ANALYZERS.md, "Several voices in 5 s chunks"):
every real voice of ../shared/media (the synthetic espeak voices are left out), levelled to the
same active speech level, then

- ``overlap``: the second voice talks at the same level all the time (0 dB);
- ``behind``: the second voice talks all the time 10 dB below the first;
- ``turns``: the two voices take turns of about 2.4 s;

for every ordered pair of distinct voices, as one 5 s chunk and as a 60 s stream of 5 s chunks
(the first voice alone for 50 s, then the condition for the last 10 s: the second voice must
be found within 10 s of starting, with nearly a minute of the first voice in the window).
Single voices (normal level and 14 dB quieter), room tone, noise, typing (real, from the shared
media), real music and a real breath (Debian's ``lmms-common`` samples, when installed),
synthetic chords and a synthetic cough are the false-alarm side. Plain numpy; no Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .decode import SAMPLE_RATE, decode_wav, resample_to_16k

CHUNK_S = 5.0
STREAM_S = 60.0
SECOND_VOICE_AT_S = 50.0
TURN_S = 2.4
CONDITIONS = ("overlap", "behind", "turns")
_LEVEL_DB = -26.0  # active speech level every voice is brought to

# Real single-speaker recordings (manifest path) and the stretches of the real two-speaker
# recording where one speaker talks alone (from its RTTM, overlaps removed).
_SOLO_FILES = {
    "jfk": "E_speech_single_speaker/e01_jfk_inaugural_16k.wav",
    "librivox": "E_speech_single_speaker/e02_librivox_austen_0870.wav",
    "arctic_m": "E_speech_single_speaker/e04_cmu_arctic_a0007_male.wav",
    "allison": "E_speech_single_speaker/e06_asterisk_en_allison_demo_congrats.wav",
    "radio": "E_speech_single_speaker/e07_codec2_vk5qi_radio.wav",
    "goforward": "E_speech_single_speaker/e10_pocketsphinx_goforward.wav",
}
_DIALOG = "F_two_speakers/f01_pyannote_sample_2speakers"
_NON_SPEECH_FILES = {
    "room_tone": "F_no_speech/n01_pyannote_sample_leadin_roomtone.wav",
    "noise": "F_no_speech/n03_alsa_noise.wav",
    "typing": "F_no_speech/n04_bucklespring_typing.wav",  # bucklespring's real key samples
}

# Real recordings the shared media lacks, read from where Debian's ``lmms-common`` package
# installs them (``apt-get install lmms-common``; Debian main, "Files: *" GPL-2+ in
# /usr/share/doc/lmms-common/copyright). Never committed: absent, the cases are skipped and the
# evaluation says so. ``music`` is a medley of its acoustic-instrument samples (phrases and
# chords of flute, guitar, piano, organ, strings, trumpet, cello), ``breath`` a recorded
# human breath (the nearest real sound to a cough found in a package: no packaged cough was
# found, so the cough stays synthetic).
LMMS_SAMPLES = Path("/usr/share/lmms/samples")
_REAL_MUSIC = (
    "instruments/flute01.ogg",
    "latin/latin_guitar03.ogg",
    "instruments/piano02.ogg",
    "instruments/church_organ01.ogg",
    "stringsnpads/strings01.ogg",
    "instruments/trumpet01.ogg",
    "instruments/steel_guitar01.ogg",
    "instruments/cello01.ogg",
    "latin/latin_guitar01.ogg",
)
_REAL_BREATH = "misc/breath01.ogg"


@dataclass(frozen=True)
class Case:
    """One evaluation item: audio, what is in it, and (streams) when the second voice starts."""

    name: str
    condition: str  # overlap | behind | turns | single | quiet | non_speech | enrolled_*
    pcm: np.ndarray
    voices: tuple[str, ...]
    second_voice_at_s: float | None = None


def _read(media: Path, rel: str) -> np.ndarray:
    return decode_wav((media / rel).read_bytes(), strict=False, max_seconds=600.0)


def _dialog_solo(media: Path) -> dict[str, np.ndarray]:
    pcm = _read(media, _DIALOG + ".wav")
    turns: list[tuple[str, float, float]] = []
    with open(media / (_DIALOG + ".rttm")) as fh:
        for line in fh:
            parts = line.split()
            start, length = float(parts[3]), float(parts[4])
            turns.append((parts[7], start, start + length))
    out: dict[str, list[np.ndarray]] = {}
    for who, start, end in turns:
        for other, o_start, o_end in turns:
            if other != who and o_start < end and o_end > start:
                # Keep only the part before (or after) the other speaker's turn.
                if o_start > start:
                    end = min(end, o_start)
                else:
                    start = max(start, o_end)
        if end - start >= 0.4:
            out.setdefault(who, []).append(pcm[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)])
    return {f"dialog_{who[-2:]}": np.concatenate(parts) for who, parts in out.items()}


def active_level_db(pcm: np.ndarray) -> float:
    """RMS level (dBFS) over the 20 ms frames within 30 dB of the loudest: speech, not pauses."""
    n = len(pcm) // 320
    frames = pcm[: n * 320].reshape(n, 320).astype(np.float64)
    energy = 10.0 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    active = energy >= energy.max() - 30.0
    return float(10.0 * np.log10(np.mean(10.0 ** (energy[active] / 10.0))))


def _at_level(pcm: np.ndarray, level_db: float) -> np.ndarray:
    return (pcm * 10.0 ** ((level_db - active_level_db(pcm)) / 20.0)).astype(np.float32)


def load_voices(media: Path) -> dict[str, np.ndarray]:
    """Every real voice of the shared media, 16 kHz, at the same active speech level."""
    voices = {name: _read(media, rel) for name, rel in _SOLO_FILES.items()}
    voices.update(_dialog_solo(media))
    return {name: _at_level(pcm, _LEVEL_DB) for name, pcm in sorted(voices.items())}


def loop(pcm: np.ndarray, seconds: float, offset_s: float = 0.0, gap_s: float = 0.3) -> np.ndarray:
    """``seconds`` of ``pcm`` played again and again (``gap_s`` of silence between), starting
    ``offset_s`` into it."""
    unit = np.concatenate([pcm, np.zeros(int(gap_s * SAMPLE_RATE), np.float32)])
    n = int(seconds * SAMPLE_RATE)
    start = int(offset_s * SAMPLE_RATE) % len(unit)
    reps = (start + n) // len(unit) + 1
    return np.tile(unit, reps)[start : start + n].astype(np.float32)


def two_voices(
    first: np.ndarray, second: np.ndarray, condition: str, seconds: float, offset_s: float = 0.0
) -> np.ndarray:
    """``seconds`` of the two voices in ``condition`` (the first voice leads)."""
    a = loop(first, seconds, offset_s)
    b = loop(second, seconds, offset_s * 0.7)
    if condition == "overlap":
        return np.clip(a + b, -1.0, 1.0)
    if condition == "behind":
        return np.clip(a + b * 10.0 ** (-10.0 / 20.0), -1.0, 1.0)
    if condition == "turns":
        t = np.arange(len(a)) / SAMPLE_RATE
        first_turn = (t // TURN_S) % 2 == 0
        return np.where(first_turn, a, b).astype(np.float32)
    raise ValueError(f"unknown condition {condition!r}")


def two_voice_cases(voices: dict[str, np.ndarray], stream: bool) -> list[Case]:
    """Every ordered pair of distinct voices in every condition: one 5 s chunk each, or a 60 s
    stream whose second voice starts at 50 s."""
    cases: list[Case] = []
    names = sorted(voices)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            if a == b:
                continue
            for condition in CONDITIONS:
                offset = 0.37 * (i + 2 * j)  # different passages for different pairs
                if not stream:
                    pcm = two_voices(voices[a], voices[b], condition, CHUNK_S, offset)
                    cases.append(Case(f"{a}+{b}", condition, pcm, (a, b)))
                    continue
                # The first voice's lead is the same for every partner (analyzed once).
                alone = loop(voices[a], SECOND_VOICE_AT_S, 0.37 * i)
                both = two_voices(
                    voices[a], voices[b], condition, STREAM_S - SECOND_VOICE_AT_S, offset + 31.0
                )
                cases.append(
                    Case(
                        f"{a}+{b}",
                        condition,
                        np.concatenate([alone, both]),
                        (a, b),
                        SECOND_VOICE_AT_S,
                    )
                )
    return cases


def synthetic_music(seconds: float, seed: int = 3) -> np.ndarray:
    """Chords of harmonic tones (three notes at a time, a new chord every 0.6 s): polyphonic,
    pitched, not speech. Synthetic: the shared media has no music recording we can decode."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(0.6 * SAMPLE_RATE)) / SAMPLE_RATE
    env = np.minimum(1.0, t / 0.02) * np.exp(-t * 2.5)
    chords = []
    for _ in range(int(np.ceil(seconds / 0.6))):
        root = 110.0 * 2 ** (rng.integers(0, 24) / 12.0)
        tone = np.zeros_like(t)
        for ratio in (1.0, 1.26, 1.5):
            for h in range(1, 8):
                tone += np.sin(2 * np.pi * root * ratio * h * t) / h
        chords.append(tone * env)
    music = np.concatenate(chords)[: int(seconds * SAMPLE_RATE)]
    return _at_level(music.astype(np.float32), _LEVEL_DB - 6.0)


def synthetic_cough(seconds: float, seed: int = 5) -> np.ndarray:
    """Room-level silence with a cough-like burst (0.35 s of shaped noise) every 5 s."""
    rng = np.random.default_rng(seed)
    out = (rng.standard_normal(int(seconds * SAMPLE_RATE)) * 1e-4).astype(np.float32)
    n = int(0.35 * SAMPLE_RATE)
    env = np.exp(-np.arange(n) / (0.08 * SAMPLE_RATE)) * np.minimum(1.0, np.arange(n) / 80.0)
    burst = np.convolve(rng.standard_normal(n), np.hanning(9), mode="same") * env * 0.3
    for start in np.arange(1.3, seconds - 0.4, CHUNK_S):
        k = int(start * SAMPLE_RATE)
        out[k : k + n] += burst.astype(np.float32)
    return out


def read_any(path: Path) -> np.ndarray:
    """Any file soundfile decodes (Ogg Vorbis, FLAC, WAV), as 16 kHz mono float32."""
    import soundfile

    data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    pcm = data.mean(axis=1)
    return pcm.astype(np.float32) if rate == SAMPLE_RATE else resample_to_16k(pcm, rate)


def real_sounds(samples: Path = LMMS_SAMPLES) -> tuple[dict[str, np.ndarray], str | None]:
    """The real music and breath recordings (:data:`LMMS_SAMPLES`) at the voices' level, or
    ``({}, reason)`` when they are not installed."""
    paths = [samples / rel for rel in (*_REAL_MUSIC, _REAL_BREATH)]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        return {}, f"{missing[0]} not found (apt-get install lmms-common): real music skipped"
    gap = np.zeros(int(0.2 * SAMPLE_RATE), np.float32)
    parts = [read_any(samples / rel) for rel in _REAL_MUSIC]
    medley = np.concatenate([piece for part in parts for piece in (part, gap)])
    return {
        # As loud as the voices: music playing in the room at speaking level.
        "music": _at_level(medley, _LEVEL_DB),
        "breath": _at_level(read_any(samples / _REAL_BREATH), _LEVEL_DB - 6.0),
    }, None


def single_voice_cases(
    voices: dict[str, np.ndarray],
    media: Path,
    stream: bool,
    real: dict[str, np.ndarray] | None = None,
) -> list[Case]:
    """One voice at normal level and 14 dB quieter (several passages), and non-speech sounds
    (``real``: :func:`real_sounds`): none of them is two voices."""
    seconds = STREAM_S if stream else CHUNK_S
    cases: list[Case] = []
    for k, (name, pcm) in enumerate(sorted(voices.items())):
        # A stream starts where the voice's two-voice streams do (their lead chunks are shared).
        passages = (0.37 * k,) if stream else (0.0, 2.1 + k * 0.5, 4.3 + k)
        for p, offset in enumerate(passages):
            one = loop(pcm, seconds, offset)
            cases.append(Case(f"{name}#{p}", "single", one, (name,)))
            cases.append(Case(f"{name}#{p}", "quiet", one * 10.0 ** (-14.0 / 20.0), (name,)))
    sounds = {name: _read(media, rel) for name, rel in _NON_SPEECH_FILES.items()}
    sounds["synthetic_chords"] = synthetic_music(20.0)
    sounds["synthetic_cough"] = synthetic_cough(seconds)
    for name, pcm in sounds.items():
        cases.append(Case(name, "non_speech", loop(pcm, seconds, gap_s=0.0), ()))
    for name, pcm in (real or {}).items():
        # Several passages of the medley in 5 s chunks, as for the voices.
        offsets = (0.0,) if stream else (0.0, 17.3, 41.9)
        for p, offset in enumerate(offsets):
            cases.append(Case(f"{name}#{p}", "non_speech", loop(pcm, seconds, offset), ()))
    return cases


def media_available(media: Path) -> bool:
    return (
        all((media / rel).is_file() for rel in _SOLO_FILES.values())
        and (media / (_DIALOG + ".rttm")).is_file()
    )
