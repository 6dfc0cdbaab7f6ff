"""Checks of the exercises of Chapter 9 (From gates to linear recurrences).

- 9.1 `check_min_gru_step(min_gru_step)`: one minGRU step in NumPy.
- 9.2 `check_scan_cumsum(scan_cumsum)`: every state of h_t = a_t h_{t-1} + b_t at once,
  with cumulative sums.
- 9.3 `check_ssm_kernel(ssm_kernel)`: the convolution kernel C A^k B of a state-space model.
- 9.4 `check_lru_eigenvalues(lru_eigenvalues)`: the LRU's exponential parametrisation.
- 9.5 `check_gate_bias(gate_bias_for_memory)`: the minGRU's update-gate bias for a memory.

References: `course_lib.linear_recurrences` (tested against the step-by-step loop and
against the Keras layers of `course_lib.mingru`).

Introduced in Chapter 9 (From gates to linear recurrences).
"""

from __future__ import annotations

import numpy as np

from course_lib import linear_recurrences as lr
from course_lib.checks.common import StudentFunction, diagnose, expect_unchanged, hint_for
from course_lib.checks.report import CallFailed, CheckReport

__all__ = [
    "check_gate_bias",
    "check_lru_eigenvalues",
    "check_min_gru_step",
    "check_scan_cumsum",
    "check_ssm_kernel",
]

_ATOL, _RTOL = 1e-6, 1e-5


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


# -- 9.1 -------------------------------------------------------------------------------------


def _min_gru_reference(x_t, h, kernel, bias):
    return lr.min_gru_forward(x_t[:, None, :], kernel, bias, h)


def _min_gru_mistakes(x_t, h, kernel, bias):
    units = h.shape[1]
    proj = x_t @ kernel + bias
    z, candidate = _sigmoid(proj[:, :units]), proj[:, units:]
    return [
        (
            "in the minGRU z_t is the share of the new value: h_t = (1 - z) * h + z * "
            "candidate (Keras's GRU writes it the other way round).",
            lambda: z * h + (1 - z) * candidate,
        ),
        (
            "the minGRU's candidate has no tanh: candidate = x_t @ kernel[:, H:] + bias[H:].",
            lambda: (1 - z) * h + z * np.tanh(candidate),
        ),
        (
            "the blocks are z first, then the candidate: columns [0:H] and [H:2H].",
            lambda: (
                (1 - _sigmoid(proj[:, units:])) * h
                + _sigmoid(proj[:, units:]) * 0
                + _sigmoid(proj[:, units:]) * proj[:, :units]
            ),
        ),
        (
            "z is a gate: apply the sigmoid to x_t @ kernel[:, :H] + bias[:H].",
            lambda: (1 - proj[:, :units]) * h + proj[:, :units] * candidate,
        ),
    ]


