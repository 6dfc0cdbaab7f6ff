"""Inputs and diagnoses shared by the chapter check modules (`ch1` ... `ch6`).

A check feeds the student's function several inputs and compares the result with a
trusted reference (`course_lib.cells`, Keras, scikit-learn). When the result is wrong,
`diagnose` compares it with the results of typical mistakes (a forgotten activation, the
wrong gate order, an off-by-one window, ...) and returns the hint of the first mistake
it matches, so the failure message says what probably went wrong.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from course_lib import baselines
from course_lib.checks.report import CallFailed, CheckReport, describe

__all__ = [
    "StudentFunction",
    "cell_weights",
    "diagnose",
    "expect_good_forecaster",
    "expect_unchanged",
    "hint_for",
    "keras_layers",
    "matches",
    "seed_everything",
]


class StudentFunction:
    """The student's function, called safely through `report.call`.

    Once a call raises `NotImplementedError` (the exercise is not solved yet), later
    calls return the same failure without calling again, so the report explains it once
    and lists the other checks as "not checked".

    Args:
        report: the exercise's report.
        function: the student's function.
        name: its name in messages and records, the name the exercise asks for (the same
            whether the student's function is a `def`, a lambda or an alias).
    """

    def __init__(self, report: CheckReport, function: Any, name: str):
        self.report = report
        self.function = function
        self.name = name
        self._unsolved: CallFailed | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._unsolved is not None:
            return self._unsolved
        got = self.report.call(self.function, *args, name=self.name, **kwargs)
        if isinstance(got, CallFailed) and got.unsolved:
            self._unsolved = got
        return got

    def call(self, thunk: Any, name: str | None = None) -> Any:
        """Call `thunk()` (a lambda that uses `self.function`) through the report, safely.

        Args:
            thunk: a function of no arguments.
            name: its name in messages. Defaults to the function's name.
        """
        if self._unsolved is not None:
            return self._unsolved
        got = self.report.call(thunk, name=name or self.name)
        if isinstance(got, CallFailed) and got.unsolved:
            self._unsolved = got
        return got


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


def matches(got: Any, expected: Any, *, atol: float = 1e-5, rtol: float = 1e-4) -> bool:
    """Whether `got` has the shape of `expected` and is close to it (never raises)."""
    if isinstance(got, CallFailed):
        return False
    try:
        got = np.asarray(got, dtype=np.float64)
        expected = np.asarray(expected, dtype=np.float64)
        return got.shape == expected.shape and bool(
            np.allclose(got, expected, atol=atol, rtol=rtol)
        )
    except Exception:
        return False


def diagnose(
    got: Any,
    mistakes: Iterable[tuple[str, Callable[[], Any]]],
    default: str | None = None,
    *,
    atol: float = 1e-5,
    rtol: float = 1e-4,
) -> str | None:
    """Return the hint of the first typical mistake whose result `got` matches.

    Args:
        got: the student's result.
        mistakes: pairs `(hint, result_of_mistake)`, where `result_of_mistake()` computes
            what a function with that mistake returns (it may raise; it is then skipped).
        default: the hint when no mistake matches. Defaults to None.
        atol: absolute tolerance of the comparison. Defaults to 1e-5.
        rtol: relative tolerance of the comparison. Defaults to 1e-4.

    Returns:
        A hint, or `default`; None when `got` is a failed call, so that the report shows the
        call's own hint (for an unsolved exercise: "replace the `raise NotImplementedError`").
    """
    if isinstance(got, CallFailed):
        return None  # the failed call brings its own hint
    for hint, mistake in mistakes:
        try:
            wrong = mistake()
        except Exception:
            continue
        if matches(got, wrong, atol=atol, rtol=rtol):
            return hint
    return default


def hint_for(got: Any, hint: str | None) -> str | None:
    """`hint`, or None when `got` is a failed call (whose own hint the report then shows)."""
    return None if isinstance(got, CallFailed) else hint


def expect_unchanged(
    report: CheckReport,
    got: Any,
    originals: Mapping[str, np.ndarray],
    passed: Mapping[str, Any],
    function_name: str,
) -> bool:
    """Record one check that the student's function left its input arrays unchanged.

    The check fails when the call itself failed (`got` is a `CallFailed`): a function
    that raises must not earn the point.

    Args:
        report: the exercise's report.
        got: what the call returned.
        originals: name -> copy of the array taken before the call.
        passed: name -> the array object that was passed to the function.
        function_name: how to name the function in the message.
    """
    if isinstance(got, CallFailed):
        return report.not_checked("inputs unchanged", got)
    changed = [
        name
        for name, original in originals.items()
        if not np.array_equal(np.asarray(passed[name]), original, equal_nan=True)
    ]
    listed = ", ".join(f"`{name}`" for name in changed)
    return report.expect(
        not changed,
        f"{function_name} changed its input {listed} in place; the caller's arrays must "
        "stay as they were.",
        hint="build new arrays (`a = a + b`, `np.stack`) instead of `a += b` or `a[...] = ...` "
        "on an argument.",
    )


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and Keras/TensorFlow (before training a student's model)."""
    import keras

    keras.utils.set_random_seed(seed)


def _model_summary(model) -> dict:
    """What a check needs to know of the student's model, as data (runs in their kernel)."""
    import keras

    is_model = isinstance(model, keras.Model)
    kinds = sorted({type(layer).__name__ for layer in keras_layers(model)}) if is_model else []
    return {"is_model": is_model, "type": type(model).__name__, "layers": kinds}


def expect_good_forecaster(
    report: CheckReport,
    model,
    X_test: np.ndarray,
    y_test: np.ndarray,
    *,
    layer_types: tuple[str, ...],
    max_ratio: float,
    last_step_ratio: float | None = None,
) -> None:
    """Probe and judge a trained forecasting model (5 checks, or 6 with `last_step_ratio`).

    Used by exercises 3.4 and 6.3: the model is a Keras model with a recurrent layer of one
    of `layer_types`, its forecasts have the shape of `y_test` and are finite, and its test
    MSE is at most `max_ratio` times the persistence forecast's (and, with
    `last_step_ratio`, so is the MSE of the last forecast step). The model is asked for its
    layers and its forecasts on `X_test` through `report.call`; nothing else of it is used.
    """
    import keras

    horizon = y_test.shape[1]
    names = ["the model", "its recurrent layer", "forecasts", "finite", "test MSE"]
    if last_step_ratio is not None:
        names.append("last-step MSE")
    if isinstance(model, CallFailed):
        if report.judging:
            for name in names:
                report.not_checked(name, model)
        return
    summary = report.call(lambda: _model_summary(model), name="the returned model")
    forecasts = report.call(
        lambda: keras.ops.convert_to_numpy(model(X_test, training=False)), name="model(X_test)"
    )
    if not report.judging:
        return
    if not isinstance(summary, dict):
        summary = {"is_model": False, "type": describe(summary), "layers": []}
    kinds = [str(kind) for kind in summary.get("layers", [])]
    report.expect(
        summary.get("is_model") is True,
        f"the function should return the trained keras.Model; got {summary.get('type')}.",
        hint="end with `return model` (after training it).",
    )
    report.expect(
        any(kind in layer_types for kind in kinds),
        f"the model should contain a keras.layers.{' or '.join(layer_types)} layer; its "
        f"layers are: {', '.join(kinds) or 'none'}.",
        hint="this exercise is about recurrent layers: build the model around one.",
    )
    report.expect_shape(
        f"model(X_test) for X_test {X_test.shape}",
        forecasts,
        (len(X_test), horizon),
        layout="(batch, horizon)",
        hint=f"end the model with keras.layers.Dense({horizon}) after the recurrent layer.",
    )
    report.expect_finite("model(X_test)", forecasts, hint="lower the learning rate.")
    persistence = baselines.persistence_forecast(X_test, horizon)
    base = baselines.mse(y_test, persistence)
    try:
        score = float(np.mean((np.asarray(forecasts, dtype=float) - y_test) ** 2))
    except Exception:
        score = float("nan")
    report.expect(
        np.isfinite(score) and score <= max_ratio * base,
        f"test MSE {score:.4f} should be at most {max_ratio:g} x the persistence MSE "
        f"{base:.4f} = {max_ratio * base:.4f} (ratio {score / base:.2f}).",
        hint="check the validation loss while training: more epochs, a learning rate around "
        "1e-2 with Adam, 16-32 units.",
    )
    if last_step_ratio is not None:
        try:
            last = float(np.mean((np.asarray(forecasts, dtype=float)[:, -1] - y_test[:, -1]) ** 2))
        except Exception:
            last = float("nan")
        base_last = baselines.mse(y_test[:, -1], persistence[:, -1])
        report.expect(
            np.isfinite(last) and last <= last_step_ratio * base_last,
            f"test MSE of the last step ahead ({horizon}) {last:.4f} should be at most "
            f"{last_step_ratio:g} x persistence's {base_last:.4f} = "
            f"{last_step_ratio * base_last:.4f} (ratio {last / base_last:.2f}).",
            hint="the far end of the horizon is the hard part: give the model a window "
            "that covers at least one period.",
        )


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
