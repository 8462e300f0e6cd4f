"""GE2E speaker encoder (Resemblyzer's bundled weights) run with numpy, without torch.

Resemblyzer ships ``pretrained.pt`` in torch's legacy serialization format: a sequence of
pickles (magic number, protocol version, system info, the object itself whose tensors point at
storages through persistent ids, then the list of storage keys) followed by each storage's raw
bytes. We read that format with a restricted unpickler that only knows the few globals the
checkpoint uses, so nothing else can be executed while loading.

The network is a 3-layer LSTM (hidden 256) over 40-channel mel power spectrograms (25 ms
window, 10 ms hop, 16 kHz), a linear layer 256 -> 256 with ReLU and L2 normalisation of the last
layer's final hidden state; an utterance embedding is the normalised mean of 160-frame partials.
"""

from __future__ import annotations

import collections
import importlib.util
import io
import pickle
import struct
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SAMPLE_RATE = 16000
N_FFT = 400  # 25 ms at 16 kHz
HOP = 160  # 10 ms at 16 kHz
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s: the length the encoder was trained on
HIDDEN = 256
NUM_LAYERS = 3
# Resemblyzer raises quiet utterances to -30 dBFS before the mel spectrogram; the model takes
# linear (not log) mel power, so its input scale matters and we keep the same normalisation.
NORM_TARGET_DBFS = -30.0

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class _StorageType:
    """Stand-in for ``torch.FloatStorage`` & co: only remembers the element dtype."""

    def __init__(self, name: str) -> None:
        self.dtype = np.dtype(_STORAGE_DTYPES[name])


@dataclass
class _Storage:
    key: str
    dtype: np.dtype
    size: int
    data: np.ndarray | None = None


@dataclass
class _LazyTensor:
    storage: _Storage
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]

    def materialize(self) -> np.ndarray:
        if self.storage.data is None:
            raise ValueError(f"storage {self.storage.key} has no data")
        base = self.storage.data
        if not self.shape:
            return base[self.offset : self.offset + 1].reshape(()).copy()
        itemsize = base.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            base[self.offset :],
            shape=self.shape,
            strides=tuple(s * itemsize for s in self.stride),
        )
        return np.ascontiguousarray(view)


def _rebuild_tensor_v2(
    storage: _Storage,
    offset: int,
    size: tuple[int, ...],
    stride: tuple[int, ...],
    *_unused: Any,
) -> _LazyTensor:
    return _LazyTensor(storage, offset, tuple(size), tuple(stride))


class _CheckpointUnpickler(pickle.Unpickler):
    """Maps torch's tensor-rebuilding globals to numpy; refuses every other global."""

    def __init__(self, file: io.BufferedReader, storages: dict[str, _Storage]) -> None:
        super().__init__(file)
        self._storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"unexpected global in checkpoint: {module}.{name}")

    def persistent_load(self, pid: Any) -> _Storage:
        kind, storage_type, key, _location, size, view_metadata = pid
        if kind != "storage" or view_metadata is not None:
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        if key not in self._storages:
            self._storages[key] = _Storage(key, storage_type.dtype, int(size))
        return self._storages[key]


def load_legacy_torch_checkpoint(path: Path) -> dict[str, Any]:
    """Read a legacy-format (pre-zip) torch checkpoint into nested dicts of numpy arrays."""
    storages: dict[str, _Storage] = {}
    with open(path, "rb") as fh:
        # Every pickle in the file goes through the restricted unpickler, even the plain ones.
        def load() -> Any:
            return _CheckpointUnpickler(fh, storages).load()

        if load() != _LEGACY_MAGIC:
            raise ValueError(f"{path} is not a legacy torch checkpoint")
        if load() != 1001:
            raise ValueError(f"{path}: unsupported torch protocol version")
        sys_info = load()
        if not sys_info.get("little_endian", True):
            raise ValueError(f"{path}: big-endian checkpoints are not supported")
        obj = load()
        keys = load()
        for key in keys:
            storage = storages[key]
            (count,) = struct.unpack("<q", fh.read(8))
            raw = fh.read(count * storage.dtype.itemsize)
            if len(raw) != count * storage.dtype.itemsize:
                raise ValueError(f"{path}: truncated storage {key}")
            storage.data = np.frombuffer(raw, dtype=storage.dtype)

    def convert(value: Any) -> Any:
        if isinstance(value, _LazyTensor):
            return value.materialize()
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        return value

    return convert(obj)


