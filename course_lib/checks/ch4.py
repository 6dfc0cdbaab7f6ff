"""Checks of the exercises of Chapter 4 (LSTM).

- 4.1 `check_lstm_step(lstm_step)`: one LSTM step in NumPy, Keras layout (gates i, f, c, o).
- 4.2 `check_retained_fraction(retained_fraction)`: how much of the cell state a closed
  input gate and a given forget-gate bias keep after some steps.
- 4.3 `check_half_life_bias(forget_bias_for_half_life)`: the forget-gate bias that halves
  the cell state in a given number of steps.
- 4.4 `check_set_forget_bias(set_forget_bias)`: write the forget-gate bias of a Keras LSTM.
- 4.5 `check_adding_problem_answer(answer_4_5)`: what the SimpleRNN and the LSTM learned on
  the adding problem (multiple choice).
- 4.6 `check_gate_reading_answer(answer_4_6)`: what a unit whose input gate opens only at
  the markers does (multiple choice).

References: `course_lib.cells.lstm_step` and `lstm_forward` (tested against
`keras.layers.LSTM`).

Introduced in Chapter 4 (LSTM).
"""

from __future__ import annotations

import numpy as np

from course_lib import cells
from course_lib.checks.common import cell_weights
from course_lib.checks.concepts import choice
from course_lib.checks.exercise import Expect, Mistake, Shape, Values, exercise, runs_in_notebook

