"""Checks of the exercises of Chapter 2 (Training through time; vanishing and exploding gradients).

- 2.1 `check_bptt(bptt_state_gradients)`: backpropagation through time by hand.
- 2.2 `check_input_gradient_norms(input_gradient_norms)`: per-step gradient norms with
  `tf.GradientTape`.
- 2.3 `check_vanishing_horizon(vanishing_horizon)`: how far back a gradient reaches.
- 2.4 `check_spectral_radius(with_spectral_radius)`: rescale a recurrent kernel.
- 2.5 `check_growth_per_step(growth_per_step)`: the growth rate of gradient norms.
- 2.6 `check_clip_by_global_norm(clip_by_global_norm)`: gradient clipping, Keras's
  `global_clipnorm` rule.
- 2.7 `check_irnn_answer(answer_2_7)`: when an IRNN explodes (multiple choice).

References: a NumPy BPTT (tested against `tf.GradientTape`) and
`course_lib.gradients.hidden_state_gradient_norms`.

Introduced in Chapter 2 (Training through time; vanishing and exploding gradients).
"""

from __future__ import annotations

import numpy as np

from course_lib import cells, gradients
from course_lib.checks.common import cell_weights, keras_model
from course_lib.checks.concepts import choice
from course_lib.checks.exercise import Expect, Mistake, Values, exercise, runs_in_notebook

__all__ = [
    "bptt_reference",
    "check_bptt",
    "check_clip_by_global_norm",
    "check_growth_per_step",
    "check_input_gradient_norms",
    "check_irnn_answer",
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


def _backwards(h_seq, U, g, jacobian, shift=0):
    """dL/dh_t for every t, each step back made by `jacobian(g, h)` (the mistakes)."""
    grads, current = [g], g
    for t in range(h_seq.shape[1] - 1, 0, -1):
        current = jacobian(current, h_seq[:, t - shift])
        grads.append(current)
    return np.stack(grads[::-1], axis=1)


_BPTT_MISTAKES = [
    Mistake(
        "jacobian-not-transposed",
        "the Jacobian dh_t/dh_{t-1} is diag(1 - h_t**2) U^T: multiply by recurrent_kernel.T "
        "(h @ U in the forward pass becomes g @ U.T backwards).",
        lambda h_seq, U, g: _backwards(h_seq, U, g, lambda g_, h: (g_ * (1 - h**2)) @ U),
    ),
    Mistake(
        "tanh-derivative-forgotten",
        "multiply by the tanh derivative 1 - h_t**2 before the matrix product.",
        lambda h_seq, U, g: _backwards(h_seq, U, g, lambda g_, h: g_ @ U.T),
    ),
    Mistake(
        "derivative-at-earlier-state",
        "the tanh derivative is taken at the later state h_t, the one that step computed, "
        "not at h_{t-1}.",
        lambda h_seq, U, g: _backwards(h_seq, U, g, lambda g_, h: (g_ * (1 - h**2)) @ U.T, 1),
    ),
    Mistake(
        "tanh-applied-twice",
        "the tanh derivative is 1 - h**2 (h is already tanh of something), not 1 - tanh(h)**2.",
        lambda h_seq, U, g: _backwards(
            h_seq, U, g, lambda g_, h: (g_ * (1 - np.tanh(h) ** 2)) @ U.T
        ),
    ),
    Mistake(
        "gradients-reversed",
        "store the gradients in time order: result[:, t - 1] is dL/dh_t, so the last entry "
        "is grad_last.",
        lambda h_seq, U, g: bptt_reference(h_seq, U, g)[:, ::-1],
    ),
]


@exercise(
    "2.1",
    student="bptt_state_gradients(h_seq, recurrent_kernel, grad_last)",
    reference=bptt_reference,
    mistakes=_BPTT_MISTAKES,
    hint="go from t = T down to 2.",
    atol=_ATOL,
    rtol=_RTOL,
    layout="(batch, timesteps, units)",
)
def check_bptt(ex) -> None:
    """Exercise 2.1 (6 checks): `bptt_state_gradients(h_seq, recurrent_kernel, grad_last)`.

    Compares with `bptt_reference` (itself tested against `tf.GradientTape`) on three
    sequences, including a single time step.
    """
    h_seq, U, g = _bptt_case(ex.seed(41), batch=2, timesteps=5, units=3, scale=0.8)
    ex.case(
        "dL/dh_t for a sequence of 5 steps, h_seq (2, 5, 3)",
        h_seq,
        U,
        g,
        shape=(2, 5, 3),
        shape_hint="one gradient (batch, units) per time step, stacked with axis=1.",
        checks=[
            Values(
                g,
                of=lambda got: np.asarray(got)[:, -1],
                name="gradients[:, -1] (dL/dh_T)",
                hint="the last entry is grad_last itself: the loss depends on h_T directly.",
            )
        ],
        unchanged=True,
    )
    h_seq, U, g = _bptt_case(ex.seed(43), batch=1, timesteps=12, units=4, scale=1.5)
    ex.case("dL/dh_t for 12 steps with large weights", h_seq, U, g)
    h_seq, U, g = _bptt_case(ex.seed(45), batch=3, timesteps=1, units=2, scale=0.5)
    ex.case(
        "dL/dh_t for a single time step (3, 1, 2)",
        h_seq,
        U,
        g,
        hint="with one step there is nothing to propagate: return grad_last as (batch, 1, units).",
    )


# -- 2.2 -------------------------------------------------------------------------------------

_GRADIENT_MODELS = [
    # (label, layers, input shape, batch)
    ("a SimpleRNN(8) model, X (4, 15, 2)", [["SimpleRNN", 8, {}], ["Dense", 1, {}]], (15, 2), 4),
    (
        "a 2-layer LSTM model, X (3, 10, 3)",
        [["LSTM", 6, {"return_sequences": True}], ["LSTM", 4, {}], ["Dense", 2, {}]],
        (10, 3),
        3,
    ),
]


def _weight_shapes(layers, input_shape) -> list[tuple[int, ...]]:
    """The shapes of `model.get_weights()` of a Sequential model of these layers."""
    shapes, features = [], input_shape[-1]
    for kind, units, _ in layers:
        gates = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3, "Dense": 0}[kind]
        if gates:
            shapes += [(features, gates * units), (units, gates * units), (gates * units,)]
        else:
            shapes += [(features, units), (units,)]
        features = units
    return shapes


