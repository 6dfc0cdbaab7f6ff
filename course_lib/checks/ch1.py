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
from course_lib.checks.common import cell_weights
from course_lib.checks.exercise import Expect, Mistake, Values, exercise

__all__ = ["check_ema_weights", "check_param_count", "check_rnn_forward", "check_rnn_step"]

_ATOL, _RTOL = 1e-5, 1e-4  # loose enough for float32 answers

# -- 1.1 -------------------------------------------------------------------------------------

_STEP_MISTAKES = [
    Mistake(
        "no-tanh",
        "apply the tanh activation to x_t @ kernel + h @ recurrent_kernel + bias.",
        lambda x_t, h, kernel, recurrent_kernel, bias: x_t @ kernel + h @ recurrent_kernel + bias,
    ),
    Mistake(
        "bias-forgotten",
        "add the bias before the tanh.",
        lambda x_t, h, kernel, recurrent_kernel, bias: np.tanh(x_t @ kernel + h @ recurrent_kernel),
    ),
    Mistake(
        "recurrent-term-forgotten",
        "the previous state enters through recurrent_kernel: add h @ recurrent_kernel.",
        lambda x_t, h, kernel, recurrent_kernel, bias: np.tanh(x_t @ kernel + bias),
    ),
    Mistake(
        "bias-after-tanh",
        "the bias goes inside the tanh, not after it.",
        lambda x_t, h, kernel, recurrent_kernel, bias: (
            np.tanh(x_t @ kernel + h @ recurrent_kernel) + bias
        ),
    ),
    Mistake(
        "recurrent-kernel-transposed",
        "multiply h by recurrent_kernel, not by its transpose (Keras: h @ recurrent_kernel).",
        lambda x_t, h, kernel, recurrent_kernel, bias: np.tanh(
            x_t @ kernel + h @ recurrent_kernel.T + bias
        ),
    ),
]


def _hand_numbers(rng: np.random.Generator, n: int) -> list[float]:
    """`n` numbers for a case done by hand: one decimal, 0.2 <= |value| <= 1.5, random signs."""
    values = np.round(rng.uniform(0.2, 1.5, size=n), 1) * rng.choice([-1.0, 1.0], size=n)
    return [float(v) for v in values]


@exercise(
    "1.1",
    student="rnn_step(x_t, h, kernel, recurrent_kernel, bias)",
    reference=cells.simple_rnn_step,
    mistakes=_STEP_MISTAKES,
    hint="h_t = tanh(x_t W + h U + b).",
    atol=_ATOL,
    rtol=_RTOL,
    layout="(batch, units)",
)
def check_rnn_step(ex) -> None:
    """Exercise 1.1 (5 checks): `rnn_step(x_t, h, kernel, recurrent_kernel, bias)`.

    Compares with `course_lib.cells.simple_rnn_step` on a hand-sized case (one feature, one
    unit), a random batch and a saturated case, and checks that the inputs are not
    modified.
    """
    rng = ex.rng(12)
    x, h, kernel, recurrent, b = _hand_numbers(rng, 5)
    ex.case(
        f"rnn_step(x_t=[[{x:g}]], h=[[{h:g}]], kernel=[[{kernel:g}]], "
        f"recurrent_kernel=[[{recurrent:g}]], bias=[{b:g}])",
        np.array([[x]]),
        np.array([[h]]),
        np.array([[kernel]]),
        np.array([[recurrent]]),
        np.array([b]),
    )
    w = cell_weights(ex.seed(11), features=4, units=5)
    x_t, h = rng.standard_normal((3, 4)), 0.5 * rng.standard_normal((3, 5))
    ex.case(
        "h_t for a random batch, x_t (3, 4) and units=5",
        x_t,
        h,
        *w.values(),
        shape=(3, 5),
        shape_hint="x_t @ kernel is (batch, units); so is h @ recurrent_kernel.",
        unchanged=True,
    )
    w = cell_weights(ex.seed(13), features=2, units=3, scale=4.0)
    x_t, h = rng.standard_normal((2, 2)), np.full((2, 3), 0.9)
    ex.case("h_t with large weights (tanh saturates near -1 and 1)", x_t, h, *w.values())


# -- 1.2 -------------------------------------------------------------------------------------


def _states(x, kernel, recurrent_kernel, bias, h0=None):
    """The reference: every state of the SimpleRNN, `(batch, timesteps, units)`."""
    return cells.simple_rnn_forward(
        x, kernel, recurrent_kernel, bias, initial_state=h0, return_sequences=True
    )


