"""Checks of the exercises of Chapter 5 (GRU).

- 5.1 `check_gru_step(gru_step)`: one GRU step in NumPy, Keras layout (gates z, r, h) with
  `reset_after=True`.
- 5.2 `check_param_counts(param_counts)`: parameters of SimpleRNN, LSTM and GRU layers.
- 5.3 `check_units_for_budget(units_for_budget)`: the largest layer that fits a budget.
- 5.4 `check_comparison_answer(answer_5_4)`: what a comparison of SimpleRNN, LSTM and GRU on
  one task supports (multiple choice).
- 5.5 `check_reset_after_answer(answer_5_5)`: where the reset gate acts, and why the biases
  differ (multiple choice).

References: `course_lib.cells.gru_step` (tested against `keras.layers.GRU`) and
`count_params()` of Keras layers.

Introduced in Chapter 5 (GRU).
"""

from __future__ import annotations

import numpy as np

from course_lib import cells
from course_lib.checks.common import cell_weights
from course_lib.checks.concepts import choice
from course_lib.checks.exercise import Keys, Mistake, exercise

__all__ = [
    "CELLS",
    "check_comparison_answer",
    "check_gru_step",
    "check_param_counts",
    "check_reset_after_answer",
    "check_units_for_budget",
]

CELLS = ("SimpleRNN", "LSTM", "GRU")
_ATOL, _RTOL = 1e-5, 1e-4

# -- 5.1 -------------------------------------------------------------------------------------


def _gru_variant(x_t, h, kernel, recurrent_kernel, bias, *, swap_z=False, recurrent_bias=True,
                 order="zrh"):  # fmt: skip
    """A GRU step (reset after) with its gates read in `order`, mixed the other way
    (`swap_z`), or without the recurrent bias (the mistakes)."""
    x_proj = x_t @ kernel + bias[0]
    h_proj = h @ recurrent_kernel + (bias[1] if recurrent_bias else 0.0)
    xs = dict(zip(order, np.split(x_proj, 3, axis=1), strict=True))
    hs = dict(zip(order, np.split(h_proj, 3, axis=1), strict=True))
    z = cells.sigmoid(xs["z"] + hs["z"])
    r = cells.sigmoid(xs["r"] + hs["r"])
    candidate = np.tanh(xs["h"] + r * hs["h"])
    if swap_z:
        return (1 - z) * h + z * candidate
    return z * h + (1 - z) * candidate


def _reset_before(x_t, h, kernel, recurrent_kernel, bias):
    units = h.shape[1]
    single = bias[0] + np.concatenate([bias[1][: 2 * units], np.zeros(units)])
    return cells.gru_step(x_t, h, kernel, recurrent_kernel, single, reset_after=False)


_GRU_MISTAKES = [
    Mistake(
        "update-gate-swapped",
        "Keras mixes the states as h_t = z * h + (1 - z) * candidate (z keeps the old state), "
        "not (1 - z) * h + z * candidate.",
        lambda *args: _gru_variant(*args, swap_z=True),
    ),
    Mistake(
        "reset-before",
        "with reset_after=True the reset gate multiplies the recurrent projection after the "
        "matrix product: candidate = tanh(x W_h + b_h + r * (h U_h + b_rh)).",
        _reset_before,
    ),
    Mistake(
        "recurrent-bias-forgotten",
        "bias has two rows: bias[0] is added to x_t @ kernel, bias[1] to h @ recurrent_kernel.",
        lambda *args: _gru_variant(*args, recurrent_bias=False),
    ),
    Mistake(
        "gates-rzh",
        "Keras stores the GRU gates in the order z (update), r (reset), h (candidate): columns "
        "[0:H], [H:2H], [2H:3H].",
        lambda *args: _gru_variant(*args, order="rzh"),
    ),
]


def _gru_case(seed: int, batch: int, features: int, units: int, scale: float = 0.6):
    w = cell_weights(seed, features, units, gates=3, scale=scale, bias_shape=(2, 3 * units))
    rng = np.random.default_rng(seed + 1)
    x_t = rng.standard_normal((batch, features))
    h = 0.7 * rng.standard_normal((batch, units))
    return x_t, h, w["kernel"], w["recurrent_kernel"], w["bias"]


