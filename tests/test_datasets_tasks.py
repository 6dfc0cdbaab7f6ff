"""Tests of course_lib.datasets.tasks: the adding problem and the long-sequence classification task."""

import numpy as np
import pytest

from course_lib.datasets import ADDING_BASELINE_MSE, adding_problem, selective_copy

# --- adding problem ---------------------------------------------------------------------


def test_adding_problem_shapes_dtypes_and_values():
    X, y = adding_problem(64, 30, seed=0)
    assert X.shape == (64, 30, 2) and y.shape == (64, 1)
    assert X.dtype == np.float32 and y.dtype == np.float32
    values = X[:, :, 0]
    assert values.min() >= 0.0 and values.max() < 1.0


def test_adding_problem_has_one_marker_in_each_half_and_target_is_the_marked_sum():
    n, timesteps = 500, 21
    X, y = adding_problem(n, timesteps, seed=4)
    markers = X[:, :, 1]
    assert set(np.unique(markers).tolist()) == {0.0, 1.0}
    np.testing.assert_array_equal(markers.sum(axis=1), np.full(n, 2.0))
    half = timesteps // 2
    np.testing.assert_array_equal(markers[:, :half].sum(axis=1), np.ones(n))
    np.testing.assert_array_equal(markers[:, half:].sum(axis=1), np.ones(n))
    marked_sum = (X[:, :, 0] * markers).sum(axis=1)
    np.testing.assert_allclose(y[:, 0], marked_sum, rtol=1e-6)
    # Both halves are used in full: markers land on the first and the last step too.
    assert markers[:, 0].any() and markers[:, -1].any()


def test_adding_problem_works_for_the_shortest_sequences():
    X, y = adding_problem(10, 2)
    np.testing.assert_array_equal(X[:, :, 1], np.ones((10, 2)))
    np.testing.assert_allclose(y[:, 0], X[:, :, 0].sum(axis=1), rtol=1e-6)


def test_predicting_one_scores_the_baseline_mse():
    assert ADDING_BASELINE_MSE == pytest.approx(1 / 6)
    _, y = adding_problem(200_000, 4, seed=1)
    mse_of_one = float(np.mean((y.astype(np.float64) - 1.0) ** 2))
    assert abs(mse_of_one - ADDING_BASELINE_MSE) < 0.005
    assert abs(float(y.mean()) - 1.0) < 0.005


