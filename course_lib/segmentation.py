"""Speech without CTC: cut an utterance where its energy drops, then classify each piece.

The obvious way to transcribe connected digits is to find the words first: frames whose
energy is well above the utterance's quiet frames are speech, runs of speech frames are
words, and a classifier trained on isolated words names each run. It fails exactly where
connected speech is hard: two digits said without a pause between them become one run,
and a dip of energy inside a word splits it in two. This module is that baseline; CTC
(`course_lib.ctc`) needs no segmentation at all.

Introduced in Chapter 10a (Listening to digits).
"""

from __future__ import annotations

import numpy as np

from course_lib.validation import as_array, check_float, check_int

__all__ = ["frame_energy", "energy_segments", "pool_segment"]


def frame_energy(features: np.ndarray) -> np.ndarray:
    """The log of the total energy of each frame of a log-mel spectrogram.

    Args:
        features: log-mel features, shape `(frames, n_mels)`.

    Returns:
        `(frames,)` float64: `log(sum over bands of exp(features))`.
    """
    features = as_array(features, "features", ndim=2, layout="(frames, n_mels)")
    peak = features.max(axis=1, keepdims=True)  # (frames, 1)
    return (peak[:, 0] + np.log(np.exp(features - peak).sum(axis=1))).astype(np.float64)


def energy_segments(
    features: np.ndarray,
    *,
    threshold: float = 0.3,
    min_frames: int = 8,
    min_gap: int = 4,
) -> np.ndarray:
    """Runs of loud frames: where an utterance's energy is well above its quiet frames.

    A frame is loud when its log energy is above `quiet + threshold * (loud - quiet)`,
    with `quiet` and `loud` the 5th and 95th percentiles of the utterance's frame energies.
    Runs of loud frames separated by fewer than `min_gap` quiet frames are joined; runs
    shorter than `min_frames` are dropped.

    Args:
        features: log-mel features of one utterance, shape `(frames, n_mels)`.
        threshold: where the cut lies between the quiet and the loud level, in (0, 1).
            Defaults to 0.3.
        min_frames: shortest run kept, in frames, >= 1. Defaults to 8 (80 ms at 10 ms a
            frame; the shortest FSDD digit lasts about 140 ms).
        min_gap: shortest pause that separates two runs, in frames, >= 1. Defaults to 4.

    Returns:
        `(segments, 2)` int64: the first frame of each run and one past its last frame.

    Example:

    >>> energy = np.r_[np.zeros(10), np.ones(20), np.zeros(10), np.ones(12), np.zeros(5)]
    >>> energy_segments(np.log(1e-3 + energy)[:, None]).tolist()
    [[10, 30], [40, 52]]
    """
    threshold = check_float(threshold, "threshold", minimum=0.0, maximum=1.0)
    min_frames = check_int(min_frames, "min_frames", minimum=1)
    min_gap = check_int(min_gap, "min_gap", minimum=1)
    energy = frame_energy(features)  # (frames,)
    quiet, loud = np.percentile(energy, [5, 95])
    is_loud = energy > quiet + threshold * (loud - quiet)  # (frames,)
    edges = np.diff(np.concatenate([[0], is_loud.astype(np.int8), [0]]))  # (frames + 1,)
    runs = np.stack([np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)], axis=1)  # (n, 2)
    joined: list[list[int]] = []
    for start, end in runs:
        if joined and start - joined[-1][1] < min_gap:
            joined[-1][1] = int(end)
        else:
            joined.append([int(start), int(end)])
    kept = [run for run in joined if run[1] - run[0] >= min_frames]
    return np.array(kept, dtype=np.int64).reshape(-1, 2)


def pool_segment(features: np.ndarray, slices: int = 8) -> np.ndarray:
    """A fixed-size summary of a word of any length: the mean of each of `slices` equal parts.

    Args:
        features: the word's features, shape `(frames, n_mels)`, at least one frame.
        slices: how many parts of equal length, >= 1. Defaults to 8.

    Returns:
        `(slices * n_mels,)` float32: the mean features of each part, part after part.
        A word shorter than `slices` frames repeats its frames.

    Example:

    >>> pool_segment(np.arange(8.0)[:, None], slices=4).tolist()
    [0.5, 2.5, 4.5, 6.5]
    """
    features = as_array(features, "features", ndim=2, layout="(frames, n_mels)")
    slices = check_int(slices, "slices", minimum=1)
    bounds = np.linspace(0, len(features), slices + 1)  # (slices + 1,)
    parts = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        start = min(int(np.floor(a)), len(features) - 1)
        end = max(int(np.ceil(b)), start + 1)
        parts.append(features[start:end].mean(axis=0))  # (n_mels,)
    return np.concatenate(parts).astype(np.float32)  # (slices * n_mels,)
