"""Connectionist temporal classification (CTC) in NumPy: the collapse rule, greedy decoding, the loss.

A network reading T frames outputs, at every frame, a distribution over the labels and
one extra symbol, the blank. A *path* (one symbol per frame) is read by the collapse
rule: merge repeated symbols, then drop the blanks, so `- 4 4 - - 0 7 7` reads `407` and
`7 - 7` reads `77` (a blank separates a repeated digit). The CTC loss is minus the log of
the total probability of every path that collapses to the target, summed by the forward
(alpha) recursion over the target with blanks interleaved: `- y1 - y2 - ... yL -`.

The blank is class 0, as in `keras.ops.ctc_loss` and `keras.ops.ctc_decode`
(`mask_index=0`); with digits, digit d is class d + 1 (`digits_to_classes`).
`tests/test_ctc.py` checks `ctc_loss` against `keras.ops.ctc_loss` to 1e-5.

Introduced in Chapter 10 (Speech recognition).
"""

from __future__ import annotations

import numpy as np

from course_lib.validation import as_array, check_int

__all__ = [
    "BLANK",
    "classes_to_digits",
    "collapse",
    "ctc_forward",
    "ctc_loss",
    "digits_to_classes",
    "greedy_decode",
    "log_softmax",
]

BLANK = 0  # the blank's class, as Keras's `mask_index=0`


def digits_to_classes(digits: np.ndarray) -> np.ndarray:
    """Digits 0-9 as CTC classes 1-10 (class 0 is the blank).

    Example:

    >>> digits_to_classes([4, 0, 7])
    array([5, 1, 8])
    """
    digits = as_array(digits, "digits", ndim=1, dtype=np.int64, allow_empty=True)
    if digits.size and (digits.min() < 0 or digits.max() > 9):
        raise ValueError(
            f"`digits` must be in 0 .. 9; got values {digits.min()} .. {digits.max()}."
        )
    return digits + 1


def classes_to_digits(classes: np.ndarray) -> np.ndarray:
    """CTC classes 1-10 back to digits 0-9 (the inverse of `digits_to_classes`; no blanks).

    Example:

    >>> classes_to_digits([5, 1, 8])
    array([4, 0, 7])
    """
    classes = as_array(classes, "classes", ndim=1, dtype=np.int64, allow_empty=True)
    if classes.size and (classes.min() < 1 or classes.max() > 10):
        raise ValueError(
            f"`classes` must be in 1 .. 10 (no blank); got values {classes.min()} .. {classes.max()}."
        )
    return classes - 1


def collapse(path: np.ndarray, blank: int = BLANK) -> np.ndarray:
    """The collapse rule of CTC: merge runs of a repeated symbol, then drop the blanks.

    Args:
        path: one symbol per frame, shape `(timesteps,)`, ints.
        blank: the blank's class. Defaults to 0.

    Returns:
        The labels the path reads, shape `(labels,)`, int64.

    Example:

    >>> collapse([0, 5, 5, 0, 0, 1, 8, 8])
    array([5, 1, 8])
    >>> collapse([8, 0, 8, 8])  # a blank between two runs keeps a repeated label
    array([8, 8])
    """
    path = as_array(path, "path", ndim=1, dtype=np.int64, allow_empty=True)
    if path.size == 0:
        return path
    run_starts = np.concatenate([[True], path[1:] != path[:-1]])  # (timesteps,)
    merged = path[run_starts]  # (runs,)
    return merged[merged != blank]  # (labels,)


