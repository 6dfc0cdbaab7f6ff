"""From a waveform to log-mel features, in NumPy: frames, window, STFT magnitude, mel filterbank, log.

A recurrent network does not read 8,000 samples per second one by one: it reads one
feature vector per frame. The waveform is cut into overlapping frames (25 ms every 10 ms
by default), each frame is multiplied by a Hann window and transformed by the FFT; the
magnitudes of its frequencies are pooled into a few bands spaced like human pitch
perception (the mel scale), and the band energies are compressed by a logarithm.

Every step agrees with an independent implementation: the frames and STFT with
`scipy.signal.stft`, the filterbank with `tf.signal.linear_to_mel_weight_matrix`
(`tests/test_spectrogram.py`). Normalisation statistics come from the training speakers
only (`FeatureScaler.fit`).

Introduced in Chapter 10 (Speech recognition).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from course_lib.validation import as_array, check_float, check_int

__all__ = [
    "FeatureScaler",
    "frame_signal",
    "hann_window",
    "hertz_to_mel",
    "log_mel_spectrogram",
    "mel_filterbank",
    "num_frames",
    "stft_magnitude",
]

FRAME_LENGTH = 200  # 25 ms at 8 kHz
HOP_LENGTH = 80  # 10 ms at 8 kHz
FFT_LENGTH = 256
N_MELS = 40
LOG_FLOOR = 1e-6  # added to the mel energies before the log: silence gives log(1e-6), not -inf


def num_frames(
    n_samples: int, frame_length: int = FRAME_LENGTH, hop_length: int = HOP_LENGTH
) -> int:
    """How many whole frames a signal of `n_samples` gives: `1 + (n_samples - frame_length) // hop`.

    No padding: a signal shorter than one frame gives 0 frames.

    Args:
        n_samples: length of the signal, >= 0.
        frame_length: samples per frame, >= 1. Defaults to 200 (25 ms at 8 kHz).
        hop_length: samples between the starts of two frames, >= 1. Defaults to 80 (10 ms).

    Returns:
        The number of frames, an int >= 0.

    Example:

    >>> num_frames(8000)  # one second at 8 kHz
    98
    """
    n_samples = check_int(n_samples, "n_samples", minimum=0)
    frame_length = check_int(frame_length, "frame_length", minimum=1)
    hop_length = check_int(hop_length, "hop_length", minimum=1)
    if n_samples < frame_length:
        return 0
    return 1 + (n_samples - frame_length) // hop_length


def frame_signal(
    x: np.ndarray, frame_length: int = FRAME_LENGTH, hop_length: int = HOP_LENGTH
) -> np.ndarray:
    """Cut a signal into overlapping frames (a view, no copy, no padding).

    Args:
        x: signal, shape `(samples,)`.
        frame_length: samples per frame. Defaults to 200.
        hop_length: samples between frame starts. Defaults to 80.

    Returns:
        Array `(frames, frame_length)` with `frames = num_frames(len(x), ...)`; frame t is
        `x[t * hop_length : t * hop_length + frame_length]`.

    Example:

    >>> frame_signal(np.arange(7.0), frame_length=3, hop_length=2)
    array([[0., 1., 2.],
           [2., 3., 4.],
           [4., 5., 6.]])
    """
    x = as_array(x, "x", ndim=1, layout="(samples,)", dtype=None, allow_empty=True)
    n = num_frames(len(x), frame_length, hop_length)
    if n == 0:
        return np.zeros((0, frame_length), dtype=x.dtype)
    windows = np.lib.stride_tricks.sliding_window_view(x, frame_length)  # (samples - L + 1, L)
    return windows[::hop_length][:n]  # (frames, frame_length)


def hann_window(length: int) -> np.ndarray:
    """The periodic Hann window, `0.5 - 0.5 cos(2 pi n / length)` (scipy's and tf.signal's default).

    Example:

    >>> hann_window(4)
    array([0. , 0.5, 1. , 0.5])
    """
    length = check_int(length, "length", minimum=1)
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(length) / length)  # (length,)


def stft_magnitude(
    x: np.ndarray,
    frame_length: int = FRAME_LENGTH,
    hop_length: int = HOP_LENGTH,
    fft_length: int = FFT_LENGTH,
) -> np.ndarray:
    """Magnitude of the short-time Fourier transform: |FFT(window * frame)| for every frame.

    Args:
        x: signal, shape `(samples,)`.
        frame_length: samples per frame. Defaults to 200 (25 ms at 8 kHz).
        hop_length: samples between frame starts. Defaults to 80 (10 ms).
        fft_length: FFT size, >= `frame_length` (frames are zero-padded to it). Defaults
            to 256.

    Returns:
        Array `(frames, fft_length // 2 + 1)`: the magnitude of each frequency from 0 Hz to
        the Nyquist frequency, bin k at `k * sample_rate / fft_length` Hz.
    """
    fft_length = check_int(fft_length, "fft_length", minimum=frame_length)
    frames = frame_signal(x, frame_length, hop_length)  # (frames, frame_length)
    windowed = frames * hann_window(frame_length)  # (frames, frame_length)
    return np.abs(np.fft.rfft(windowed, n=fft_length, axis=-1))  # (frames, fft_length // 2 + 1)


def hertz_to_mel(f: np.ndarray) -> np.ndarray:
    """The HTK mel scale, `1127 ln(1 + f / 700)`: about linear below 1 kHz, logarithmic above.

    Example:

    >>> float(np.round(hertz_to_mel(1000.0), 1))
    1000.0
    """
    return 1127.0 * np.log1p(np.asarray(f, dtype=np.float64) / 700.0)


def mel_filterbank(
    n_mels: int = N_MELS,
    fft_length: int = FFT_LENGTH,
    sample_rate: int = 8000,
    fmin: float = 20.0,
    fmax: float | None = None,
) -> np.ndarray:
    """Triangular filters evenly spaced on the mel scale, as a matrix to apply to spectra.

    Filter m rises linearly (in mels) from edge m to edge m + 1 and falls to edge m + 2,
    with `n_mels + 2` edges evenly spaced in mels from `fmin` to `fmax`; the DC bin gets
    no weight. The same matrix as `tf.signal.linear_to_mel_weight_matrix`.

    Args:
        n_mels: number of filters (mel bands). Defaults to 40.
        fft_length: FFT size of the spectra it applies to. Defaults to 256.
        sample_rate: samples per second. Defaults to 8000.
        fmin: lower edge of the first filter, in Hz. Defaults to 20.
        fmax: upper edge of the last filter, in Hz, at most the Nyquist frequency.
            Defaults to `sample_rate / 2`.

    Returns:
        Array `(fft_length // 2 + 1, n_mels)`: `spectrum @ filterbank` gives the band
        energies.
    """
    n_mels = check_int(n_mels, "n_mels", minimum=1)
    fft_length = check_int(fft_length, "fft_length", minimum=2)
    sample_rate = check_int(sample_rate, "sample_rate", minimum=1)
    nyquist = sample_rate / 2
    fmax = nyquist if fmax is None else check_float(fmax, "fmax", maximum=nyquist)
    fmin = check_float(fmin, "fmin", minimum=0.0, maximum=fmax, inclusive=True)
    if fmin >= fmax:
        raise ValueError(f"`fmin` must be below `fmax` ({fmax:g} Hz); got {fmin:g}.")
    bins = fft_length // 2 + 1
    bin_mel = hertz_to_mel(np.linspace(0.0, nyquist, bins))[1:, None]  # (bins - 1, 1), no DC
    edges = np.linspace(hertz_to_mel(fmin), hertz_to_mel(fmax), n_mels + 2)  # (n_mels + 2,)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]  # (n_mels,) each
    rising = (bin_mel - lower) / (center - lower)  # (bins - 1, n_mels)
    falling = (upper - bin_mel) / (upper - center)  # (bins - 1, n_mels)
    weights = np.maximum(0.0, np.minimum(rising, falling))  # (bins - 1, n_mels)
    return np.vstack([np.zeros((1, n_mels)), weights])  # (bins, n_mels)


def log_mel_spectrogram(
    x: np.ndarray,
    *,
    sample_rate: int = 8000,
    frame_length: int = FRAME_LENGTH,
    hop_length: int = HOP_LENGTH,
    fft_length: int = FFT_LENGTH,
    n_mels: int = N_MELS,
    fmin: float = 20.0,
    fmax: float | None = None,
) -> np.ndarray:
    """Log-mel features of a waveform: `log(|STFT|^2 @ mel_filterbank + 1e-6)`.

    Args:
        x: waveform, shape `(samples,)`.
        sample_rate, frame_length, hop_length, fft_length: as in `stft_magnitude`
            (defaults: 8000 Hz, 200, 80, 256).
        n_mels, fmin, fmax: as in `mel_filterbank` (defaults: 40, 20 Hz, Nyquist).

    Returns:
        float32 array `(frames, n_mels)`, one feature vector every `hop_length` samples.

    Example:

    >>> log_mel_spectrogram(np.zeros(8000)).shape
    (98, 40)
    """
    power = stft_magnitude(x, frame_length, hop_length, fft_length) ** 2  # (frames, bins)
    mel = power @ mel_filterbank(n_mels, fft_length, sample_rate, fmin, fmax)  # (frames, n_mels)
    return np.log(mel + LOG_FLOOR).astype(np.float32)  # (frames, n_mels)


@dataclass(frozen=True)
class FeatureScaler:
    """Per-band mean and standard deviation of features, measured on training data only.

    Attributes:
        mean: `(features,)` mean of each band over every training frame.
        std: `(features,)` standard deviation of each band over every training frame.
    """

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, features: Sequence[np.ndarray]) -> FeatureScaler:
        """Measure the statistics on a list of `(frames, features)` arrays (the training set).

        Fit it on the training speakers' utterances only: statistics measured on the test
        speaker would leak their voice into the model's input.
        """
        if len(features) == 0:
            raise ValueError("`features` must hold at least one (frames, features) array; got 0.")
        arrays = [as_array(f, "features[i]", ndim=2, layout="(frames, features)") for f in features]
        stacked = np.concatenate(arrays, axis=0)  # (all frames, features)
        return cls(mean=stacked.mean(axis=0), std=stacked.std(axis=0) + 1e-8)

    def transform(self, features: np.ndarray) -> np.ndarray:
        """`(features - mean) / std`, float32, same shape `(..., features)`."""
        features = as_array(features, "features", dtype=None)
        if features.shape[-1:] != self.mean.shape:
            raise ValueError(
                f"`features` must end with {self.mean.shape[0]} features (those it was fit on); "
                f"got shape {features.shape}."
            )
        return ((features - self.mean) / self.std).astype(np.float32)
