"""Checks of the exercises of Chapter 9 (From gates to linear recurrences).

- 9.1 `check_min_gru_step(min_gru_step)`: one minGRU step in NumPy.
- 9.2 `check_scan_cumsum(scan_cumsum)`: every state of h_t = a_t h_{t-1} + b_t at once,
  with cumulative sums.
- 9.3 `check_ssm_kernel(ssm_kernel)`: the convolution kernel C A^k B of a state-space model.
- 9.4 `check_lru_eigenvalues(lru_eigenvalues)`: the LRU's exponential parametrisation.
- 9.5 `check_gate_bias(gate_bias_for_memory)`: the minGRU's update-gate bias for a memory.
- 9.6 `check_stacking_answer(answer_9_6)`: why a stack of linear recurrences needs a
  nonlinearity (multiple choice).
- 9.7 `check_selective_copying_answer(answer_9_7)`: why a time-invariant recurrence
  struggles with selective copying (multiple choice).

References: `course_lib.linear_recurrences` (tested against the step-by-step loop and
against the Keras layers of `course_lib.mingru`).

Introduced in Chapter 9 (From gates to linear recurrences).
"""

from __future__ import annotations

import numpy as np

from course_lib import linear_recurrences as lr
from course_lib.checks.concepts import choice
from course_lib.checks.exercise import Expect, Finite, Mistake, Values, exercise

__all__ = [
    "check_gate_bias",
    "check_lru_eigenvalues",
    "check_min_gru_step",
    "check_scan_cumsum",
    "check_selective_copying_answer",
    "check_ssm_kernel",
    "check_stacking_answer",
]

_ATOL, _RTOL = 1e-6, 1e-5


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


# -- 9.1 -------------------------------------------------------------------------------------


def _min_gru_reference(x_t, h, kernel, bias):
    """The reference: one step of `course_lib.linear_recurrences.min_gru_forward`."""
    return lr.min_gru_forward(x_t[:, None, :], kernel, bias, h)


def _min_gru_parts(x_t, h, kernel, bias):
    units = h.shape[1]
    proj = x_t @ kernel + bias
    return units, proj, _sigmoid(proj[:, :units]), proj[:, units:]


def _keras_convention(x_t, h, kernel, bias):
    _, _, z, candidate = _min_gru_parts(x_t, h, kernel, bias)
    return z * h + (1 - z) * candidate


def _tanh_candidate(x_t, h, kernel, bias):
    _, _, z, candidate = _min_gru_parts(x_t, h, kernel, bias)
    return (1 - z) * h + z * np.tanh(candidate)


def _blocks_swapped(x_t, h, kernel, bias):
    units, proj, _, _ = _min_gru_parts(x_t, h, kernel, bias)
    z = _sigmoid(proj[:, units:])
    return (1 - z) * h + z * proj[:, :units]


def _no_sigmoid(x_t, h, kernel, bias):
    units, proj, _, candidate = _min_gru_parts(x_t, h, kernel, bias)
    return (1 - proj[:, :units]) * h + proj[:, :units] * candidate


