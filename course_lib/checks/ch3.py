"""Checks of the exercises of Chapter 3 (SimpleRNN in Keras).

- 3.1 `check_make_windows(make_windows)`: cut a series into (window, next values) pairs.
- 3.2 `check_prepare_data(prepare_data)`: split in time, scale with training statistics,
  then window each segment (no leakage).
- 3.3 `check_numpy_predict(numpy_predict)`: reproduce a Keras SimpleRNN model in NumPy.
- 3.4 `check_simple_rnn_model(train_simple_rnn)`: train a SimpleRNN that beats persistence.
- 3.5 `check_recursive_forecast(recursive_forecast)`: forecast many steps by feeding each
  prediction back in.
- 3.6 `check_extrapolation_answer(answer_3_6)`: why a tanh network cannot extrapolate
  (multiple choice).

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
    FORECASTS,
    forecasting_case,
    independent_windows,
    keras_model,
    train_and_forecast,
)
from course_lib.checks.concepts import choice
from course_lib.checks.exercise import Keys, Mistake, Shape, Values, exercise, runs_in_notebook

__all__ = [
    "MAX_MSE_RATIO",
    "check_make_windows",
    "check_extrapolation_answer",
    "check_numpy_predict",
    "check_prepare_data",
    "check_recursive_forecast",
    "check_simple_rnn_model",
    "task_data",
]

# -- 3.1 -------------------------------------------------------------------------------------


def _windows_with_target_at(series, window, horizon, offset, drop=0):
    """Windows whose target starts `offset` steps after the window's start (a mistake)."""
    values = np.asarray(series, dtype=float)
    n = len(values) - window - horizon + 1 - drop
    X = np.stack([values[s : s + window] for s in range(n)])[:, :, None]
    y = np.stack([values[s + offset : s + offset + horizon] for s in range(n)])
    return X, y


_WINDOWS_MISTAKES = [
    Mistake(
        "target-is-last-input",
        "the target starts right after the window, at series[s + window], not at its last "
        "element series[s + window - 1] (that value is already an input).",
        lambda series, window, horizon=1: _windows_with_target_at(
            series, window, horizon, window - 1
        ),
    ),
    Mistake(
        "target-skips-a-step",
        "the target starts at series[s + window]; series[s + window + 1] skips a step.",
        lambda series, window, horizon=1: _windows_with_target_at(
            series, window, horizon, window + 1, drop=1
        ),
    ),
]


@exercise(
    "3.1",
    student="make_windows(series, window, horizon=1)",
    reference=datasets.make_windows,
    returns=("X", "y"),
    mistakes=_WINDOWS_MISTAKES,
    hint="the target of window s is series[s + window : s + window + horizon].",
)
def check_make_windows(ex) -> None:
    """Exercise 3.1 (7 checks): `make_windows(series, window, horizon=1) -> (X, y)`.

    Compares with `course_lib.datasets.make_windows` on two ramps (easy to read, starting
    at a drawn integer) and on a noisy sine, with horizons 1, 3 and 2.
    """
    rng = ex.rng(2)
    a, b = (int(v) for v in rng.integers(-100, 101, size=2))
    series = np.arange(a, a + 10.0)
    n = len(series) - 3
    ex.case(
        f"np.arange({a}.0, {a + 10}.0), window=3",
        series,
        3,
        kwargs={"horizon": 1},
        values=False,
        checks=[
            Shape(
                (n, 3, 1),
                of="X",
                layout="(batch, window, features)",
                hint=f"a series of {len(series)} steps gives {len(series)} - window - horizon "
                f"+ 1 = {n} windows; X needs a features axis of size 1: X[..., None].",
            ),
            Shape(
                (n, 1),
                of="y",
                layout="(batch, horizon)",
                hint=f"{n} windows with 1 target value(s) each, also for horizon=1.",
            ),
        ],
    )
    cases = [
        (f"np.arange({b}.0, {b + 12}.0), window=4, horizon=3", np.arange(b, b + 12.0), 4, 3),
        (
            "a noisy sine of 50 steps, window=7, horizon=2",
            datasets.sine_series(50, period=12.0, noise=0.1, seed=ex.seed(2)).astype(float),
            7,
            2,
        ),
    ]
    for index, (label, series, window, horizon) in enumerate(cases):
        n = len(series) - window - horizon + 1
        ex.case(
            label,
            series,
            window,
            kwargs={"horizon": horizon},
            values=False,
            checks=[
                Values(
                    of="X",
                    hint=f"window s holds series[s : s + window]; there are {n} windows "
                    "(the last target must still fit in the series).",
                ),
                Values(of="y"),
            ],
            unchanged=index == 1,
        )


