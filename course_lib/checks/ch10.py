"""Checks of the exercises of Chapter 10 (Speech recognition).

- 10.1 `check_frames_in_clip(frames_in_clip)`: how many frames a clip gives.
- 10.2 `check_collapse(collapse)`: CTC's collapse rule (merge repeats, then drop blanks).
- 10.3 `check_greedy_decode(greedy_decode)`: best-path decoding of per-frame logits.
- 10.4 `check_edit_distance(edit_distance)`: the Levenshtein distance of two digit strings.
- 10.5 `check_ctc_forward(ctc_forward)`: the CTC forward (alpha) recursion in log-space.

References: `course_lib.spectrogram.num_frames`, `course_lib.ctc` (tested against
`keras.ops.ctc_loss`) and `course_lib.edit_distance` (tested against the recursive
definition).

Introduced in Chapter 10 (Speech recognition).
"""

from __future__ import annotations

import numpy as np

from course_lib import ctc, spectrogram
from course_lib import edit_distance as distance
from course_lib.checks.exercise import Mistake, exercise

__all__ = [
    "check_collapse",
    "check_ctc_forward",
    "check_edit_distance",
    "check_frames_in_clip",
    "check_greedy_decode",
]

# -- 10.1 ------------------------------------------------------------------------------------


@exercise(
    "10.1",
    student="frames_in_clip(n_samples, frame_length, hop_length)",
    reference=spectrogram.num_frames,
    mistakes=[
        Mistake(
            "partial-frame-counted",
            "no padding: a last frame that would run past the end of the clip is not cut.",
            lambda n_samples, frame_length, hop_length: (
                0 if n_samples < frame_length else -(-(n_samples - frame_length) // hop_length) + 1
            ),
        ),
        Mistake(
            "samples-over-hop",
            "a frame needs frame_length samples, not hop_length: count where the frames "
            "start, 0, hop, 2 hop, ..., while start + frame_length <= n_samples.",
            lambda n_samples, frame_length, hop_length: n_samples // hop_length,
        ),
        Mistake(
            "first-frame-forgotten",
            "count the first frame too: 1 + (n_samples - frame_length) // hop_length.",
            lambda n_samples, frame_length, hop_length: max(
                (n_samples - frame_length) // hop_length, 0
            ),
        ),
        Mistake(
            "negative-count",
            "a clip shorter than one frame gives 0 frames, not a negative number.",
            lambda n_samples, frame_length, hop_length: (
                1 + (n_samples - frame_length) // hop_length
            ),
        ),
    ],
    hint="frames start every hop_length samples and need frame_length samples each.",
)
def check_frames_in_clip(ex) -> None:
    """Exercise 10.1 (4 checks): `frames_in_clip(n_samples, frame_length, hop_length) -> int`.

    Compares with `course_lib.spectrogram.num_frames`: a clip at 8 kHz, a clip whose
    last frame would run past the end, random lengths, and a clip shorter than one frame.
    """
    rng = ex.rng(101)
    n = int(rng.integers(4000, 16000))
    ex.case(f"a clip of {n} samples at 8 kHz, 25 ms frames every 10 ms", n, 200, 80, exact=True)
    hop = int(rng.integers(40, 120))
    frames = int(rng.integers(5, 50))
    n = 200 + hop * frames + int(rng.integers(1, hop))  # ends inside a frame that does not fit
    ex.case(f"a clip of {n} samples, frame_length 200, hop_length {hop}", n, 200, hop, exact=True)
    n, length = int(rng.integers(1000, 20000)), int(rng.integers(100, 400))
    hop = int(rng.integers(10, length))
    ex.case(f"a clip of {n} samples, frame_length {length}, hop_length {hop}", n, length, hop,
            exact=True)  # fmt: skip
    n = int(rng.integers(1, 199))
    ex.case(f"a clip of {n} samples, shorter than one frame of 200", n, 200, 80, exact=True)


# -- 10.2 ------------------------------------------------------------------------------------


def _blanks_first(path):
    path = np.asarray(path)
    kept = path[path != ctc.BLANK]
    return ctc.collapse(kept)


def _no_merge(path):
    path = np.asarray(path)
    return path[path != ctc.BLANK]


def _blanks_kept(path):
    path = np.asarray(path)
    if path.size == 0:
        return path
    return path[np.concatenate([[True], path[1:] != path[:-1]])]


def _paths(rng, timesteps):
    """Paths with long runs and repeated labels separated by blanks, like a network's."""
    runs = []
    while sum(len(r) for r in runs) < timesteps:
        symbol = 0 if rng.random() < 0.4 else int(rng.integers(1, 4))
        runs.append([symbol] * int(rng.integers(1, 4)))
    return np.concatenate(runs)[:timesteps]


@exercise(
    "10.2",
    student="collapse(path)",
    reference=ctc.collapse,
    mistakes=[
        Mistake(
            "blanks-dropped-first",
            "merge the repeats first, then drop the blanks: a blank between two runs of the "
            "same label keeps both (1 0 1 reads 1 1).",
            _blanks_first,
        ),
        Mistake("repeats-kept", "merge each run of a repeated label into one label.", _no_merge),
        Mistake(
            "blanks-kept", "drop the blanks (label 0) after merging the repeats.", _blanks_kept
        ),
    ],
    hint="merge runs of equal labels, then drop the blanks (label 0).",
)
def check_collapse(ex) -> None:
    """Exercise 10.2 (4 checks): `collapse(path) -> labels`, the blank being 0.

    Compares with `course_lib.ctc.collapse`: a short path, a repeated label separated by
    a blank, a random path (inputs unchanged) and an all-blank path.
    """
    rng = ex.rng(102)
    a, b, c = (int(v) for v in rng.choice(np.arange(1, 11), size=3, replace=False))
    path = np.array([0, a, a, 0, 0, b, c, c])
    ex.case(f"the path {' '.join(map(str, path))}", path, exact=True)
    a, b = (int(v) for v in rng.choice(np.arange(1, 11), size=2, replace=False))
    path = np.array([a, a, 0, a, b, b, 0, 0, b])
    ex.case(f"a path with {a} 0 {a} and {b} 0 {b}: repeats kept by a blank", path, exact=True)
    ex.case("a random path of 30 frames", _paths(rng, 30), exact=True, unchanged=True)


# -- 10.3 ------------------------------------------------------------------------------------


def _argmax_wrong_axis(logits):
    return ctc.collapse(np.argmax(np.asarray(logits), axis=0))


def _argmax_only(logits):
    return np.argmax(np.asarray(logits), axis=-1)


def _digits_returned(logits):
    return ctc.classes_to_digits(ctc.greedy_decode(logits))


def _logits(rng, timesteps, classes=11):
    """Logits that favour a few labels in runs, as a trained network's do."""
    path = _paths(rng, timesteps) * 3 % classes  # labels spread over the classes
    return 3.0 * np.eye(classes)[path] + rng.standard_normal((timesteps, classes))


@exercise(
    "10.3",
    student="greedy_decode(logits)",
    reference=ctc.greedy_decode,
    withhold=[ctc.collapse],
    mistakes=[
        Mistake(
            "argmax-over-time",
            "take the argmax over the classes (the last axis), one label per frame.",
            _argmax_wrong_axis,
        ),
        Mistake(
            "not-collapsed",
            "the best path must still be collapsed: merge repeats, then drop blanks.",
            _argmax_only,
        ),
        Mistake(
            "classes-shifted",
            "return the classes themselves (1-10 for the digits), not the digits.",
            _digits_returned,
        ),
    ],
    hint="the most likely class at every frame, then the collapse rule.",
)
def check_greedy_decode(ex) -> None:
    """Exercise 10.3 (4 checks): `greedy_decode(logits) -> classes`, the blank being 0.

    Compares with `course_lib.ctc.greedy_decode`: one-hot logits of a short path, random logits of
    a digit string (inputs unchanged) and a long utterance.
    """
    rng = ex.rng(103)
    a, b = (int(v) for v in rng.choice(np.arange(1, 11), size=2, replace=False))
    path = [0, a, a, 0, b, b]
    ex.case(f"one-hot logits of the path {' '.join(map(str, path))}", 5.0 * np.eye(11)[path],
            exact=True)  # fmt: skip
    ex.case("random logits of 25 frames", _logits(rng, 25), exact=True, unchanged=True)
    ex.case("random logits of 120 frames", _logits(rng, 120), exact=True)


# -- 10.4 ------------------------------------------------------------------------------------


def _hamming(reference, hypothesis):
    ref, hyp = list(reference), list(hypothesis)
    return sum(r != h for r, h in zip(ref, hyp, strict=False)) + abs(len(ref) - len(hyp))


def _length_difference(reference, hypothesis):
    return abs(len(reference) - len(hypothesis))


def _substitution_costs_two(reference, hypothesis):
    ref, hyp = list(reference), list(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i]
        for j, h in enumerate(hyp, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + 2 * (r != h)))
        previous = current
    return previous[-1]


