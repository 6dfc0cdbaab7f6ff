"""Checks of the exercises of Chapter 3 (SimpleRNN in Keras).

- 3.1 `check_make_windows(make_windows)`: cut a series into (window, next values) pairs.
- 3.2 `check_prepare_data(prepare_data)`: split in time, scale with training statistics,
  then window each segment (no leakage).
- 3.3 `check_numpy_predict(numpy_predict)`: reproduce a Keras SimpleRNN model in NumPy.
- 3.4 `check_simple_rnn_model(train_simple_rnn)`: train a SimpleRNN that beats persistence.

`task_data()` returns the data the check of 3.4 trains on, so that you can try your model
before you run the check.

References: `course_lib.datasets.make_windows`, `course_lib.datasets.make_forecasting_data`,
Keras's own `model(X)` and `course_lib.baselines.persistence_forecast`.

Introduced in Chapter 3 (SimpleRNN in Keras).
"""

from __future__ import annotations

import numpy as np

from course_lib import cells, datasets
from course_lib.checks.common import (
    StudentFunction,
    diagnose,
    expect_good_forecaster,
    expect_unchanged,
    hint_for,
    seed_everything,
)
from course_lib.checks.report import CallFailed, CheckReport
from course_lib.validation import describe

__all__ = [
    "MAX_MSE_RATIO",
    "check_make_windows",
    "check_numpy_predict",
    "check_prepare_data",
    "check_simple_rnn_model",
    "task_data",
]

# -- 3.1 -------------------------------------------------------------------------------------


def _windows_mistakes(series, window, horizon):
    values = np.asarray(series, dtype=float)
    n = len(values) - window - horizon + 1

    def cut(n_windows, target_offset):
        X = np.stack([values[s : s + window] for s in range(n_windows)])[:, :, None]
        y = np.stack(
            [values[s + target_offset : s + target_offset + horizon] for s in range(n_windows)]
        )
        return X, y

    return [
        (
            "the target starts right after the window, at series[s + window], not at its "
            "last element series[s + window - 1] (that value is already an input).",
            lambda: cut(n, window - 1)[1],
        ),
        (
            "the target starts at series[s + window]; series[s + window + 1] skips a step.",
            lambda: cut(n - 1, window + 1)[1],
        ),
    ]


def check_make_windows(make_windows) -> None:
    """Exercise 3.1 (7 checks): `make_windows(series, window, horizon=1) -> (X, y)`.

    Compares with `course_lib.datasets.make_windows` on two ramps (easy to read, starting
    at a drawn integer) and on a noisy sine, with horizons 1, 3 and 2.
    """
    report = CheckReport("3.1")
    windows = StudentFunction(report, make_windows, "make_windows")
    rng = report.rng(2)
    a, b = (int(v) for v in rng.integers(-100, 101, size=2))
    cases = [
        (f"np.arange({a}.0, {a + 10}.0), window=3", np.arange(a, a + 10.0), 3, 1),
        (f"np.arange({b}.0, {b + 12}.0), window=4, horizon=3", np.arange(b, b + 12.0), 4, 3),
        (
            "a noisy sine of 50 steps, window=7, horizon=2",
            datasets.sine_series(50, period=12.0, noise=0.1, seed=report.seed(2)).astype(float),
            7,
            2,
        ),
    ]
    for index, (label, series, window, horizon) in enumerate(cases):
        original = series.copy()
        got = windows(series, window, horizon=horizon)
        if report.judging:
            _expect_windows(
                report, windows.name, index, label, got, series, original, window, horizon
            )
    report.finish()