# -- 3.2 -------------------------------------------------------------------------------------

_KEYS = ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test", "mean", "std")
_SPLIT_HINT = (
    "split the series first (train, val, test in time order), then cut windows inside each "
    "segment: a segment of L steps gives L - window windows, none crosses a boundary."
)


def _prepared(data: datasets.ForecastingData, mean: float, std: float) -> dict:
    return {**{key: getattr(data, key) for key in _KEYS[:6]}, "mean": mean, "std": std}


def _training_stats(series, train=0.7):
    segment = series[: int(np.floor(train * len(series)))]
    return float(np.mean(segment)), float(np.std(segment))


def _prepare_reference(series, window, train=0.7, val=0.15):
    """The reference: `make_forecasting_data`, as the dict the exercise asks for."""
    data = datasets.make_forecasting_data(series, window=window, train=train, val=val)
    return _prepared(data, *_training_stats(series, train))


def _scaled_with_whole_series(series, window, train=0.7, val=0.15):
    mean, std = float(np.mean(series)), float(np.std(series))
    data = datasets.make_forecasting_data(
        (series - mean) / std, window=window, train=train, val=val, scale=None
    )
    return _prepared(data, mean, std)


def _not_scaled(series, window, train=0.7, val=0.15):
    data = datasets.make_forecasting_data(series, window=window, train=train, val=val, scale=None)
    return _prepared(data, *_training_stats(series, train))


def _windows_before_splitting(series, window, train=0.7, val=0.15):
    mean, std = _training_stats(series, train)
    X, y = datasets.make_windows((series - mean) / std, window)
    n_train, n_val = int(np.floor(train * len(series))), int(np.floor(val * len(series)))
    bounds = {"train": (0, n_train), "val": (n_train, n_train + n_val)}
    bounds["test"] = (n_train + n_val, len(X))
    parts = {
        f"{a}_{k}": v[lo:hi] for k, (lo, hi) in bounds.items() for a, v in (("X", X), ("y", y))
    }
    return {**parts, "mean": mean, "std": std}


_PREPARE_MISTAKES = [
    Mistake(
        "scaled-with-whole-series",
        "the values are scaled with the mean and std of the whole series; that leaks the "
        "future into training: use the training segment's statistics.",
        _scaled_with_whole_series,
    ),
    Mistake(
        "not-scaled",
        "scale the values: (x - mean) / std with the training statistics.",
        _not_scaled,
    ),
    Mistake(
        "windows-cut-before-splitting",
        "split first, then cut windows inside each segment: windows cut before splitting "
        "cross the boundaries between train, validation and test.",
        _windows_before_splitting,
    ),
]


