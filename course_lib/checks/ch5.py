"""Checks of the exercises of Chapter 5 (GRU).

- 5.1 `check_gru_step(gru_step)`: one GRU step in NumPy, Keras layout (gates z, r, h) with
  `reset_after=True`.
- 5.2 `check_param_counts(param_counts)`: parameters of SimpleRNN, LSTM and GRU layers.
- 5.3 `check_units_for_budget(units_for_budget)`: the largest layer that fits a budget.

References: `course_lib.cells.gru_step` (tested against `keras.layers.GRU`) and
`count_params()` of Keras layers.

Introduced in Chapter 5 (GRU).
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

__all__ = ["CELLS", "check_gru_step", "check_param_counts", "check_units_for_budget"]

CELLS = ("SimpleRNN", "LSTM", "GRU")
_ATOL, _RTOL = 1e-5, 1e-4

# -- 5.1 -------------------------------------------------------------------------------------


def _gru_mistakes(x_t, h, kernel, recurrent_kernel, bias):
    units = h.shape[1]

    def variant(*, swap_z=False, recurrent_bias=True, order="zrh"):
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

    order_hint = (
        "Keras stores the GRU gates in the order z (update), r (reset), h (candidate): "
        "columns [0:H], [H:2H], [2H:3H]."
    )
    return [
        (
            "Keras mixes the states as h_t = z * h + (1 - z) * candidate (z keeps the old "
            "state), not (1 - z) * h + z * candidate.",
            lambda: variant(swap_z=True),
        ),
        (
            "with reset_after=True the reset gate multiplies the recurrent projection after "
            "the matrix product: candidate = tanh(x W_h + b_h + r * (h U_h + b_rh)).",
            lambda: cells.gru_step(
                x_t,
                h,
                kernel,
                recurrent_kernel,
                bias[0] + np.concatenate([bias[1][: 2 * units], np.zeros(units)]),
                reset_after=False,
            ),
        ),
        (
            "bias has two rows: bias[0] is added to x_t @ kernel, bias[1] to h @ recurrent_kernel.",
            lambda: variant(recurrent_bias=False),
        ),
        (order_hint, lambda: variant(order="rzh")),
    ]


def _gru_case(seed: int, batch: int, features: int, units: int, scale: float = 0.6):
    w = cell_weights(seed, features, units, gates=3, scale=scale, bias_shape=(2, 3 * units))
    rng = np.random.default_rng(seed + 1)
    x_t = rng.standard_normal((batch, features))
    h = 0.7 * rng.standard_normal((batch, units))
    return x_t, h, w["kernel"], w["recurrent_kernel"], w["bias"]


def check_gru_step(gru_step) -> None:
    """Exercise 5.1 (6 checks): `gru_step(x_t, h, kernel, recurrent_kernel, bias)`.

    Compares with `course_lib.cells.gru_step(..., reset_after=True)` on a hand-made case
    (zero weights: z = 0.5, candidate 0), three random cases, and checks that inputs stay
    unchanged.
    """
    report = CheckReport("5.1", atol=_ATOL, rtol=_RTOL)
    step = StudentFunction(report, gru_step, "gru_step")
    rng = report.rng(90)

    h = np.round(rng.uniform(0.2, 1.5, size=(1, 3)), 1) * rng.choice([-1.0, 1.0], size=(1, 3))
    got = step(np.ones((1, 2)), h.copy(), np.zeros((2, 9)), np.zeros((3, 9)), np.zeros((2, 9)))
    if report.judging:
        report.expect_close(
            f"h_t with zero weights (z = 0.5, candidate = 0) and h = {h.tolist()}",
            got,
            0.5 * h,
            hint=hint_for(
                got,
                "h_t = z * h + (1 - z) * candidate, with z = sigmoid(0) = 0.5 and candidate 0.",
            ),
        )

    args = _gru_case(report.seed(91), batch=3, features=4, units=5)
    originals = [a.copy() for a in args]
    got = step(*args)
    if report.judging:
        report.expect_shape("h_t", got, (3, 5), layout="(batch, units)")
        report.expect_close(
            "h_t for a random batch",
            got,
            cells.gru_step(*originals),
            hint=diagnose(
                got, _gru_mistakes(*originals), "compare gate by gate with the formulas above."
            ),
        )
        expect_unchanged(
            report,
            got,
            {"x_t": originals[0], "h": originals[1], "bias": originals[4]},
            {"x_t": args[0], "h": args[1], "bias": args[4]},
            f"{step.name}(x_t, h, ...)",
        )

    for seed, batch, features, units, scale in ((93, 1, 2, 3, 2.0), (95, 2, 1, 6, 1.0)):
        args = _gru_case(report.seed(seed), batch, features, units, scale)
        got = step(*(a.copy() for a in args))
        if report.judging:
            report.expect_close(
                f"h_t for x_t ({batch}, {features}), units={units}",
                got,
                cells.gru_step(*args),
                hint=diagnose(got, _gru_mistakes(*args), "compare gate by gate with the formulas."),
            )
    report.finish()


# -- 5.2 -------------------------------------------------------------------------------------


def keras_param_count(cell: str, features: int, units: int) -> int:
    """Parameters of a Keras SimpleRNN, LSTM or GRU layer (Keras defaults), counted by Keras.

    Introduced in Chapter 5 (GRU).
    """
    import keras

    layer = getattr(keras.layers, cell)(units)
    layer.build((None, None, features))
    return int(layer.count_params())


def check_param_counts(param_counts) -> None:
    """Exercise 5.2 (5 checks): `param_counts(features, units) -> {"SimpleRNN": ..., ...}`.

    Compares with `count_params()` of `keras.layers.SimpleRNN`, `LSTM` and `GRU` (Keras
    defaults: biases on, GRU with `reset_after=True`) for a small and three larger drawn
    layer sizes.
    """
    report = CheckReport("5.2")
    counts = StudentFunction(report, param_counts, "param_counts")
    rng = report.rng(97)
    first = (int(rng.integers(1, 13)), int(rng.integers(1, 13)))
    sizes = [first] + [(int(rng.integers(2, 65)), int(rng.integers(2, 65))) for _ in range(3)]
    got = counts(*first)
    if report.judging and isinstance(got, CallFailed):
        report.not_checked("the returned dict", got)
    elif report.judging:
        keys = sorted(map(str, got)) if isinstance(got, dict) else None
        report.expect(
            isinstance(got, dict) and set(got) == set(CELLS),
            f"{counts.name}{first} should return a dict with the keys {', '.join(CELLS)}; "
            f"got {keys if keys is not None else type(got).__name__}.",
            hint='return {"SimpleRNN": ..., "LSTM": ..., "GRU": ...}.',
        )
    for features, units in sizes:
        got = counts(features, units)
        if report.judging:
            _expect_counts(report, counts.name, got, features, units)
    report.finish()


def _expect_counts(report: CheckReport, name: str, got, features: int, units: int) -> None:
    """One check of 5.2: the three counts for one layer size."""
    expected = {cell: keras_param_count(cell, features, units) for cell in CELLS}
    if isinstance(got, CallFailed):
        report.expect_equal(f"{name}({features}, {units})", got, expected)
        return
    received = {cell: got.get(cell) for cell in CELLS} if isinstance(got, dict) else got
    hints = []
    if isinstance(received, dict):
        F, H = features, units
        if _same_number(received.get("GRU"), 3 * (F * H + H * H + H)):
            hints.append(
                "Keras's GRU (reset_after=True) has two bias vectors of 3 * units: one for "
                "the input projection, one for the recurrent projection."
            )
        if _same_number(received.get("LSTM"), F * H + H * H + H):
            hints.append("an LSTM has 4 blocks (i, f, c, o): 4 * (F * H + H * H + H).")
    hint = " ".join(hints) or (
        "k blocks of (features * units + units * units + units) with k = 1, 4, 3, plus the "
        "GRU's second bias (3 * units)."
    )
    same = isinstance(received, dict) and all(
        _same_number(received[cell], expected[cell]) for cell in CELLS
    )
    report.expect(
        same,
        f"`{name}({features}, {units})`: expected {expected}, got {received!r:.200}.",
        hint=hint,
    )


def _same_number(got, expected: int) -> bool:
    try:
        return not isinstance(got, bool) and float(got) == float(expected)
    except (TypeError, ValueError):
        return False


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


def check_units_for_budget(units_for_budget) -> None:
    """Exercise 5.3 (6 checks): `units_for_budget(features, budget, cell) -> units`.

    The largest `units` whose layer has at most `budget` parameters (0 when even one unit
    is too many), compared with a brute-force search over the Keras parameter counts, for
    drawn budgets (one used exactly).
    """
    report = CheckReport("5.3")
    units_for = StudentFunction(report, units_for_budget, "units_for_budget")
    for features, budget, cell in _budget_cases(report.rng(99)):
        got = units_for(features, budget, cell)
        if not report.judging:
            continue
        expected = _units_reference(features, budget, cell)
        label = f"{units_for.name}({features}, {budget}, {cell!r})"
        if isinstance(got, CallFailed):
            report.expect_equal(label, got, expected)
            continue
        hint = (
            f"{expected} units give {_count(cell, features, expected)} parameters and "
            f"{expected + 1} give {_count(cell, features, expected + 1)}."
        )
        if _same_number(got, expected + 1):
            hint = "round down: the layer must not exceed the budget. " + hint
        elif _same_number(got, expected - 1):
            hint = "the layer may use the budget exactly (<=, not <). " + hint
        report.expect(
            _same_number(got, expected),
            f"`{label}`: expected {expected}, got {got!r:.80}.",
            hint=hint,
        )
    report.finish()
