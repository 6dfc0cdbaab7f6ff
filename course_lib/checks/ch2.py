"""Checks of the exercises of Chapter 2 (Training through time; vanishing and exploding gradients).

- 2.1 `check_bptt(bptt_state_gradients)`: backpropagation through time by hand.
- 2.2 `check_input_gradient_norms(input_gradient_norms)`: per-step gradient norms with
  `tf.GradientTape`.
- 2.3 `check_vanishing_horizon(vanishing_horizon)`: how far back a gradient reaches.
- 2.4 `check_spectral_radius(with_spectral_radius)`: rescale a recurrent kernel.
- 2.5 `check_growth_per_step(growth_per_step)`: the growth rate of gradient norms.

References: a NumPy BPTT (tested against `tf.GradientTape`) and
`course_lib.gradients.hidden_state_gradient_norms`.

Introduced in Chapter 2 (Training through time; vanishing and exploding gradients).
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
    seed_everything,
)
from course_lib.checks.report import CallFailed, CheckReport
from course_lib.validation import describe

__all__ = [
    "bptt_reference",
    "check_bptt",
    "check_growth_per_step",
    "check_input_gradient_norms",
    "check_spectral_radius",
    "check_vanishing_horizon",
    "linear_rnn_gradient_norms",
]

_ATOL, _RTOL = 1e-6, 1e-5


# -- 2.1 -------------------------------------------------------------------------------------


def bptt_reference(
    h_seq: np.ndarray, recurrent_kernel: np.ndarray, grad_last: np.ndarray
) -> np.ndarray:
    """dL/dh_t for every t of a tanh SimpleRNN whose loss depends on h_T only.

    `dL/dh_{t-1} = (dL/dh_t * (1 - h_t**2)) @ recurrent_kernel.T`, from `dL/dh_T = grad_last`.

    Args:
        h_seq: hidden states h_1 .. h_T, (batch, timesteps, units).
        recurrent_kernel: U, (units, units), Keras layout (h_t = tanh(x W + h_{t-1} U + b)).
        grad_last: dL/dh_T, (batch, units).

    Returns:
        (batch, timesteps, units): dL/dh_t for t = 1 .. T.

    Introduced in Chapter 2 (Training through time; vanishing and exploding gradients).
    """
    timesteps = h_seq.shape[1]
    grads = [grad_last]
    g = grad_last  # (B, H)
    for t in range(timesteps - 1, 0, -1):  # from dL/dh_t to dL/dh_{t-1}
        g = (g * (1.0 - h_seq[:, t] ** 2)) @ recurrent_kernel.T  # (B, H) @ (H, H) -> (B, H)
        grads.append(g)
    return np.stack(grads[::-1], axis=1)  # (B, T, H)


def _bptt_case(seed: int, batch: int, timesteps: int, units: int, scale: float):
    w = cell_weights(seed, features=2, units=units, scale=scale)
    rng = np.random.default_rng(seed + 1)
    x = rng.standard_normal((batch, timesteps, 2))
    h_seq = cells.simple_rnn_forward(x, **w, return_sequences=True)  # (B, T, H)
    grad_last = rng.standard_normal((batch, units))
    return h_seq, w["recurrent_kernel"], grad_last


def _bptt_mistakes(h_seq, U, g):
    def run(jacobian, shift=0):
        grads, current = [g], g
        for t in range(h_seq.shape[1] - 1, 0, -1):
            current = jacobian(current, h_seq[:, t - shift])
            grads.append(current)
        return np.stack(grads[::-1], axis=1)

    return [
        (
            "the Jacobian dh_t/dh_{t-1} is diag(1 - h_t**2) U^T: multiply by "
            "recurrent_kernel.T (h @ U in the forward pass becomes g @ U.T backwards).",
            lambda: run(lambda g_, h: (g_ * (1 - h**2)) @ U),
        ),
        (
            "multiply by the tanh derivative 1 - h_t**2 before the matrix product.",
            lambda: run(lambda g_, h: g_ @ U.T),
        ),
        (
            "the tanh derivative is taken at the later state h_t, the one that step computed, "
            "not at h_{t-1}.",
            lambda: run(lambda g_, h: (g_ * (1 - h**2)) @ U.T, shift=1),
        ),
        (
            "the tanh derivative is 1 - h**2 (h is already tanh of something), not 1 - tanh(h)**2.",
            lambda: run(lambda g_, h: (g_ * (1 - np.tanh(h) ** 2)) @ U.T),
        ),
        (
            "store the gradients in time order: result[:, t - 1] is dL/dh_t, so the last "
            "entry is grad_last.",
            lambda: bptt_reference(h_seq, U, g)[:, ::-1],
        ),
    ]


def check_bptt(bptt_state_gradients) -> None:
    """Exercise 2.1 (6 checks): `bptt_state_gradients(h_seq, recurrent_kernel, grad_last)`.

    Compares with `bptt_reference` (itself tested against `tf.GradientTape`) on three
    sequences, including a single time step.
    """
    report = CheckReport("2.1", atol=_ATOL, rtol=_RTOL)
    bptt = StudentFunction(report, bptt_state_gradients, "bptt_state_gradients")

    h_seq, U, g = _bptt_case(report.seed(41), batch=2, timesteps=5, units=3, scale=0.8)
    originals = {"h_seq": h_seq.copy(), "recurrent_kernel": U.copy(), "grad_last": g.copy()}
    got = bptt(h_seq, U, g)
    if report.judging:
        h0, U0, g0 = originals.values()
        report.expect_shape(
            "gradients for h_seq (2, 5, 3)",
            got,
            (2, 5, 3),
            layout="(batch, timesteps, units)",
            hint=hint_for(got, "one gradient (batch, units) per time step, stacked with axis=1."),
        )
        last_ok = not isinstance(got, CallFailed) and np.shape(got) == (2, 5, 3)
        report.expect_close(
            "gradients[:, -1] (dL/dh_T)",
            np.asarray(got)[:, -1] if last_ok else got,
            g0,
            hint="the last entry is grad_last itself: the loss depends on h_T directly.",
        )
        report.expect_close(
            "dL/dh_t for a sequence of 5 steps",
            got,
            bptt_reference(h0, U0, g0),
            hint=diagnose(got, _bptt_mistakes(h0, U0, g0), "go from t = T down to 2."),
        )
        expect_unchanged(
            report,
            got,
            originals,
            {"h_seq": h_seq, "recurrent_kernel": U, "grad_last": g},
            f"{bptt.name}(h_seq, recurrent_kernel, grad_last)",
        )

    h_seq, U, g = _bptt_case(report.seed(43), batch=1, timesteps=12, units=4, scale=1.5)
    got = bptt(h_seq.copy(), U.copy(), g.copy())
    if report.judging:
        report.expect_close(
            "dL/dh_t for 12 steps with large weights",
            got,
            bptt_reference(h_seq, U, g),
            hint=diagnose(got, _bptt_mistakes(h_seq, U, g), "go from t = T down to 2."),
        )

    h_seq, U, g = _bptt_case(report.seed(45), batch=3, timesteps=1, units=2, scale=0.5)
    got = bptt(h_seq.copy(), U.copy(), g.copy())
    if report.judging:
        report.expect_close(
            "dL/dh_t for a single time step (3, 1, 2)",
            got,
            g[:, None, :],
            hint="with one step there is nothing to propagate: return grad_last as "
            "(batch, 1, units).",
        )
    report.finish()


# -- 2.2 -------------------------------------------------------------------------------------


def _gradient_models(rng: np.random.Generator):
    """Two small untrained models (SimpleRNN and LSTM), weights and data drawn from `rng`."""
    import keras

    simple = keras.Sequential(
        [keras.Input((15, 2)), keras.layers.SimpleRNN(8), keras.layers.Dense(1)]
    )
    lstm = keras.Sequential(
        [
            keras.Input((10, 3)),
            keras.layers.LSTM(6, return_sequences=True),
            keras.layers.LSTM(4),
            keras.layers.Dense(2),
        ]
    )
    cases = []
    for label, model, batch in (
        ("a SimpleRNN(8) model, X (4, 15, 2)", simple, 4),
        ("a 2-layer LSTM model, X (3, 10, 3)", lstm, 3),
    ):
        model.set_weights(
            [(0.4 * rng.standard_normal(w.shape)).astype("float32") for w in model.get_weights()]
        )
        X = rng.standard_normal((batch, *model.input_shape[1:])).astype("float32")
        y = rng.standard_normal((batch, model.output_shape[-1])).astype("float32")
        cases.append((label, model, X, y))
    return cases


def check_input_gradient_norms(input_gradient_norms) -> None:
    """Exercise 2.2 (5 checks): `input_gradient_norms(model, X, y)` with `tf.GradientTape`.

    Compares with `course_lib.gradients.hidden_state_gradient_norms(..., wrt="inputs")`
    on an untrained SimpleRNN model and a two-layer LSTM model with random weights.
    """
    from course_lib.gradients import hidden_state_gradient_norms

    report = CheckReport("2.2", atol=1e-5, rtol=1e-3)
    norms_of = StudentFunction(report, input_gradient_norms, "input_gradient_norms")
    seed_everything(report.seed(5))
    for index, (label, model, X, y) in enumerate(_gradient_models(report.rng(5))):
        got = norms_of(model, X.copy(), y.copy())
        if not report.judging:
            continue
        expected = hidden_state_gradient_norms(model, X, y, wrt="inputs")
        batch, timesteps = X.shape[:2]
        if index == 0:
            shape_hint = "average the norms over the batch: one number per time step."
            if np.shape(got) == (batch, timesteps):
                shape_hint = "average over the batch axis (axis 0) to get (timesteps,)."
            report.expect_shape(
                f"norms for {label}",
                got,
                (timesteps,),
                layout="(timesteps,)",
                hint=hint_for(got, shape_hint),
            )
            if isinstance(got, CallFailed):
                report.not_checked("norms >= 0", got)
            else:
                report.expect(
                    lambda g=got: bool(np.all(np.asarray(g, dtype=float) >= 0)),
                    f"gradient norms must be >= 0; got {got!r:.80}.",
                    hint="a norm is sqrt(sum of squares) over the features axis.",
                )
        hint = diagnose(
            got,
            [
                (
                    "each sequence has its own loss: sum the per-sample losses over the batch "
                    "(e.g. keras.losses.mean_squared_error(y, y_pred) is (batch,); use "
                    "tf.reduce_sum), do not average them.",
                    lambda e=expected, b=batch: e / b,
                ),
            ],
            "watch X with tape.watch (or pass a tf.Variable), compute "
            "tape.gradient(loss, X) of shape (batch, timesteps, features), take the norm over "
            "features and the mean over the batch.",
        )
        report.expect_close(f"norms for {label}", got, expected, hint=hint)
        if index == 1:
            report.expect_finite(f"norms for {label}", got)
    report.finish()


# -- 2.3 -------------------------------------------------------------------------------------


def _is_int(value, number: int) -> bool:
    """Whether `value` is the integer `number` (a Python or NumPy int, not a bool)."""
    return (
        isinstance(value, int | np.integer) and not isinstance(value, bool) and int(value) == number
    )


def _horizon_reference(norms: np.ndarray, ratio: float) -> int | None:
    last = norms[-1]
    for k in range(1, len(norms)):
        if norms[-1 - k] < ratio * last:
            return k
    return None


def linear_rnn_gradient_norms(recurrent_kernel: np.ndarray, timesteps: int) -> np.ndarray:
    """||dL/dh_t|| for t = 1 .. T of a linear RNN with dL/dh_T = (1, 1, ..., 1) / sqrt(units).

    For a linear RNN h_t = x_t W + h_{t-1} U the gradient goes back through
    `dL/dh_{t-1} = dL/dh_t @ U.T`, so its size changes by about the spectral radius of U per
    step.

    Args:
        recurrent_kernel: U, (units, units).
        timesteps: T.

    Returns:
        (timesteps,) norms, the last one 1.

    Introduced in Chapter 2 (Training through time; vanishing and exploding gradients).
    """
    units = recurrent_kernel.shape[0]
    g = np.ones(units) / np.sqrt(units)  # (H,)
    norms = [1.0]
    for _ in range(timesteps - 1):
        g = g @ recurrent_kernel.T  # (H,) @ (H, H) -> (H,)
        norms.append(float(np.linalg.norm(g)))
    return np.array(norms[::-1])


def _horizon_cases(rng: np.random.Generator) -> list[tuple[str, np.ndarray, dict, int | None]]:
    """Norm profiles `(label, norms, kwargs, expected)`: shrinking, growing, a sudden drop,
    a norm exactly at the threshold, and the norms of a linear RNN."""
    T = int(rng.integers(16, 26))
    base = round(float(rng.uniform(0.4, 0.6)), 3)
    shrinking = base ** np.arange(T - 1, -1, -1.0)  # norms[-1] = 1, one step back `base`, ...
    growth = round(float(rng.uniform(1.5, 2.5)), 3)
    growing = growth ** np.arange(T, 0, -1.0) / growth**T
    drop = np.array([rng.uniform(0.5, 2), rng.uniform(0.5, 2), 1e-5, rng.uniform(0.5, 2)])
    last = 2.0 ** int(rng.integers(-2, 4))  # a power of two: ratio * last is exact
    exact = np.array([1e-4 * last / 2, 1e-3 * last, rng.uniform(0.3, 0.9) * last, last])
    a = round(float(rng.uniform(0.6, 0.8)), 3)
    linear = linear_rnn_gradient_norms(a * np.eye(3), 40)
    cases = [
        (f"shrinking norms {base:g}**(T - t), T = {T}", shrinking, {}, 1e-3),
        (f"shrinking norms {base:g}**(T - t) with ratio=0.1", shrinking, {"ratio": 0.1}, 0.1),
        ("growing norms (exploding gradients)", growing, {}, 1e-3),
        ("a drop right before the last step", drop, {}, 1e-3),
        ("a norm exactly at ratio * norms[-1]", exact, {"ratio": 1e-3}, 1e-3),
        (f"norms of a linear RNN with U = {a:g} I, T = 40", linear, {"ratio": 1e-3}, 1e-3),
    ]
    return [(label, n, kw, _horizon_reference(n, ratio)) for label, n, kw, ratio in cases]


def check_vanishing_horizon(vanishing_horizon) -> None:
    """Exercise 2.3 (6 checks): `vanishing_horizon(norms, ratio=1e-3)`.

    Drawn norm profiles (shrinking, growing, a sudden drop, a value exactly at the
    threshold) and the norms of a linear RNN.
    """
    report = CheckReport("2.3")
    horizon = StudentFunction(report, vanishing_horizon, "vanishing_horizon")
    for label, norms, kwargs, expected in _horizon_cases(report.rng(51)):
        got = horizon(norms.copy(), **kwargs)
        if not report.judging:
            continue
        if isinstance(got, CallFailed):
            report.expect_equal(label, got, expected)
            continue
        hint = "k = 1 is the step just before the last one: compare norms[-1 - k] with ratio * norms[-1]."
        T = len(norms)
        if label.startswith("a norm exactly"):
            hint = "'below' means strictly smaller: norms[-1 - k] < ratio * norms[-1]."
        elif expected is None:
            hint = "return None when no earlier step falls below ratio * norms[-1]."
        elif _is_int(got, T - 1 - expected):
            hint = "return how many steps back from the last step (k), not the array index."
        elif _is_int(got, expected - 1):
            hint = "the step right before the last one is k = 1, not 0 (off by one)."
        ok = (got is None and expected is None) or (expected is not None and _is_int(got, expected))
        report.expect(
            ok,
            f"`{horizon.name}` for {label}: expected {expected!r}, got {got!r}.",
            hint=hint,
        )
    report.finish()


# -- 2.4 -------------------------------------------------------------------------------------


def _spectral_radius(matrix: np.ndarray) -> float:
    return float(np.max(np.abs(np.linalg.eigvals(matrix))))


def _spectral_radius_or_none(got):
    """The spectral radius of the student's matrix; the CallFailed itself; None if impossible."""
    if isinstance(got, CallFailed):
        return got
    try:
        return _spectral_radius(np.asarray(got, dtype=float))
    except Exception:
        return None


