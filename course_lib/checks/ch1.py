"""Checks of the exercises of Chapter 1 (Sequences and the hidden state).

- 1.1 `check_rnn_step(rnn_step)`: one SimpleRNN step in NumPy.
- 1.2 `check_rnn_forward(rnn_forward)`: the SimpleRNN unrolled over a sequence.
- 1.3 `check_param_count(simple_rnn_param_count)`: parameters of a SimpleRNN layer.
- 1.4 `check_ema_weights(ema_weights)`: weights that make a linear RNN an exponential
  moving average.

References: `course_lib.cells` (tested against Keras) and `keras.layers.SimpleRNN`.

Introduced in Chapter 1 (Sequences and the hidden state).
"""

from __future__ import annotations

import numpy as np

from course_lib import cells
from course_lib.checks.common import (
    StudentFunction,
    cell_weights,
    diagnose,
    expect_unchanged,
    hint_for,
)
from course_lib.checks.report import CallFailed, CheckReport

__all__ = ["check_ema_weights", "check_param_count", "check_rnn_forward", "check_rnn_step"]

_ATOL, _RTOL = 1e-5, 1e-4  # loose enough for float32 answers


def _step_mistakes(x_t, h, kernel, recurrent_kernel, bias):
    return [
        (
            "apply the tanh activation to x_t @ kernel + h @ recurrent_kernel + bias.",
            lambda: x_t @ kernel + h @ recurrent_kernel + bias,
        ),
        ("add the bias before the tanh.", lambda: np.tanh(x_t @ kernel + h @ recurrent_kernel)),
        (
            "the previous state enters through recurrent_kernel: add h @ recurrent_kernel.",
            lambda: np.tanh(x_t @ kernel + bias),
        ),
        (
            "the bias goes inside the tanh, not after it.",
            lambda: np.tanh(x_t @ kernel + h @ recurrent_kernel) + bias,
        ),
        (
            "multiply h by recurrent_kernel, not by its transpose (Keras: h @ recurrent_kernel).",
            lambda: np.tanh(x_t @ kernel + h @ recurrent_kernel.T + bias),
        ),
    ]


def _hand_numbers(rng: np.random.Generator, n: int) -> list[float]:
    """`n` numbers for a case done by hand: one decimal, 0.2 <= |value| <= 1.5, random signs."""
    values = np.round(rng.uniform(0.2, 1.5, size=n), 1) * rng.choice([-1.0, 1.0], size=n)
    return [float(v) for v in values]


def check_rnn_step(rnn_step) -> None:
    """Exercise 1.1 (5 checks): `rnn_step(x_t, h, kernel, recurrent_kernel, bias)`.

    Compares with `course_lib.cells.simple_rnn_step` on a hand-sized case (one feature, one
    unit), a random batch and a saturated case, and checks that the inputs are not
    modified.
    """
    report = CheckReport("1.1", atol=_ATOL, rtol=_RTOL)
    step = StudentFunction(report, rnn_step, "rnn_step")
    rng = report.rng(12)

    # A case small enough to do by hand: one feature, one unit, numbers with one decimal.
    x, h, kernel, recurrent, b = _hand_numbers(rng, 5)
    args = (np.array([[x]]), np.array([[h]]), np.array([[kernel]]), np.array([[recurrent]]))
    bias = np.array([b])
    got = step(*args, bias)
    if report.judging:
        report.expect_close(
            f"rnn_step(x_t=[[{x:g}]], h=[[{h:g}]], kernel=[[{kernel:g}]], "
            f"recurrent_kernel=[[{recurrent:g}]], bias=[{b:g}])",
            got,
            cells.simple_rnn_step(*args, bias),
            hint=diagnose(got, _step_mistakes(*args, bias), "h_t = tanh(x_t W + h U + b)."),
        )

    # A random batch: 3 sequences, 4 features, 5 units.
    w = cell_weights(report.seed(11), features=4, units=5)
    x_t, h = rng.standard_normal((3, 4)), 0.5 * rng.standard_normal((3, 5))
    originals = {"x_t": x_t.copy(), "h": h.copy(), **{k: v.copy() for k, v in w.items()}}
    got = step(x_t, h, w["kernel"], w["recurrent_kernel"], w["bias"])
    if report.judging:
        report.expect_shape(
            "h_t for x_t (3, 4) and units=5",
            got,
            (3, 5),
            layout="(batch, units)",
            hint="x_t @ kernel is (batch, units); so is h @ recurrent_kernel.",
        )
        report.expect_close(
            "h_t for a random batch",
            got,
            cells.simple_rnn_step(*originals.values()),
            hint=diagnose(got, _step_mistakes(*originals.values())),
        )
        expect_unchanged(
            report, got, originals, {"x_t": x_t, "h": h, **w}, f"{step.name}(x_t, h, kernel, ...)"
        )

    # Large weights drive tanh into saturation: the state stays in (-1, 1).
    w = cell_weights(report.seed(13), features=2, units=3, scale=4.0)
    x_t, h = rng.standard_normal((2, 2)), np.full((2, 3), 0.9)
    got = step(x_t, h, w["kernel"], w["recurrent_kernel"], w["bias"])
    if report.judging:
        report.expect_close(
            "h_t with large weights (tanh saturates near -1 and 1)",
            got,
            cells.simple_rnn_step(x_t, h, **w),
            hint=diagnose(
                got, _step_mistakes(x_t, h, w["kernel"], w["recurrent_kernel"], w["bias"])
            ),
        )
    report.finish()