@exercise(
    "5.1",
    student="gru_step(x_t, h, kernel, recurrent_kernel, bias)",
    reference=cells.gru_step,
    mistakes=_GRU_MISTAKES,
    hint="compare gate by gate with the formulas above.",
    atol=_ATOL,
    rtol=_RTOL,
    layout="(batch, units)",
)
def check_gru_step(ex) -> None:
    """Exercise 5.1 (6 checks): `gru_step(x_t, h, kernel, recurrent_kernel, bias)`.

    Compares with `course_lib.cells.gru_step(..., reset_after=True)` on a hand-made case
    (zero weights: z = 0.5, candidate 0), three random cases, and checks that inputs stay
    unchanged.
    """
    rng = ex.rng(90)
    h = np.round(rng.uniform(0.2, 1.5, size=(1, 3)), 1) * rng.choice([-1.0, 1.0], size=(1, 3))
    ex.case(
        f"h_t with zero weights (z = 0.5, candidate = 0) and h = {h.tolist()}",
        np.ones((1, 2)),
        h,
        np.zeros((2, 9)),
        np.zeros((3, 9)),
        np.zeros((2, 9)),
        expected=0.5 * h,
        hint="h_t = z * h + (1 - z) * candidate, with z = sigmoid(0) = 0.5 and candidate 0.",
    )
    ex.case(
        "h_t for a random batch, x_t (3, 4) and units=5",
        *_gru_case(ex.seed(91), batch=3, features=4, units=5),
        shape=(3, 5),
        unchanged=True,
    )
    for seed, batch, features, units, scale in ((93, 1, 2, 3, 2.0), (95, 2, 1, 6, 1.0)):
        ex.case(
            f"h_t for x_t ({batch}, {features}), units={units}",
            *_gru_case(ex.seed(seed), batch, features, units, scale),
        )


# -- 5.2 -------------------------------------------------------------------------------------


def keras_param_count(cell: str, features: int, units: int) -> int:
    """Parameters of a Keras SimpleRNN, LSTM or GRU layer (Keras defaults), counted by Keras.

    Introduced in Chapter 5 (GRU).
    """
    import keras

    layer = getattr(keras.layers, cell)(units)
    layer.build((None, None, features))
    return int(layer.count_params())


def _counts(features: int, units: int) -> dict[str, int]:
    """The reference: the three counts of Keras's layers."""
    return {cell: keras_param_count(cell, features, units) for cell in CELLS}


def _counts_with(cell: str, count):
    def answer(features, units):
        return {**_counts(features, units), cell: count(features, units)}

    return answer


@exercise(
    "5.2",
    student="param_counts(features, units)",
    reference=_counts,
    withhold=[keras_param_count],
    returns=Keys(*CELLS),
    mistakes=[
        Mistake(
            "gru-one-bias",
            "Keras's GRU (reset_after=True) has two bias vectors of 3 * units: one for the "
            "input projection, one for the recurrent projection.",
            _counts_with("GRU", lambda F, H: 3 * (F * H + H * H + H)),
        ),
        Mistake(
            "lstm-one-block",
            "an LSTM has 4 blocks (i, f, c, o): 4 * (F * H + H * H + H).",
            _counts_with("LSTM", lambda F, H: F * H + H * H + H),
        ),
    ],
    hint="k blocks of (features * units + units * units + units) with k = 1, 4, 3, plus the "
    "GRU's second bias (3 * units).",
)
def check_param_counts(ex) -> None:
    """Exercise 5.2 (5 checks): `param_counts(features, units) -> {"SimpleRNN": ..., ...}`.

    Compares with `count_params()` of `keras.layers.SimpleRNN`, `LSTM` and `GRU` (Keras
    defaults: biases on, GRU with `reset_after=True`) for a small and three larger drawn
    layer sizes.
    """
    rng = ex.rng(97)
    first = (int(rng.integers(1, 13)), int(rng.integers(1, 13)))
    sizes = [first] + [(int(rng.integers(2, 65)), int(rng.integers(2, 65))) for _ in range(3)]
    ex.case(f"param_counts{first}", *first, structure=True, values=False)
    for features, units in sizes:
        ex.case(f"param_counts({features}, {units})", features, units, exact=True)


# -- 5.3 -------------------------------------------------------------------------------------