@exercise(
    "3.2",
    student="prepare_data(series, window, train=0.7, val=0.15)",
    reference=_prepare_reference,
    withhold=[datasets.make_forecasting_data],
    returns=Keys(*_KEYS),
    mistakes=_PREPARE_MISTAKES,
    hint=_SPLIT_HINT,
    atol=1e-5,
    rtol=1e-4,
)
def check_prepare_data(ex) -> None:
    """Exercise 3.2 (10 checks): `prepare_data(series, window, train=0.7, val=0.15) -> dict`.

    Compares with `course_lib.datasets.make_forecasting_data` (split first, scaler fitted on
    the training segment only, windows cut inside each segment) on a sine with a trend,
    where using statistics of the whole series changes the numbers.
    """
    series = datasets.sine_series(300, period=20.0, noise=0.1, trend=0.01, seed=ex.seed(3)).astype(
        float
    )
    window = 10
    n_train = int(np.floor(0.7 * len(series)))
    ref = datasets.make_forecasting_data(series, window=window, train=0.7, val=0.15)
    ex.case(
        "prepare_data(a sine with a trend, 300 steps, window=10)",
        series,
        window,
        structure=True,
        values=False,
        checks=[
            Values(
                list(_training_stats(series)),
                of=lambda got: [got["mean"], got["std"]],
                name="[mean, std]",
                atol=1e-6,
                rtol=1e-5,
                hint="fit the scaler on the training segment only: the mean and std of the "
                f"first floor(0.7 * {len(series)}) = {n_train} steps.",
            ),
            *(
                Shape(
                    getattr(ref, f"X_{split}").shape,
                    of=f"X_{split}",
                    name=f"X_{split}",
                    layout="(batch, window, features)",
                    hint=_SPLIT_HINT,
                    mistakes=(),
                )
                for split in ("train", "val", "test")
            ),
            *(
                Values(of=f"{array}_{split}", name=f"{array}_{split}")
                for split in ("train", "test")
                for array in ("X", "y")
            ),
        ],
        unchanged=True,
    )


# -- 3.3 -------------------------------------------------------------------------------------

# (label, timesteps, features, units, outputs, batch) of the two models.
_MODELS = [
    ("a SimpleRNN(8) -> Dense(1) model, X (5, 7, 1)", 7, 1, 8, 1, 5),
    ("a SimpleRNN(4) -> Dense(3) model, X (2, 9, 2)", 9, 2, 4, 3, 2),
]


@runs_in_notebook
def _with_model(numpy_predict, layers, input_shape, weights, X):
    """How 3.3 calls the student's function: on a Keras model built from the weights."""
    return numpy_predict(keras_model(layers, input_shape, weights), X)


def _keras_predictions(layers, input_shape, weights, X):
    """The reference: the Keras model's own output, `model(X)`."""
    import keras

    model = keras_model(layers, input_shape, weights)
    return np.asarray(keras.ops.convert_to_numpy(model(X, training=False)), dtype=np.float64)


def _numpy_model(X, kernel, recurrent_kernel, bias, dense_kernel, dense_bias, changes):
    """The model in NumPy, with the parts named in `changes` done wrong (the mistakes)."""
    rnn_bias = None if "no rnn bias" in changes else bias
    recurrent = recurrent_kernel.T if "transposed" in changes else recurrent_kernel
    states = cells.simple_rnn_forward(X, kernel, recurrent, rnn_bias, return_sequences=True)
    h = states[:, 0] if "first state" in changes else states[:, -1]
    out = h @ dense_kernel + (0.0 if "no dense bias" in changes else dense_bias)
    return np.tanh(out) if "tanh" in changes else out


def _model_mistake(change: str):
    def answer(layers, input_shape, weights, X):
        weights = [np.asarray(w, dtype=np.float64) for w in weights]
        return _numpy_model(np.asarray(X, dtype=np.float64), *weights, {change})

    return answer


_PREDICT_MISTAKES = [
    Mistake(
        "dense-bias-forgotten",
        "add the Dense layer's bias: y = h_T @ dense_kernel + dense_bias.",
        _model_mistake("no dense bias"),
    ),
    Mistake(
        "tanh-on-dense",
        "the Dense layer is linear: no tanh on its output.",
        _model_mistake("tanh"),
    ),
    Mistake(
        "first-state-read",
        "the Dense layer reads the last state h_T, states[:, -1], not the first.",
        _model_mistake("first state"),
    ),
    Mistake(
        "rnn-bias-forgotten",
        "the SimpleRNN has a bias too: h_t = tanh(x_t @ kernel + h @ recurrent_kernel + bias).",
        _model_mistake("no rnn bias"),
    ),
    Mistake(
        "recurrent-kernel-transposed",
        "Keras computes h @ recurrent_kernel (not its transpose).",
        _model_mistake("transposed"),
    ),
]