def check_min_gru_step(min_gru_step) -> None:
    """Exercise 9.1 (5 checks): `min_gru_step(x_t, h, kernel, bias) -> h_t`.

    Compares with `course_lib.linear_recurrences.min_gru_forward` over one step: a case
    with zero kernel (z = sigmoid(bias)), a random batch (shape, values, inputs unchanged)
    and a batch with large weights.
    """
    report = CheckReport("9.1")
    step = StudentFunction(report, min_gru_step, "min_gru_step")
    rng = report.rng(91)

    # Zero kernel: z = sigmoid(b_z) and candidate = b_h, whatever x_t is.
    bias = rng.standard_normal(6)
    h = rng.standard_normal((1, 3))
    x_t = rng.standard_normal((1, 2))
    got = step(x_t, h, np.zeros((2, 6)), bias)
    if report.judging:
        z = _sigmoid(bias[:3])
        report.expect_close(
            "h_t with a zero kernel (z = sigmoid(bias[:H]), candidate = bias[H:])",
            got,
            (1 - z) * h + z * bias[3:],
            atol=_ATOL,
            rtol=_RTOL,
            hint=diagnose(
                got,
                _min_gru_mistakes(x_t, h, np.zeros((2, 6)), bias),
                "h_t = (1 - z) * h + z * candidate.",
            ),
        )

    x_t, h = rng.standard_normal((4, 3)), rng.standard_normal((4, 5))
    kernel, bias = 0.7 * rng.standard_normal((3, 10)), 0.3 * rng.standard_normal(10)
    originals = {"x_t": x_t.copy(), "h": h.copy(), "kernel": kernel.copy()}
    got = step(x_t, h, kernel, bias)
    if report.judging:
        report.expect_shape("h_t", got, (4, 5), layout="(batch, units)")
        report.expect_close(
            "h_t for a random batch",
            got,
            _min_gru_reference(x_t, h, kernel, bias),
            atol=_ATOL,
            rtol=_RTOL,
            hint=diagnose(got, _min_gru_mistakes(x_t, h, kernel, bias), "compare z first."),
        )
        expect_unchanged(
            report,
            got,
            originals,
            {"x_t": x_t, "h": h, "kernel": kernel},
            f"{step.name}(x_t, h, kernel, bias)",
        )

    x_t, h = rng.standard_normal((2, 1)), rng.standard_normal((2, 2))
    kernel, bias = 3.0 * rng.standard_normal((1, 4)), rng.standard_normal(4)
    got = step(x_t, h, kernel, bias)
    if report.judging:
        report.expect_close(
            "h_t with large weights (gates near 0 and 1)",
            got,
            _min_gru_reference(x_t, h, kernel, bias),
            atol=_ATOL,
            rtol=_RTOL,
            hint=diagnose(got, _min_gru_mistakes(x_t, h, kernel, bias)),
        )
    report.finish()


# -- 9.2 -------------------------------------------------------------------------------------


def _scan_mistakes(a, b, h0):
    log_p = np.cumsum(np.log(a), axis=1)
    return [
        (
            "the initial state decays too: add h0 inside the bracket, "
            "h_t = P_t * (h0 + cumsum(b / P)).",
            lambda: np.exp(log_p) * np.cumsum(b * np.exp(-log_p), axis=1) + h0[:, None],
        ),
        (
            "forgot the initial state h0: h_t = P_t * (h0 + cumsum(b / P)).",
            lambda: np.exp(log_p) * np.cumsum(b * np.exp(-log_p), axis=1),
        ),
        (
            "P_t = a_1 * ... * a_t includes a_t itself (an inclusive cumulative product).",
            lambda: lr.linear_scan(np.concatenate([np.ones_like(a[:, :1]), a[:, :-1]], 1), b, h0),
        ),
        (
            "sum over time, axis 1 of (batch, timesteps, units), not over the batch.",
            lambda: (
                np.exp(np.cumsum(np.log(a), axis=0))
                * (h0[:, None] + np.cumsum(b * np.exp(-np.cumsum(np.log(a), axis=0)), axis=0))
            ),
        ),
    ]


