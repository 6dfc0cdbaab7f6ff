"""Tests of `course_lib.baselines` on cases whose answers can be computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.baselines import (
    linear_forecast,
    mean_forecast,
    mse,
    persistence_forecast,
    unigram_bits_per_char,
)


def _ramp_windows(n=8, window=4, start=0.0):
    """Windows of the ramp start, start + 1, ...: row i is start + i + (0, 1, ..., window-1)."""
    return start + np.arange(n)[:, None] + np.arange(window)[None, :]  # (n, window)


def test_persistence_on_a_ramp():
    X = _ramp_windows()[:, :, None]  # (8, 4, 1)
    forecast = persistence_forecast(X, horizon=3)
    assert forecast.shape == (8, 3)
    np.testing.assert_array_equal(forecast, np.repeat(X[:, -1, :], 3, axis=1))
    # On a ramp the next value is the last one plus 1, so the MSE of persistence is 1.
    y_next = X[:, -1, 0] + 1
    assert mse(y_next, persistence_forecast(X)) == pytest.approx(1.0)


def test_persistence_uses_feature_zero_and_accepts_2d_windows():
    X = np.zeros((2, 3, 2))
    X[:, -1, 0], X[:, -1, 1] = [5.0, 6.0], [-1.0, -2.0]
    np.testing.assert_array_equal(persistence_forecast(X), [[5.0], [6.0]])
    np.testing.assert_array_equal(persistence_forecast(X[:, :, 0]), [[5.0], [6.0]])


def test_mean_forecast():
    forecast = mean_forecast(np.array([[1.0, 2.0], [3.0, 10.0]]), n_samples=3, horizon=2)
    np.testing.assert_array_equal(forecast, np.full((3, 2), 4.0))  # the mean, not the median
    assert mean_forecast([1.0, 2.0, 9.0], n_samples=1).shape == (1, 1)


def test_linear_forecast_extrapolates_a_ramp():
    X_train = _ramp_windows(n=20)  # (20, 4)
    y_train = np.stack([X_train[:, -1] + 1, X_train[:, -1] + 2], axis=1)  # (20, 2)
    X = _ramp_windows(n=3, start=100.0)[:, :, None]  # far outside the training range
    forecast = linear_forecast(X_train[:, :, None], y_train, X)
    assert forecast.shape == (3, 2)
    expected = np.stack([X[:, -1, 0] + 1, X[:, -1, 0] + 2], axis=1)
    np.testing.assert_allclose(forecast, expected, atol=0.05)


def test_linear_forecast_recovers_ar_coefficients():
    rng = np.random.default_rng(0)
    X_train = rng.normal(size=(200, 3, 1))
    y_train = 0.5 * X_train[:, -1, 0] - 0.25 * X_train[:, 0, 0]  # (200,)
    X = rng.normal(size=(5, 3, 1))
    forecast = linear_forecast(X_train, y_train, X, alpha=0.0)
    assert forecast.shape == (5, 1)
    np.testing.assert_allclose(forecast[:, 0], 0.5 * X[:, -1, 0] - 0.25 * X[:, 0, 0], atol=1e-9)


def test_mse():
    assert mse([1.0, 2.0, 3.0], [1.0, 2.0, 5.0]) == pytest.approx(4.0 / 3.0)
    assert mse(np.array([1.0, 2.0]), np.array([[1.0], [4.0]])) == pytest.approx(2.0)
    with pytest.raises(ValueError, match=r"`y_pred` must have the shape of `y_true` \(3,\)"):
        mse(np.ones(3), np.ones((3, 2)))


def _entropy_bits(p):
    p = np.asarray(p, dtype=float)
    return float(-np.sum(p * np.log2(p)))


def test_unigram_on_two_symbols_equals_the_entropy():
    # Laplace smoothing of counts (2, 0) gives p = (3/4, 1/4); a validation text with
    # the same frequencies has a cross-entropy equal to the entropy H(3/4, 1/4).
    train_ids = np.array([0, 0])
    val_ids = np.array([0, 0, 0, 1])
    expected = _entropy_bits([0.75, 0.25])
    assert unigram_bits_per_char(train_ids, val_ids, vocab_size=2) == pytest.approx(expected)


def test_unigram_uniform_cases():
    # No training data: every character gets 1 / vocab_size, log2(vocab_size) bits.
    assert unigram_bits_per_char([], [0, 3, 5], vocab_size=8) == pytest.approx(3.0)
    # Balanced training data: still uniform.
    assert unigram_bits_per_char([0, 1, 2, 3], [2, 2], vocab_size=4) == pytest.approx(2.0)
    # An unseen character costs log2((n + V) / 1) bits.
    assert unigram_bits_per_char([0, 0, 0], [1], vocab_size=2) == pytest.approx(np.log2(5.0))


def test_argument_errors():
    with pytest.raises(ValueError, match=r"`X` must be 2-D or 3-D \(samples, window\)"):
        persistence_forecast(np.ones(5))
    with pytest.raises(ValueError, match="`horizon` must be at least 1"):
        persistence_forecast(np.ones((2, 3)), horizon=0)
    with pytest.raises(ValueError, match="`n_samples` must be at least 1"):
        mean_forecast(np.ones(3), n_samples=0)
    with pytest.raises(ValueError, match="`y_train` must have one target per window"):
        linear_forecast(np.ones((4, 3)), np.ones(5), np.ones((2, 3)))
    with pytest.raises(ValueError, match="`X` must have the window and features of `X_train`"):
        linear_forecast(np.ones((4, 3)), np.ones(4), np.ones((2, 5)))
    with pytest.raises(ValueError, match=r"`val_ids` must hold ids in \[0, 4\)"):
        unigram_bits_per_char([0, 1], [0, 4], vocab_size=4)
    with pytest.raises(ValueError, match="`train_ids` must hold integer ids"):
        unigram_bits_per_char([0.5, 1.0], [0], vocab_size=4)
    with pytest.raises(ValueError, match="`val_ids` must not be empty"):
        unigram_bits_per_char([0, 1], [], vocab_size=4)
    with pytest.raises(ValueError, match="`vocab_size` must be at least 1"):
        unigram_bits_per_char([0], [0], vocab_size=0)