@runs_in_notebook
def _with_model(input_gradient_norms, layers, input_shape, weights, X, y):
    """How 2.2 calls the student's function: on a Keras model built from the weights."""
    return input_gradient_norms(keras_model(layers, input_shape, weights), X, y)


def _reference_norms(layers, input_shape, weights, X, y):
    """The reference: `course_lib.gradients.hidden_state_gradient_norms(wrt="inputs")`."""
    model = keras_model(layers, input_shape, weights)
    return gradients.hidden_state_gradient_norms(model, X, y, wrt="inputs")


@exercise(
    "2.2",
    student="input_gradient_norms(model, X, y)",
    reference=_reference_norms,
    withhold=[gradients.hidden_state_gradient_norms],
    call=_with_model,
    mistakes=[
        Mistake(
            "losses-averaged",
            "each sequence has its own loss: sum the per-sample losses over the batch (e.g. "
            "keras.losses.mean_squared_error(y, y_pred) is (batch,); use tf.reduce_sum), do "
            "not average them.",
            lambda *inputs: _reference_norms(*inputs) / len(inputs[3]),
        )
    ],
    hint="watch X with tape.watch (or pass a tf.Variable), compute tape.gradient(loss, X) of "
    "shape (batch, timesteps, features), take the norm over features and the mean over the "
    "batch.",
    atol=1e-5,
    rtol=1e-3,
    layout="(timesteps,)",
)
def check_input_gradient_norms(ex) -> None:
    """Exercise 2.2 (5 checks): `input_gradient_norms(model, X, y)` with `tf.GradientTape`.

    Compares with `course_lib.gradients.hidden_state_gradient_norms(..., wrt="inputs")`
    on an untrained SimpleRNN model and a two-layer LSTM model with random weights.
    """
    rng = ex.rng(5)
    for index, (label, layers, input_shape, batch) in enumerate(_GRADIENT_MODELS):
        weights = [
            (0.4 * rng.standard_normal(shape)).astype("float32")
            for shape in _weight_shapes(layers, input_shape)
        ]
        X = rng.standard_normal((batch, *input_shape)).astype("float32")
        y = rng.standard_normal((batch, layers[-1][1])).astype("float32")
        first = index == 0
        ex.case(
            f"norms for {label}",
            layers,
            list(input_shape),
            weights,
            X,
            y,
            shape=(input_shape[0],) if first else None,
            shape_hint="average over the batch axis (axis 0) to get one number per time step.",
            checks=[
                Expect(
                    lambda got: (
                        None
                        if np.all(np.asarray(got, dtype=float) >= 0)
                        else f"gradient norms must be >= 0; got {got!r:.80}."
                    ),
                    name="norms >= 0",
                    hint="a norm is sqrt(sum of squares) over the features axis.",
                )
            ]
            if first
            else [],
            finite=not first,
        )