def check_scan_cumsum(scan_cumsum) -> None:
    """Exercise 9.2 (5 checks): `scan_cumsum(a, b, h0) -> states` without a loop over time.

    Compares with the step-by-step `course_lib.linear_recurrences.linear_scan` on a
    hand-sized case, a random batch (shape, values, inputs unchanged) and one unit with
    a = 1 (a running sum).
    """
    report = CheckReport("9.2")
    scan = StudentFunction(report, scan_cumsum, "scan_cumsum")
    rng = report.rng(92)

    a = np.full((1, 3, 1), rng.uniform(0.3, 0.8))
    b, h0 = np.ones((1, 3, 1)), rng.uniform(-1, 1, (1, 1))
    got = scan(a, b, h0)
    if report.judging:
        report.expect_close(
            f"states for a = {a[0, 0, 0]:.3f} at every step, b = 1, h0 = {h0[0, 0]:.3f}",
            got,
            lr.linear_scan(a, b, h0),
            atol=_ATOL,
            rtol=_RTOL,
            hint=diagnose(got, _scan_mistakes(a, b, h0), "h_1 = a h0 + 1, h_2 = a h_1 + 1."),
        )

    a = rng.uniform(0.3, 1.0, (3, 12, 4))
    b, h0 = rng.standard_normal((3, 12, 4)), rng.standard_normal((3, 4))
    originals = {"a": a.copy(), "b": b.copy(), "h0": h0.copy()}
    got = scan(a, b, h0)
    if report.judging:
        report.expect_shape("states", got, (3, 12, 4), layout="(batch, timesteps, units)")
        report.expect_close(
            "states for a random batch",
            got,
            lr.linear_scan(a, b, h0),
            atol=_ATOL,
            rtol=_RTOL,
            hint=diagnose(got, _scan_mistakes(a, b, h0), "compare with a loop on 3 steps."),
        )
        expect_unchanged(
            report, got, originals, {"a": a, "b": b, "h0": h0}, f"{scan.name}(a, b, h0)"
        )

    b = rng.standard_normal((2, 7, 1))
    got = scan(np.ones((2, 7, 1)), b, np.zeros((2, 1)))
    if report.judging:
        report.expect_close(
            "states for a = 1 (a running sum of b)",
            got,
            np.cumsum(b, axis=1),
            atol=_ATOL,
            rtol=_RTOL,
            hint=hint_for(got, "with a = 1 every P_t is 1 and h_t = cumsum(b)."),
        )
    report.finish()


# -- 9.3 -------------------------------------------------------------------------------------


def _kernel_mistakes(A, B, C, length):
    return [
        (
            "the first tap is C @ B (A to the power 0), not C @ A @ B.",
            lambda: lr.ssm_kernel(A, B, C, length + 1)[1:],
        ),
        (
            "multiply by A, not by its transpose: C @ A^k @ B.",
            lambda: lr.ssm_kernel(A.T, B, C, length),
        ),
        (
            "stack the taps along the first axis: (length, outputs, features).",
            lambda: np.moveaxis(lr.ssm_kernel(A, B, C, length), 0, -1),
        ),
    ]


def _stable_matrix(rng, n, radius):
    A = rng.standard_normal((n, n))
    return A * (radius / np.max(np.abs(np.linalg.eigvals(A))))


def check_ssm_kernel(ssm_kernel) -> None:
    """Exercise 9.3 (5 checks): `ssm_kernel(A, B, C, length) -> (length, outputs, features)`.

    Compares with `course_lib.linear_recurrences.ssm_kernel` for a scalar system, a
    random system (shape and values), and checks that convolving with the kernel gives
    the recurrence's outputs.
    """
    report = CheckReport("9.3")
    kernel_of = StudentFunction(report, ssm_kernel, "ssm_kernel")
    rng = report.rng(93)

    lam, b, c = rng.uniform(0.3, 0.9), rng.uniform(0.5, 2), rng.uniform(0.5, 2)
    A, B, C = np.array([[lam]]), np.array([[b]]), np.array([[c]])
    got = kernel_of(A.copy(), B.copy(), C.copy(), 5)
    if report.judging:
        report.expect_close(
            f"kernel of h_t = {lam:.3f} h_(t-1) + {b:.3f} u_t, y_t = {c:.3f} h_t",
            got,
            lr.ssm_kernel(A, B, C, 5),
            atol=_ATOL,
            rtol=_RTOL,
            hint=diagnose(got, _kernel_mistakes(A, B, C, 5), "tap k is c * lam**k * b."),
        )

    A = _stable_matrix(rng, 4, 0.9)
    B, C = rng.standard_normal((4, 2)), rng.standard_normal((3, 4))
    got = kernel_of(A.copy(), B.copy(), C.copy(), 6)
    if report.judging:
        report.expect_shape("kernel", got, (6, 3, 2), layout="(length, outputs, features)")
        report.expect_close(
            "kernel of a random system",
            got,
            lr.ssm_kernel(A, B, C, 6),
            atol=_ATOL,
            rtol=_RTOL,
            hint=diagnose(got, _kernel_mistakes(A, B, C, 6)),
        )

    A = _stable_matrix(rng, 3, 0.95)
    B, C = rng.standard_normal((3, 1)), rng.standard_normal((1, 3))
    u = rng.standard_normal((2, 30, 1))
    got = kernel_of(A.copy(), B.copy(), C.copy(), 30)
    if report.judging:
        try:
            outputs = lr.causal_fft_convolution(np.asarray(got, dtype=float), u)
        except Exception:
            outputs = got  # not an array of the right shape: expect_close explains it
        report.expect_close(
            "the outputs of a convolution with your kernel (30 taps)",
            outputs,
            lr.ssm_recurrence(A, B, C, u),
            atol=1e-6,
            rtol=1e-5,
            hint=hint_for(got, "y_t = sum_k kernel[k] @ u_(t-k) must equal the recurrence."),
        )
        report.expect_finite("kernel with 30 taps", got)
    report.finish()


