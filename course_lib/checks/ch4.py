"""Checks of the exercises of Chapter 4 (LSTM).

- 4.1 `check_lstm_step(lstm_step)`: one LSTM step in NumPy, Keras layout (gates i, f, c, o).
- 4.2 `check_retained_fraction(retained_fraction)`: how much of the cell state a closed
  input gate and a given forget-gate bias keep after some steps.
- 4.3 `check_half_life_bias(forget_bias_for_half_life)`: the forget-gate bias that halves
  the cell state in a given number of steps.
- 4.4 `check_set_forget_bias(set_forget_bias)`: write the forget-gate bias of a Keras LSTM.

References: `course_lib.cells.lstm_step` and `lstm_forward` (tested against
`keras.layers.LSTM`).

Introduced in Chapter 4 (LSTM).
"""

from __future__ import annotations

import numpy as np

from course_lib import cells
from course_lib.checks.common import StudentFunction, cell_weights, diagnose, expect_unchanged
from course_lib.checks.report import CallFailed, CheckReport

__all__ = [
    "check_half_life_bias",
    "check_lstm_step",
    "check_retained_fraction",
    "check_set_forget_bias",
    "closed_gate_lstm",
]

_ATOL, _RTOL = 1e-5, 1e-4

# -- 4.1 -------------------------------------------------------------------------------------


def _lstm_variant(x_t, h, c, kernel, recurrent_kernel, bias, *, order="ifco", cell_tanh=True):
    """An LSTM step with a chosen gate order, or without the tanh of the cell state."""
    z = x_t @ kernel + h @ recurrent_kernel + bias  # (B, 4H)
    blocks = dict(zip(order, np.split(z, 4, axis=1), strict=True))
    i, f = cells.sigmoid(blocks["i"]), cells.sigmoid(blocks["f"])
    g, o = np.tanh(blocks["c"]), cells.sigmoid(blocks["o"])
    c_new = f * c + i * g
    return o * (np.tanh(c_new) if cell_tanh else c_new), c_new


def _lstm_mistakes(args, part):
    pick = 0 if part == "h" else 1
    x_t, h, c, kernel, recurrent_kernel, bias = args
    order_hint = (
        "Keras stores the gates in the order i, f, c, o: columns [0:H] input gate, [H:2H] "
        "forget gate, [2H:3H] candidate, [3H:4H] output gate."
    )
    return [
        (order_hint, lambda: _lstm_variant(*args, order="icfo")[pick]),
        (order_hint, lambda: _lstm_variant(*args, order="ifoc")[pick]),
        (order_hint, lambda: _lstm_variant(*args, order="fico")[pick]),
        (
            "h_t = o * tanh(c_t): apply tanh to the new cell state.",
            lambda: _lstm_variant(*args, cell_tanh=False)[pick],
        ),
        (
            "return the pair in the order (h, c).",
            lambda: cells.lstm_step(x_t, h, c, kernel, recurrent_kernel, bias)[1 - pick],
        ),
        (
            "the candidate uses tanh, the three gates use the sigmoid.",
            lambda: _candidate_sigmoid(*args)[pick],
        ),
    ]


def _candidate_sigmoid(x_t, h, c, kernel, recurrent_kernel, bias):
    z = x_t @ kernel + h @ recurrent_kernel + bias
    i, f, g, o = (cells.sigmoid(block) for block in np.split(z, 4, axis=1))
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


def _lstm_case(seed: int, batch: int, features: int, units: int, scale: float = 0.6):
    w = cell_weights(seed, features, units, gates=4, scale=scale)
    rng = np.random.default_rng(seed + 1)
    x_t = rng.standard_normal((batch, features))
    h = 0.5 * rng.standard_normal((batch, units))
    c = rng.standard_normal((batch, units))
    return x_t, h, c, w["kernel"], w["recurrent_kernel"], w["bias"]