# -- 2.3 -------------------------------------------------------------------------------------


def _horizon_reference(norms: np.ndarray, ratio: float = 1e-3) -> int | None:
    last = norms[-1]
    for k in range(1, len(norms)):
        if norms[-1 - k] < ratio * last:
            return k
    return None


def _horizon_shifted(shift):
    def answer(norms, ratio=1e-3):
        k = _horizon_reference(norms, ratio)
        return None if k is None else shift(len(norms), k)

    return answer


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


def _horizon_cases(rng: np.random.Generator) -> list[tuple[str, np.ndarray, dict]]:
    """Norm profiles `(label, norms, kwargs)`: shrinking, growing, a sudden drop, a norm
    exactly at the threshold, and the norms of a linear RNN."""
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
    return [
        (f"shrinking norms {base:g}**(T - t), T = {T}", shrinking, {}),
        (f"shrinking norms {base:g}**(T - t) with ratio=0.1", shrinking, {"ratio": 0.1}),
        ("growing norms (exploding gradients)", growing, {}),
        ("a drop right before the last step", drop, {}),
        ("a norm exactly at ratio * norms[-1]", exact, {"ratio": 1e-3}),
        (f"norms of a linear RNN with U = {a:g} I, T = 40", linear, {"ratio": 1e-3}),
    ]


@exercise(
    "2.3",
    student="vanishing_horizon(norms, ratio=1e-3)",
    reference=_horizon_reference,
    mistakes=[
        Mistake(
            "array-index",
            "return how many steps back from the last step (k), not the array index.",
            _horizon_shifted(lambda T, k: T - 1 - k),
        ),
        Mistake(
            "off-by-one",
            "the step right before the last one is k = 1, not 0 (off by one).",
            _horizon_shifted(lambda T, k: k - 1),
        ),
    ],
    hint="k = 1 is the step just before the last one: compare norms[-1 - k] with "
    "ratio * norms[-1].",
)
def check_vanishing_horizon(ex) -> None:
    """Exercise 2.3 (6 checks): `vanishing_horizon(norms, ratio=1e-3)`.

    Drawn norm profiles (shrinking, growing, a sudden drop, a value exactly at the
    threshold) and the norms of a linear RNN.
    """
    for label, norms, kwargs in _horizon_cases(ex.rng(51)):
        exactly = label.startswith("a norm exactly")
        hint = None
        if exactly:
            hint = "'below' means strictly smaller: norms[-1 - k] < ratio * norms[-1]."
        elif _horizon_reference(norms, **kwargs) is None:
            hint = "return None when no earlier step falls below ratio * norms[-1]."
        ex.case(
            f"vanishing_horizon for {label}",
            norms,
            kwargs=kwargs,
            exact=True,
            hint=hint,
            mistakes=() if exactly else None,
        )


# -- 2.4 -------------------------------------------------------------------------------------


def _spectral_radius(matrix: np.ndarray) -> float:
    return float(np.max(np.abs(np.linalg.eigvals(np.asarray(matrix, dtype=float)))))


def _rescaled(recurrent_kernel, rho):
    """The reference: `recurrent_kernel` scaled to spectral radius `rho`."""
    return recurrent_kernel * rho / _spectral_radius(recurrent_kernel)