__all__ = [
    "check_adding_problem_answer",
    "check_gate_reading_answer",
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


def _candidate_sigmoid(x_t, h, c, kernel, recurrent_kernel, bias):
    z = x_t @ kernel + h @ recurrent_kernel + bias
    i, f, g, o = (cells.sigmoid(block) for block in np.split(z, 4, axis=1))
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


_ORDER_HINT = (
    "Keras stores the gates in the order i, f, c, o: columns [0:H] input gate, [H:2H] forget "
    "gate, [2H:3H] candidate, [3H:4H] output gate."
)
_LSTM_MISTAKES = [
    *(
        Mistake(
            f"gates-{order}", _ORDER_HINT, lambda *a, order=order: _lstm_variant(*a, order=order)
        )
        for order in ("icfo", "ifoc", "fico")
    ),
    Mistake(
        "cell-tanh-forgotten",
        "h_t = o * tanh(c_t): apply tanh to the new cell state.",
        lambda *args: _lstm_variant(*args, cell_tanh=False),
    ),
    Mistake(
        "pair-swapped",
        "return the pair in the order (h, c).",
        lambda *args: cells.lstm_step(*args)[::-1],
    ),
    Mistake(
        "candidate-sigmoid",
        "the candidate uses tanh, the three gates use the sigmoid.",
        _candidate_sigmoid,
    ),
]


def _lstm_case(seed: int, batch: int, features: int, units: int, scale: float = 0.6):
    w = cell_weights(seed, features, units, gates=4, scale=scale)
    rng = np.random.default_rng(seed + 1)
    x_t = rng.standard_normal((batch, features))
    h = 0.5 * rng.standard_normal((batch, units))
    c = rng.standard_normal((batch, units))
    return x_t, h, c, w["kernel"], w["recurrent_kernel"], w["bias"]


@exercise(
    "4.1",
    student="lstm_step(x_t, h, c, kernel, recurrent_kernel, bias)",
    reference=cells.lstm_step,
    returns=("h", "c"),
    mistakes=_LSTM_MISTAKES,
    atol=_ATOL,
    rtol=_RTOL,
    layout="(batch, units)",
)
def check_lstm_step(ex) -> None:
    """Exercise 4.1 (9 checks): `lstm_step(x_t, h, c, kernel, recurrent_kernel, bias)`.

    Compares `(h, c)` with `course_lib.cells.lstm_step` on a hand-made case (all
    pre-activations zero), two random cases, and checks that inputs stay unchanged.
    """
    rng = ex.rng(80)
    # All weights zero: every gate is sigmoid(0) = 0.5 and the candidate tanh(0) = 0,
    # so c_t = 0.5 * c and h_t = 0.5 * tanh(0.5 * c).
    c = np.round(rng.uniform(0.2, 2.0, size=(1, 3)), 1) * rng.choice([-1.0, 1.0], size=(1, 3))
    h_hint, c_hint = "h_t = o * tanh(c_t).", "c_t = f * c + i * g."
    ex.case(
        "lstm_step with zero weights",
        np.ones((1, 2)),
        np.zeros((1, 3)),
        c,
        np.zeros((2, 12)),
        np.zeros((3, 12)),
        np.zeros(12),
        structure=True,
        values=False,
        checks=[
            Values(
                0.5 * c,
                of="c",
                name=f"c_t with zero weights (forget gate 0.5, candidate 0) and c = {c.tolist()}",
                hint="c_t = f * c + i * g; with zero weights f = sigmoid(0) = 0.5 and "
                "g = tanh(0) = 0.",
            )
        ],
    )
    ex.case(
        "lstm_step(x_t (3, 4), h (3, 5), c (3, 5), ...)",
        *_lstm_case(ex.seed(81), batch=3, features=4, units=5),
        structure=True,
        values=False,
        checks=[
            Shape((3, 5), of="h", name="h_t"),
            Values(of="h", name="h_t for a random batch", hint=h_hint),
            Values(of="c", name="c_t for a random batch", hint=c_hint),
        ],
        unchanged=True,
    )
    ex.case(
        "lstm_step with large weights",
        *_lstm_case(ex.seed(83), batch=1, features=2, units=3, scale=2.0),
        structure=True,
        values=False,
        checks=[Values(of="h", name="h_t with large weights (1, 3)", hint=h_hint)],
    )


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


def _retained(forget_bias: float, steps: int) -> float:
    """The reference: the fraction kept after `steps` steps, sigmoid(forget_bias) ** steps."""
    return _sigmoid(forget_bias) ** steps


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


@exercise(
    "4.2",
    student="retained_fraction(forget_bias, steps)",
    reference=_retained,
    withhold=[closed_gate_lstm],
    mistakes=[
        Mistake(
            "sigmoid-of-product",
            "the forget gate multiplies the cell state once per step: raise "
            "sigmoid(forget_bias) to the power `steps`.",
            lambda b, s: _sigmoid(b * s),
        ),
        Mistake(
            "exp-not-sigmoid",
            "the forget gate is sigmoid(forget_bias), not exp(forget_bias).",
            lambda b, s: np.exp(b) ** s,
        ),
        Mistake(
            "forgotten-part",
            "the fraction kept is f ** steps; 1 - f is the part forgotten in one step.",
            lambda b, s: (1 - _sigmoid(b)) ** s,
        ),
        Mistake(
            "one-step-too-few", "one step too many or too few.", lambda b, s: _sigmoid(b) ** (s - 1)
        ),
        Mistake(
            "one-step-too-many",
            "one step too many or too few.",
            lambda b, s: _sigmoid(b) ** (s + 1),
        ),
    ],
    hint="c_t = f * c_{t-1} + i * g with i = 0, and f = sigmoid(forget_bias) at every step.",
    atol=1e-9,
    rtol=1e-6,
)
def check_retained_fraction(ex) -> None:
    """Exercise 4.2 (6 checks): `retained_fraction(forget_bias, steps)`.

    The fraction of the cell state left after `steps` steps with a shut input gate is
    `sigmoid(forget_bias) ** steps`; compared with the formula for bias 0 (Keras's plain
    initialisation) and drawn biases and lengths, and with a simulated LSTM
    (`closed_gate_lstm`).
    """
    rng = ex.rng(85)
    for bias, steps in _fraction_cases(rng):
        ex.case(f"retained_fraction(forget_bias={bias:g}, steps={steps})", bias, steps)
    bias, steps = round(float(rng.uniform(0.5, 1.5)), 2), int(rng.integers(15, 41))
    ex.case(
        f"retained_fraction({bias:g}, {steps}) against a simulated LSTM "
        "(course_lib.cells.lstm_step)",
        bias,
        steps,
        expected=closed_gate_lstm(bias, steps)[-1],
        hint=f"run `closed_gate_lstm({bias:g}, {steps})` from course_lib.checks.ch4 and compare.",
    )


# -- 4.3 -------------------------------------------------------------------------------------


def _half_life_bias(half_life: float) -> float:
    p = 0.5 ** (1.0 / half_life)  # forget gate value
    return float(np.log(p / (1.0 - p)))


def _state_after(bias, half_life: int) -> float:
    """The cell state of a closed-gate LSTM with forget bias `bias` after `half_life` steps."""
    return closed_gate_lstm(float(bias), half_life)[-1]


@exercise(
    "4.3",
    student="forget_bias_for_half_life(half_life)",
    reference=_half_life_bias,
    mistakes=[
        Mistake(
            "gate-value-returned",
            "you returned the forget gate's value p; the bias is its logit, log(p / (1 - p)), "
            "since p = sigmoid(bias).",
            lambda h: 0.5 ** (1.0 / h),
        ),
        Mistake(
            "log-not-logit",
            "invert the sigmoid: bias = log(p / (1 - p)), not log(p).",
            lambda h: np.log(0.5 ** (1.0 / h)),
        ),
        Mistake(
            "half-life-inverted",
            "the gate value p satisfies p ** half_life = 0.5, so p = 0.5 ** (1 / half_life).",
            lambda h: _half_life_bias(1.0 / h),
        ),
    ],
    hint="solve sigmoid(bias) ** half_life = 0.5 for bias.",
    atol=1e-9,
    rtol=1e-6,
)
def check_half_life_bias(ex) -> None:
    """Exercise 4.3 (6 checks): `forget_bias_for_half_life(half_life) -> bias`.

    `sigmoid(bias) ** half_life == 0.5`, so `bias = logit(0.5 ** (1 / half_life))`.
    Compared with the formula for drawn half-lives, and with a simulated LSTM.
    """
    rng = ex.rng(87)
    half_lives = [
        round(float(rng.uniform(1.0, 3.0)), 2),
        int(rng.integers(5, 41)),
        int(rng.integers(50, 301)),
        round(float(rng.uniform(1.5, 4.5)), 2),
    ]
    for half_life in half_lives:
        ex.case(f"forget_bias_for_half_life({half_life})", half_life)
    # Simulate: with that bias the cell state halves after `half_life` steps.
    for half_life in (int(rng.integers(5, 16)), int(rng.integers(20, 61))):
        ex.case(
            f"forget_bias_for_half_life({half_life}) in a simulated LSTM",
            half_life,
            values=False,
            checks=[
                Values(
                    0.5,
                    of=lambda bias, half_life=half_life: _state_after(bias, half_life),
                    name=f"cell state after {half_life} steps of an LSTM with forget bias "
                    f"forget_bias_for_half_life({half_life}), starting from 1",
                    atol=1e-6,
                    rtol=1e-5,
                    hint="with the right bias the cell state is exactly halved after "
                    "half_life steps.",
                )
            ],
        )


# -- 4.4 -------------------------------------------------------------------------------------


@runs_in_notebook
def _set_then_read(set_forget_bias, units, features, weights, value):
    """How 4.4 calls the student's function: on a built LSTM layer; the answer is its
    weights afterwards."""
    import keras

    layer = keras.layers.LSTM(units)
    layer.build((None, 5, features))
    layer.set_weights([np.asarray(w) for w in weights])
    set_forget_bias(layer, value)
    return [np.asarray(w) for w in layer.get_weights()]


def _forget_bias_problem(label, units, value):
    def rule(bias):
        block = np.asarray(bias, dtype=float)[units : 2 * units]
        if np.allclose(block, value, atol=1e-6, rtol=0.0):
            return None
        return (
            f"forget bias of {label}: expected {value:g} in bias[{units}:{2 * units}], got "
            f"{np.round(block, 4).tolist()}."
        )

    return rule


def _others_problem(label, units, before):
    def rule(after):
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
        if not changed:
            return None
        return f"only the forget gate's bias of {label} may change; changed: {', '.join(changed)}."

    return rule


def _written_block(start: int):
    """A mistake: the value written into another block of the bias than the forget gate's."""

    def answer(units, features, weights, value):
        weights = [np.array(w) for w in weights]
        weights[2][start * units : (start + 1) * units] = value
        return weights

    return answer


@exercise(
    "4.4",
    student="set_forget_bias(layer, value)",
    call=_set_then_read,
    mistakes=[
        Mistake(
            "input-gate-block",
            "you wrote the input gate's block [0:units]; the forget gate is the second block "
            "of the bias: bias[units:2 * units].",
            _written_block(0),
        )
    ],
)
def check_set_forget_bias(ex) -> None:
    """Exercise 4.4 (4 checks): `set_forget_bias(layer, value)` on a built `keras.layers.LSTM`.

    After the call the forget-gate part of the bias, `bias[units:2 * units]`, equals
    `value`, and every other weight is unchanged; checked on two layer sizes with drawn
    weights and values. The layer's weights after the call are the student's answer.
    """
    rng = ex.rng(89)
    values = (round(float(rng.uniform(1.0, 3.0)), 2), round(float(rng.uniform(-2.0, -0.5)), 2))
    for (units, features), value in zip(((3, 2), (5, 4)), values, strict=True):
        shapes = [(features, 4 * units), (units, 4 * units), (4 * units,)]
        weights = [rng.standard_normal(shape).astype("float32") for shape in shapes]
        label = f"LSTM({units}) on {features} features, value={value:g}"
        ex.case(
            label,
            units,
            features,
            weights,
            value,
            checks=[
                Expect(
                    _forget_bias_problem(label, units, value),
                    of=lambda after: after[2],
                    name=f"forget bias of {label}",
                    hint="the forget gate is the second block of the bias: bias[units:2 * units].",
                ),
                Expect(
                    _others_problem(label, units, weights),
                    name=f"other weights of {label}",
                    hint="read the bias with layer.cell.bias.numpy(), change only "
                    "bias[units:2 * units] and write it back with layer.cell.bias.assign(bias).",
                ),
            ],
        )


# -- 4.5 -------------------------------------------------------------------------------------


@exercise("4.5", student="answer_4_5()")
def check_adding_problem_answer(ex) -> None:
    """Exercise 4.5 (1 check): `answer_4_5()`, the letter of the chosen option.

    Inputs fixed by nature: a question has none, and its answer is the same under every
    grading seed (a lookup of the self-check's answer is the answer).
    """
    choice(
        ex,
        "the option answer_4_5() chose",
        right="b",
        wrong={
            "a": "the chapter does not point to the number of weights: along the SimpleRNN's state"
            " the gradient is squashed by W_h and tanh at every step, so the signal from the "
            "markers, dozens of steps back, hardly reaches them.",
            "c": "the SimpleRNN of Chapter 2 was trained with clipping and still stayed at the "
            "baseline: its gradient vanishes on the way back to the markers, it does not "
            "explode.",
            "d": "1/6 is the variance of the target, the MSE of always predicting its mean, 1: a "
            "network at 1/6 has learned nothing about the marked values.",
        },
    )


# -- 4.6 -------------------------------------------------------------------------------------


@exercise("4.6", student="answer_4_6()")
def check_gate_reading_answer(ex) -> None:
    """Exercise 4.6 (1 check): `answer_4_6()`, the letter of the chosen option.

    Inputs fixed by nature: a question has none, and its answer is the same under every
    grading seed (a lookup of the self-check's answer is the answer).
    """
    choice(
        ex,
        "the option answer_4_6() chose",
        right="b",
        wrong={
            "a": "a forget gate close to 1 keeps the cell state (c_t = f_t c_{t-1} + i_t g_t): the"
            " unit holds its value, it does not forget it.",
            "c": "the heat maps show the input gate opening at the markers: the unit writes there;"
            " what it outputs is read at the end, through h_T = o_T tanh(c_T).",
            "d": "the SimpleRNN has no gate that could hold a value still; the LSTM's unit does "
            "the selecting itself, with its input gate, before the Dense layer.",
        },
    )