@exercise(
    "9.1",
    student="min_gru_step(x_t, h, kernel, bias)",
    reference=_min_gru_reference,
    withhold=[lr.min_gru_forward, lr.min_gru_coefficients],
    mistakes=[
        Mistake(
            "keras-convention",
            "in the minGRU z_t is the share of the new value: h_t = (1 - z) * h + z * "
            "candidate (Keras's GRU writes it the other way round).",
            _keras_convention,
        ),
        Mistake(
            "tanh-candidate",
            "the minGRU's candidate has no tanh: candidate = x_t @ kernel[:, H:] + bias[H:].",
            _tanh_candidate,
        ),
        Mistake(
            "blocks-swapped",
            "the blocks are z first, then the candidate: columns [0:H] and [H:2H].",
            _blocks_swapped,
        ),
        Mistake(
            "sigmoid-forgotten",
            "z is a gate: apply the sigmoid to x_t @ kernel[:, :H] + bias[:H].",
            _no_sigmoid,
        ),
    ],
    atol=_ATOL,
    rtol=_RTOL,
    layout="(batch, units)",
)
def check_min_gru_step(ex) -> None:
    """Exercise 9.1 (5 checks): `min_gru_step(x_t, h, kernel, bias) -> h_t`.

    Compares with `course_lib.linear_recurrences.min_gru_forward` over one step: a case
    with zero kernel (z = sigmoid(bias)), a random batch (shape, values, inputs unchanged)
    and a batch with large weights.
    """
    rng = ex.rng(91)
    # Zero kernel: z = sigmoid(b_z) and candidate = b_h, whatever x_t is.
    bias = rng.standard_normal(6)
    h = rng.standard_normal((1, 3))
    x_t = rng.standard_normal((1, 2))
    ex.case(
        "h_t with a zero kernel (z = sigmoid(bias[:H]), candidate = bias[H:])",
        x_t,
        h,
        np.zeros((2, 6)),
        bias,
        hint="h_t = (1 - z) * h + z * candidate.",
    )
    x_t, h = rng.standard_normal((4, 3)), rng.standard_normal((4, 5))
    kernel, bias = 0.7 * rng.standard_normal((3, 10)), 0.3 * rng.standard_normal(10)
    ex.case(
        "h_t for a random batch, x_t (4, 3) and units=5",
        x_t,
        h,
        kernel,
        bias,
        shape=(4, 5),
        hint="compare z first.",
        unchanged=True,
    )
    x_t, h = rng.standard_normal((2, 1)), rng.standard_normal((2, 2))
    kernel, bias = 3.0 * rng.standard_normal((1, 4)), rng.standard_normal(4)
    ex.case("h_t with large weights (gates near 0 and 1)", x_t, h, kernel, bias)


# -- 9.2 -------------------------------------------------------------------------------------


def _log_products(a, axis=1):
    return np.cumsum(np.log(a), axis=axis)


_SCAN_MISTAKES = [
    Mistake(
        "h0-outside",
        "the initial state decays too: add h0 inside the bracket, h_t = P_t * (h0 + cumsum(b / P)).",
        lambda a, b, h0: (
            np.exp(_log_products(a)) * np.cumsum(b * np.exp(-_log_products(a)), axis=1)
            + h0[:, None]
        ),
    ),
    Mistake(
        "h0-forgotten",
        "forgot the initial state h0: h_t = P_t * (h0 + cumsum(b / P)).",
        lambda a, b, h0: (
            np.exp(_log_products(a)) * np.cumsum(b * np.exp(-_log_products(a)), axis=1)
        ),
    ),
    Mistake(
        "exclusive-product",
        "P_t = a_1 * ... * a_t includes a_t itself (an inclusive cumulative product).",
        lambda a, b, h0: lr.linear_scan(
            np.concatenate([np.ones_like(a[:, :1]), a[:, :-1]], 1), b, h0
        ),
    ),
    Mistake(
        "summed-over-batch",
        "sum over time, axis 1 of (batch, timesteps, units), not over the batch.",
        lambda a, b, h0: (
            np.exp(_log_products(a, 0))
            * (h0[:, None] + np.cumsum(b * np.exp(-_log_products(a, 0)), axis=0))
        ),
    ),
]


@exercise(
    "9.2",
    student="scan_cumsum(a, b, h0)",
    reference=lr.linear_scan,
    withhold=[lr.linear_scan_cumsum, lr.linear_scan_log_space],
    mistakes=_SCAN_MISTAKES,
    atol=_ATOL,
    rtol=_RTOL,
    layout="(batch, timesteps, units)",
)
def check_scan_cumsum(ex) -> None:
    """Exercise 9.2 (5 checks): `scan_cumsum(a, b, h0) -> states` without a loop over time.

    Compares with the step-by-step `course_lib.linear_recurrences.linear_scan` on a
    hand-sized case, a random batch (shape, values, inputs unchanged) and one unit with
    a = 1 (a running sum).
    """
    rng = ex.rng(92)
    a = np.full((1, 3, 1), rng.uniform(0.3, 0.8))
    h0 = rng.uniform(-1, 1, (1, 1))
    ex.case(
        f"states for a = {a[0, 0, 0]:.3f} at every step, b = 1, h0 = {h0[0, 0]:.3f}",
        a,
        np.ones((1, 3, 1)),
        h0,
        hint="h_1 = a h0 + 1, h_2 = a h_1 + 1.",
    )
    a = rng.uniform(0.3, 1.0, (3, 12, 4))
    b, h0 = rng.standard_normal((3, 12, 4)), rng.standard_normal((3, 4))
    ex.case(
        "states for a random batch (3, 12, 4)",
        a,
        b,
        h0,
        shape=(3, 12, 4),
        hint="compare with a loop on 3 steps.",
        unchanged=True,
    )
    b = rng.standard_normal((2, 7, 1))
    ex.case(
        "states for a = 1 (a running sum of b)",
        np.ones((2, 7, 1)),
        b,
        np.zeros((2, 1)),
        expected=np.cumsum(b, axis=1),
        mistakes=(),
        hint="with a = 1 every P_t is 1 and h_t = cumsum(b).",
    )


