"""Checks of Chapter 1's exercises: typical mistakes are diagnosed.

That the reference solutions pass and the stubs score nothing is tested for every
exercise by `tests/test_check_harness.py`.
"""

import numpy as np
from exercise_solutions import fails, load_solutions

from course_lib.checks import ch1

S = load_solutions("01_sequences_hidden_state")


def test_rnn_step_without_tanh_is_diagnosed():
    def no_tanh(x_t, h, kernel, recurrent_kernel, bias):
        return x_t @ kernel + h @ recurrent_kernel + bias

    fails(ch1.check_rnn_step, no_tanh, "values differ", "apply the tanh activation")


def test_rnn_step_with_transposed_recurrent_kernel_is_diagnosed():
    def transposed(x_t, h, kernel, recurrent_kernel, bias):
        return np.tanh(x_t @ kernel + h @ recurrent_kernel.T + bias)

    fails(ch1.check_rnn_step, transposed, "not by its transpose")


def test_rnn_step_that_changes_its_input_fails():
    def in_place(x_t, h, kernel, recurrent_kernel, bias):
        h += x_t @ kernel + h @ recurrent_kernel + bias - h  # writes into the caller's h
        return np.tanh(h)

    fails(ch1.check_rnn_step, in_place, "changed its input `h` in place")


def test_rnn_step_returning_nan_fails_clearly():
    fails(
        ch1.check_rnn_step,
        lambda x_t, h, *weights: np.full((len(x_t), len(weights[1])), np.nan),
        "contains NaN",
        passed=2,
    )


def test_rnn_forward_mistakes_are_diagnosed():
    def last_only(x, kernel, recurrent_kernel, bias, h0=None):
        return S.rnn_forward(x, kernel, recurrent_kernel, bias, h0)[:, -1]

    fails(ch1.check_rnn_forward, last_only, "expected (2, 6, 4)", "not only the last one")

    def time_major(x, kernel, recurrent_kernel, bias, h0=None):
        return np.swapaxes(S.rnn_forward(x, kernel, recurrent_kernel, bias, h0), 0, 1)

    fails(ch1.check_rnn_forward, time_major, "axis=1")

    def no_carry(x, kernel, recurrent_kernel, bias, h0=None):
        start = np.zeros((x.shape[0], recurrent_kernel.shape[0])) if h0 is None else h0
        steps = [
            S.rnn_step(x[:, t], start, kernel, recurrent_kernel, bias) for t in range(x.shape[1])
        ]
        return np.stack(steps, axis=1)

    fails(ch1.check_rnn_forward, no_carry, "feed each new state into the next step")

    def ignores_h0(x, kernel, recurrent_kernel, bias, h0=None):
        return S.rnn_forward(x, kernel, recurrent_kernel, bias)

    fails(ch1.check_rnn_forward, ignores_h0, "start from h0", passed=4)


def test_param_count_without_bias_is_diagnosed():
    def no_bias(features, units, use_bias=True):
        return features * units + units * units

    fails(ch1.check_param_count, no_bias, "one bias per unit", passed=1)


def test_param_count_that_raises_fails():
    def broken(features, units, use_bias=True):
        return features * unit  # noqa: F821

    fails(ch1.check_param_count, broken, "raised NameError", passed=0)


def test_ema_weights_with_swapped_alpha_are_diagnosed():
    def swapped(alpha):
        return np.array([[1 - alpha]]), np.array([[alpha]]), np.zeros(1)

    fails(ch1.check_ema_weights, swapped, "alpha weighs the new input", passed=2)


def test_ema_weights_with_wrong_shapes_fail():
    fails(ch1.check_ema_weights, lambda alpha: (alpha, 1 - alpha, 0.0), "Keras layout", passed=1)