def _strings(rng, length):
    return [int(d) for d in rng.integers(0, 10, size=length)]


def _edited(rng, digits):
    """`digits` with a deletion, an insertion and a substitution at random places."""
    out = list(digits)
    del out[int(rng.integers(0, len(out)))]
    out.insert(int(rng.integers(0, len(out) + 1)), int(rng.integers(0, 10)))
    i = int(rng.integers(0, len(out)))
    out[i] = (out[i] + 1 + int(rng.integers(0, 9))) % 10
    return out


@exercise(
    "10.4",
    student="edit_distance(reference, hypothesis)",
    reference=distance.edit_distance,
    withhold=[distance.digit_error_rate],
    mistakes=[
        Mistake(
            "position-by-position",
            "comparing position by position misses deletions and insertions: one deleted "
            "digit shifts every later one. Use dynamic programming over prefixes.",
            _hamming,
        ),
        Mistake(
            "length-difference",
            "two strings of the same length can differ: count substitutions too.",
            _length_difference,
        ),
        Mistake(
            "substitution-costs-two",
            "a substitution costs 1, like a deletion or an insertion.",
            _substitution_costs_two,
        ),
    ],
    hint="d[i][j] = min(d[i-1][j] + 1, d[i][j-1] + 1, d[i-1][j-1] + (ref[i] != hyp[j])).",
)
def check_edit_distance(ex) -> None:
    """Exercise 10.4 (4 checks): `edit_distance(reference, hypothesis) -> int` on digit lists.

    Compares with `course_lib.edit_distance.edit_distance`: a deletion, an empty
    hypothesis, and two random strings edited by a deletion, an insertion and a substitution.
    """
    rng = ex.rng(104)
    digits = _strings(rng, 4)
    gone = int(rng.integers(0, 4))
    deleted = digits[:gone] + digits[gone + 1 :]
    ex.case(f"{' '.join(map(str, digits))} against {' '.join(map(str, deleted))} (one deletion)",
            digits, deleted, exact=True)  # fmt: skip
    digits = _strings(rng, int(rng.integers(2, 6)))
    ex.case(f"{len(digits)} digits against an empty hypothesis", digits, [], exact=True)
    for n in (5, 7):
        digits = _strings(rng, n)
        edited = _edited(rng, digits)
        ex.case(f"{n} random digits against an edited copy", digits, edited, exact=True)