def default_weights_path() -> Path:
    """Where pip put resemblyzer's ``pretrained.pt`` (found without importing the package)."""
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("resemblyzer is not installed (pip install --no-deps resemblyzer)")
    return Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # In-place to avoid temporaries in the hot loop.
    np.negative(x, out=x)
    np.exp(x, out=x)
    x += 1.0
    np.reciprocal(x, out=x)
    return x


class GE2EEncoder:
    """Speaker encoder: mel frames in, 256-d L2-normalised embeddings out (float32)."""

    VERSION = "ge2e-resemblyzer-0.1.4-numpy-1"

    def __init__(self, weights_path: Path | None = None) -> None:
        checkpoint = load_legacy_torch_checkpoint(weights_path or default_weights_path())
        state = checkpoint["model_state"]
        self._layers: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for k in range(NUM_LAYERS):
            w_ih = state[f"lstm.weight_ih_l{k}"].astype(np.float32)
            w_hh = state[f"lstm.weight_hh_l{k}"].astype(np.float32)
            bias = (state[f"lstm.bias_ih_l{k}"] + state[f"lstm.bias_hh_l{k}"]).astype(np.float32)
            # Transposed once so the per-step products are row-major (batch, 4H).
            self._layers.append((np.ascontiguousarray(w_ih.T), np.ascontiguousarray(w_hh.T), bias))
        self._linear_w = np.ascontiguousarray(state["linear.weight"].astype(np.float32).T)
        self._linear_b = state["linear.bias"].astype(np.float32)
        self._mel_basis = _mel_basis()
        self._window = _hann_window()

    def mel(self, wav: np.ndarray) -> np.ndarray:
        """Mel power spectrogram (frames, 40) as Resemblyzer's ``wav_to_mel_spectrogram``."""
        padded = np.pad(wav.astype(np.float32), N_FFT // 2)  # librosa's centred frames
        n_frames = 1 + (len(padded) - N_FFT) // HOP
        frames = np.lib.stride_tricks.as_strided(
            padded,
            shape=(n_frames, N_FFT),
            strides=(padded.strides[0] * HOP, padded.strides[0]),
        )
        spec = np.fft.rfft(frames * self._window, axis=1)
        power = (spec.real**2 + spec.imag**2).astype(np.float32)
        return power @ self._mel_basis.T

    def forward(self, mels: np.ndarray) -> np.ndarray:
        """Embeddings for a batch of partials ``(batch, frames, 40)`` -> ``(batch, 256)``."""
        x = mels.astype(np.float32)
        batch, steps, _ = x.shape
        # exp() overflowing to inf in the sigmoid is harmless (1 / inf == 0): silence the warning.
        with np.errstate(over="ignore"):
            return self._forward(x, batch, steps)

    def _forward(self, x: np.ndarray, batch: int, steps: int) -> np.ndarray:
        h = np.zeros((batch, HIDDEN), np.float32)
        for w_ih, w_hh, bias in self._layers:
            # Input projections for every time step at once: one large matmul instead of 160.
            gates_in = (x.reshape(batch * steps, -1) @ w_ih + bias).reshape(batch, steps, -1)
            h = np.zeros((batch, HIDDEN), np.float32)
            c = np.zeros((batch, HIDDEN), np.float32)
            outputs = np.empty((batch, steps, HIDDEN), np.float32)
            for t in range(steps):
                gates = gates_in[:, t] + h @ w_hh
                # torch's gate order: input, forget, cell candidate, output.
                i = _sigmoid(gates[:, :HIDDEN])
                f = _sigmoid(gates[:, HIDDEN : 2 * HIDDEN])
                g = np.tanh(gates[:, 2 * HIDDEN : 3 * HIDDEN])
                o = _sigmoid(gates[:, 3 * HIDDEN :])
                c = f * c + i * g
                h = o * np.tanh(c)
                outputs[:, t] = h
            x = outputs
        raw = np.maximum(h @ self._linear_w + self._linear_b, 0.0)
        norms = np.linalg.norm(raw, axis=1, keepdims=True)
        return raw / np.maximum(norms, 1e-12)

    def embed_windows(self, wav: np.ndarray, starts: list[int]) -> np.ndarray:
        """One embedding per 160-frame window starting at each sample offset in ``starts``."""
        wav = normalize_volume(wav)
        win = PARTIAL_FRAMES * HOP
        needed = max(starts) + win if starts else 0
        if needed > len(wav):
            wav = np.pad(wav, (0, needed - len(wav)))
        mel = self.mel(wav)
        batch = np.stack([mel[s // HOP : s // HOP + PARTIAL_FRAMES] for s in starts])
        return self.forward(batch)

    def embed_utterance(
        self, wav: np.ndarray, rate: float = 1.3, min_coverage: float = 0.75
    ) -> np.ndarray:
        """Utterance embedding as Resemblyzer's ``embed_utterance``: mean of partials, L2-normed."""
        starts = partial_starts(len(wav), rate, min_coverage)
        partials = self.embed_windows(wav, starts)
        mean = partials.mean(axis=0)
        return (mean / np.linalg.norm(mean)).astype(np.float32)


def partial_starts(n_samples: int, rate: float = 1.3, min_coverage: float = 0.75) -> list[int]:
    """Sample offsets of the 1.6 s partials, the same slicing as Resemblyzer's."""
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    frame_step = int(np.round((SAMPLE_RATE / rate) / HOP))
    steps = max(1, n_frames - PARTIAL_FRAMES + frame_step + 1)
    starts = list(range(0, steps, frame_step))
    last = starts[-1] * HOP
    coverage = (n_samples - last) / (PARTIAL_FRAMES * HOP)
    if coverage < min_coverage and len(starts) > 1:
        starts = starts[:-1]
    return [s * HOP for s in starts]


def normalize_volume(wav: np.ndarray, target_dbfs: float = NORM_TARGET_DBFS) -> np.ndarray:
    """Raise (never lower) the level to ``target_dbfs`` RMS, as Resemblyzer's preprocessing."""
    rms = float(np.sqrt(np.mean(np.square(wav, dtype=np.float64)))) if len(wav) else 0.0
    if rms <= 1e-9:
        return wav
    change = target_dbfs - 20.0 * np.log10(rms)
    if change <= 0:
        return wav
    return (wav * (10.0 ** (change / 20.0))).astype(np.float32)


def _hann_window() -> np.ndarray:
    # Periodic Hann, as scipy.signal.get_window("hann", N_FFT) used by librosa's STFT.
    n = np.arange(N_FFT)
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * n / N_FFT)).astype(np.float32)


def _mel_basis() -> np.ndarray:
    # librosa's Slaney mel filters; imported here so librosa's import cost is paid once, lazily.
    import librosa

    return librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS).astype(np.float32)


_encoder: GE2EEncoder | None = None
_encoder_lock = threading.Lock()


def get_encoder() -> GE2EEncoder:
    """The process-wide encoder, loaded on first use (weights read once per worker process)."""
    global _encoder
    if _encoder is None:
        with _encoder_lock:
            if _encoder is None:
                _encoder = GE2EEncoder()
    return _encoder