@exercise(
    "3.3",
    student="numpy_predict(model, X)",
    reference=_keras_predictions,
    call=_with_model,
    mistakes=_PREDICT_MISTAKES,
    hint="read the weights with model.layers[0].get_weights() (kernel, recurrent_kernel, "
    "bias) and model.layers[1].get_weights() (kernel, bias).",
    atol=1e-4,
    rtol=1e-3,
    layout="(batch, outputs)",
)
def check_numpy_predict(ex) -> None:
    """Exercise 3.3 (5 checks): `numpy_predict(model, X)` equals the Keras model's output.

    Two Sequential SimpleRNN -> Dense models with random weights; the reference is the
    model itself, `model(X)`.
    """
    rng = ex.rng(7)
    for index, (label, timesteps, features, units, outputs, batch) in enumerate(_MODELS):
        shapes = [
            (features, units),
            (units, units),
            (units,),
            (units, outputs),
            (outputs,),
        ]
        weights = [(0.5 * rng.standard_normal(shape)).astype("float32") for shape in shapes]
        X = rng.standard_normal((batch, timesteps, features)).astype("float32")
        layers = [["SimpleRNN", units, {}], ["Dense", outputs, {}]]
        ex.case(
            f"predictions of {label}",
            layers,
            [timesteps, features],
            weights,
            X,
            shape=(batch, outputs) if index == 0 else None,
            shape_hint="the Dense layer maps the last state to (batch, outputs).",
            finite=True,
        )


# -- 3.4 -------------------------------------------------------------------------------------

#: The test MSE of the trained model must be at most this fraction of persistence's.
MAX_MSE_RATIO = 0.2
_PERIOD, _NOISE, _WINDOW = 25.0, 0.05, 12


@runs_in_notebook
def task_data(seed: int = 3) -> datasets.ForecastingData:
    """The data of exercise 3.4: a sine (period 25, noise 0.05), windows of 12 steps, horizon 1.

    Args:
        seed: seed of the noise. Defaults to 3, the data the exercise trains on. The check
            evaluates the model on test windows of the same sine with other noise, each
            cut from its own stretch of time (fresh ones when graded).

    Returns:
        A `course_lib.datasets.ForecastingData` (scaled with training statistics).

    Introduced in Chapter 3 (SimpleRNN in Keras).
    """
    series = datasets.sine_series(600, period=_PERIOD, noise=_NOISE, seed=seed)
    return datasets.make_forecasting_data(series, window=_WINDOW, train=0.7, val=0.15)


@exercise(
    "3.4",
    student="train_simple_rnn(X_train, y_train, X_val, y_val)",
    call=train_and_forecast,
    returns=FORECASTS,
)
def check_simple_rnn_model(ex) -> None:
    """Exercise 3.4 (5 checks): `train_simple_rnn(X_train, y_train, X_val, y_val) -> model`.

    Seeds NumPy, Python and Keras, calls the function on `task_data()`, and evaluates the
    returned model on 120 test windows of the same sine with other noise, each from its
    own stretch of time: it must contain a `keras.layers.SimpleRNN`, return finite
    `(batch, 1)` forecasts, and reach a test MSE of at most `MAX_MSE_RATIO` times the
    persistence forecast's. Inputs fixed by nature: the model trains on the exercise's
    data set; only the test windows are drawn afresh when graded, and their targets never
    leave the grader.
    """
    data = task_data()
    X_test, y_test = independent_windows(
        lambda t: np.sin(2.0 * np.pi * t / _PERIOD),
        noise=_NOISE,
        scaler=data.scaler,
        window=_WINDOW,
        horizon=1,
        n=120,
        inputs_rng=ex.rng(3),
        targets_rng=ex.rng(4),
    )
    forecasting_case(
        ex,
        "a SimpleRNN trained on task_data()",
        data,
        X_test,
        y_test,
        layer_types=("SimpleRNN",),
        max_ratio=MAX_MSE_RATIO,
    )


# -- 3.5 -------------------------------------------------------------------------------------