# -- 10.5 ------------------------------------------------------------------------------------


def _with_skip(log_probs, target, skip_rule):
    """The alpha recursion with a chosen rule for the skip from s - 2 (for mistakes)."""
    target = np.asarray(target)
    z = np.zeros(2 * len(target) + 1, dtype=int)
    z[1::2] = target
    skip = np.zeros(len(z), dtype=bool)
    skip[3::2] = skip_rule(target)
    alpha = np.full((len(log_probs), len(z)), -np.inf)
    alpha[0, :2] = log_probs[0, z[:2]]
    for t in range(1, len(log_probs)):
        prev = alpha[t - 1]
        advance = np.concatenate([[-np.inf], prev[:-1]])
        jump = np.where(skip, np.concatenate([[-np.inf, -np.inf], prev[:-2]]), -np.inf)
        alpha[t] = np.logaddexp(np.logaddexp(prev, advance), jump) + log_probs[t, z]
    return alpha


def _skip_always(log_probs, target):
    return _with_skip(log_probs, target, lambda y: np.ones(len(y) - 1, dtype=bool))


def _skip_never(log_probs, target):
    return _with_skip(log_probs, target, lambda y: np.zeros(len(y) - 1, dtype=bool))


def _max_instead_of_sum(log_probs, target):
    target = np.asarray(target)
    z = np.zeros(2 * len(target) + 1, dtype=int)
    z[1::2] = target
    alpha = np.full((len(log_probs), len(z)), -np.inf)
    alpha[0, :2] = log_probs[0, z[:2]]
    for t in range(1, len(log_probs)):
        for s in range(len(z)):
            options = [alpha[t - 1, s]]
            if s >= 1:
                options.append(alpha[t - 1, s - 1])
            if s >= 2 and z[s] != 0 and z[s] != z[s - 2]:
                options.append(alpha[t - 1, s - 2])
            alpha[t, s] = max(options) + log_probs[t, z[s]]
    return alpha


