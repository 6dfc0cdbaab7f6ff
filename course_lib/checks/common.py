"""Inputs and checks shared by the chapter check modules (`ch1` ... `ch9`).

Random weights of a recurrent cell in Keras's layout (`cell_weights`), Keras models built
from data (`keras_model`), and what the forecasting exercises (3.4 and 6.3) share: the
call that trains the student's model and forecasts (`train_and_forecast`, which runs in
the student's notebook), test windows drawn independently of one another
(`independent_windows`), and the case that checks the forecasts (`forecasting_case`).

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are checked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from course_lib import baselines
from course_lib.checks.exercise import Check, Expect, Finite, Keys, Shape, runs_in_notebook

__all__ = [
    "FORECASTS",
    "cell_weights",
    "forecasting_case",
    "independent_windows",
    "keras_layers",
    "keras_model",
    "model_checks",
    "seed_everything",
    "train_and_forecast",
]


def cell_weights(
    seed: int,
    features: int,
    units: int,
    gates: int = 1,
    *,
    scale: float = 0.6,
    bias_shape: tuple[int, ...] | None = None,
) -> dict[str, np.ndarray]:
    """Random weights of a recurrent cell in Keras's layout, for test inputs.

    Args:
        seed: seed of `np.random.default_rng`.
        features: input features.
        units: hidden units.
        gates: blocks of `units` columns: 1 (SimpleRNN), 4 (LSTM), 3 (GRU). Defaults to 1.
        scale: standard deviation of the normal weights. Defaults to 0.6.
        bias_shape: shape of the bias. Defaults to `(gates * units,)`.

    Returns:
        A dict with `"kernel"` `(features, gates * units)`, `"recurrent_kernel"`
        `(units, gates * units)` and `"bias"`, float64.
    """
    rng = np.random.default_rng(seed)
    bias_shape = bias_shape or (gates * units,)
    return {
        "kernel": scale * rng.standard_normal((features, gates * units)),
        "recurrent_kernel": scale * rng.standard_normal((units, gates * units)),
        "bias": 0.3 * rng.standard_normal(bias_shape),
    }


@runs_in_notebook
def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and Keras/TensorFlow (before training a student's model)."""
    import keras

    keras.utils.set_random_seed(int(seed) % 2**32)


@runs_in_notebook
def keras_model(layers: Sequence[Sequence], input_shape: Sequence[int], weights: Sequence):
    """A `keras.Sequential` model built from data: layer specs, input shape and weights.

    Args:
        layers: one `[class name, units, options dict]` per layer, e.g.
            `[["SimpleRNN", 8, {}], ["Dense", 1, {}]]`.
        input_shape: the input's shape without the batch axis, e.g. `(7, 1)`.
        weights: the model's weights, in `model.get_weights()` order.

    Returns:
        The built model, weights set.
    """
    import keras

    model = keras.Sequential(
        [keras.Input(tuple(input_shape))]
        + [getattr(keras.layers, kind)(units, **dict(options)) for kind, units, options in layers]
    )
    model.set_weights([np.asarray(w) for w in weights])
    return model


@runs_in_notebook
def keras_layers(model):
    """Every layer of a Keras model, nested models and wrappers (Bidirectional) opened."""
    import keras

    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.Model):
            yield from keras_layers(layer)
        elif isinstance(layer, keras.layers.Bidirectional):
            yield layer.forward_layer
        else:
            yield layer


#: The parts of `train_and_forecast`'s answer.
FORECASTS = Keys("model", "forecasts")


@runs_in_notebook
def train_and_forecast(train, X_train, y_train, X_val, y_val, X_test, seed: int = 0) -> dict:
    """Train the student's model, then forecast `X_test` with it (exercises 3.4 and 6.3).

    Runs in the student's notebook (in the sandbox when graded): seeds Keras with `seed`,
    calls `train(X_train, y_train, X_val, y_val)` and describes the returned model. The
    targets of `X_test` never come here.

    Returns:
        `{"model": {"is_model", "type", "layers"}, "forecasts": array or None, "error":
        why there are no forecasts, or None}`.
    """
    import keras

    seed_everything(seed)
    model = train(X_train, y_train, X_val, y_val)
    is_model = isinstance(model, keras.Model)
    kinds = sorted({type(layer).__name__ for layer in keras_layers(model)}) if is_model else []
    summary = {"is_model": is_model, "type": type(model).__name__, "layers": kinds}
    try:
        forecasts = keras.ops.convert_to_numpy(model(X_test, training=False))
        error = None
    except Exception as failure:  # the checks say why there are no forecasts
        forecasts, error = None, f"{type(failure).__name__}: {str(failure)[:200]}"
    return {"model": summary, "forecasts": forecasts, "error": error}