# -- 9.3 -------------------------------------------------------------------------------------


_KERNEL_MISTAKES = [
    Mistake(
        "first-tap-cab",
        "the first tap is C @ B (A to the power 0), not C @ A @ B.",
        lambda A, B, C, length: lr.ssm_kernel(A, B, C, length + 1)[1:],
    ),
    Mistake(
        "a-transposed",
        "multiply by A, not by its transpose: C @ A^k @ B.",
        lambda A, B, C, length: lr.ssm_kernel(A.T, B, C, length),
    ),
    Mistake(
        "taps-last",
        "stack the taps along the first axis: (length, outputs, features).",
        lambda A, B, C, length: np.moveaxis(lr.ssm_kernel(A, B, C, length), 0, -1),
    ),
]


def _stable_matrix(rng, n, radius):
    A = rng.standard_normal((n, n))
    return A * (radius / np.max(np.abs(np.linalg.eigvals(A))))


@exercise(
    "9.3",
    student="ssm_kernel(A, B, C, length)",
    reference=lr.ssm_kernel,
    withhold=[lr.ssm_recurrence],
    mistakes=_KERNEL_MISTAKES,
    atol=_ATOL,
    rtol=_RTOL,
    layout="(length, outputs, features)",
)
def check_ssm_kernel(ex) -> None:
    """Exercise 9.3 (5 checks): `ssm_kernel(A, B, C, length) -> (length, outputs, features)`.

    Compares with `course_lib.linear_recurrences.ssm_kernel` for a scalar system, a
    random system (shape and values), and checks that convolving with the kernel gives
    the recurrence's outputs.
    """
    rng = ex.rng(93)
    lam, b, c = rng.uniform(0.3, 0.9), rng.uniform(0.5, 2), rng.uniform(0.5, 2)
    ex.case(
        f"kernel of h_t = {lam:.3f} h_(t-1) + {b:.3f} u_t, y_t = {c:.3f} h_t",
        np.array([[lam]]),
        np.array([[b]]),
        np.array([[c]]),
        5,
        hint="tap k is c * lam**k * b.",
    )
    A = _stable_matrix(rng, 4, 0.9)
    B, C = rng.standard_normal((4, 2)), rng.standard_normal((3, 4))
    ex.case("kernel of a random system", A, B, C, 6, shape=(6, 3, 2))
    A = _stable_matrix(rng, 3, 0.95)
    B, C = rng.standard_normal((3, 1)), rng.standard_normal((1, 3))
    u = rng.standard_normal((2, 30, 1))
    ex.case(
        "kernel with 30 taps",
        A,
        B,
        C,
        30,
        values=False,
        checks=[
            Values(
                lr.ssm_recurrence(A, B, C, u),
                of=lambda kernel: lr.causal_fft_convolution(np.asarray(kernel, dtype=float), u),
                name="the outputs of a convolution with your kernel (30 taps)",
                mistakes=(),
                hint="y_t = sum_k kernel[k] @ u_(t-k) must equal the recurrence.",
            ),
            Finite(name="kernel with 30 taps"),
        ],
    )


# -- 9.4 -------------------------------------------------------------------------------------


def _real(values):
    return np.real(values) if np.iscomplexobj(values) else values


def _imaginary(values):
    return np.imag(values) if np.iscomplexobj(values) else np.zeros(np.shape(values))