def _unrolled(x, kernel, recurrent_kernel, bias, h0=None, *, order=None, carry=True):
    """The states of a SimpleRNN run over the steps in `order`, fed back or not."""
    start = np.zeros((x.shape[0], recurrent_kernel.shape[0])) if h0 is None else h0
    h, states = start, []
    for t in range(x.shape[1]) if order is None else order:
        h = cells.simple_rnn_step(x[:, t], h if carry else start, kernel, recurrent_kernel, bias)
        states.append(h)
    return np.stack(states, axis=1)  # (B, T, H)


_FORWARD_MISTAKES = [
    Mistake(
        "state-not-carried",
        "feed each new state into the next step: h = rnn_step(x[:, t], h, ...).",
        lambda *args, **kwargs: _unrolled(*args, **kwargs, carry=False),
    ),
    Mistake(
        "backwards-in-time",
        "go through time forwards, t = 0, 1, ..., timesteps - 1.",
        lambda x, *weights, **kwargs: _unrolled(
            x, *weights, **kwargs, order=range(x.shape[1] - 1, -1, -1)
        ),
    ),
    Mistake(
        "states-reversed",
        "keep the states in time order (the reversed list is stored).",
        lambda *args, **kwargs: _states(*args, **kwargs)[:, ::-1],
    ),
    Mistake(
        "h0-ignored",
        "start from h0 when it is given (zeros only when h0 is None).",
        lambda x, kernel, recurrent_kernel, bias, h0=None: _states(
            x, kernel, recurrent_kernel, bias
        ),
    ),
    Mistake(
        "time-major",
        "stack along axis=1 (np.stack(states, axis=1)), not axis 0.",
        lambda *args, **kwargs: np.swapaxes(_states(*args, **kwargs), 0, 1),
    ),
    Mistake(
        "last-state-only",
        "return the state of every time step, not only the last one.",
        lambda *args, **kwargs: _states(*args, **kwargs)[:, -1],
    ),
]


@exercise(
    "1.2",
    student="rnn_forward(x, kernel, recurrent_kernel, bias, h0=None)",
    reference=_states,
    withhold=[cells.simple_rnn_forward],
    mistakes=_FORWARD_MISTAKES,
    atol=_ATOL,
    rtol=_RTOL,
    layout="(batch, timesteps, units)",
)
def check_rnn_forward(ex) -> None:
    """Exercise 1.2 (5 checks): `rnn_forward(x, kernel, recurrent_kernel, bias, h0=None)`.

    Compares the returned states `(batch, timesteps, units)` with
    `course_lib.cells.simple_rnn_forward(..., return_sequences=True)`, with and without an
    initial state, and for a single time step.
    """
    rng = ex.rng(21)
    w = cell_weights(ex.seed(22), features=3, units=4)
    x = rng.standard_normal((2, 6, 3))
    ex.case(
        "states for x (2, 6, 3) and units=4 (h0 = None, zeros)",
        x,
        *w.values(),
        shape=(2, 6, 4),
        shape_hint="collect the state of every step in a list and `np.stack(states, axis=1)`; "
        "axis 1 is time.",
        hint="compare step by step with rnn_step.",
        unchanged=True,
    )
    h0 = 0.8 * rng.standard_normal((2, 4))
    ex.case(
        "states with h0 given",
        x,
        *w.values(),
        kwargs={"h0": h0},
        hint="the first step must start from h0.",
    )
    ex.case(
        "states for a single time step (3, 1, 3)",
        rng.standard_normal((3, 1, 3)),
        *w.values(),
        hint="with one time step the result is one rnn_step from zeros, shape (3, 1, 4).",
    )


# -- 1.3 -------------------------------------------------------------------------------------


def _keras_count(features: int, units: int, use_bias: bool = True) -> int:
    """The reference: `keras.layers.SimpleRNN(units, use_bias=...).count_params()`."""
    import keras

    layer = keras.layers.SimpleRNN(units, use_bias=use_bias)
    layer.build((None, None, features))
    return int(layer.count_params())