def _expect_windows(report, name, index, label, got, series, original, window, horizon) -> None:
    """The checks of one case of 3.1: shapes for the first, values for the others."""
    X_exp, y_exp = datasets.make_windows(original, window, horizon)
    n = len(original) - window - horizon + 1
    pair = isinstance(got, tuple | list) and len(got) == 2
    if isinstance(got, CallFailed):
        X, y = got, got
    elif not pair:
        report.expect(
            False,
            f"{name}({label}) should return a pair (X, y); got {describe(got)}.",
            hint="end with `return X, y`.",
        )
        skipped = ["y"] + (["the series unchanged"] if index == 2 else [])
        for skipped_name in skipped:
            report.expect(False, f"`{skipped_name}` for {label} not checked (no pair returned).")
        return
    else:
        X, y = got
    if index == 0:
        shape_hint = (
            f"a series of {len(original)} steps gives {len(original)} - window - horizon + 1 "
            f"= {n} windows; X needs a features axis of size 1: X[..., None]."
        )
        report.expect_shape(
            f"X for {label}",
            X,
            X_exp.shape,
            layout="(batch, window, features)",
            hint=hint_for(X, shape_hint),
        )
        report.expect_shape(
            f"y for {label}",
            y,
            y_exp.shape,
            layout="(batch, horizon)",
            hint=f"{n} windows with {horizon} target value(s) each, also for horizon=1.",
        )
        return
    report.expect_close(
        f"X for {label}",
        X,
        X_exp,
        hint=f"window s holds series[s : s + window]; there are {n} windows "
        "(the last target must still fit in the series).",
    )
    report.expect_close(
        f"y for {label}",
        y,
        y_exp,
        hint=diagnose(
            y,
            _windows_mistakes(original, window, horizon),
            "the target of window s is series[s + window : s + window + horizon].",
        ),
    )
    if index == 2:
        expect_unchanged(report, got, {"series": original}, {"series": series}, "make_windows")


# -- 3.2 -------------------------------------------------------------------------------------

_KEYS = ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test", "mean", "std")


def _prepare_mistakes(series, window, split, array):
    """Results of typical mistakes of `prepare_data`, for `diagnose`."""
    n_train = int(np.floor(0.7 * len(series)))

    def leaky():  # scaled with the statistics of the whole series
        scaled = (series - np.mean(series)) / np.std(series)
        data = datasets.make_forecasting_data(scaled, window=window, scale=None)
        return getattr(data, f"{array}_{split}")

    def unscaled():
        data = datasets.make_forecasting_data(series, window=window, scale=None)
        return getattr(data, f"{array}_{split}")

    def windows_first():  # windows cut over the whole series, then split by position
        train = series[:n_train]
        X, y = datasets.make_windows((series - np.mean(train)) / np.std(train), window)
        n_val = int(np.floor(0.15 * len(series)))
        bounds = {"train": (0, n_train), "test": (n_train + n_val, len(X))}[split]
        return {"X": X, "y": y}[array][bounds[0] : bounds[1]]

    return [
        (
            "the values are scaled with the mean and std of the whole series; that leaks "
            "the future into training: use the training segment's statistics.",
            leaky,
        ),
        ("scale the values: (x - mean) / std with the training statistics.", unscaled),
        (
            "split first, then cut windows inside each segment: windows cut before "
            "splitting cross the boundaries between train, validation and test.",
            windows_first,
        ),
    ]


def check_prepare_data(prepare_data) -> None:
    """Exercise 3.2 (10 checks): `prepare_data(series, window, train=0.7, val=0.15) -> dict`.

    Compares with `course_lib.datasets.make_forecasting_data` (split first, scaler fitted on
    the training segment only, windows cut inside each segment) on a sine with a trend,
    where using statistics of the whole series changes the numbers.
    """
    report = CheckReport("3.2", atol=1e-5, rtol=1e-4)
    prepare = StudentFunction(report, prepare_data, "prepare_data")
    series = datasets.sine_series(
        300, period=20.0, noise=0.1, trend=0.01, seed=report.seed(3)
    ).astype(float)
    original = series.copy()
    window = 10
    got = prepare(series, window)
    if report.judging:
        _expect_prepared(report, prepare.name, got, series, original, window)
    report.finish()