def check_lstm_step(lstm_step) -> None:
    """Exercise 4.1 (9 checks): `lstm_step(x_t, h, c, kernel, recurrent_kernel, bias)`.

    Compares `(h, c)` with `course_lib.cells.lstm_step` on a hand-made case (all
    pre-activations zero), two random cases, and checks that inputs stay unchanged.
    """
    report = CheckReport("4.1", atol=_ATOL, rtol=_RTOL)
    step = StudentFunction(report, lstm_step, "lstm_step")
    rng = report.rng(80)

    # All weights zero: every gate is sigmoid(0) = 0.5 and the candidate tanh(0) = 0,
    # so c_t = 0.5 * c and h_t = 0.5 * tanh(0.5 * c).
    c = np.round(rng.uniform(0.2, 2.0, size=(1, 3)), 1) * rng.choice([-1.0, 1.0], size=(1, 3))
    got = step(
        np.ones((1, 2)),
        np.zeros((1, 3)),
        c.copy(),
        np.zeros((2, 12)),
        np.zeros((3, 12)),
        np.zeros(12),
    )
    if report.judging:
        pair = _pair(report, got, "lstm_step with zero weights")
        report.expect_close(
            f"c_t with zero weights (forget gate 0.5, candidate 0) and c = {c.tolist()}",
            pair[1],
            0.5 * c,
            hint="c_t = f * c + i * g; with zero weights f = sigmoid(0) = 0.5 and g = tanh(0) = 0.",
        )

    args = _lstm_case(report.seed(81), batch=3, features=4, units=5)
    originals = [a.copy() for a in args]
    got = step(*args)
    if report.judging:
        h_got, c_got = _pair(report, got, "lstm_step(x_t (3, 4), h (3, 5), c (3, 5), ...)")
        h_ref, c_ref = cells.lstm_step(*originals)
        report.expect_shape("h_t", h_got, (3, 5), layout="(batch, units)")
        report.expect_close(
            "h_t for a random batch",
            h_got,
            h_ref,
            hint=diagnose(h_got, _lstm_mistakes(originals, "h"), "h_t = o * tanh(c_t)."),
        )
        report.expect_close(
            "c_t for a random batch",
            c_got,
            c_ref,
            hint=diagnose(c_got, _lstm_mistakes(originals, "c"), "c_t = f * c + i * g."),
        )
        names = ("x_t", "h", "c")
        expect_unchanged(
            report,
            got,
            dict(zip(names, originals[:3], strict=True)),
            dict(zip(names, args[:3], strict=True)),
            f"{step.name}(x_t, h, c, ...)",
        )

    args = _lstm_case(report.seed(83), batch=1, features=2, units=3, scale=2.0)
    got = step(*(a.copy() for a in args))
    if report.judging:
        h_got, _ = _pair(report, got, "lstm_step with large weights")
        report.expect_close(
            "h_t with large weights (1, 3)",
            h_got,
            cells.lstm_step(*args)[0],
            hint=diagnose(h_got, _lstm_mistakes(args, "h"), "h_t = o * tanh(c_t)."),
        )
    report.finish()


def _pair(report: CheckReport, got, call: str):
    """Split the student's `(h, c)`; one check that it is a pair of two arrays."""
    if isinstance(got, CallFailed):
        report.not_checked(f"the pair returned by {call}", got)
        return got, got
    ok = isinstance(got, tuple | list) and len(got) == 2
    kind = f"{type(got).__name__}" + (
        f" of length {len(got)}" if isinstance(got, tuple | list) else ""
    )
    report.expect(
        ok,
        f"{call} should return a pair (h, c); got {kind}.",
        hint="end with `return h, c`.",
    )
    return tuple(got) if ok else (None, None)


# -- 4.2 -------------------------------------------------------------------------------------


def closed_gate_lstm(forget_bias: float, steps: int, units: int = 2) -> np.ndarray:
    """Run an LSTM whose input gate is shut and whose forget gate is sigmoid(forget_bias).

    All weights are zero; the input-gate bias is -30 (the gate is closed, i ~ 1e-13), the
    forget-gate bias is `forget_bias`, and the cell state starts at 1. Nothing is written,
    so the cell state only decays.

    Args:
        forget_bias: the bias of the forget gate.
        steps: number of time steps.
        units: LSTM units. Defaults to 2.

    Returns:
        The cell state after every step, (steps,), for unit 0 (all units are equal).

    Introduced in Chapter 4 (LSTM).
    """
    bias = np.zeros(4 * units)
    bias[:units] = -30.0  # input gate closed
    bias[units : 2 * units] = forget_bias
    x = np.zeros((1, steps, 1))  # (B, T, F)
    c = [np.ones((1, units))]
    h = np.zeros((1, units))
    states = []
    for t in range(steps):
        h, c_t = cells.lstm_step(
            x[:, t], h, c[-1], np.zeros((1, 4 * units)), np.zeros((units, 4 * units)), bias
        )
        c.append(c_t)
        states.append(float(c_t[0, 0]))
    return np.array(states)


def _sigmoid(a: float) -> float:
    return float(cells.sigmoid(np.asarray(a, dtype=float)))


