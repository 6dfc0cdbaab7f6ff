"""Checks of Chapter 3's exercises: typical mistakes are diagnosed.

That the reference solutions pass and the stubs score nothing is tested for every
exercise by `tests/test_check_harness.py`.
"""

import keras
import numpy as np
from exercise_solutions import fails, load_solutions

from course_lib.checks import ch3

S = load_solutions("03_simple_rnn")


def test_windows_whose_target_is_the_last_input_are_diagnosed():
    def last_input(series, window, horizon=1):
        X, _ = S.make_windows(series, window, horizon)
        _, y = S.make_windows(np.r_[np.nan, series[:-1]], window, horizon)
        return X, y

    fails(ch3.check_make_windows, last_input, "not at its last element", passed=5)


def test_windows_without_a_features_axis_fail_on_shape():
    def flat(series, window, horizon=1):
        X, y = S.make_windows(series, window, horizon)
        return X[:, :, 0], y

    fails(ch3.check_make_windows, flat, "expected (7, 3, 1)", "features axis")


def test_windows_returning_one_array_fail():
    fails(ch3.check_make_windows, lambda s, w, horizon=1: np.zeros(3), "return X, y")


def _windowed(scaled, window, mean, std, train=0.7, val=0.15):
    """The dict of 3.2 from an already scaled series, split in time, with `S.make_windows`
    (`datasets.make_forecasting_data` answers 3.2: the self-check withholds it)."""
    n_train, n_val = int(train * len(scaled)), int(val * len(scaled))
    parts = {"train": scaled[:n_train], "val": scaled[n_train : n_train + n_val]}
    parts["test"] = scaled[n_train + n_val :]
    data = {"mean": mean, "std": std}
    for name, part in parts.items():
        data[f"X_{name}"], data[f"y_{name}"] = S.make_windows(part, window)
    return data


def test_scaling_with_whole_series_statistics_is_diagnosed():
    def leaky(series, window, train=0.7, val=0.15):
        mean, std = series.mean(), series.std()
        return _windowed((series - mean) / std, window, mean, std)

    fails(ch3.check_prepare_data, leaky, "leaks the future", passed=5)


def test_windows_cut_before_splitting_are_diagnosed():
    def windows_first(series, window, train=0.7, val=0.15):
        n_train, n_val = int(0.7 * len(series)), int(0.15 * len(series))
        mean, std = series[:n_train].mean(), series[:n_train].std()
        X, y = S.make_windows((series - mean) / std, window)
        cut = {"train": slice(0, n_train), "val": slice(n_train, n_train + n_val)}
        cut["test"] = slice(n_train + n_val, None)
        parts = {f"{a}_{k}": arr[s] for k, s in cut.items() for a, arr in (("X", X), ("y", y))}
        return {**parts, "mean": mean, "std": std}

    fails(ch3.check_prepare_data, windows_first, "none crosses a boundary", "cross the boundaries")


def test_prepare_data_with_a_missing_key_fails():
    def no_stats(series, window, train=0.7, val=0.15):
        data = S.prepare_data(series, window, train, val)
        del data["std"]
        return data

    fails(ch3.check_prepare_data, no_stats, "missing: std", passed=8)


def test_numpy_predict_without_dense_bias_is_diagnosed():
    def no_dense_bias(model, X):
        return S.numpy_predict(model, X) - model.layers[1].get_weights()[1]

    fails(ch3.check_numpy_predict, no_dense_bias, "add the Dense layer's bias", passed=3)


def test_model_without_a_simple_rnn_fails():
    def dense_only(X_train, y_train, X_val, y_val):
        model = keras.Sequential(
            [keras.Input(X_train.shape[1:]), keras.layers.Flatten(), keras.layers.Dense(1)]
        )
        model.compile(optimizer="adam", loss="mse")
        return model

    fails(ch3.check_simple_rnn_model, dense_only, "keras.layers.SimpleRNN layer", "persistence")


def test_untrained_model_fails_the_persistence_bound():
    def untrained(X_train, y_train, X_val, y_val):
        return keras.Sequential(
            [keras.Input(X_train.shape[1:]), keras.layers.SimpleRNN(4), keras.layers.Dense(1)]
        )

    fails(
        ch3.check_simple_rnn_model, untrained, "should be at most 0.2 x the persistence", passed=4
    )


def test_model_with_wrong_output_shape_and_nan_fails():
    def wide(X_train, y_train, X_val, y_val):
        model = keras.Sequential(
            [keras.Input(X_train.shape[1:]), keras.layers.SimpleRNN(4), keras.layers.Dense(3)]
        )
        model.layers[-1].set_weights([np.full((4, 3), np.nan), np.zeros(3)])
        return model

    fails(ch3.check_simple_rnn_model, wide, "keras.layers.Dense(1)", "NaN", passed=2)


def test_function_returning_no_model_fails():
    fails(ch3.check_simple_rnn_model, lambda *data: None, "got NoneType", passed=0)


def test_recursive_forecast_without_feedback_is_diagnosed():
    def no_feedback(predict_next, X, horizon):
        first = predict_next(X)
        return np.repeat(first[:, None], horizon, axis=1)

    fails(ch3.check_recursive_forecast, no_feedback, "append each prediction to the window")


def test_recursive_forecast_with_the_prediction_at_the_front_is_diagnosed():
    def at_front(predict_next, X, horizon):
        window, out = np.asarray(X, dtype=float), []
        for _ in range(horizon):
            p = predict_next(window)
            out.append(p)
            window = np.concatenate([p[:, None], window[:, :-1]], axis=1)
        return np.stack(out, axis=1)

    fails(ch3.check_recursive_forecast, at_front, "the newest value goes at the end")


def test_recursive_forecast_with_a_growing_window_fails_with_predict_next_s_message():
    def growing(predict_next, X, horizon):
        window, out = np.asarray(X, dtype=float), []
        for _ in range(horizon):
            p = predict_next(window)
            out.append(p)
            window = np.concatenate([window, p[:, None]], axis=1)
        return np.stack(out, axis=1)

    fails(ch3.check_recursive_forecast, growing, "`X` of predict_next must be", passed=0)


def test_extrapolation_answer_wrong_options_get_their_hints():
    fails(ch3.check_extrapolation_answer, lambda: "c", "leaks the test part", passed=0)
    fails(ch3.check_extrapolation_answer, lambda: "d", "no number of epochs", passed=0)