@runs_in_notebook
def _with_linear_model(recursive_forecast, coefficients, bias, X, horizon):
    """How 3.5 calls the student's function: with a linear one-step model standing in for
    the network, `predict_next(X) = X @ coefficients + bias`, (n, window) -> (n,)."""
    coefficients = np.asarray(coefficients, dtype=float)

    def predict_next(X):
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != len(coefficients):
            raise ValueError(
                f"`X` of predict_next must be (n, {len(coefficients)}), the windows; got "
                f"shape {X.shape}."
            )
        return X @ coefficients + bias  # (n,)

    return recursive_forecast(predict_next, X, horizon)


def _recursive_reference(coefficients, bias, X, horizon):
    window = np.asarray(X, dtype=float)  # (n, window)
    steps = []
    for _ in range(horizon):
        next_value = window @ np.asarray(coefficients) + bias  # (n,)
        steps.append(next_value)
        window = np.concatenate([window[:, 1:], next_value[:, None]], axis=1)  # (n, window)
    return np.stack(steps, axis=1)  # (n, horizon)


def _without_feedback(coefficients, bias, X, horizon):
    first = np.asarray(X, dtype=float) @ np.asarray(coefficients) + bias  # (n,)
    return np.repeat(first[:, None], horizon, axis=1)  # (n, horizon)


def _oldest_dropped_wrong(coefficients, bias, X, horizon):
    window = np.asarray(X, dtype=float)
    steps = []
    for _ in range(horizon):
        next_value = window @ np.asarray(coefficients) + bias
        steps.append(next_value)
        window = np.concatenate([next_value[:, None], window[:, :-1]], axis=1)
    return np.stack(steps, axis=1)


@exercise(
    "3.5",
    student="recursive_forecast(predict_next, X, horizon)",
    call=_with_linear_model,
    reference=_recursive_reference,
    mistakes=[
        Mistake(
            "no-feedback",
            "every forecast after the first must see the previous predictions: append each "
            "prediction to the window and drop the oldest value before predicting again.",
            _without_feedback,
        ),
        Mistake(
            "prediction-at-the-front",
            "the newest value goes at the end of the window (the last column), and the "
            "oldest, the first column, is dropped.",
            _oldest_dropped_wrong,
        ),
    ],
    hint="window = X; repeat horizon times: p = predict_next(window), keep p, "
    "window = np.concatenate([window[:, 1:], p[:, None]], axis=1).",
    atol=1e-6,
    rtol=1e-5,
    layout="(n, horizon)",
)
def check_recursive_forecast(ex) -> None:
    """Exercise 3.5 (5 checks): `recursive_forecast(predict_next, X, horizon) -> (n, horizon)`.

    `predict_next` is a linear model with drawn coefficients standing in for the network;
    compared with feeding each prediction back in, on drawn windows.
    """
    rng = ex.rng(35)
    for n, window, horizon in ((4, 5, 6), (3, 8, 12)):
        coefficients = rng.uniform(-0.4, 0.6, size=window) / window * 2.0
        bias = round(float(rng.uniform(-0.5, 0.5)), 3)
        X = rng.standard_normal((n, window))
        ex.case(
            f"{horizon} steps from {n} windows of {window} values",
            coefficients,
            bias,
            X,
            horizon,
            shape=(n, horizon),
            unchanged=n == 4,
        )


# -- 3.6 -------------------------------------------------------------------------------------


@exercise("3.6", student="answer_3_6()")
def check_extrapolation_answer(ex) -> None:
    """Exercise 3.6 (1 check): `answer_3_6()`, the letter of the chosen option.

    Inputs fixed by nature: a question has none, and its answer is the same under every
    grading seed (a lookup of the self-check's answer is the answer).
    """
    choice(
        ex,
        "the option answer_3_6() chose",
        right="b",
        wrong={
            "a": "the chapter measured the opposite: for [997, 998, 999, 1000] the answer is "
            "hundreds too small. Nothing in a tanh network adds a step to a level it never saw.",
            "c": "fitting the scaler on all the data leaks the test part into training, and "
            "the inputs would still lie outside the range the network was trained on.",
            "d": "no number of epochs lifts the ceiling: with |h_j| < 1 the forecast "
            "w . h + c can never exceed the sum of |w_j| plus c.",
        },
    )