def _fraction_cases(rng: np.random.Generator) -> list[tuple[float, int]]:
    """`(forget_bias, steps)`: bias 0 (Keras's plain initialisation), then drawn biases; the
    lengths drawn too."""
    return [
        (round(float(rng.uniform(-0.5, 0.5)), 2), int(rng.integers(1, 21))),
        (0.0, int(rng.integers(5, 61))),
        (round(float(rng.uniform(0.5, 2.0)), 2), int(rng.integers(5, 41))),
        (round(float(rng.uniform(2.0, 4.0)), 2), int(rng.integers(30, 91))),
        (round(float(rng.uniform(-2.0, -0.5)), 2), int(rng.integers(2, 9))),
    ]


def check_retained_fraction(retained_fraction) -> None:
    """Exercise 4.2 (6 checks): `retained_fraction(forget_bias, steps)`.

    The fraction of the cell state left after `steps` steps with a shut input gate is
    `sigmoid(forget_bias) ** steps`; compared with the formula for bias 0 (Keras's plain
    initialisation) and drawn biases and lengths, and with a simulated LSTM
    (`closed_gate_lstm`).
    """
    report = CheckReport("4.2", atol=1e-9, rtol=1e-6)
    fraction = StudentFunction(report, retained_fraction, "retained_fraction")
    rng = report.rng(85)
    for bias, steps in _fraction_cases(rng):
        got = fraction(bias, steps)
        if not report.judging:
            continue
        expected = _sigmoid(bias) ** steps
        hint = diagnose(
            got,
            [
                (
                    "the forget gate multiplies the cell state once per step: raise "
                    "sigmoid(forget_bias) to the power `steps`.",
                    lambda b=bias, s=steps: _sigmoid(b * s),
                ),
                (
                    "the forget gate is sigmoid(forget_bias), not exp(forget_bias).",
                    lambda b=bias, s=steps: np.exp(b) ** s,
                ),
                (
                    "the fraction kept is f ** steps; 1 - f is the part forgotten in one step.",
                    lambda b=bias, s=steps: (1 - _sigmoid(b)) ** s,
                ),
                ("one step too many or too few.", lambda b=bias, s=steps: _sigmoid(b) ** (s - 1)),
                ("one step too many or too few.", lambda b=bias, s=steps: _sigmoid(b) ** (s + 1)),
            ],
            "c_t = f * c_{t-1} + i * g with i = 0, and f = sigmoid(forget_bias) at every step.",
        )
        report.expect_close(
            f"{fraction.name}(forget_bias={bias:g}, steps={steps})", got, expected, hint=hint
        )
    bias, steps = round(float(rng.uniform(0.5, 1.5)), 2), int(rng.integers(15, 41))
    got = fraction(bias, steps)
    if report.judging:
        report.expect_close(
            f"{fraction.name}({bias:g}, {steps}) against a simulated LSTM "
            "(course_lib.cells.lstm_step)",
            got,
            closed_gate_lstm(bias, steps)[-1],
            hint=f"run `closed_gate_lstm({bias:g}, {steps})` from course_lib.checks.ch4 and "
            "compare.",
        )
    report.finish()


# -- 4.3 -------------------------------------------------------------------------------------


def _half_life_bias(half_life: float) -> float:
    p = 0.5 ** (1.0 / half_life)  # forget gate value
    return float(np.log(p / (1.0 - p)))


def check_half_life_bias(forget_bias_for_half_life) -> None:
    """Exercise 4.3 (6 checks): `forget_bias_for_half_life(half_life) -> bias`.

    `sigmoid(bias) ** half_life == 0.5`, so `bias = logit(0.5 ** (1 / half_life))`.
    Compared with the formula for drawn half-lives, and with a simulated LSTM.
    """
    report = CheckReport("4.3", atol=1e-9, rtol=1e-6)
    bias_for = StudentFunction(report, forget_bias_for_half_life, "forget_bias_for_half_life")
    rng = report.rng(87)
    half_lives = [
        round(float(rng.uniform(1.0, 3.0)), 2),
        int(rng.integers(5, 41)),
        int(rng.integers(50, 301)),
        round(float(rng.uniform(1.5, 4.5)), 2),
    ]
    for half_life in half_lives:
        got = bias_for(half_life)
        if not report.judging:
            continue
        expected = _half_life_bias(half_life)
        p = 0.5 ** (1.0 / half_life)
        hint = diagnose(
            got,
            [
                (
                    "you returned the forget gate's value p; the bias is its logit, "
                    "log(p / (1 - p)), since p = sigmoid(bias).",
                    lambda p=p: p,
                ),
                (
                    "invert the sigmoid: bias = log(p / (1 - p)), not log(p).",
                    lambda p=p: np.log(p),
                ),
                (
                    "the gate value p satisfies p ** half_life = 0.5, so p = 0.5 ** (1 / half_life).",
                    lambda h=half_life: _half_life_bias(1.0 / h),
                ),
            ],
            "solve sigmoid(bias) ** half_life = 0.5 for bias.",
        )
        report.expect_close(f"{bias_for.name}({half_life})", got, expected, hint=hint)
    # Simulate: with that bias the cell state halves after `half_life` steps.
    for half_life in (int(rng.integers(5, 16)), int(rng.integers(20, 61))):
        got = bias_for(half_life)
        if report.judging:
            _expect_halved(report, bias_for.name, got, half_life)
    report.finish()