def test_adding_problem_is_reproducible_with_seed():
    a = adding_problem(20, 10, seed=7)
    b = adding_problem(20, 10, seed=7)
    c = adding_problem(20, 10, seed=8)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((0, 10), {}, r"`n_samples` must be at least 1; got 0"),
        ((-5, 10), {}, r"`n_samples` must be at least 1; got -5"),
        ((10, 1), {}, r"`timesteps` must be at least 2; got 1"),
        ((10, 5.0), {}, r"`timesteps` must be an integer; got float 5.0"),
        ((10, 5), {"seed": -1}, r"`seed` must be at least 0; got -1"),
    ],
)
def test_adding_problem_rejects_bad_arguments(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        adding_problem(*args, **kwargs)


# --- long-sequence classification -------------------------------------------------------

from course_lib.datasets import long_sequence_classification  # noqa: E402


def _order_label(X):
    """1 where token 1 (A) comes before token 2 (B), 0 where it comes after."""
    first_a = (X == 1).argmax(axis=1)
    first_b = (X == 2).argmax(axis=1)
    return (first_a < first_b).astype(int)


def test_long_sequence_classification_shapes_dtypes_and_ids():
    X, y = long_sequence_classification(300, 40, vocab_size=12, seed=0)
    assert X.shape == (300, 40) and y.shape == (300,)
    assert X.dtype == np.int32 and y.dtype == np.int32
    assert X.min() >= 1 and X.max() <= 11  # id 0 is never used
    assert set(np.unique(y).tolist()) == {0, 1}
    assert set(np.unique(X).tolist()) == set(range(1, 12))  # every noise token occurs


def test_long_sequence_classification_label_is_the_order_of_one_adjacent_motif():
    X, y, positions = long_sequence_classification(500, 30, seed=3, return_positions=True)
    rows = np.arange(len(X))
    # Exactly one A (1) and one B (2) per sequence: token counts carry no label information.
    np.testing.assert_array_equal((X == 1).sum(axis=1), 1)
    np.testing.assert_array_equal((X == 2).sum(axis=1), 1)
    np.testing.assert_array_equal(X[rows, positions], np.where(y == 1, 1, 2))
    np.testing.assert_array_equal(X[rows, positions + 1], np.where(y == 1, 2, 1))
    np.testing.assert_array_equal(_order_label(X), y)
    # Reading the sequences backwards reverses the motif, hence the label.
    np.testing.assert_array_equal(_order_label(X[:, ::-1]), 1 - y)


def test_long_sequence_classification_positions_cover_the_sequence_and_labels_balance():
    timesteps = 25
    X, y, positions = long_sequence_classification(4000, timesteps, seed=1, return_positions=True)
    assert positions.dtype == np.int32
    assert positions.min() == 0 and positions.max() == timesteps - 2
    assert int(y.sum()) == 2000  # exactly balanced, not only on average
    # Positions are uniform: each of the 24 possible starts holds about 1/24 of the pairs.
    counts = np.bincount(positions, minlength=timesteps - 1)
    assert counts.min() > 0.6 * len(X) / (timesteps - 1)


@pytest.mark.parametrize("n_samples", [1, 2, 7, 500, 1001])
def test_long_sequence_classification_labels_are_exactly_balanced_in_random_order(n_samples):
    # Chapter 6c compares accuracies with chance, 50 %: every split must hold as many
    # sequences of each class (one more 0 for an odd count), shuffled, whatever the seed.
    for seed in range(3):
        _, y = long_sequence_classification(n_samples, 10, seed=seed)
        assert int(y.sum()) == n_samples // 2
        assert int((y == 0).sum()) == n_samples - n_samples // 2
    _, y = long_sequence_classification(1000, 10, seed=0)
    assert 200 < int(y[:500].sum()) < 300  # shuffled, not sorted by label
    assert not np.array_equal(y, long_sequence_classification(1000, 10, seed=1)[1])


def test_long_sequence_classification_shortest_sequences_are_the_motif():
    X, y = long_sequence_classification(20, 2, seed=2)
    np.testing.assert_array_equal(X, np.where(y[:, None] == 1, [[1, 2]], [[2, 1]]))


def test_long_sequence_classification_is_reproducible_with_seed():
    a = long_sequence_classification(20, 15, seed=5)
    b = long_sequence_classification(20, 15, seed=5)
    c = long_sequence_classification(20, 15, seed=6)
    assert len(a) == 2
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((0, 10), {}, r"`n_samples` must be at least 1; got 0"),
        ((10, 1), {}, r"`timesteps` must be at least 2; got 1"),
        ((10, 8.0), {}, r"`timesteps` must be an integer; got float 8.0"),
        ((10, 8), {"vocab_size": 3}, r"`vocab_size` must be at least 4; got 3"),
        ((10, 8), {"seed": -1}, r"`seed` must be at least 0; got -1"),
    ],
)
def test_long_sequence_classification_rejects_bad_arguments(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        long_sequence_classification(*args, **kwargs)


# --- selective copying ------------------------------------------------------------------


def test_selective_copy_targets_are_the_data_tokens_in_order():
    X, y = selective_copy(500, 30, n_tokens=5, vocab_size=7, seed=3)
    assert X.shape == (500, 30) and y.shape == (500, 5)
    assert X.dtype == np.int32 and y.dtype == np.int32
    np.testing.assert_array_equal((X > 0).sum(axis=1), np.full(500, 5))
    np.testing.assert_array_equal(X[X > 0].reshape(500, 5), y)  # row by row, left to right
    assert y.min() == 1 and y.max() == 6  # every data token, never the blank
    assert X.max() == 6


def test_selective_copy_positions_cover_every_step_and_differ_between_sequences():
    X, _ = selective_copy(2000, 16, n_tokens=2, seed=0)
    used = (X > 0).mean(axis=0)  # share of sequences with a token at each step
    assert used.min() > 0.08 and used.max() < 0.17  # uniform: 2 / 16 = 0.125 each
    assert len({tuple(np.flatnonzero(row)) for row in X}) > 100


def test_selective_copy_can_fill_every_step():
    X, y = selective_copy(5, 3, n_tokens=3, seed=1)
    assert (X > 0).all()
    np.testing.assert_array_equal(X, y)


def test_selective_copy_is_reproducible_and_validated():
    a, b = selective_copy(8, 12, seed=4), selective_copy(8, 12, seed=4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], selective_copy(8, 12, seed=5)[0])
    with pytest.raises(ValueError, match="`timesteps` must be at least 4; got 3"):
        selective_copy(8, 3)
    with pytest.raises(ValueError, match="`vocab_size` must be at least 3; got 2"):
        selective_copy(8, 12, vocab_size=2)
    with pytest.raises(ValueError, match="`n_tokens` must be at least 1; got 0"):
        selective_copy(8, 12, n_tokens=0)
