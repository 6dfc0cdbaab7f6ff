"""Tests of course_lib.datasets.series: generators, windows, splits, scaling, no leakage."""

import numpy as np
import pytest

from course_lib import datasets
from course_lib.datasets import (
    SeriesScaler,
    make_forecasting_data,
    make_windows,
    periodic_series,
    sine_series,
    split_by_time,
)


def test_package_reexports_the_contract():
    for name in datasets.__all__:
        assert getattr(datasets, name) is not None
    expected = {
        "sine_series", "periodic_series", "make_windows", "split_by_time", "SeriesScaler",
        "make_forecasting_data", "ForecastingData", "adding_problem", "ADDING_BASELINE_MSE",
        "load_digit_sequences", "load_corpus", "CharVocabulary",
        "make_char_sequences", "load_sunspots",
    }  # fmt: skip
    assert expected <= set(datasets.__all__)


# --- generators -------------------------------------------------------------------------


def test_sine_series_matches_formula():
    s = sine_series(300, period=40.0, amplitude=2.0, trend=0.01)
    t = np.arange(300)
    assert s.shape == (300,)
    assert s.dtype == np.float32
    np.testing.assert_allclose(s, 2.0 * np.sin(2 * np.pi * t / 40.0) + 0.01 * t, atol=1e-5)


def test_sine_series_noise_is_seeded_and_has_the_requested_spread():
    a = sine_series(5000, noise=0.3, seed=1)
    b = sine_series(5000, noise=0.3, seed=1)
    c = sine_series(5000, noise=0.3, seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    residual = a - sine_series(5000)
    assert abs(residual.std() - 0.3) < 0.02


def test_periodic_series_is_a_sum_of_sines():
    s = periodic_series(400, periods=(20.0, 90.0), amplitudes=(1.0, 0.5))
    expected = sine_series(400, period=20.0) + sine_series(400, period=90.0, amplitude=0.5)
    assert s.shape == (400,)
    assert s.dtype == np.float32
    np.testing.assert_allclose(s, expected, atol=1e-5)
    np.testing.assert_allclose(periodic_series(100), sine_series(100), atol=1e-6)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: sine_series(0), r"`n_steps` must be at least 1; got 0"),
        (lambda: sine_series(10, period=0.0), r"`period` must be in \(0, inf\)"),
        (lambda: sine_series(10, noise=-1.0), r"`noise` must be in \[0, inf\]"),
        (lambda: periodic_series(10, periods=(5.0, -1.0)), r"`periods` must all be positive"),
        (
            lambda: periodic_series(10, periods=(5.0, 7.0), amplitudes=(1.0,)),
            r"`amplitudes` must have one value per period \(2\); got 1",
        ),
    ],
)
def test_generators_reject_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- windows ----------------------------------------------------------------------------


def test_make_windows_pairs_inputs_with_the_next_values():
    s = np.arange(20.0)
    X, y = make_windows(s, window=4, horizon=3)
    assert X.shape == (20 - 4 - 3 + 1, 4, 1)
    assert y.shape == (14, 3)
    assert X.dtype == np.float32 and y.dtype == np.float32
    for i in range(len(X)):
        np.testing.assert_array_equal(X[i, :, 0], s[i : i + 4])
        np.testing.assert_array_equal(y[i], s[i + 4 : i + 7])


def test_make_windows_stride_and_exact_fit():
    s = np.arange(20.0)
    X, y = make_windows(s, window=4, horizon=1, stride=5)
    assert X.shape == ((20 - 4 - 1) // 5 + 1, 4, 1)
    np.testing.assert_array_equal(X[:, 0, 0], [0, 5, 10, 15])
    np.testing.assert_array_equal(y[:, 0], [4, 9, 14, 19])
    X, y = make_windows(s, window=17, horizon=3)  # window + horizon == length
    assert X.shape == (1, 17, 1) and y.tolist() == [[17.0, 18.0, 19.0]]


def test_make_windows_multifeature_targets_feature_zero():
    s = np.stack([np.arange(10.0), -np.arange(10.0)], axis=1)  # (T, 2)
    X, y = make_windows(s, window=3, horizon=2)
    assert X.shape == (6, 3, 2)
    np.testing.assert_array_equal(X[2], s[2:5])
    np.testing.assert_array_equal(y[2], [5.0, 6.0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"series": np.zeros(50), "window": 55, "horizon": 5},
            r"`window` \+ `horizon` \(= 60\) must be at most the series length 50; "
            r"got window=55, horizon=5",
        ),
        ({"series": np.zeros(50), "window": 0}, r"`window` must be at least 1; got 0"),
        ({"series": np.zeros(50), "window": 3, "horizon": 0}, r"`horizon` must be at least 1"),
        ({"series": np.zeros(50), "window": 3, "stride": 0}, r"`stride` must be at least 1"),
        (
            {"series": np.zeros((2, 50, 1)), "window": 3},
            r"`series` must be 1-D or 2-D \(timesteps,\) or \(timesteps, features\); "
            r"got shape \(2, 50, 1\)",
        ),
        ({"series": [1.0, np.nan, 2.0], "window": 1}, r"`series` must hold finite numbers"),
    ],
)
def test_make_windows_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_windows(**kwargs)