def independent_windows(
    signal: Callable[[np.ndarray], np.ndarray],
    *,
    noise: float,
    scaler,
    window: int,
    horizon: int,
    n: int,
    inputs_rng: np.random.Generator,
    targets_rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Test windows of a noisy signal, each cut from its own stretch of time.

    No window's targets appear in (or follow from) another window, and the noise of the
    targets comes from its own generator, so the inputs reveal nothing of the targets but
    what the signal does.

    Args:
        signal: the clean value at integer times `t` (an array of times in, values out).
        noise: standard deviation of the Gaussian noise added to every value.
        scaler: the training data's fitted `SeriesScaler`.
        window: input steps per window.
        horizon: target steps per window.
        n: number of windows.
        inputs_rng: draws the windows' start times and their inputs' noise.
        targets_rng: draws the targets' noise.

    Returns:
        `(X, y)`: float32 `(n, window, 1)` and `(n, horizon)`, scaled like the training data.
    """
    starts = inputs_rng.integers(0, 10**6, size=n)  # (n,)
    times = starts[:, None] + np.arange(window + horizon)  # (n, W + H)
    clean = signal(times.astype(np.float64))
    X = clean[:, :window] + noise * inputs_rng.standard_normal((n, window))
    y = clean[:, window:] + noise * targets_rng.standard_normal((n, horizon))
    X = scaler.transform(X.astype(np.float32).reshape(-1)).reshape(n, window, 1)
    y = scaler.transform(y.astype(np.float32).reshape(-1)).reshape(n, horizon)
    return X.astype(np.float32), y.astype(np.float32)


def model_checks(layer_types: Sequence[str]) -> list[Check]:
    """The checks of a returned model: a `keras.Model` (the probe's summary says
    `is_model`) holding at least one layer of `layer_types` (e.g. `("LSTM", "GRU")`).

    Args:
        layer_types: class names of the recurrent layers the model may use.

    Returns:
        Two `Expect` checks of the answer part `"model"`.
    """

    def is_model(summary):
        if summary.get("is_model") is True:
            return None
        return f"the function should return the trained keras.Model; got {summary.get('type')}."

    def has_layer(summary):
        kinds = [str(kind) for kind in summary.get("layers", [])]
        if any(kind in layer_types for kind in kinds):
            return None
        return (
            f"the model should contain a keras.layers.{' or '.join(layer_types)} layer; its "
            f"layers are: {', '.join(kinds) or 'none'}."
        )

    return [
        Expect(is_model, of="model", name="the model", hint="end with `return model`."),
        Expect(
            has_layer,
            of="model",
            name="its recurrent layer",
            hint="this exercise is about recurrent layers: build the model around one.",
        ),
    ]


def forecasting_case(
    ex,
    name: str,
    data,
    X_test: np.ndarray,
    y_test: np.ndarray,
    *,
    layer_types: tuple[str, ...],
    max_ratio: float,
    last_step_ratio: float | None = None,
) -> None:
    """Declare the case of a forecaster (3.4, 6.3): 5 checks, or 6 with `last_step_ratio`.

    The student's function trains on `data` (`train_and_forecast`, in the notebook) and
    forecasts `X_test`; the targets `y_test` stay here. The model is a `keras.Model` with a
    recurrent layer of one of `layer_types`, its forecasts have the shape of `y_test` and
    are finite, and their MSE is at most `max_ratio` times the persistence forecast's (and
    so is the MSE of the last step).

    Args:
        ex: the declaration's `Draw`.
        name: the case's name.
        data: the training data (`datasets.ForecastingData`).
        X_test: test windows, `(n, window, 1)`.
        y_test: their targets, `(n, horizon)`.
        layer_types: the recurrent layers the model may use.
        max_ratio: the largest test MSE, as a fraction of persistence's.
        last_step_ratio: the same for the last step of the horizon. Defaults to None.
    """
    horizon = y_test.shape[1]
    persistence = baselines.persistence_forecast(X_test, horizon)
    base = baselines.mse(y_test, persistence)

    def mse_ratio(forecasts, last_step: bool = False):
        got = np.asarray(forecasts, dtype=float)
        want, base_line = (y_test, base) if not last_step else (y_test[:, -1], None)
        got = got[:, -1] if last_step else got
        if base_line is None:
            base_line = baselines.mse(y_test[:, -1], persistence[:, -1])
        score = float(np.mean((got - want) ** 2))
        ratio = last_step_ratio if last_step else max_ratio
        if np.isfinite(score) and score <= ratio * base_line:
            return None
        what = f"test MSE of the last step ahead ({horizon})" if last_step else "test MSE"
        return (
            f"{what} {score:.4f} should be at most {ratio:g} x the persistence MSE "
            f"{base_line:.4f} = {ratio * base_line:.4f} (ratio {score / base_line:.2f})."
        )

    shape_hint = f"end the model with keras.layers.Dense({horizon}) after the recurrent layer."
    name = f"model(X_test) for X_test {X_test.shape}"
    checks: list[Check] = [
        *model_checks(layer_types),
        Shape((len(X_test), horizon), of="forecasts", name=name, layout="(batch, horizon)",
              hint=shape_hint),
        Finite(of="forecasts", name="model(X_test)", hint="lower the learning rate."),
        Expect(
            mse_ratio,
            of="forecasts",
            name="test MSE",
            hint="check the validation loss while training: more epochs, a learning rate "
            "around 1e-2 with Adam, 16-32 units.",
        ),
    ]  # fmt: skip
    if last_step_ratio is not None:
        checks.append(
            Expect(
                lambda forecasts: mse_ratio(forecasts, last_step=True),
                of="forecasts",
                name="last-step MSE",
                hint="the far end of the horizon is the hard part: give the model a window "
                "that covers at least one period.",
            )
        )
    training = (data.X_train, data.y_train, data.X_val, data.y_val)
    ex.case(name, *training, X_test, values=False, checks=checks)