def _log_probs(rng, timesteps, classes):
    return ctc.log_softmax(1.5 * rng.standard_normal((timesteps, classes)))


@exercise(
    "10.5",
    student="ctc_forward(log_probs, target)",
    reference=ctc.ctc_forward,
    withhold=[ctc.ctc_loss],
    mistakes=[
        Mistake(
            "skip-between-repeats",
            "a path may skip the blank between two labels only when they differ: between two "
            "equal labels the blank is what keeps them apart.",
            _skip_always,
        ),
        Mistake(
            "no-skip",
            "a path may jump from s - 2 to s (skipping a blank) when z[s] is a label unlike z[s - 2].",
            _skip_never,
        ),
        Mistake(
            "max-not-sum",
            "alpha sums the probabilities of every path (np.logaddexp), it does not keep the best.",
            _max_instead_of_sum,
        ),
    ],
    hint="alpha[t, s] = logaddexp(alpha[t-1, s], alpha[t-1, s-1] [, alpha[t-1, s-2]]) "
    "+ log_probs[t, z[s]].",
    atol=1e-8,
    rtol=1e-6,
    layout="(timesteps, 2 * labels + 1)",
)
def check_ctc_forward(ex) -> None:
    """Exercise 10.5 (5 checks): `ctc_forward(log_probs, target) -> log_alpha`, the blank being 0.

    Compares with `course_lib.ctc.ctc_forward` (itself equal to `keras.ops.ctc_loss`): a
    target without repeats, a target with a repeated label at the fewest frames it needs,
    and a random case (shape, values, inputs unchanged).
    """
    rng = ex.rng(105)
    ex.case("the target 1 2 over 4 frames, 3 classes", _log_probs(rng, 4, 3), np.array([1, 2]))
    a = int(rng.integers(1, 4))
    ex.case(f"the target {a} {a} over the 3 frames it needs", _log_probs(rng, 3, 4),
            np.array([a, a]))  # fmt: skip
    target = rng.integers(1, 5, size=4)
    target[2] = target[1]  # one repeat at least
    ex.case(
        f"the target {' '.join(map(str, target))} over 12 frames, 5 classes",
        _log_probs(rng, 12, 5),
        target,
        shape=(12, 9),
        unchanged=True,
    )