_EIGENVALUE_MISTAKES = [
    Mistake(
        "inner-exp-forgotten",
        "the modulus is exp(-exp(nu_log)): exponentiate nu_log first, then negate.",
        lambda nu_log, theta_log: np.exp(-nu_log + 1j * np.exp(theta_log)),
    ),
    Mistake(
        "raw-phase",
        "the phase is exp(theta_log), not theta_log.",
        lambda nu_log, theta_log: np.exp(-np.exp(nu_log) + 1j * theta_log),
    ),
    Mistake(
        "minus-sign-forgotten",
        "keep the minus sign: lambda = exp(-exp(nu_log) + 1j * exp(theta_log)).",
        lambda nu_log, theta_log: np.exp(np.exp(nu_log) + 1j * np.exp(theta_log)),
    ),
    Mistake(
        "phase-not-imaginary",
        "the phase is the imaginary part of the exponent: multiply exp(theta_log) by 1j.",
        lambda nu_log, theta_log: np.exp(-np.exp(nu_log)) + 1j * np.exp(theta_log),
    ),
]


def _inside_unit_circle(values):
    radius = np.abs(np.asarray(values, dtype=complex)) if np.size(values) == 4 else None
    if radius is not None and bool(np.all(radius < 1)):
        return None
    moduli = None if radius is None else np.round(radius, 6)
    return (
        "every |lambda| must be below 1, whatever the parameters; for nu_log = "
        f"[-12, -5, 0, 3] got moduli {moduli}."
    )


@exercise(
    "9.4",
    student="lru_eigenvalues(nu_log, theta_log)",
    reference=lr.lru_eigenvalues,
    mistakes=_EIGENVALUE_MISTAKES,
    atol=_ATOL,
    rtol=_RTOL,
)
def check_lru_eigenvalues(ex) -> None:
    """Exercise 9.4 (4 checks): `lru_eigenvalues(nu_log, theta_log) -> complex (units,)`.

    Compares with `course_lib.linear_recurrences.lru_eigenvalues` for one eigenvalue and
    for random parameters, and checks that very large and very small parameters stay
    inside the unit circle.
    """
    rng = ex.rng(94)
    nu_log, theta_log = rng.uniform(-3, 0, 1), rng.uniform(-1, 1, 1)
    name = f"lru_eigenvalues([{nu_log[0]:.3f}], [{theta_log[0]:.3f}])"
    ex.case(name, nu_log, theta_log, values=False, checks=[Values(of=_real, name=name)])
    nu_log, theta_log = rng.uniform(-6, 1, 20), rng.uniform(-3, 1.5, 20)
    ex.case(
        "20 random parameters",
        nu_log,
        theta_log,
        values=False,
        checks=[
            Values(of=_real, name="real parts for 20 random parameters"),
            Values(
                of=_imaginary,
                name="imaginary parts for 20 random parameters",
                mistakes=(),
                hint="return a complex array: np.exp(... + 1j * ...).",
            ),
        ],
    )
    ex.case(
        "nu_log = [-12, -5, 0, 3]",
        np.array([-12.0, -5.0, 0.0, 3.0]),
        np.zeros(4),
        values=False,
        checks=[
            Expect(
                _inside_unit_circle,
                name="|lambda| < 1",
                hint="|exp(-exp(nu) + i theta)| = exp(-exp(nu)) < 1 because exp(nu) > 0.",
            )
        ],
    )


# -- 9.5 -------------------------------------------------------------------------------------


def _logit(z):
    return np.log(z) - np.log1p(-z)


_GATE_BIAS_MISTAKES = [
    Mistake(
        "keeps-z",
        "z is the share of the new value, so the state keeps 1 - z per step: b = log(z / "
        "(1 - z)) with z = 1 - kept ** (1 / steps).",
        lambda steps, kept: _logit(np.asarray(kept, float) ** (1.0 / np.asarray(steps, float))),
    ),
    Mistake(
        "one-step",
        "the state keeps (1 - z) at every step, (1 - z) ** steps in all: 1 - z = kept ** "
        "(1 / steps).",
        lambda steps, kept: _logit(1 - np.asarray(kept, float)),
    ),
    Mistake(
        "gate-returned",
        "return the bias b, not the gate z = sigmoid(b): b = log(z / (1 - z)).",
        lambda steps, kept: 1 - np.asarray(kept, float) ** (1.0 / np.asarray(steps, float)),
    ),
]


