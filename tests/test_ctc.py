"""CTC in NumPy: the collapse rule, greedy decoding, and the loss against keras.ops.ctc_loss."""

import itertools

import numpy as np
import pytest

from course_lib.ctc import (
    classes_to_digits,
    collapse,
    ctc_forward,
    ctc_loss,
    digits_to_classes,
    greedy_decode,
    log_softmax,
)


def test_collapse_merges_repeats_then_drops_blanks():
    assert collapse([0, 0, 0]).tolist() == []
    assert collapse([3, 3, 3]).tolist() == [3]
    assert collapse([3, 0, 3]).tolist() == [3, 3]
    assert collapse([0, 3, 3, 0, 4, 0, 0, 4, 4]).tolist() == [3, 4, 4]
    assert collapse([2, 2, 1], blank=2).tolist() == [1]
    assert collapse([]).tolist() == []


def test_greedy_decoding_collapses_the_best_path():
    scores = np.log(np.eye(4)[[0, 2, 2, 0, 2, 3, 3]] * 0.9 + 0.025)
    assert greedy_decode(scores).tolist() == [2, 2, 3]


def test_digits_and_classes_are_inverse():
    digits = np.arange(10)
    assert classes_to_digits(digits_to_classes(digits)).tolist() == digits.tolist()
    with pytest.raises(ValueError, match="`digits` must be in 0 .. 9"):
        digits_to_classes([10])
    with pytest.raises(ValueError, match="`classes` must be in 1 .. 10"):
        classes_to_digits([0])


def _brute_force_loss(logits, target):
    """-log of the summed probability of every path collapsing to `target` (tiny cases)."""
    log_probs = log_softmax(logits)
    timesteps, classes = logits.shape
    total = 0.0
    for path in itertools.product(range(classes), repeat=timesteps):
        if collapse(path).tolist() == list(target):
            total += np.exp(sum(log_probs[t, s] for t, s in enumerate(path)))
    return -np.log(total)


@pytest.mark.parametrize(
    ("timesteps", "target"), [(1, [1]), (3, [1, 1]), (4, [2, 1]), (4, [1, 2, 2]), (3, [])]
)
def test_loss_sums_every_path_that_collapses_to_the_target(timesteps, target):
    logits = np.random.default_rng(timesteps).standard_normal((timesteps, 3))
    assert ctc_loss(logits, target) == pytest.approx(_brute_force_loss(logits, target), rel=1e-10)


def test_a_target_too_long_for_the_frames_is_impossible():
    assert ctc_loss(np.zeros((2, 3)), [1, 1]) == np.inf  # needs 1 - 1: three frames
    assert np.isfinite(ctc_loss(np.zeros((3, 3)), [1, 1]))


def _cases():
    """Random cases, with repeated labels and the shortest feasible number of frames."""
    rng = np.random.default_rng(0)
    cases = [
        (np.array([3, 3, 3]), 5),  # repeats: 3 - 3 - 3 needs exactly 5 frames
        (np.array([1, 2, 3]), 3),  # no repeat: one frame per label
        (np.array([4]), 1),
        (np.array([2, 2]), 3),
    ]
    for _ in range(12):
        target = rng.integers(1, 6, size=rng.integers(1, 6))
        shortest = len(target) + int(np.sum(target[1:] == target[:-1]))
        cases.append((target, shortest + int(rng.integers(0, 6))))
    return cases


def test_loss_agrees_with_keras_ops_ctc_loss():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(1)
    for target, timesteps in _cases():
        logits = 2.0 * rng.standard_normal((timesteps, 6)).astype(np.float32)
        theirs = keras.ops.convert_to_numpy(
            keras.ops.ctc_loss(
                target[None].astype(np.int32),
                logits[None],
                np.array([len(target)], dtype=np.int32),
                np.array([timesteps], dtype=np.int32),
                mask_index=0,
            )
        )[0]
        ours = ctc_loss(logits.astype(np.float64), target)
        assert ours == pytest.approx(float(theirs), rel=1e-5, abs=1e-5), (target, timesteps)


def test_alpha_has_a_path_through_every_reachable_state_only():
    log_alpha = ctc_forward(log_softmax(np.zeros((3, 3))), [1, 2])
    assert log_alpha.shape == (3, 5)
    assert np.isinf(log_alpha[0, 2:]).all()  # frame 0 can only be in "-" or "1"
    assert np.isfinite(log_alpha[-1, -2:]).all()


def test_bad_targets_are_named():
    with pytest.raises(
        ValueError, match="`target` must hold classes in 0 .. 2 other than the blank"
    ):
        ctc_loss(np.zeros((4, 3)), [1, 0])
    with pytest.raises(ValueError, match="`target` must hold classes"):
        ctc_loss(np.zeros((4, 3)), [3])
    with pytest.raises(ValueError, match="`log_probs` must be 2-D"):
        ctc_forward(np.zeros(3), [1])