# -- 9.4 -------------------------------------------------------------------------------------


def _pair(values):
    """Complex values as (real, imag) stacked on a new first axis, for `diagnose`."""
    if isinstance(values, CallFailed):
        return values
    try:
        values = np.asarray(values, dtype=complex)
    except Exception:
        return values
    return np.stack([values.real, values.imag])


def _eigenvalue_mistakes(nu_log, theta_log):
    return [(hint, lambda f=f: _pair(f())) for hint, f in _eigenvalue_formulas(nu_log, theta_log)]


def _eigenvalue_formulas(nu_log, theta_log):
    return [
        (
            "the modulus is exp(-exp(nu_log)): exponentiate nu_log first, then negate.",
            lambda: np.exp(-nu_log + 1j * np.exp(theta_log)),
        ),
        (
            "the phase is exp(theta_log), not theta_log.",
            lambda: np.exp(-np.exp(nu_log) + 1j * theta_log),
        ),
        (
            "keep the minus sign: lambda = exp(-exp(nu_log) + 1j * exp(theta_log)).",
            lambda: np.exp(np.exp(nu_log) + 1j * np.exp(theta_log)),
        ),
        (
            "the phase is the imaginary part of the exponent: multiply exp(theta_log) by 1j.",
            lambda: np.exp(-np.exp(nu_log)) + 1j * np.exp(theta_log),
        ),
    ]


def check_lru_eigenvalues(lru_eigenvalues) -> None:
    """Exercise 9.4 (4 checks): `lru_eigenvalues(nu_log, theta_log) -> complex (units,)`.

    Compares with `course_lib.linear_recurrences.lru_eigenvalues` for one eigenvalue and
    for random parameters, and checks that very large and very small parameters stay
    inside the unit circle.
    """
    report = CheckReport("9.4")
    eig = StudentFunction(report, lru_eigenvalues, "lru_eigenvalues")
    rng = report.rng(94)

    nu_log, theta_log = rng.uniform(-3, 0, 1), rng.uniform(-1, 1, 1)
    got = eig(nu_log, theta_log)
    if report.judging:
        report.expect_close(
            f"lru_eigenvalues([{nu_log[0]:.3f}], [{theta_log[0]:.3f}])",
            np.real(got) if np.iscomplexobj(got) else got,
            np.real(lr.lru_eigenvalues(nu_log, theta_log)),
            atol=_ATOL,
            rtol=_RTOL,
            hint=diagnose(_pair(got), _eigenvalue_mistakes(nu_log, theta_log)),
        )

    nu_log, theta_log = rng.uniform(-6, 1, 20), rng.uniform(-3, 1.5, 20)
    got = eig(nu_log, theta_log)
    if report.judging:
        expected = lr.lru_eigenvalues(nu_log, theta_log)
        report.expect_close(
            "real parts for 20 random parameters",
            np.real(got) if np.iscomplexobj(got) else got,
            expected.real,
            atol=_ATOL,
            rtol=_RTOL,
            hint=diagnose(_pair(got), _eigenvalue_mistakes(nu_log, theta_log)),
        )
        report.expect_close(
            "imaginary parts for 20 random parameters",
            np.imag(got) if np.iscomplexobj(got) else np.zeros(np.shape(got)),
            expected.imag,
            atol=_ATOL,
            rtol=_RTOL,
            hint=hint_for(got, "return a complex array: np.exp(... + 1j * ...)."),
        )

    nu_log = np.array([-12.0, -5.0, 0.0, 3.0])
    got = eig(nu_log, np.zeros(4))
    if report.judging:
        radius = np.abs(np.asarray(got, dtype=complex)) if np.size(got) == 4 else None
        report.expect(
            radius is not None and bool(np.all(radius < 1)),
            "every |lambda| must be below 1, whatever the parameters; for nu_log = "
            f"[-12, -5, 0, 3] got moduli {None if radius is None else np.round(radius, 6)}.",
            hint="|exp(-exp(nu) + i theta)| = exp(-exp(nu)) < 1 because exp(nu) > 0.",
        )
    report.finish()