def check_spectral_radius(with_spectral_radius) -> None:
    """Exercise 2.4 (6 checks): `with_spectral_radius(recurrent_kernel, rho)`.

    The result must have spectral radius `rho` (largest |eigenvalue|) and be a positive
    multiple of the input, for random, symmetric and non-normal matrices.
    """
    report = CheckReport("2.4", atol=1e-8, rtol=1e-6)
    rescale = StudentFunction(report, with_spectral_radius, "with_spectral_radius")
    rng = report.rng(61)
    rhos = np.round(rng.uniform(0.3, 1.8, size=4), 1)
    upper = np.triu(rng.uniform(2.0, 5.0, size=(3, 3)), 1)
    non_normal = upper + np.diag(np.round(rng.uniform(-0.6, 0.6, size=3), 1))
    cases = [
        ("a random 6 x 6 matrix (complex eigenvalues)", rng.standard_normal((6, 6)), rhos[0]),
        ("a random 4 x 4 matrix", rng.standard_normal((4, 4)), rhos[1]),
        ("a symmetric 5 x 5 matrix", (lambda a: a + a.T)(rng.standard_normal((5, 5))), rhos[2]),
        ("a non-normal 3 x 3 matrix", non_normal, rhos[3]),
    ]
    for index, (label, U, rho) in enumerate(cases):
        rho = float(rho)
        original = U.copy()
        got = rescale(U, rho)
        if not report.judging:
            continue
        hint = diagnose(
            got,
            [
                (
                    "the spectral radius is the largest |eigenvalue| (np.linalg.eigvals), not "
                    "the largest singular value (np.linalg.norm(U, 2)).",
                    lambda U=original, rho=rho: U * rho / np.linalg.norm(U, 2),
                ),
                (
                    "take the absolute value of the (possibly complex) eigenvalues before "
                    "the maximum.",
                    lambda U=original, rho=rho: U * rho / np.max(np.real(np.linalg.eigvals(U))),
                ),
                (
                    "multiply U by rho / (its spectral radius), not the other way round.",
                    lambda U=original, rho=rho: U * _spectral_radius(U) / rho,
                ),
            ],
            "scale U by rho / max(abs(np.linalg.eigvals(U))).",
        )
        label = f"spectral radius of {rescale.name}(U, {rho:g}) for {label}"
        radius = _spectral_radius_or_none(got)
        if radius is None:
            report.expect(
                False,
                f"`{label}`: {rescale.name} should return a square matrix like U "
                f"{U.shape}; got {describe(got)}.",
                hint="return recurrent_kernel * factor, an array of the same shape.",
            )
        else:
            report.expect_close(label, radius, rho, hint=hint)
        if index == 0:
            report.expect_close(
                f"{rescale.name}(U, {rho:g}) (a positive multiple of U)",
                got,
                original * rho / _spectral_radius(original),
                hint="only rescale U: every entry is multiplied by the same positive number.",
            )
            expect_unchanged(report, got, {"U": original}, {"U": U}, f"{rescale.name}(U, rho)")
    report.finish()