# --- splits -----------------------------------------------------------------------------


def test_split_by_time_gives_contiguous_segments_in_order():
    s = np.arange(100.0)
    train, val, test = split_by_time(s, train=0.6, val=0.25)
    assert (len(train), len(val), len(test)) == (60, 25, 15)
    np.testing.assert_array_equal(np.concatenate([train, val, test]), s)
    assert train[-1] < val[0] and val[-1] < test[0]


def test_split_by_time_keeps_features_and_allows_no_validation():
    s = np.ones((50, 3))
    train, val, test = split_by_time(s, train=0.8, val=0.0)
    assert train.shape == (40, 3) and val.shape == (0, 3) and test.shape == (10, 3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"train": 0.8, "val": 0.3},
            r"`train` \+ `val` must be below 1 so that the test segment is not empty; "
            r"got train=0.8, val=0.3",
        ),
        ({"train": 0.85, "val": 0.15}, r"`train` \+ `val` must be below 1"),
        ({"train": 0.0}, r"`train` must be in \(0, 1\); got 0"),
        ({"train": 1.5}, r"`train` must be in \(0, 1\); got 1.5"),
        ({"val": -0.1}, r"`val` must be in \[0, 1\]; got -0.1"),
    ],
)
def test_split_by_time_rejects_bad_fractions(kwargs, match):
    with pytest.raises(ValueError, match=match):
        split_by_time(np.arange(100.0), **kwargs)


def test_split_by_time_rejects_too_short_series():
    with pytest.raises(ValueError, match=r"`series` of length 3 is too short"):
        split_by_time(np.arange(3.0), train=0.5, val=0.2)


# --- scaler -----------------------------------------------------------------------------


def test_standard_scaler_learns_mean_and_std():
    rng = np.random.default_rng(0)
    x = rng.normal(5.0, 3.0, size=500)
    scaler = SeriesScaler("standard")
    z = scaler.fit_transform(x)
    assert z.dtype == np.float32
    assert abs(z.mean()) < 1e-5 and abs(z.std() - 1.0) < 1e-5
    np.testing.assert_allclose(scaler.offset_, x.mean())
    np.testing.assert_allclose(scaler.scale_, x.std())
    np.testing.assert_allclose(scaler.inverse_transform(z), x, rtol=1e-5)


def test_minmax_scaler_maps_training_data_onto_unit_interval_per_feature():
    x = np.stack([np.linspace(-2, 6, 30), np.linspace(10, 11, 30)], axis=1)  # (T, 2)
    scaler = SeriesScaler("minmax").fit(x)
    z = scaler.transform(x)
    np.testing.assert_allclose(z.min(axis=0), [0, 0], atol=1e-6)
    np.testing.assert_allclose(z.max(axis=0), [1, 1], atol=1e-6)
    np.testing.assert_allclose(scaler.inverse_transform(z), x, rtol=1e-5)
    # Predictions of feature 0, shape (batch, horizon), use feature 0's statistics.
    np.testing.assert_allclose(scaler.inverse_transform(np.full((4, 2), 0.5), feature=0), 2.0)