def _forward_mistakes(x, w, h0):
    def run(order, carry=True):
        h = np.zeros((x.shape[0], w["recurrent_kernel"].shape[0])) if h0 is None else h0
        states = []
        for t in order:
            start = h if carry else (np.zeros_like(h) if h0 is None else h0)
            h = cells.simple_rnn_step(x[:, t], start, **w)
            states.append(h)
        return np.stack(states, axis=1)  # (B, T, H)

    timesteps = x.shape[1]
    return [
        (
            "feed each new state into the next step: h = rnn_step(x[:, t], h, ...).",
            lambda: run(range(timesteps), carry=False),
        ),
        (
            "go through time forwards, t = 0, 1, ..., timesteps - 1.",
            lambda: run(range(timesteps - 1, -1, -1)),
        ),
        (
            "keep the states in time order (the reversed list is stored).",
            lambda: run(range(timesteps))[:, ::-1],
        ),
        (
            "start from h0 when it is given (zeros only when h0 is None).",
            lambda: cells.simple_rnn_forward(x, **w, return_sequences=True),
        ),
    ]


def check_rnn_forward(rnn_forward) -> None:
    """Exercise 1.2 (5 checks): `rnn_forward(x, kernel, recurrent_kernel, bias, h0=None)`.

    Compares the returned states `(batch, timesteps, units)` with
    `course_lib.cells.simple_rnn_forward(..., return_sequences=True)`, with and without an
    initial state, and for a single time step.
    """
    report = CheckReport("1.2", atol=_ATOL, rtol=_RTOL)
    forward = StudentFunction(report, rnn_forward, "rnn_forward")
    rng = report.rng(21)
    w = cell_weights(report.seed(22), features=3, units=4)
    x = rng.standard_normal((2, 6, 3))
    x_copy = x.copy()

    got = forward(x, w["kernel"], w["recurrent_kernel"], w["bias"])
    if report.judging:
        shape_hint = (
            "collect the state of every step in a list and `np.stack(states, axis=1)`; axis 1 "
            "is time."
        )
        if np.shape(got) == (6, 2, 4):
            shape_hint = "stack along axis=1 (np.stack(states, axis=1)), not axis 0."
        elif np.shape(got) == (2, 4):
            shape_hint = "return the state of every time step, not only the last one."
        report.expect_shape(
            "states for x (2, 6, 3) and units=4",
            got,
            (2, 6, 4),
            layout="(batch, timesteps, units)",
            hint=hint_for(got, shape_hint),
        )
        report.expect_close(
            "states (h0 = None, zeros)",
            got,
            cells.simple_rnn_forward(x_copy, **w, return_sequences=True),
            hint=diagnose(
                got, _forward_mistakes(x_copy, w, None), "compare step by step with rnn_step."
            ),
        )
        expect_unchanged(report, got, {"x": x_copy}, {"x": x}, f"{forward.name}(x, ...)")

    x = x_copy.copy()
    h0 = 0.8 * rng.standard_normal((2, 4))
    got = forward(x, w["kernel"], w["recurrent_kernel"], w["bias"], h0=h0.copy())
    if report.judging:
        report.expect_close(
            "states with h0 given",
            got,
            cells.simple_rnn_forward(x_copy, **w, initial_state=h0, return_sequences=True),
            hint=diagnose(
                got, _forward_mistakes(x_copy, w, h0), "the first step must start from h0."
            ),
        )

    x1 = rng.standard_normal((3, 1, 3))
    got = forward(x1.copy(), w["kernel"], w["recurrent_kernel"], w["bias"])
    if report.judging:
        report.expect_close(
            "states for a single time step (3, 1, 3)",
            got,
            cells.simple_rnn_forward(x1, **w, return_sequences=True),
            hint="with one time step the result is one rnn_step from zeros, shape (3, 1, 4).",
        )
    report.finish()


def _param_cases(rng: np.random.Generator) -> list[tuple[int, int, bool]]:
    """Two layers small enough to count by hand and three larger ones, the last without bias."""
    sizes = [(int(rng.integers(1, 13)), int(rng.integers(1, 13))) for _ in range(2)]
    sizes += [(int(rng.integers(8, 65)), int(rng.integers(8, 65))) for _ in range(3)]
    return [(f, u, i != 4) for i, (f, u) in enumerate(sizes)]