# -- 9.5 -------------------------------------------------------------------------------------


def _gate_bias_mistakes(steps, kept):
    def logit(z):
        return np.log(z) - np.log1p(-z)

    per_step = kept ** (1.0 / steps)  # 1 - z
    return [
        (
            "z is the share of the new value, so the state keeps 1 - z per step: "
            "b = log(z / (1 - z)) with z = 1 - kept ** (1 / steps).",
            lambda: logit(per_step),
        ),
        (
            "the state keeps (1 - z) at every step, (1 - z) ** steps in all: "
            "1 - z = kept ** (1 / steps).",
            lambda: logit(1 - kept),
        ),
        (
            "return the bias b, not the gate z = sigmoid(b): b = log(z / (1 - z)).",
            lambda: 1 - per_step,
        ),
    ]


def check_gate_bias(gate_bias_for_memory) -> None:
    """Exercise 9.5 (4 checks): `gate_bias_for_memory(steps, kept) -> b`.

    Compares with `course_lib.linear_recurrences.gate_bias_for_memory` for one memory and
    for arrays (shape and values), and checks that a long memory (thousands of steps)
    gives a gate that really keeps the share asked for.
    """
    report = CheckReport("9.5")
    bias_for = StudentFunction(report, gate_bias_for_memory, "gate_bias_for_memory")
    rng = report.rng(95)

    steps, kept = int(rng.integers(20, 400)), float(10 ** rng.uniform(-5, -0.5))
    got = bias_for(steps, kept)
    if report.judging:
        report.expect_close(
            f"gate_bias_for_memory({steps}, {kept:.3g})",
            got,
            lr.gate_bias_for_memory(steps, kept),
            atol=_ATOL,
            rtol=_RTOL,
            hint=diagnose(
                got,
                _gate_bias_mistakes(steps, kept),
                "check that (1 - sigmoid(b)) ** steps gives back kept.",
            ),
        )

    steps = rng.integers(1, 300, size=6).astype(float)
    kept = rng.uniform(0.01, 0.9, size=6)
    got = bias_for(steps.copy(), kept.copy())
    if report.judging:
        report.expect_shape("biases for arrays", got, (6,), layout="(memories,)")
        report.expect_close(
            "biases for 6 memories at once (arrays in, an array out)",
            got,
            lr.gate_bias_for_memory(steps, kept),
            atol=_ATOL,
            rtol=_RTOL,
            hint=diagnose(got, _gate_bias_mistakes(steps, kept), "use NumPy, not math."),
        )

    steps, kept = int(rng.integers(5_000, 20_000)), float(rng.uniform(0.2, 0.8))
    got = bias_for(steps, kept)
    if report.judging:
        try:
            z = 1.0 / (1.0 + np.exp(-np.float64(got)))
            share = float((1.0 - z) ** steps)
        except Exception:
            share = None
        report.expect(
            share is not None and abs(share - kept) < 1e-6,
            f"with your bias for {steps} steps the state keeps {share} of itself over them; "
            f"{kept:.6f} was asked for.",
            hint=hint_for(got, "(1 - sigmoid(b)) ** steps must equal kept."),
        )
    report.finish()