_COUNT_MISTAKES = [
    Mistake(
        "bias-forgotten",
        "a SimpleRNN with use_bias=True also has one bias per unit.",
        lambda f, u, use_bias=True: f * u + u * u,
    ),
    Mistake(
        "bias-despite-use-bias-false",
        "use_bias=False means no bias vector.",
        lambda f, u, use_bias=True: f * u + u * u + u,
    ),
    Mistake(
        "recurrent-kernel-forgotten",
        "do not forget the recurrent kernel, units x units.",
        lambda f, u, use_bias=True: f * u + u * use_bias,
    ),
    Mistake(
        "kernels-multiplied",
        "the kernel has features x units entries, the recurrent kernel units x units.",
        lambda f, u, use_bias=True: f * u * u + u * use_bias,
    ),
]


@exercise(
    "1.3",
    student="simple_rnn_param_count(features, units, use_bias=True)",
    reference=_keras_count,
    mistakes=_COUNT_MISTAKES,
    hint="kernel (features x units) + recurrent kernel (units x units) + bias (units).",
)
def check_param_count(ex) -> None:
    """Exercise 1.3 (5 checks): `simple_rnn_param_count(features, units, use_bias=True)`.

    Compares with `keras.layers.SimpleRNN(units, use_bias=...).count_params()` for five
    drawn layer sizes (two small, three larger, the last without bias).
    """
    rng = ex.rng(15)
    sizes = [(int(rng.integers(1, 13)), int(rng.integers(1, 13))) for _ in range(2)]
    sizes += [(int(rng.integers(8, 65)), int(rng.integers(8, 65))) for _ in range(3)]
    for index, (features, units) in enumerate(sizes):
        use_bias = index != 4
        ex.case(
            f"simple_rnn_param_count({features}, {units}, use_bias={use_bias})",
            features,
            units,
            kwargs={"use_bias": use_bias},
            exact=True,
        )


# -- 1.4 -------------------------------------------------------------------------------------


def _ema(x: np.ndarray, alpha: float) -> np.ndarray:
    """The exponential moving average h_t = alpha x_t + (1 - alpha) h_{t-1}, h_0 = 0."""
    h = np.zeros(x.shape[0])
    states = []
    for t in range(x.shape[1]):
        h = alpha * x[:, t, 0] + (1.0 - alpha) * h
        states.append(h)
    return np.stack(states, axis=1)[:, :, None]  # (B, T, 1)


def _shapes_problem(weights) -> str | None:
    shapes = [tuple(np.shape(w)) for w in weights] if isinstance(weights, tuple | list) else None
    if shapes == [(1, 1), (1, 1), (1,)]:
        return None
    return (
        "the weights of a 1-unit RNN with 1 feature should have shapes (1, 1), (1, 1) and "
        f"(1,) (Keras layout); got {shapes}."
    )


_ALPHA_RANGES = ((0.3, 0.45), (0.05, 0.25), (0.6, 0.95))


@exercise(
    "1.4",
    student="ema_weights(alpha)",
    returns=("kernel", "recurrent_kernel", "bias"),
    mistakes=[
        Mistake(
            "alpha-swapped",
            "alpha weighs the new input x_t; 1 - alpha weighs the previous state.",
            lambda alpha: (np.array([[1 - alpha]]), np.array([[alpha]]), np.zeros(1)),
        )
    ],
    atol=_ATOL,
    rtol=_RTOL,
)
def check_ema_weights(ex) -> None:
    """Exercise 1.4 (5 checks): `ema_weights(alpha) -> (kernel, recurrent_kernel, bias)`.

    Runs a linear SimpleRNN (`course_lib.cells.simple_rnn_forward(activation="linear")`)
    with the returned weights and compares its states with the exponential moving
    average for three drawn values of `alpha` (around 0.5, below and above).
    """
    rng = ex.rng(31)
    x = rng.standard_normal((2, 12, 1))
    alphas = [round(float(rng.uniform(low, high)), 3) for low, high in _ALPHA_RANGES]
    ex.case(
        f"ema_weights({alphas[0]})",
        alphas[0],
        structure=True,
        checks=[
            Expect(
                _shapes_problem,
                name=f"shapes of ema_weights({alphas[0]})",
                hint="np.array([[value]]) is (1, 1); np.array([value]) is (1,).",
            )
        ],
    )
    for alpha in alphas:
        ex.case(
            f"ema_weights({alpha})",
            alpha,
            checks=[
                Values(
                    _ema(x, alpha),
                    of=lambda weights: cells.simple_rnn_forward(
                        x, *weights, activation="linear", return_sequences=True
                    ),
                    name=f"states of the linear RNN built from ema_weights({alpha})",
                    hint="h_t = alpha * x_t + (1 - alpha) * h_{t-1}: the kernel multiplies x_t.",
                )
            ],
        )