def check_param_count(simple_rnn_param_count) -> None:
    """Exercise 1.3 (5 checks): `simple_rnn_param_count(features, units, use_bias=True)`.

    Compares with `keras.layers.SimpleRNN(units, use_bias=...).count_params()` for five
    drawn layer sizes (two small, three larger, the last without bias).
    """
    report = CheckReport("1.3")
    count = StudentFunction(report, simple_rnn_param_count, "simple_rnn_param_count")
    for features, units, use_bias in _param_cases(report.rng(15)):
        got = count(features, units, use_bias=use_bias)
        if not report.judging:
            continue
        import keras

        layer = keras.layers.SimpleRNN(units, use_bias=use_bias)
        layer.build((None, None, features))
        expected = int(layer.count_params())
        hint = "kernel (features x units) + recurrent kernel (units x units) + bias (units)."
        if isinstance(got, int | np.integer | float):
            if got == features * units + units * units and use_bias:
                hint = "a SimpleRNN with use_bias=True also has one bias per unit."
            elif got == features * units + units * units + units and not use_bias:
                hint = "use_bias=False means no bias vector."
            elif got == features * units + units * use_bias:
                hint = "do not forget the recurrent kernel, units x units."
            elif got == features * units * units + units * use_bias:
                hint = (
                    "the kernel has features x units entries, the recurrent kernel units x units."
                )
        report.expect_equal(
            f"{count.name}({features}, {units}, use_bias={use_bias})",
            got,
            expected,
            hint=hint_for(got, hint),
        )
    report.finish()


def _ema(x: np.ndarray, alpha: float) -> np.ndarray:
    """The exponential moving average h_t = alpha x_t + (1 - alpha) h_{t-1}, h_0 = 0."""
    h = np.zeros(x.shape[0])
    states = []
    for t in range(x.shape[1]):
        h = alpha * x[:, t, 0] + (1.0 - alpha) * h
        states.append(h)
    return np.stack(states, axis=1)[:, :, None]  # (B, T, 1)


_ALPHA_RANGES = ((0.3, 0.45), (0.05, 0.25), (0.6, 0.95))


def check_ema_weights(ema_weights) -> None:
    """Exercise 1.4 (5 checks): `ema_weights(alpha) -> (kernel, recurrent_kernel, bias)`.

    Runs a linear SimpleRNN (`course_lib.cells.simple_rnn_forward(activation="linear")`)
    with the returned weights and compares its states with the exponential moving
    average for three drawn values of `alpha` (around 0.5, below and above).
    """
    report = CheckReport("1.4", atol=_ATOL, rtol=_RTOL)
    weights = StudentFunction(report, ema_weights, "ema_weights")
    name = weights.name
    rng = report.rng(31)
    x = rng.standard_normal((2, 12, 1))
    alphas = [round(float(rng.uniform(low, high)), 3) for low, high in _ALPHA_RANGES]

    first = alphas[0]
    got = weights(first)
    if report.judging and isinstance(got, CallFailed):
        report.not_checked(f"{name}({first})", got)
        report.not_checked(f"shapes of {name}({first})", got)
    elif report.judging:
        is_triple = isinstance(got, tuple | list) and len(got) == 3
        length = f" of length {len(got)}" if isinstance(got, tuple | list) else ""
        report.expect(
            is_triple,
            f"{name}({first}) should return a tuple (kernel, recurrent_kernel, bias); got "
            f"{type(got).__name__}{length}.",
            hint="end with `return kernel, recurrent_kernel, bias`.",
        )
        shapes = [tuple(np.shape(a)) for a in got] if is_triple else None
        report.expect(
            shapes == [(1, 1), (1, 1), (1,)],
            "the weights of a 1-unit RNN with 1 feature should have shapes (1, 1), (1, 1) "
            f"and (1,) (Keras layout); got {shapes}.",
            hint="np.array([[value]]) is (1, 1); np.array([value]) is (1,).",
        )

    for alpha in alphas:
        got = weights(alpha)
        if report.judging:
            _expect_ema(report, name, got, x, alpha)
    report.finish()


def _expect_ema(report: CheckReport, name: str, got, x: np.ndarray, alpha: float) -> None:
    """One check: a linear RNN with the weights `got` computes the moving average of `x`."""
    try:
        states = got
        if not isinstance(got, CallFailed):
            states = cells.simple_rnn_forward(x, *got, activation="linear", return_sequences=True)
    except Exception as error:
        report.expect(
            False,
            f"a linear SimpleRNN cannot run with the weights of {name}({alpha}): {error}",
            hint="return (kernel (1, 1), recurrent_kernel (1, 1), bias (1,)).",
        )
        return
    hint = "h_t = alpha * x_t + (1 - alpha) * h_{t-1}: the kernel multiplies x_t."
    if diagnose(states, [("swapped", lambda: _ema(x, 1.0 - alpha))]):
        hint = "alpha weighs the new input x_t; 1 - alpha weighs the previous state."
    report.expect_close(
        f"states of the linear RNN built from {name}({alpha})", states, _ema(x, alpha), hint=hint
    )
