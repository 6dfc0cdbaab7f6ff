"""Checks of Chapter 5's exercises: typical mistakes are diagnosed.

That the reference solutions pass and the stubs score nothing is tested for every
exercise by `tests/test_check_harness.py`.
"""

import numpy as np
from exercise_solutions import fails, load_solutions

from course_lib import cells
from course_lib.checks import ch5

S = load_solutions("05_gru")


def test_gru_step_with_swapped_update_gate_is_diagnosed():
    def swapped(x_t, h, kernel, recurrent_kernel, bias):
        # (1 - z) h + z c = h + c - (z h + (1 - z) c): same z and candidate, mixed the other way
        z = cells.sigmoid(
            (x_t @ kernel + bias[0] + h @ recurrent_kernel + bias[1])[:, : h.shape[1]]
        )
        keras_h = S.gru_step(x_t, h, kernel, recurrent_kernel, bias)
        candidate = (keras_h - z * h) / (1 - z)
        return (1 - z) * h + z * candidate

    fails(ch5.check_gru_step, swapped, "z keeps the old state")


def test_gru_step_with_reset_before_is_diagnosed():
    def reset_before(x_t, h, kernel, recurrent_kernel, bias):
        # Written out: course_lib.cells.gru_step answers 5.1, so the self-check withholds it.
        units = h.shape[1]
        x_proj = x_t @ kernel + bias[0]  # (B, 3H)
        gates = cells.sigmoid(
            x_proj[:, : 2 * units] + (h @ recurrent_kernel + bias[1])[:, : 2 * units]
        )
        z, r = gates[:, :units], gates[:, units:]
        candidate = np.tanh(x_proj[:, 2 * units :] + (r * h) @ recurrent_kernel[:, 2 * units :])
        return z * h + (1 - z) * candidate

    fails(ch5.check_gru_step, reset_before, "after the matrix product")


def test_gru_step_without_recurrent_bias_is_diagnosed():
    def no_recurrent_bias(x_t, h, kernel, recurrent_kernel, bias):
        return S.gru_step(x_t, h, kernel, recurrent_kernel, np.stack([bias[0], 0 * bias[1]]))

    fails(ch5.check_gru_step, no_recurrent_bias, "bias[1] to h @ recurrent_kernel")


def test_gru_step_returning_the_wrong_shape_fails():
    fails(ch5.check_gru_step, lambda x_t, h, *w: h.T, "has the wrong shape", "(3, 5)")


def test_param_count_formula_matches_keras():
    for cell in ch5.CELLS:
        for features, units in ((1, 1), (7, 3), (16, 40)):
            expected = ch5.keras_param_count(cell, features, units)
            assert S.param_counts(features, units)[cell] == expected
            assert ch5._count(cell, features, units) == expected


def test_param_counts_with_one_gru_bias_are_diagnosed():
    def one_bias(features, units):
        counts = S.param_counts(features, units)
        return {**counts, "GRU": counts["GRU"] - 3 * units}

    fails(ch5.check_param_counts, one_bias, "two bias vectors", passed=1)


def test_param_counts_with_missing_keys_fail():
    fails(
        ch5.check_param_counts,
        lambda f, u: {"LSTM": 1},
        "with the keys SimpleRNN, LSTM, GRU",
        passed=0,
    )


def test_units_for_budget_rounding_up_is_diagnosed():
    def rounded_up(features, budget, cell):
        units = S.units_for_budget(features, budget, cell)
        return units + 1 if S.param_counts(features, units)[cell] < budget else units

    fails(ch5.check_units_for_budget, rounded_up, "round down")


def test_units_for_budget_with_strict_inequality_is_diagnosed():
    def strict(features, budget, cell):
        return S.units_for_budget(features, budget - 1, cell)

    fails(ch5.check_units_for_budget, strict, "(<=, not <)", passed=5)


def test_comparison_answer_wrong_options_get_their_hints():
    fails(ch5.check_comparison_answer, lambda: "a", "an observation, not a law", passed=0)
    fails(ch5.check_comparison_answer, lambda: "d", "not asserted", passed=0)


def test_reset_after_answer_wrong_options_get_their_hints():
    fails(ch5.check_reset_after_answer, lambda: "a", "one bias per gate", passed=0)
    fails(ch5.check_reset_after_answer, lambda: "d", "different functions", passed=0)