def _expect_prepared(report, name, got, series, original, window) -> None:
    """The 10 checks of 3.2 on the student's dict `got`."""
    ref = datasets.make_forecasting_data(original, window=window, train=0.7, val=0.15)
    if isinstance(got, CallFailed):
        report.not_checked("the returned dict", got)
        part = dict.fromkeys(_KEYS, got)
    else:
        is_dict = isinstance(got, dict)
        missing = [key for key in _KEYS if not (is_dict and key in got)]
        received = f"missing: {', '.join(missing)}" if is_dict else f"got {type(got).__name__}"
        report.expect(
            not missing,
            f"{name} should return a dict with the keys {', '.join(_KEYS)}; {received}.",
            hint='return {"X_train": X_train, "y_train": y_train, ..., "mean": mean, "std": std}.',
        )
        part = {key: got.get(key) if is_dict else None for key in _KEYS}

    train = original[: len(ref.train)]
    stats = part["mean"] if isinstance(part["mean"], CallFailed) else [part["mean"], part["std"]]
    stats_hint = (
        f"fit the scaler on the training segment only: the mean and std of the first "
        f"floor(0.7 * {len(original)}) = {len(train)} steps."
    )
    if diagnose(stats, [("leak", lambda: [np.mean(original), np.std(original)])]):
        stats_hint = "you used the whole series, which leaks the future into training; " + (
            stats_hint
        )
    report.expect_close(
        "[mean, std]",
        stats,
        [np.mean(train), np.std(train)],
        atol=1e-6,
        rtol=1e-5,
        hint=stats_hint,
    )

    split_hint = (
        "split the series first (train, val, test in time order), then cut windows inside "
        "each segment: a segment of L steps gives L - window windows, none crosses a boundary."
    )
    for split in ("train", "val", "test"):
        expected = getattr(ref, f"X_{split}").shape
        report.expect_shape(
            f"X_{split}",
            part[f"X_{split}"],
            expected,
            layout="(batch, window, features)",
            hint=split_hint,
        )
    for split in ("train", "test"):
        for array in ("X", "y"):
            got_array = part[f"{array}_{split}"]
            report.expect_close(
                f"{array}_{split}",
                got_array,
                getattr(ref, f"{array}_{split}"),
                hint=diagnose(
                    got_array, _prepare_mistakes(original, window, split, array), split_hint
                ),
            )
    expect_unchanged(report, got, {"series": original}, {"series": series}, name)


# -- 3.3 -------------------------------------------------------------------------------------


def _keras_models(rng: np.random.Generator):
    """Two small Sequential SimpleRNN -> Dense models, weights and inputs drawn from `rng`."""
    import keras

    specs = [
        ("a SimpleRNN(8) -> Dense(1) model, X (5, 7, 1)", 7, 1, 8, 1, 5),
        ("a SimpleRNN(4) -> Dense(3) model, X (2, 9, 2)", 9, 2, 4, 3, 2),
    ]
    cases = []
    for label, timesteps, features, units, outputs, batch in specs:
        model = keras.Sequential(
            [
                keras.Input((timesteps, features)),
                keras.layers.SimpleRNN(units),
                keras.layers.Dense(outputs),
            ]
        )
        model.set_weights([0.5 * rng.standard_normal(w.shape) for w in model.get_weights()])
        X = rng.standard_normal((batch, timesteps, features)).astype("float32")
        cases.append((label, model, X))
    return cases


def _numpy_mistakes(model, X):
    kernel, recurrent_kernel, bias = [w.astype(float) for w in model.layers[0].get_weights()]
    dense_kernel, dense_bias = [w.astype(float) for w in model.layers[1].get_weights()]
    states = cells.simple_rnn_forward(X, kernel, recurrent_kernel, bias, return_sequences=True)
    h = states[:, -1]
    return [
        (
            "add the Dense layer's bias: y = h_T @ dense_kernel + dense_bias.",
            lambda: h @ dense_kernel,
        ),
        (
            "the Dense layer is linear: no tanh on its output.",
            lambda: np.tanh(h @ dense_kernel + dense_bias),
        ),
        (
            "the Dense layer reads the last state h_T, states[:, -1], not the first.",
            lambda: states[:, 0] @ dense_kernel + dense_bias,
        ),
        (
            "the SimpleRNN has a bias too: h_t = tanh(x_t @ kernel + h @ recurrent_kernel + bias).",
            lambda: (
                cells.simple_rnn_forward(X, kernel, recurrent_kernel) @ dense_kernel + dense_bias
            ),
        ),
        (
            "Keras computes h @ recurrent_kernel (not its transpose).",
            lambda: (
                cells.simple_rnn_forward(X, kernel, recurrent_kernel.T, bias) @ dense_kernel
                + dense_bias
            ),
        ),
    ]