def test_scaler_handles_constant_training_data():
    z = SeriesScaler().fit_transform(np.full(10, 3.0))
    np.testing.assert_array_equal(z, np.zeros(10))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: SeriesScaler("robust"),
            r"`method` must be one of 'standard', 'minmax'; got 'robust'",
        ),
        (
            lambda: SeriesScaler().transform(np.zeros(3)),
            r"not fitted yet; call `fit\(train\)` first",
        ),
        (
            lambda: SeriesScaler().fit(np.zeros((10, 2))).transform(np.zeros((4, 3))),
            r"`x` must have 2 features on its last axis",
        ),
        (
            lambda: SeriesScaler().fit(np.zeros((10, 2))).transform(np.zeros(2), feature=2),
            r"`feature` must be at most 1; got 2",
        ),
        (lambda: SeriesScaler().fit(np.zeros((2, 3, 4))), r"`train` must be 1-D or 2-D"),
    ],
)
def test_scaler_rejects_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- forecasting data: shapes and no leakage ------------------------------------------


def test_make_forecasting_data_shapes_and_dtypes():
    data = make_forecasting_data(sine_series(1000), window=30, horizon=2)
    assert data.X_train.shape == (700 - 32 + 1, 30, 1) and data.y_train.shape == (669, 2)
    assert data.X_val.shape == (150 - 32 + 1, 30, 1) and data.y_val.shape == (119, 2)
    assert data.X_test.shape == (119, 30, 1) and data.y_test.shape == (119, 2)
    for name in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test"):
        assert getattr(data, name).dtype == np.float32
    assert (len(data.train), len(data.val), len(data.test)) == (700, 150, 150)
    assert "X_train=(669, 30, 1)" in repr(data)


def test_scaler_is_fitted_on_the_training_segment_only():
    series = sine_series(600, trend=0.01, noise=0.1, seed=3)  # trend: segments differ
    data = make_forecasting_data(series, window=10, train=0.6, val=0.2)
    train_part = series[:360].astype(np.float64)
    np.testing.assert_allclose(data.scaler.offset_, train_part.mean(), rtol=1e-6)
    np.testing.assert_allclose(data.scaler.scale_, train_part.std(), rtol=1e-6)
    assert abs(data.scaler.offset_ - series.astype(np.float64).mean()) > 0.1


def test_changing_future_values_does_not_change_training_arrays():
    series = sine_series(500, noise=0.1, seed=0)
    altered = series.copy()
    altered[400:] += 100.0  # only the validation/test part (train ends at 350)
    a = make_forecasting_data(series, window=12)
    b = make_forecasting_data(altered, window=12)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    np.testing.assert_array_equal(a.scaler.offset_, b.scaler.offset_)
    np.testing.assert_array_equal(a.scaler.scale_, b.scaler.scale_)
    assert not np.allclose(a.X_test, b.X_test)


@pytest.mark.parametrize("scale", ["standard", "minmax", None])
def test_windows_never_cross_a_split_boundary(scale):
    # With the series 0, 1, 2, ... every value is its own time index.
    series = np.arange(200.0)
    data = make_forecasting_data(series, window=8, horizon=3, train=0.5, val=0.25, scale=scale)

    def steps(a):
        return a if data.scaler is None else data.scaler.inverse_transform(a)

    bounds = {"train": (0, 100), "val": (100, 150), "test": (150, 200)}
    for name, (lo, hi) in bounds.items():
        X = np.rint(steps(getattr(data, f"X_{name}")))
        y = np.rint(steps(getattr(data, f"y_{name}")))
        assert X.min() >= lo and y.max() < hi, name
        np.testing.assert_array_equal(y[:, 0], X[:, -1, 0] + 1)  # target follows its window
    last_train_target = np.rint(steps(data.y_train)).max()
    first_test_target = np.rint(steps(data.y_test)).min()
    assert first_test_target > last_train_target
    assert np.rint(steps(data.y_val)).min() > last_train_target


def test_make_forecasting_data_without_validation():
    data = make_forecasting_data(np.arange(100.0), window=5, train=0.8, val=0.0)
    assert data.X_val.shape == (0, 5, 1) and data.y_val.shape == (0, 1)
    assert data.X_test.shape == (20 - 6 + 1, 5, 1)


def test_make_forecasting_data_rejects_a_window_longer_than_a_segment():
    with pytest.raises(
        ValueError,
        match=r"`window` \+ `horizon` \(= 21\) must fit inside the val segment of 15 steps",
    ):
        make_forecasting_data(np.arange(100.0), window=20)


def test_make_forecasting_data_rejects_bad_scale():
    with pytest.raises(ValueError, match=r"`scale` must be one of 'standard', 'minmax', None"):
        make_forecasting_data(np.arange(100.0), window=5, scale="log")