@exercise(
    "2.4",
    student="with_spectral_radius(recurrent_kernel, rho)",
    reference=_rescaled,
    mistakes=[
        Mistake(
            "largest-singular-value",
            "the spectral radius is the largest |eigenvalue| (np.linalg.eigvals), not the "
            "largest singular value (np.linalg.norm(U, 2)).",
            lambda U, rho: U * rho / np.linalg.norm(U, 2),
        ),
        Mistake(
            "eigenvalues-not-absolute",
            "take the absolute value of the (possibly complex) eigenvalues before the maximum.",
            lambda U, rho: U * rho / np.max(np.real(np.linalg.eigvals(U))),
        ),
        Mistake(
            "ratio-inverted",
            "multiply U by rho / (its spectral radius), not the other way round.",
            lambda U, rho: U * _spectral_radius(U) / rho,
        ),
    ],
    hint="scale U by rho / max(abs(np.linalg.eigvals(U))).",
    atol=1e-8,
    rtol=1e-6,
)
def check_spectral_radius(ex) -> None:
    """Exercise 2.4 (6 checks): `with_spectral_radius(recurrent_kernel, rho)`.

    The result must have spectral radius `rho` (largest |eigenvalue|) and be a positive
    multiple of the input, for random, symmetric and non-normal matrices.
    """
    rng = ex.rng(61)
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
        checks = [
            Values(
                rho,
                of=_spectral_radius,
                name=f"spectral radius of with_spectral_radius(U, {rho:g}) for {label}",
                hint="scale U by rho / max(abs(np.linalg.eigvals(U))); return an array of "
                f"U's shape {U.shape}.",
            )
        ]
        if index == 0:
            checks.append(
                Values(
                    name=f"with_spectral_radius(U, {rho:g}) (a positive multiple of U)",
                    hint="only rescale U: every entry is multiplied by the same positive number.",
                )
            )
        ex.case(label, U, rho, values=False, checks=checks, unchanged=index == 0)


# -- 2.5 -------------------------------------------------------------------------------------


def _growth_reference(norms: np.ndarray) -> float:
    steps = np.arange(1, len(norms) + 1)
    slope, _ = np.polyfit(steps, np.log(norms), 1)
    return float(np.exp(-slope))


@exercise(
    "2.5",
    student="growth_per_step(norms)",
    reference=_growth_reference,
    mistakes=[
        Mistake(
            "slope-sign",
            "norms[t - 1] belongs to step t, and 'per step back' means going from t to t - 1: "
            "return exp(-slope), not exp(slope).",
            lambda norms: 1.0 / _growth_reference(norms),
        ),
        Mistake(
            "log-not-undone",
            "fit the logarithm of the norms (a straight line in log scale), then undo the log "
            "with exp.",
            lambda norms: -np.polyfit(np.arange(1, len(norms) + 1), np.log(norms), 1)[0],
        ),
    ],
    hint="np.polyfit(steps, np.log(norms), 1) returns (slope, intercept).",
)
def check_growth_per_step(ex) -> None:
    """Exercise 2.5 (5 checks): `growth_per_step(norms)` from a least-squares fit of log norms.

    Exact geometric profiles (one shrinking, one growing), a noisy profile, and the norms
    of linear RNNs whose recurrent kernel has spectral radius 0.8 and 1.1: the growth
    must match the radius.
    """
    rng = ex.rng(71)
    shrink = round(float(rng.uniform(0.3, 0.7)), 3)
    grow = round(float(rng.uniform(1.15, 1.5)), 3)
    noisy = 0.8 ** np.arange(30, 0, -1.0) * np.exp(0.3 * rng.standard_normal(30))
    cases = [
        (f"norms {shrink:g}**(T - t) (shrinking per step back)", shrink ** np.arange(9, -1, -1.0)),
        (f"norms {grow:g}**(T - t) (growing per step back)", grow ** np.arange(14, -1, -1.0)),
        ("noisy norms", noisy),
    ]
    for label, norms in cases:
        ex.case(f"growth_per_step({label})", norms)
    base = ex.rng(72).standard_normal((6, 6))
    base = base + base.T  # symmetric: the norms follow rho**k closely
    radius = _spectral_radius(base)
    for rho in (0.8, 1.1):
        ex.case(
            f"growth_per_step of a linear RNN whose U has spectral radius {rho}",
            linear_rnn_gradient_norms(base * rho / radius, 40),
            hint="fit all the steps, t = 1 .. T, with np.polyfit(..., deg=1); the result is "
            f"close to the spectral radius, {rho}.",
        )