def greedy_decode(scores: np.ndarray, blank: int = BLANK) -> np.ndarray:
    """Best-path decoding: the most likely symbol at every frame, then the collapse rule.

    Args:
        scores: per-frame scores of each class, shape `(timesteps, classes)`: logits,
            probabilities or log-probabilities (only their argmax matters).
        blank: the blank's class. Defaults to 0.

    Returns:
        The decoded labels, shape `(labels,)`, int64.

    Example:

    >>> scores = np.eye(3)[[1, 1, 0, 2, 2, 0]]  # the frames favour 1 1 - 2 2 -
    >>> greedy_decode(scores)
    array([1, 2])
    """
    scores = as_array(scores, "scores", ndim=2, layout="(timesteps, classes)", allow_empty=True)
    return collapse(np.argmax(scores, axis=-1), blank)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Log-probabilities from logits along the last axis, computed stably.

    Example:

    >>> np.round(np.exp(log_softmax(np.array([0.0, 0.0]))), 3)
    array([0.5, 0.5])
    """
    logits = as_array(logits, "logits", allow_empty=True)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _check_target(log_probs: np.ndarray, target: np.ndarray, blank: int) -> np.ndarray:
    classes = log_probs.shape[1]
    target = as_array(target, "target", ndim=1, dtype=np.int64, allow_empty=True)
    if target.size and (target.min() < 0 or target.max() >= classes or (target == blank).any()):
        raise ValueError(
            f"`target` must hold classes in 0 .. {classes - 1} other than the blank ({blank}); "
            f"got {target.tolist()}."
        )
    return target


def ctc_forward(log_probs: np.ndarray, target: np.ndarray, blank: int = BLANK) -> np.ndarray:
    """The CTC forward (alpha) recursion in log-space.

    The extended target interleaves blanks, `z = (-, y1, -, y2, ..., yL, -)`, of length
    S = 2L + 1. `log_alpha[t, s]` is the log of the total probability of the paths of
    frames 0 .. t that end in `z[s]` and read `y1 .. y(s // 2)` so far:

        alpha[0, 0] = p[0, -],  alpha[0, 1] = p[0, y1],
        alpha[t, s] = (alpha[t-1, s] + alpha[t-1, s-1] [+ alpha[t-1, s-2]]) * p[t, z[s]],

    where the skip from `s - 2` is allowed only when `z[s]` is a label different from
    `z[s - 2]` (a blank is never skipped between two equal labels).

    Args:
        log_probs: per-frame log-probabilities, shape `(timesteps, classes)`.
        target: the labels, shape `(labels,)`, classes other than `blank`.
        blank: the blank's class. Defaults to 0.

    Returns:
        `log_alpha`, shape `(timesteps, 2 * labels + 1)`; impossible states are `-inf`.
    """
    log_probs = as_array(log_probs, "log_probs", ndim=2, layout="(timesteps, classes)")
    blank = check_int(blank, "blank", minimum=0, maximum=log_probs.shape[1] - 1)
    target = _check_target(log_probs, target, blank)
    timesteps = log_probs.shape[0]
    z = np.full(2 * len(target) + 1, blank)  # (S,) the extended target
    z[1::2] = target
    # skip[s]: may a path jump from s - 2 to s? Only onto a label unlike the one before.
    skip = np.zeros(len(z), dtype=bool)  # (S,)
    skip[3::2] = target[1:] != target[:-1]
    log_alpha = np.full((timesteps, len(z)), -np.inf)  # (T, S)
    log_alpha[0, :2] = log_probs[0, z[:2]]
    for t in range(1, timesteps):
        previous = log_alpha[t - 1]  # (S,)
        advance = np.full(len(z), -np.inf)  # (S,) from s - 1
        advance[1:] = previous[:-1]
        jump = np.full(len(z), -np.inf)  # (S,) from s - 2, where allowed
        jump[2:] = previous[:-2]
        jump[~skip] = -np.inf
        log_alpha[t] = np.logaddexp(np.logaddexp(previous, advance), jump) + log_probs[t, z]
    return log_alpha


def ctc_loss(logits: np.ndarray, target: np.ndarray, blank: int = BLANK) -> float:
    """CTC loss of one sequence: minus the log-probability of all paths that collapse to `target`.

    Takes logits, like `keras.ops.ctc_loss` (which applies the log-softmax itself).

    Args:
        logits: per-frame scores, shape `(timesteps, classes)`.
        target: the labels, shape `(labels,)`.
        blank: the blank's class. Defaults to 0.

    Returns:
        The loss, a float; `inf` when the target cannot fit in `timesteps` frames (it needs
        one frame per label plus one per repeated neighbour).

    Example:

    >>> logits = np.zeros((2, 3))  # two frames, uniform over blank, 1 and 2
    >>> round(ctc_loss(logits, [1]), 4)  # paths "1 1", "- 1", "1 -": 3 of 9
    1.0986
    """
    log_alpha = ctc_forward(log_softmax(as_array(logits, "logits", ndim=2)), target, blank)
    if log_alpha.shape[1] == 1:  # empty target: the all-blank path only
        return float(-log_alpha[-1, -1])
    return float(-np.logaddexp(log_alpha[-1, -1], log_alpha[-1, -2]))