def _count(cell: str, features: int, units: int) -> int:
    blocks = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[cell]
    extra = 3 * units if cell == "GRU" else 0  # the GRU's recurrent bias
    return blocks * (features * units + units * units + units) + extra


def _units_reference(features: int, budget: int, cell: str) -> int:
    units = 0
    while _count(cell, features, units + 1) <= budget:
        units += 1
    return units


def _budget_cases(rng: np.random.Generator) -> list[tuple[int, int, str]]:
    """`(features, budget, cell)`: drawn budgets, one too small for a single unit, one that a
    drawn number of units uses exactly."""
    cases = [(1, int(rng.integers(5_000, 20_001)), cell) for cell in ("LSTM", "GRU", "SimpleRNN")]
    cases.append((32, int(rng.integers(20_000, 80_001)), "GRU"))
    features = int(rng.integers(4, 12))
    cases.append((features, int(rng.integers(1, _count("LSTM", features, 1))), "LSTM"))
    features, units = int(rng.integers(10, 30)), int(rng.integers(40, 90))
    cases.append((features, _count("SimpleRNN", features, units), "SimpleRNN"))  # exactly
    return cases


@exercise(
    "5.3",
    student="units_for_budget(features, budget, cell)",
    reference=_units_reference,
    mistakes=[
        Mistake(
            "rounded-up",
            "round down: the layer must not exceed the budget.",
            lambda *args: _units_reference(*args) + 1,
        ),
        Mistake(
            "strict-inequality",
            "the layer may use the budget exactly (<=, not <).",
            lambda *args: _units_reference(*args) - 1,
        ),
    ],
)
def check_units_for_budget(ex) -> None:
    """Exercise 5.3 (6 checks): `units_for_budget(features, budget, cell) -> units`.

    The largest `units` whose layer has at most `budget` parameters (0 when even one unit
    is too many), compared with a brute-force search over the Keras parameter counts, for
    drawn budgets (one used exactly).
    """
    for features, budget, cell in _budget_cases(ex.rng(99)):
        expected = _units_reference(features, budget, cell)
        ex.case(
            f"units_for_budget({features}, {budget}, {cell!r})",
            features,
            budget,
            cell,
            exact=True,
            hint=f"{expected} units give {_count(cell, features, expected)} parameters and "
            f"{expected + 1} give {_count(cell, features, expected + 1)}.",
        )


# -- 5.4 -------------------------------------------------------------------------------------


@exercise("5.4", student="answer_5_4()")
def check_comparison_answer(ex) -> None:
    """Exercise 5.4 (1 check): `answer_5_4()`, the letter of the chosen option.

    Inputs fixed by nature: a question has none, and its answer is the same under every
    grading seed (a lookup of the self-check's answer is the answer).
    """
    choice(
        ex,
        "the option answer_5_4() chose",
        right="b",
        wrong={
            "a": "one task, one seed set and one learning rate give an observation, not a law; "
            "larger comparisons found LSTM and GRU close, with neither winning everywhere.",
            "c": "Chapter 4 trained the SimpleRNN for as many epochs as the LSTM needed and it "
            "still ended at the baseline: more epochs do not carry the gradient back to the "
            "markers.",
            "d": "the chapter's times are wall-clock seconds of one run on a shared machine, not "
            "asserted: with layers this small they can even come out in the 'wrong' order.",
        },
    )


# -- 5.5 -------------------------------------------------------------------------------------


@exercise("5.5", student="answer_5_5()")
def check_reset_after_answer(ex) -> None:
    """Exercise 5.5 (1 check): `answer_5_5()`, the letter of the chosen option.

    Inputs fixed by nature: a question has none, and its answer is the same under every
    grading seed (a lookup of the self-check's answer is the answer).
    """
    choice(
        ex,
        "the option answer_5_5() chose",
        right="b",
        wrong={
            "a": "reset_after=False keeps one bias per gate, of shape (3 * units,); a bias of two "
            "rows belongs to the default variant.",
            "c": "a GRU layer has one direction; Bidirectional (Chapter 6c) would make a second "
            "copy of the whole layer, with its own weights.",
            "d": "the chapter checks both variants against Keras and finds them different "
            "functions: where r_t acts changes the candidate.",
        },
    )