# -- 2.6 -------------------------------------------------------------------------------------


def _global_norm(grads) -> float:
    return float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))


def _clip_reference(grads, clip_norm):
    """Keras's `global_clipnorm`: one rescaling of all the gradients taken together."""
    norm = _global_norm(grads)
    scale = min(1.0, clip_norm / norm) if norm > 0 else 1.0
    return [np.asarray(g) * scale for g in grads]


_CLIPPED = ("kernel", "recurrent_kernel", "bias")


@exercise(
    "2.6",
    student="clip_by_global_norm(grads, clip_norm)",
    returns=_CLIPPED,
    reference=_clip_reference,
    mistakes=[
        Mistake(
            "each-tensor",
            "that is Keras's `clipnorm`, which clips each weight's gradient on its own; "
            "`global_clipnorm` takes the norm of all the gradients together, as one vector.",
            lambda grads, clip_norm: [_clip_reference([g], clip_norm)[0] for g in grads],
        ),
        Mistake(
            "always-rescaled",
            "gradients already shorter than clip_norm stay as they are: scale by "
            "min(1, clip_norm / norm), not by clip_norm / norm.",
            lambda grads, clip_norm: [g * clip_norm / _global_norm(grads) for g in grads],
        ),
    ],
    hint="norm = sqrt(sum of the squares of every entry of every gradient); multiply every "
    "gradient by min(1, clip_norm / norm).",
    atol=1e-6,
    rtol=1e-5,
)
def check_clip_by_global_norm(ex) -> None:
    """Exercise 2.6 (11 checks): `clip_by_global_norm(grads, clip_norm) -> list of arrays`.

    The gradients of a SimpleRNN's kernel, recurrent kernel and bias (drawn), once with a
    global norm far above `clip_norm`, once with one array far larger than the others, and
    once already short enough to be left alone; each returned array is compared.
    """
    rng = ex.rng(26)
    shapes = [(2, 4), (4, 4), (4,)]
    clip = round(float(rng.uniform(0.5, 2.0)), 2)
    big = [3.0 * rng.standard_normal(shape) for shape in shapes]
    lopsided = [0.1 * rng.standard_normal(shape) for shape in shapes]
    lopsided[1] = 20.0 * rng.standard_normal(shapes[1])
    small = [0.01 * rng.standard_normal(shape) for shape in shapes]
    cases = [
        (f"gradients with a global norm far above clip_norm={clip:g}", big, clip),
        (f"one recurrent-kernel gradient far larger than the others, clip_norm={clip:g}",
         lopsided, clip),
        ("gradients already shorter than clip_norm=5 (left as they are)", small, 5.0),
    ]  # fmt: skip
    for index, (label, grads, clip_norm) in enumerate(cases):
        ex.case(
            label,
            grads,
            clip_norm,
            structure=index == 0,
            values=False,
            checks=[Values(of=name) for name in _CLIPPED],
        )
    ex.case(
        "the clipped gradients' global norm",
        big,
        clip,
        values=False,
        checks=[
            Values(
                clip,
                of=_global_norm,
                name=f"global norm of clip_by_global_norm(grads, {clip:g})",
                hint="after clipping, the gradients taken together have length clip_norm.",
            )
        ],
    )


# -- 2.7 -------------------------------------------------------------------------------------


@exercise("2.7", student="answer_2_7()")
def check_irnn_answer(ex) -> None:
    """Exercise 2.7 (1 check): `answer_2_7()`, the letter of the chosen option.

    Inputs fixed by nature: a question has none, and its answer is the same under every
    grading seed (a lookup of the self-check's answer is the answer).
    """
    choice(
        ex,
        "the option answer_2_7() chose",
        right="c",
        wrong={
            "a": "ReLU never saturates for positive inputs: nothing squashes the state, which "
            "is exactly why the IRNN can explode.",
            "b": "the Jacobian diag(relu'(a)) W_h with W_h = I is the identity on active "
            "units: the gradient neither shrinks nor grows at the start of training.",
            "d": "clipping caps each update; it does not stop the forward state from growing "
            "like gain ** t.",
        },
    )
