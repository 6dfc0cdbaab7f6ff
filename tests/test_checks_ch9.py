"""Checks of Chapter 9's exercises: the reference solutions pass, typical mistakes fail."""

import numpy as np
from exercise_solutions import fails, load_solutions

from course_lib.checks import ch9

S = load_solutions("09_linear_recurrences")

# The reference passing and the stub scoring 0 are tested for every exercise by
# tests/test_check_harness.py; this file keeps Chapter 9's mistake diagnoses.


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def test_min_gru_step_with_keras_convention_is_diagnosed():
    def keras_convention(x_t, h, kernel, bias):
        units = h.shape[1]
        p = x_t @ kernel + bias
        z = _sigmoid(p[:, :units])
        return z * h + (1 - z) * p[:, units:]

    fails(ch9.check_min_gru_step, keras_convention, "share of the new value")


def test_min_gru_step_with_tanh_candidate_is_diagnosed():
    def with_tanh(x_t, h, kernel, bias):
        units = h.shape[1]
        p = x_t @ kernel + bias
        z = _sigmoid(p[:, :units])
        return (1 - z) * h + z * np.tanh(p[:, units:])

    fails(ch9.check_min_gru_step, with_tanh, "has no tanh")


def test_min_gru_step_without_sigmoid_is_diagnosed():
    def no_sigmoid(x_t, h, kernel, bias):
        units = h.shape[1]
        p = x_t @ kernel + bias
        return (1 - p[:, :units]) * h + p[:, :units] * p[:, units:]

    fails(ch9.check_min_gru_step, no_sigmoid, "apply the sigmoid")


def test_min_gru_step_returning_the_wrong_shape_fails():
    fails(ch9.check_min_gru_step, lambda x_t, h, k, b: h.T, "has the wrong shape", "(4, 5)")


def test_min_gru_step_modifying_its_input_fails():
    def in_place(x_t, h, kernel, bias):
        result = S.min_gru_step(x_t, h, kernel, bias)
        h += 1.0
        return result

    fails(ch9.check_min_gru_step, in_place, "changed its input `h` in place")


def test_scan_without_initial_state_is_diagnosed():
    def no_h0(a, b, h0):
        return S.scan_cumsum(a, b, np.zeros_like(h0))

    fails(ch9.check_scan_cumsum, no_h0, "forgot the initial state h0")


def test_scan_with_exclusive_product_is_diagnosed():
    def exclusive(a, b, h0):
        shifted = np.concatenate([np.ones_like(a[:, :1]), a[:, :-1]], axis=1)
        return S.scan_cumsum(shifted, b, h0)

    fails(ch9.check_scan_cumsum, exclusive, "inclusive cumulative product")


def test_scan_summing_over_the_batch_is_diagnosed():
    def wrong_axis(a, b, h0):
        log_p = np.cumsum(np.log(a), axis=0)
        return np.exp(log_p) * (h0[:, None] + np.cumsum(b * np.exp(-log_p), axis=0))

    fails(ch9.check_scan_cumsum, wrong_axis, "sum over time, axis 1")


def test_kernel_starting_at_cab_is_diagnosed():
    def shifted(A, B, C, length):
        return S.ssm_kernel(A, B, C, length + 1)[1:]

    fails(ch9.check_ssm_kernel, shifted, "the first tap is C @ B")


def test_kernel_with_transposed_a_is_diagnosed():
    fails(
        ch9.check_ssm_kernel,
        lambda A, B, C, length: S.ssm_kernel(A.T, B, C, length),
        "not by its transpose",
        passed=3,
    )


def test_kernel_with_taps_last_is_diagnosed():
    fails(
        ch9.check_ssm_kernel,
        lambda A, B, C, length: np.moveaxis(S.ssm_kernel(A, B, C, length), 0, -1),
        "stack the taps along the first axis",
    )


def test_eigenvalues_without_inner_exp_are_diagnosed():
    fails(
        ch9.check_lru_eigenvalues,
        lambda nu, theta: np.exp(-nu + 1j * np.exp(theta)),
        "exponentiate nu_log first",
    )


def test_eigenvalues_with_raw_phase_are_diagnosed():
    fails(
        ch9.check_lru_eigenvalues,
        lambda nu, theta: np.exp(-np.exp(nu) + 1j * theta),
        "the phase is exp(theta_log)",
    )


def test_real_eigenvalues_fail_the_imaginary_part():
    fails(
        ch9.check_lru_eigenvalues,
        lambda nu, theta: np.exp(-np.exp(nu)),
        "imaginary parts for 20 random parameters",
        "return a complex array",
    )


def test_eigenvalues_without_minus_sign_leave_the_unit_circle():
    message = fails(
        ch9.check_lru_eigenvalues,
        lambda nu, theta: np.exp(np.exp(nu) + 1j * np.exp(theta)),
        "keep the minus sign",
        "every |lambda| must be below 1",
    )
    assert "passed 0 of 4" in message


def _logit(z):
    return np.log(z / (1 - z))


def test_gate_bias_with_keras_convention_is_diagnosed():
    def keeps_z(steps, kept):
        return _logit(np.asarray(kept, float) ** (1 / np.asarray(steps, float)))

    fails(ch9.check_gate_bias, keeps_z, "share of the new value")


def test_gate_bias_for_one_step_is_diagnosed():
    fails(ch9.check_gate_bias, lambda steps, kept: _logit(1 - np.asarray(kept, float)), "in all")


def test_gate_bias_returning_the_gate_is_diagnosed():
    def gate(steps, kept):
        return 1 - np.asarray(kept, float) ** (1 / np.asarray(steps, float))

    fails(ch9.check_gate_bias, gate, "return the bias b, not the gate")


def test_gate_bias_with_math_fails_on_arrays():
    import math

    def scalar_only(steps, kept):
        keep = kept ** (1 / steps)
        return math.log((1 - keep) / keep)

    fails(ch9.check_gate_bias, scalar_only, "9.5")


def test_gate_bias_losing_precision_on_long_memories_fails():
    def float32(steps, kept):
        keep = np.float32(kept) ** np.float32(1 / np.asarray(steps, float))
        return np.log((np.float32(1) - keep) / keep)

    fails(ch9.check_gate_bias, float32, "was asked for")


def test_stacking_answer_wrong_options_get_their_hints():
    fails(ch9.check_stacking_answer, lambda: "c", "again a convolution", passed=0)
    fails(ch9.check_stacking_answer, lambda: "d", "computed with a scan", passed=0)


def test_selective_copying_answer_wrong_options_get_their_hints():
    fails(ch9.check_selective_copying_answer, lambda: "a", "the length is not what", passed=0)
    fails(ch9.check_selective_copying_answer, lambda: "c", "not masked", passed=0)
