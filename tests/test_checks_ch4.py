"""Checks of Chapter 4's exercises: typical mistakes are diagnosed.

That the reference solutions pass and the stubs score nothing is tested for every
exercise by `tests/test_check_harness.py`.
"""

import numpy as np
from exercise_solutions import fails, load_solutions

from course_lib import cells
from course_lib.checks import ch4

S = load_solutions("04_lstm")


def _lstm_in_order(order):
    """An LSTM step that reads the four blocks in another order than Keras's i, f, c, o."""

    def step(x_t, h, c, kernel, recurrent_kernel, bias):
        a = x_t @ kernel + h @ recurrent_kernel + bias  # (B, 4H)
        blocks = dict(zip(order, np.split(a, 4, axis=1), strict=True))
        i, f, o = (cells.sigmoid(blocks[k]) for k in "ifo")
        c_t = f * c + i * np.tanh(blocks["c"])
        return o * np.tanh(c_t), c_t

    return step


def test_lstm_step_with_swapped_gates_is_diagnosed():
    fails(
        ch4.check_lstm_step,
        _lstm_in_order("icfo"),
        "Keras stores the gates in the order i, f, c, o",
    )
    fails(ch4.check_lstm_step, _lstm_in_order("ifoc"), "[H:2H] forget gate")


def test_lstm_step_without_tanh_of_the_cell_is_diagnosed():
    def no_tanh(*args):
        h, c = S.lstm_step(*args)
        return h / np.tanh(c) * c, c

    fails(ch4.check_lstm_step, no_tanh, "apply tanh to the new cell state", passed=7)


def test_lstm_step_returning_c_h_is_diagnosed():
    def swapped(*args):
        h, c = S.lstm_step(*args)
        return c, h

    fails(ch4.check_lstm_step, swapped, "in the order (h, c)")


def test_lstm_step_returning_one_array_fails():
    fails(ch4.check_lstm_step, lambda *args: S.lstm_step(*args)[0], "should return a pair (h, c)")


def test_retained_fraction_mistakes_are_diagnosed():
    def sigmoid_of_product(forget_bias, steps):
        return float(cells.sigmoid(np.asarray(forget_bias * steps)))

    fails(ch4.check_retained_fraction, sigmoid_of_product, "to the power `steps`")

    def forgotten_part(forget_bias, steps):
        return float((1 - cells.sigmoid(np.asarray(forget_bias))) ** steps)

    fails(ch4.check_retained_fraction, forgotten_part, "1 - f is the part forgotten")


def test_closed_gate_lstm_follows_the_formula():
    states = ch4.closed_gate_lstm(1.0, 5)
    f = 1 / (1 + np.exp(-1.0))
    np.testing.assert_allclose(states, f ** np.arange(1, 6), rtol=1e-10)


def test_half_life_bias_mistakes_are_diagnosed():
    def gate_value(half_life):
        return 0.5 ** (1 / half_life)

    fails(ch4.check_half_life_bias, gate_value, "you returned the forget gate's value p")

    def log_only(half_life):
        return float(np.log(0.5 ** (1 / half_life)))

    fails(ch4.check_half_life_bias, log_only, "not log(p)", passed=0)


def test_half_life_bias_returning_inf_fails():
    fails(ch4.check_half_life_bias, lambda half_life: np.inf, "NaN or infinite", passed=0)


def test_set_forget_bias_on_the_input_gate_is_diagnosed():
    def input_gate(layer, value):
        units = layer.cell.units
        bias = layer.cell.bias.numpy()
        bias[:units] = value
        layer.cell.bias.assign(bias)

    fails(ch4.check_set_forget_bias, input_gate, "you wrote the input gate's block", "input bias")


def test_set_forget_bias_that_resets_everything_fails():
    def whole_bias(layer, value):
        layer.cell.bias.assign(np.full(layer.cell.bias.shape, value))

    fails(ch4.check_set_forget_bias, whole_bias, "only the forget gate's bias", passed=2)


def test_set_forget_bias_on_a_copy_changes_nothing():
    def on_a_copy(layer, value):
        bias = layer.get_weights()[2]
        bias[layer.cell.units : 2 * layer.cell.units] = value  # never written back

    fails(ch4.check_set_forget_bias, on_a_copy, "forget bias of LSTM(3)", passed=2)


def test_adding_problem_answer_wrong_options_get_their_hints():
    fails(ch4.check_adding_problem_answer, lambda: "c", "vanishes on the way back", passed=0)
    fails(ch4.check_adding_problem_answer, lambda: "d", "variance of the target", passed=0)


def test_gate_reading_answer_wrong_option_gets_its_hint():
    fails(ch4.check_gate_reading_answer, lambda: "a", "keeps the cell state", passed=0)