def check_numpy_predict(numpy_predict) -> None:
    """Exercise 3.3 (5 checks): `numpy_predict(model, X)` equals the Keras model's output.

    Two Sequential SimpleRNN -> Dense models with random weights; the reference is the
    model itself, `model(X)`.
    """
    import keras

    report = CheckReport("3.3", atol=1e-4, rtol=1e-3)
    predict = StudentFunction(report, numpy_predict, "numpy_predict")
    seed_everything(report.seed(7))
    for index, (label, model, X) in enumerate(_keras_models(report.rng(7))):
        got = predict(model, X.copy())
        if not report.judging:
            continue
        expected = keras.ops.convert_to_numpy(model(X, training=False))
        if index == 0:
            report.expect_shape(
                f"predictions of {label}",
                got,
                expected.shape,
                layout="(batch, outputs)",
                hint=hint_for(got, "the Dense layer maps the last state to (batch, outputs)."),
            )
        report.expect_close(
            f"predictions of {label}",
            got,
            expected,
            hint=diagnose(
                got,
                _numpy_mistakes(model, X),
                "read the weights with model.layers[0].get_weights() (kernel, "
                "recurrent_kernel, bias) and model.layers[1].get_weights() (kernel, bias).",
                atol=1e-4,
                rtol=1e-3,
            ),
        )
        report.expect_finite(f"predictions of {label}", got)
    report.finish()


# -- 3.4 -------------------------------------------------------------------------------------

#: The test MSE of the trained model must be at most this fraction of persistence's.
MAX_MSE_RATIO = 0.2


def task_data(seed: int = 3) -> datasets.ForecastingData:
    """The data of exercise 3.4: a sine (period 25, noise 0.05), windows of 12 steps, horizon 1.

    Args:
        seed: seed of the noise. Defaults to 3, the data the exercise trains on; the check
            evaluates the model on the test windows of this seed when self-checking and of
            a fresh seed when graded (the same sine, other noise).

    Returns:
        A `course_lib.datasets.ForecastingData` (scaled with training statistics).

    Introduced in Chapter 3 (SimpleRNN in Keras).
    """
    series = datasets.sine_series(600, period=25.0, noise=0.05, seed=seed)
    return datasets.make_forecasting_data(series, window=12, train=0.7, val=0.15)


def check_simple_rnn_model(train_simple_rnn, *, seed: int = 0) -> None:
    """Exercise 3.4 (5 checks): `train_simple_rnn(X_train, y_train, X_val, y_val) -> model`.

    Seeds NumPy, Python and Keras, calls the function on `task_data()`, and evaluates the
    returned model on test windows: it must contain a `keras.layers.SimpleRNN`, return
    finite `(batch, 1)` forecasts, and reach a test MSE of at most `MAX_MSE_RATIO` times
    the persistence forecast's. Inputs fixed by nature: the model trains on the
    exercise's data set; only the test windows are drawn afresh when graded
    (`task_data(report.seed(3))`, the same sine with other noise).

    Args:
        train_simple_rnn: the student's function.
        seed: the seed set before the call. Defaults to 0.
    """
    report = CheckReport("3.4")
    train = StudentFunction(report, train_simple_rnn, "train_simple_rnn")
    data = task_data()
    test = task_data(report.seed(3))
    seed_everything(seed)
    model = train(data.X_train, data.y_train, data.X_val, data.y_val)
    expect_good_forecaster(
        report,
        model,
        test.X_test,
        test.y_test,
        layer_types=("SimpleRNN",),
        max_ratio=MAX_MSE_RATIO,
    )
    report.finish()
