"""Linear recurrences h_t = a_t * h_{t-1} + b_t, and the models built on them.

A recurrence whose new state is a *linear* function of the old one can be computed for
all steps at once instead of one step after the other. This module holds the pieces of
Chapter 9 (From gates to linear recurrences), each a NumPy reference:

- the scan itself, three ways: `linear_scan` (the step-by-step loop, the reference),
  `linear_scan_cumsum` (closed form with cumulative products and sums) and
  `linear_scan_log_space` (the same in log space, stable for positive terms);
- minGRU and minLSTM (Feng et al., 2024), the GRU and LSTM with gates that read only
  the input: `min_gru_forward`, `min_lstm_forward` (the Keras layers are in
  `course_lib.mingru`), and `gate_bias_for_memory`, the update-gate bias that sets an
  untrained minGRU's memory (Chapter 9b);
- the diagonal linear recurrent unit of Orvieto et al. (2023): `lru_parameters`,
  `lru_eigenvalues`;
- the state-space view: a time-invariant recurrence is a convolution,
  `ssm_recurrence`, `ssm_kernel`, `causal_fft_convolution`.

Shapes follow Keras: sequences are `(batch, timesteps, features)`, states `(batch, units)`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.validation import as_array, check_float, check_int, describe

__all__ = [
    "causal_fft_convolution",
    "gate_bias_for_memory",
    "linear_scan",
    "linear_scan_cumsum",
    "linear_scan_log_space",
    "lru_eigenvalues",
    "lru_parameters",
    "min_gru_coefficients",
    "min_gru_forward",
    "min_lstm_coefficients",
    "min_lstm_forward",
    "ssm_kernel",
    "ssm_recurrence",
]

_SEQ = "(batch, timesteps, units)"


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * v))  # = 1 / (1 + exp(-v)), without overflow


def _coefficients(a: Any, b: Any, h0: Any, *, dtype: Any = np.float64):
    """Validate `a`, `b` (batch, timesteps, units) and `h0` (batch, units) of a scan."""
    a = as_array(a, "a", ndim=3, layout=_SEQ, dtype=dtype, finite=True)
    b = as_array(b, "b", ndim=3, layout=_SEQ, dtype=dtype, finite=True)
    if a.shape != b.shape:
        raise ValueError(
            f"`a` and `b` must have the same shape {_SEQ}; got {describe(a)} and {describe(b)}."
        )
    batch, _, units = a.shape
    if h0 is None:
        h0 = np.zeros((batch, units), dtype=a.dtype)
    else:
        h0 = as_array(h0, "h0", ndim=2, layout="(batch, units)", dtype=dtype, finite=True)
        if h0.shape != (batch, units):
            raise ValueError(
                f"`h0` must have shape ({batch}, {units}) (batch, units) to match `a`; "
                f"got {describe(h0)}."
            )
    return a, b, h0


def linear_scan(a: Any, b: Any, h0: Any = None) -> np.ndarray:
    """Run h_t = a_t * h_{t-1} + b_t step by step (elementwise): the reference scan.

    Args:
        a: decay factors, `(batch, timesteps, units)`; complex values are allowed (the
            LRU's eigenvalues).
        b: inputs of each step, same shape as `a`.
        h0: initial state `(batch, units)`. Defaults to zeros.

    Returns:
        Every state h_1 .. h_T, `(batch, timesteps, units)`.

    Example:
    >>> a = np.full((1, 3, 1), 0.5)
    >>> b = np.ones((1, 3, 1))
    >>> linear_scan(a, b)[0, :, 0].tolist()
    [1.0, 1.5, 1.75]

    Introduced in Chapter 9 (From gates to linear recurrences).
    """
    dtype = np.complex128 if np.iscomplexobj(a) or np.iscomplexobj(b) else np.float64
    a, b, h = _coefficients(a, b, h0, dtype=dtype)
    states = np.empty_like(b)  # (B, T, H)
    for t in range(a.shape[1]):
        h = a[:, t] * h + b[:, t]  # (B, H)
        states[:, t] = h
    return states


def linear_scan_cumsum(a: Any, b: Any, h0: Any = None) -> np.ndarray:
    """Compute every state of h_t = a_t * h_{t-1} + b_t at once, with cumulative sums.

    Unrolling the recurrence gives h_t = P_t * (h_0 + sum_{k<=t} b_k / P_k), with
    P_t = a_1 * ... * a_t = exp(cumsum(log a)). No loop over time: two cumulative sums.
    Dividing by P_k is the weak point: for long sequences with `a < 1` the products
    underflow and `b / P` overflows, which `linear_scan_log_space` avoids.

    Args:
        a: decay factors, `(batch, timesteps, units)`, strictly positive.
        b: inputs of each step, same shape as `a`.
        h0: initial state `(batch, units)`. Defaults to zeros.

    Returns:
        Every state h_1 .. h_T, `(batch, timesteps, units)`.

    Example:
    >>> a = np.full((1, 3, 1), 0.5)
    >>> b = np.ones((1, 3, 1))
    >>> np.round(linear_scan_cumsum(a, b)[0, :, 0], 12).tolist()
    [1.0, 1.5, 1.75]

    Introduced in Chapter 9 (From gates to linear recurrences).
    """
    a, b, h0 = _coefficients(a, b, h0)
    if np.any(a <= 0):
        raise ValueError("`a` must be strictly positive for the cumulative-sum form (log a).")
    log_p = np.cumsum(np.log(a), axis=1)  # log P_t, (B, T, H)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(log_p) * (h0[:, None, :] + np.cumsum(b * np.exp(-log_p), axis=1))


def linear_scan_log_space(log_a: Any, log_b: Any, log_h0: Any = None) -> np.ndarray:
    """The scan for positive terms in log space (Feng et al., 2024): log h_t for every t.

    With log P_t = cumsum(log a), log h_t = log P_t + logcumsumexp(log b_k - log P_k),
    the initial state entering as one more term. Sums of exponentials are taken with
    `np.logaddexp.accumulate`, which never overflows, so long sequences are safe.

    Args:
        log_a: log of the decay factors, `(batch, timesteps, units)`, at most 0.
        log_b: log of the (positive) inputs, same shape.
        log_h0: log of the (positive) initial state, `(batch, units)`. Defaults to an
            initial state of zero (log 0 = -inf).

    Returns:
        log h_1 .. log h_T, `(batch, timesteps, units)`.

    Example:
    >>> log_a = np.log(np.full((1, 3, 1), 0.5))
    >>> np.round(np.exp(linear_scan_log_space(log_a, np.zeros((1, 3, 1))))[0, :, 0], 12).tolist()
    [1.0, 1.5, 1.75]

    Introduced in Chapter 9 (From gates to linear recurrences).
    """
    log_a = as_array(log_a, "log_a", ndim=3, layout=_SEQ, finite=True)
    log_b = as_array(log_b, "log_b", ndim=3, layout=_SEQ)
    if log_b.shape != log_a.shape or np.any(np.isnan(log_b)) or np.any(log_b == np.inf):
        raise ValueError(
            f"`log_b` must be numbers or -inf of the shape of `log_a` {log_a.shape}; "
            f"got {describe(log_b)}."
        )
    batch, _, units = log_a.shape
    if log_h0 is None:
        log_h0 = np.full((batch, units), -np.inf)
    else:
        log_h0 = as_array(log_h0, "log_h0", ndim=2, layout="(batch, units)")
        if log_h0.shape != (batch, units) or np.any(np.isnan(log_h0)):
            raise ValueError(
                f"`log_h0` must have shape ({batch}, {units}) (batch, units); "
                f"got {describe(log_h0)}."
            )
    log_p = np.cumsum(log_a, axis=1)  # (B, T, H)
    terms = np.concatenate([log_h0[:, None, :], log_b - log_p], axis=1)  # (B, T + 1, H)
    return log_p + np.logaddexp.accumulate(terms, axis=1)[:, 1:]


# -- minGRU and minLSTM (Feng et al., 2024) --------------------------------------------------


def _projection(x: Any, kernel: Any, bias: Any, blocks: int, layout: str) -> np.ndarray:
    x = as_array(x, "x", ndim=3, layout="(batch, timesteps, features)", finite=True)
    kernel = as_array(kernel, "kernel", ndim=2, layout=f"(features, {layout})", finite=True)
    if kernel.shape[0] != x.shape[2] or kernel.shape[1] % blocks:
        raise ValueError(
            f"`kernel` must have shape ({x.shape[2]}, {blocks} * units) (features, {layout}) "
            f"for `x` with {x.shape[2]} features; got {describe(kernel)}."
        )
    bias = as_array(bias, "bias", ndim=1, layout=f"({layout},)", finite=True)
    if bias.shape != (kernel.shape[1],):
        raise ValueError(
            f"`bias` must have shape ({kernel.shape[1]},) to match `kernel`; got {describe(bias)}."
        )
    return x @ kernel + bias  # (B, T, F) @ (F, k H) -> (B, T, k H)


def min_gru_coefficients(x: Any, kernel: Any, bias: Any) -> tuple[np.ndarray, np.ndarray]:
    """The scan coefficients of minGRU: h_t = (1 - z_t) * h_{t-1} + z_t * candidate_t.

    z_t = sigmoid(x_t W_z + b_z) and candidate_t = x_t W_h + b_h read only x_t, so
    a_t = 1 - z_t and b_t = z_t * candidate_t are known for every step before the scan.

    Args:
        x: inputs `(batch, timesteps, features)`.
        kernel: `(features, 2 * units)`, blocks z then h (candidate).
        bias: `(2 * units,)`.

    Returns:
        `(a, b)`, each `(batch, timesteps, units)`.

    Introduced in Chapter 9 (From gates to linear recurrences).
    """
    proj = _projection(x, kernel, bias, 2, "2 * units")  # (B, T, 2H)
    pre_z, candidate = np.split(proj, 2, axis=-1)  # (B, T, H) each
    z = _sigmoid(pre_z)
    return 1.0 - z, z * candidate


def min_lstm_coefficients(x: Any, kernel: Any, bias: Any) -> tuple[np.ndarray, np.ndarray]:
    """The scan coefficients of minLSTM: h_t = f'_t * h_{t-1} + i'_t * candidate_t.

    f_t = sigmoid(x_t W_f + b_f), i_t = sigmoid(x_t W_i + b_i), candidate_t = x_t W_h + b_h,
    normalised as f'_t = f_t / (f_t + i_t) and i'_t = i_t / (f_t + i_t).

    Args:
        x: inputs `(batch, timesteps, features)`.
        kernel: `(features, 3 * units)`, blocks f, i, h (candidate).
        bias: `(3 * units,)`.

    Returns:
        `(a, b)`, each `(batch, timesteps, units)`.

    Introduced in Chapter 9 (From gates to linear recurrences).
    """
    proj = _projection(x, kernel, bias, 3, "3 * units")  # (B, T, 3H)
    pre_f, pre_i, candidate = np.split(proj, 3, axis=-1)  # (B, T, H) each
    f, i = _sigmoid(pre_f), _sigmoid(pre_i)
    return f / (f + i), i / (f + i) * candidate


def _forward(coefficients, x, kernel, bias, h0, return_sequences):
    a, b = coefficients(x, kernel, bias)
    states = linear_scan(a, b, h0)  # (B, T, H)
    return states if return_sequences else states[:, -1]


def min_gru_forward(
    x: Any, kernel: Any, bias: Any, h0: Any = None, *, return_sequences: bool = False
) -> np.ndarray:
    """minGRU over a sequence, step by step in NumPy (the reference of `mingru.MinGRU`).

    Args:
        x: inputs `(batch, timesteps, features)`.
        kernel: `(features, 2 * units)`, blocks z then h.
        bias: `(2 * units,)`.
        h0: initial state `(batch, units)`. Defaults to zeros.
        return_sequences: return every state instead of the last. Defaults to `False`.

    Returns:
        `(batch, units)`, or `(batch, timesteps, units)` with `return_sequences=True`.

    Example:
    >>> x = np.ones((2, 5, 3))
    >>> min_gru_forward(x, np.zeros((3, 8)), np.zeros(8)).shape
    (2, 4)

    Introduced in Chapter 9 (From gates to linear recurrences).
    """
    return _forward(min_gru_coefficients, x, kernel, bias, h0, return_sequences)


def min_lstm_forward(
    x: Any, kernel: Any, bias: Any, h0: Any = None, *, return_sequences: bool = False
) -> np.ndarray:
    """minLSTM over a sequence, step by step in NumPy (the reference of `mingru.MinLSTM`).

    Args:
        x: inputs `(batch, timesteps, features)`.
        kernel: `(features, 3 * units)`, blocks f, i, h.
        bias: `(3 * units,)`.
        h0: initial state `(batch, units)`. Defaults to zeros.
        return_sequences: return every state instead of the last. Defaults to `False`.

    Returns:
        `(batch, units)`, or `(batch, timesteps, units)` with `return_sequences=True`.

    Introduced in Chapter 9 (From gates to linear recurrences).
    """
    return _forward(min_lstm_coefficients, x, kernel, bias, h0, return_sequences)


def gate_bias_for_memory(steps: Any, kept: Any) -> Any:
    """The update-gate bias with which a minGRU keeps `kept` of its state over `steps` steps.

    With z = sigmoid(b) at every step (an untrained layer, whose kernel is small), the
    state keeps 1 - z of itself per step and (1 - z) ** steps over `steps` steps. Solving
    (1 - z) ** steps = kept gives 1 - z = kept ** (1 / steps) and b = log(z / (1 - z)),
    computed here with `expm1` so that long memories (z close to 0) stay accurate.

    Args:
        steps: number of steps, at least 1; a number or an array.
        kept: the share of the state left after them, in (0, 1); a number or an array
            that broadcasts with `steps`.

    Returns:
        The bias, a float, or an array of the broadcast shape.

    Example:
    >>> round(float(gate_bias_for_memory(150, 1e-3)), 2)  # MinGRU(gate_bias=-3.0) in Chapter 9b
    -3.05

    Introduced in Chapter 9b (Long memory without a loop).
    """
    steps = as_array(steps, "steps", finite=True)
    kept = as_array(kept, "kept", finite=True)
    if np.any(steps < 1):
        raise ValueError(f"`steps` must be at least 1; got {steps.min():g}.")
    if np.any((kept <= 0) | (kept >= 1)):
        bad = kept[(kept <= 0) | (kept >= 1)].ravel()[0]
        raise ValueError(f"`kept` must be in (0, 1); got {bad:g}.")
    log_keep = np.log(kept) / steps  # log(1 - z), per step
    bias = np.log(-np.expm1(log_keep)) - log_keep  # log(z) - log(1 - z)
    return float(bias) if bias.ndim == 0 else bias


# -- The linear recurrent unit (Orvieto et al., 2023) --------------------------------------


def lru_parameters(
    units: int,
    *,
    r_min: float = 0.9,
    r_max: float = 0.999,
    max_phase: float = 2 * np.pi,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw the LRU's eigenvalues uniformly on a ring and return their log-parameters.

    The eigenvalues lambda = exp(-exp(nu_log) + i exp(theta_log)) are drawn uniformly
    (by area) on the ring r_min <= |lambda| <= r_max with phases in [0, max_phase). The
    exponential parametrisation keeps |lambda| = exp(-exp(nu_log)) below 1 for any
    real nu_log, so gradient steps can never make the recurrence unstable.

    Args:
        units: number of (complex) eigenvalues.
        r_min: smallest modulus, in (0, 1). Defaults to `0.9`.
        r_max: largest modulus, in (r_min, 1). Defaults to `0.999`.
        max_phase: largest phase in radians. Defaults to `2 * pi`.
        seed: seed of `np.random.default_rng`. Defaults to `0`.

    Returns:
        `(nu_log, theta_log)`, each `(units,)`.

    Example:
    >>> nu_log, theta_log = lru_parameters(64, r_min=0.5, r_max=0.8)
    >>> radii = np.abs(lru_eigenvalues(nu_log, theta_log))
    >>> bool(radii.min() >= 0.5 and radii.max() <= 0.8)
    True

    Introduced in Chapter 9 (From gates to linear recurrences).
    """
    units = check_int(units, "units", minimum=1)
    r_min = check_float(r_min, "r_min", minimum=0.0, maximum=1.0, inclusive=False)
    r_max = check_float(r_max, "r_max", minimum=r_min, maximum=1.0, inclusive=False)
    max_phase = check_float(max_phase, "max_phase", minimum=0.0, inclusive=False)
    seed = check_int(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    u1, u2 = rng.random(units), rng.random(units)
    radius = np.sqrt(u1 * (r_max**2 - r_min**2) + r_min**2)  # uniform by area on the ring
    nu_log = np.log(-np.log(radius))
    theta_log = np.log(max_phase * u2 + 1e-12)
    return nu_log, theta_log


def lru_eigenvalues(nu_log: Any, theta_log: Any) -> np.ndarray:
    """The LRU's diagonal: lambda = exp(-exp(nu_log) + i exp(theta_log)).

    Args:
        nu_log: `(units,)`, log of minus the log-modulus.
        theta_log: `(units,)`, log of the phase.

    Returns:
        Complex `(units,)`, every value strictly inside the unit circle.

    Introduced in Chapter 9 (From gates to linear recurrences).
    """
    nu_log = as_array(nu_log, "nu_log", ndim=1, layout="(units,)", finite=True)
    theta_log = as_array(theta_log, "theta_log", ndim=1, layout="(units,)", finite=True)
    if nu_log.shape != theta_log.shape:
        raise ValueError(
            f"`theta_log` must have the shape of `nu_log` {nu_log.shape}; "
            f"got {describe(theta_log)}."
        )
    return np.exp(-np.exp(nu_log) + 1j * np.exp(theta_log))


# -- The state-space view ------------------------------------------------------------------


def _ssm_matrices(A: Any, B: Any, C: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    A = as_array(A, "A", ndim=2, layout="(state, state)", finite=True)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"`A` must be square (state, state); got {describe(A)}.")
    B = as_array(B, "B", ndim=2, layout="(state, features)", finite=True)
    if B.shape[0] != A.shape[0]:
        raise ValueError(
            f"`B` must have {A.shape[0]} rows (state, features) to match `A`; got {describe(B)}."
        )
    C = as_array(C, "C", ndim=2, layout="(outputs, state)", finite=True)
    if C.shape[1] != A.shape[0]:
        raise ValueError(
            f"`C` must have {A.shape[0]} columns (outputs, state) to match `A`; got {describe(C)}."
        )
    return A, B, C


def ssm_recurrence(A: Any, B: Any, C: Any, u: Any) -> np.ndarray:
    """Run the time-invariant state-space model h_t = A h_{t-1} + B u_t, y_t = C h_t.

    The state starts at zero. Keras's row-vector layout: `h @ A.T`, `u @ B.T`.

    Args:
        A: state matrix `(state, state)`.
        B: input matrix `(state, features)`.
        C: output matrix `(outputs, state)`.
        u: inputs `(batch, timesteps, features)`.

    Returns:
        Outputs y_1 .. y_T, `(batch, timesteps, outputs)`.

    Introduced in Chapter 9 (From gates to linear recurrences).
    """
    A, B, C = _ssm_matrices(A, B, C)
    u = as_array(u, "u", ndim=3, layout="(batch, timesteps, features)", finite=True)
    if u.shape[2] != B.shape[1]:
        raise ValueError(f"`u` must have {B.shape[1]} features to match `B`; got {describe(u)}.")
    h = np.zeros((u.shape[0], A.shape[0]))  # (batch, state)
    outputs = np.empty((u.shape[0], u.shape[1], C.shape[0]))  # (B, T, outputs)
    for t in range(u.shape[1]):
        h = h @ A.T + u[:, t] @ B.T  # (batch, state)
        outputs[:, t] = h @ C.T  # (batch, outputs)
    return outputs


def ssm_kernel(A: Any, B: Any, C: Any, length: int) -> np.ndarray:
    """The convolution kernel of a time-invariant state-space model: C A^k B, k = 0, 1, ...

    Unrolling h_t = A h_{t-1} + B u_t from h_0 = 0 gives y_t = sum_k C A^k B u_{t-k}: the
    model is a causal convolution of the input with this kernel.

    Args:
        A: state matrix `(state, state)`.
        B: input matrix `(state, features)`.
        C: output matrix `(outputs, state)`.
        length: number of kernel taps (usually the sequence length), at least 1.

    Returns:
        `(length, outputs, features)`: `kernel[k] = C @ A^k @ B`.

    Example:
    >>> ssm_kernel([[0.5]], [[1.0]], [[2.0]], 4)[:, 0, 0].tolist()
    [2.0, 1.0, 0.5, 0.25]

    Introduced in Chapter 9 (From gates to linear recurrences).
    """
    A, B, C = _ssm_matrices(A, B, C)
    length = check_int(length, "length", minimum=1)
    taps = np.empty((length, C.shape[0], B.shape[1]))
    power_b = B  # A^k B, (state, features)
    for k in range(length):
        taps[k] = C @ power_b  # (outputs, features)
        power_b = A @ power_b
    return taps


def causal_fft_convolution(kernel: Any, u: Any) -> np.ndarray:
    """Causal convolution y_t = sum_k kernel[k] @ u_{t-k}, computed with the FFT.

    Zero-padding both signals to length 2T before the FFT turns the FFT's circular
    convolution into the ordinary (linear) one; the first T outputs are the causal ones.
    Cost O(T log T) instead of the O(T^2) of the direct sum.

    Args:
        kernel: `(taps, outputs, features)`, e.g. from `ssm_kernel`; taps beyond the
            sequence length are ignored.
        u: inputs `(batch, timesteps, features)`.

    Returns:
        `(batch, timesteps, outputs)`.

    Introduced in Chapter 9 (From gates to linear recurrences).
    """
    kernel = as_array(kernel, "kernel", ndim=3, layout="(taps, outputs, features)", finite=True)
    u = as_array(u, "u", ndim=3, layout="(batch, timesteps, features)", finite=True)
    if u.shape[2] != kernel.shape[2]:
        raise ValueError(
            f"`u` must have {kernel.shape[2]} features to match `kernel`; got {describe(u)}."
        )
    timesteps = u.shape[1]
    kernel = kernel[:timesteps]
    n = 2 * timesteps
    k_hat = np.fft.rfft(kernel, n=n, axis=0)  # (n//2+1, outputs, features)
    u_hat = np.fft.rfft(u, n=n, axis=1)  # (B, n//2+1, features)
    y_hat = np.einsum("kof,bkf->bko", k_hat, u_hat)  # (B, n//2+1, outputs)
    return np.fft.irfft(y_hat, n=n, axis=1)[:, :timesteps]  # (B, T, outputs)