def _keeps(steps: int, kept: float):
    def rule(bias):
        try:
            z = 1.0 / (1.0 + np.exp(-np.float64(bias)))
            share = float((1.0 - z) ** steps)
        except Exception:
            share = None
        if share is not None and abs(share - kept) < 1e-6:
            return None
        return (
            f"with your bias for {steps} steps the state keeps {share} of itself over them; "
            f"{kept:.6f} was asked for."
        )

    return rule


@exercise(
    "9.5",
    student="gate_bias_for_memory(steps, kept)",
    reference=lr.gate_bias_for_memory,
    mistakes=_GATE_BIAS_MISTAKES,
    atol=_ATOL,
    rtol=_RTOL,
)
def check_gate_bias(ex) -> None:
    """Exercise 9.5 (4 checks): `gate_bias_for_memory(steps, kept) -> b`.

    Compares with `course_lib.linear_recurrences.gate_bias_for_memory` for one memory and
    for arrays (shape and values), and checks that a long memory (thousands of steps)
    gives a gate that really keeps the share asked for.
    """
    rng = ex.rng(95)
    steps, kept = int(rng.integers(20, 400)), float(10 ** rng.uniform(-5, -0.5))
    ex.case(
        f"gate_bias_for_memory({steps}, {kept:.3g})",
        steps,
        kept,
        hint="check that (1 - sigmoid(b)) ** steps gives back kept.",
    )
    steps = rng.integers(1, 300, size=6).astype(float)
    kept = rng.uniform(0.01, 0.9, size=6)
    ex.case(
        "biases for 6 memories at once (arrays in, an array out)",
        steps,
        kept,
        shape=(6,),
        hint="use NumPy, not math.",
    )
    steps, kept = int(rng.integers(5_000, 20_000)), float(rng.uniform(0.2, 0.8))
    ex.case(
        f"gate_bias_for_memory({steps}, {kept:.3f})",
        steps,
        kept,
        values=False,
        checks=[
            Expect(
                _keeps(steps, kept),
                name=f"the share kept over {steps} steps",
                hint="(1 - sigmoid(b)) ** steps must equal kept.",
            )
        ],
    )


# -- 9.6 -------------------------------------------------------------------------------------


@exercise("9.6", student="answer_9_6()")
def check_stacking_answer(ex) -> None:
    """Exercise 9.6 (1 check): `answer_9_6()`, the letter of the chosen option.

    Inputs fixed by nature: a question has none, and its answer is the same under every
    grading seed (a lookup of the self-check's answer is the answer).
    """
    choice(
        ex,
        "the option answer_9_6() chose",
        right="b",
        wrong={
            "a": "reading the first layer's states does not make the second layer's gates depend "
            "on the input; with time-invariant layers both apply the same decay at every "
            "step.",
            "c": "a sum of convolutions, or a convolution of a convolution, is again a "
            "convolution: without a nonlinearity the stack stays linear in its input.",
            "d": "the nonlinearity goes between the layers precisely so that each layer stays "
            "linear in its state and can still be computed with a scan.",
        },
    )


# -- 9.7 -------------------------------------------------------------------------------------


@exercise("9.7", student="answer_9_7()")
def check_selective_copying_answer(ex) -> None:
    """Exercise 9.7 (1 check): `answer_9_7()`, the letter of the chosen option.

    Inputs fixed by nature: a question has none, and its answer is the same under every
    grading seed (a lookup of the self-check's answer is the answer).
    """
    choice(
        ex,
        "the option answer_9_7() chose",
        right="b",
        wrong={
            "a": "the GRU and two selective minGRU layers copy almost every token at the same "
            "length: the length is not what stops the time-invariant network.",
            "c": "the blanks are part of the input, not padding: they are not masked, and the "
            "model must learn to pass over them.",
            "d": "the Embedding gives each of the 9 ids its own vector; what the time-invariant "
            "network lacks is a way to tell the tokens' order apart from their positions.",
        },
    )