# -- 2.5 -------------------------------------------------------------------------------------


def _growth_reference(norms: np.ndarray) -> float:
    steps = np.arange(1, len(norms) + 1)
    slope, _ = np.polyfit(steps, np.log(norms), 1)
    return float(np.exp(-slope))


def check_growth_per_step(growth_per_step) -> None:
    """Exercise 2.5 (5 checks): `growth_per_step(norms)` from a least-squares fit of log norms.

    Exact geometric profiles (one shrinking, one growing), a noisy profile, and the norms
    of linear RNNs whose recurrent kernel has spectral radius 0.8 and 1.1: the growth
    must match the radius.
    """
    report = CheckReport("2.5")
    growth = StudentFunction(report, growth_per_step, "growth_per_step")
    rng = report.rng(71)
    shrink = round(float(rng.uniform(0.3, 0.7)), 3)
    grow = round(float(rng.uniform(1.15, 1.5)), 3)
    noisy = 0.8 ** np.arange(30, 0, -1.0) * np.exp(0.3 * rng.standard_normal(30))
    cases = [
        (f"norms {shrink:g}**(T - t) (shrinking per step back)", shrink ** np.arange(9, -1, -1.0)),
        (f"norms {grow:g}**(T - t) (growing per step back)", grow ** np.arange(14, -1, -1.0)),
        ("noisy norms", noisy),
    ]
    for label, norms in cases:
        got = growth(norms.copy())
        if not report.judging:
            continue
        hint = diagnose(
            got,
            [
                (
                    "norms[t - 1] belongs to step t, and 'per step back' means going from t to "
                    "t - 1: return exp(-slope), not exp(slope).",
                    lambda n=norms: 1.0 / _growth_reference(n),
                ),
                (
                    "fit the logarithm of the norms (a straight line in log scale), then "
                    "undo the log with exp.",
                    lambda n=norms: -np.polyfit(np.arange(1, len(n) + 1), np.log(n), 1)[0],
                ),
            ],
            "np.polyfit(steps, np.log(norms), 1) returns (slope, intercept).",
        )
        report.expect_close(f"{growth.name}({label})", got, _growth_reference(norms), hint=hint)

    base = report.rng(72).standard_normal((6, 6))
    base = base + base.T  # symmetric: the norms follow rho**k closely
    radius = _spectral_radius(base)
    for rho in (0.8, 1.1):
        norms = linear_rnn_gradient_norms(base * rho / radius, 40)
        got = growth(norms.copy())
        if report.judging:
            report.expect_close(
                f"{growth.name} of a linear RNN whose U has spectral radius {rho}",
                got,
                _growth_reference(norms),
                hint=f"fit all the steps, t = 1 .. T, with np.polyfit(..., deg=1); the result is "
                f"close to the spectral radius, {rho}.",
            )
    report.finish()