def _expect_halved(report: CheckReport, name: str, got, half_life: int) -> None:
    """One check: an LSTM with forget bias `got` halves its cell state in `half_life` steps."""
    if isinstance(got, CallFailed):
        report.not_checked(f"simulated cell state after {half_life} steps", got)
        return
    try:
        state = closed_gate_lstm(float(got), half_life)[-1]
    except Exception as error:
        report.expect(
            False,
            f"an LSTM cannot be simulated with the forget bias {got!r:.60} returned by "
            f"{name}({half_life}): {type(error).__name__}: {error}",
            hint="return a float.",
        )
        return
    report.expect_close(
        f"cell state after {half_life} steps of an LSTM with forget bias "
        f"{name}({half_life}), starting from 1",
        state,
        0.5,
        atol=1e-6,
        rtol=1e-5,
        hint="with the right bias the cell state is exactly halved after half_life steps.",
    )


# -- 4.4 -------------------------------------------------------------------------------------


def _built_lstm(units: int, features: int, rng: np.random.Generator):
    import keras

    layer = keras.layers.LSTM(units)
    layer.build((None, 5, features))
    layer.set_weights([rng.standard_normal(w.shape).astype("float32") for w in layer.get_weights()])
    return layer


def check_set_forget_bias(set_forget_bias) -> None:
    """Exercise 4.4 (4 checks): `set_forget_bias(layer, value)` on a built `keras.layers.LSTM`.

    After the call the forget-gate part of the bias, `bias[units:2 * units]`, equals
    `value`, and every other weight is unchanged; checked on two layer sizes with drawn
    weights and values. The layer's weights after the call are read through
    `report.call` (they are the student's answer).
    """
    report = CheckReport("4.4", atol=1e-6, rtol=0.0)
    set_bias = StudentFunction(report, set_forget_bias, "set_forget_bias")
    rng = report.rng(89)
    values = (round(float(rng.uniform(1.0, 3.0)), 2), round(float(rng.uniform(-2.0, -0.5)), 2))
    for (units, features), value in zip(((3, 2), (5, 4)), values, strict=True):
        layer = _built_lstm(units, features, rng)
        before = [w.copy() for w in layer.get_weights()]  # kernel, recurrent_kernel, bias
        got = set_bias(layer, value)
        after = report.call(
            lambda layer=layer: [np.asarray(w) for w in layer.get_weights()],
            name="layer.get_weights",
        )
        if report.judging:
            _expect_forget_bias(report, got, after, before, units, features, value)
    report.finish()


def _expect_forget_bias(report, got, after, before, units, features, value) -> None:
    """The two checks of one layer of 4.4."""
    label = f"LSTM({units}) on {features} features, value={value:g}"
    if isinstance(got, CallFailed):
        report.not_checked(f"forget bias of {label}", got)
        report.not_checked(f"other weights of {label}", got)
        return
    shapes = [w.shape for w in before]
    if not (
        isinstance(after, list)
        and [np.shape(w) for w in after] == shapes
        and all(isinstance(w, np.ndarray) for w in after)
    ):
        report.not_checked(f"forget bias of {label}", after)
        report.not_checked(f"other weights of {label}", after)
        return
    hint = "the forget gate is the second block of the bias: bias[units:2 * units]."
    if np.allclose(after[2][:units], value):
        hint = "you wrote the input gate's block [0:units]; " + hint
    report.expect_close(
        f"forget bias of {label}", after[2][units : 2 * units], np.full(units, value), hint=hint
    )
    blocks = {"input": 0, "candidate": 2 * units, "output": 3 * units}
    changed = [
        f"{name} bias"
        for name, start in blocks.items()
        if not np.array_equal(after[2][start : start + units], before[2][start : start + units])
    ]
    changed += [
        name
        for name, a, b in zip(("kernel", "recurrent_kernel"), after, before, strict=False)
        if not np.array_equal(a, b)
    ]
    report.expect(
        not changed,
        f"only the forget gate's bias of {label} may change; changed: {', '.join(changed)}.",
        hint="read the bias with layer.cell.bias.numpy(), change only bias[units:2 * units] "
        "and write it back with layer.cell.bias.assign(bias).",
    )
