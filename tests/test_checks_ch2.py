"""Checks of Chapter 2's exercises: typical mistakes are diagnosed.

That the reference solutions pass and the stubs score nothing is tested for every
exercise by `tests/test_check_harness.py`.
"""

import numpy as np
import pytest
from exercise_solutions import fails, load_solutions

from course_lib import cells
from course_lib.checks import ch2

S = load_solutions("02_bptt_vanishing_gradients")


def test_bptt_reference_matches_gradient_tape():
    """The reference of exercise 2.1 against tf.GradientTape through the NumPy-equal cell."""
    import tensorflow as tf

    rng = np.random.default_rng(3)
    kernel, recurrent_kernel = rng.normal(size=(2, 4)), 0.9 * rng.normal(size=(4, 4))
    bias, x = rng.normal(size=4), rng.normal(size=(3, 7, 2))
    grad_last = rng.normal(size=(3, 4))
    h_seq = cells.simple_rnn_forward(x, kernel, recurrent_kernel, bias, return_sequences=True)

    U = tf.constant(recurrent_kernel)
    with tf.GradientTape() as tape:
        h = tf.zeros((3, 4), dtype=tf.float64)
        states = []
        for t in range(7):
            h = tf.tanh(x[:, t] @ kernel + h @ U + bias)
            tape.watch(h)
            states.append(h)
        loss = tf.reduce_sum(states[-1] * grad_last)  # dL/dh_T = grad_last
    expected = np.stack([g.numpy() for g in tape.gradient(loss, states)], axis=1)

    np.testing.assert_allclose(h_seq, np.stack([s.numpy() for s in states], axis=1), atol=1e-12)
    np.testing.assert_allclose(
        ch2.bptt_reference(h_seq, recurrent_kernel, grad_last), expected, atol=1e-10
    )


def test_bptt_mistakes_are_diagnosed():
    def no_transpose(h_seq, recurrent_kernel, grad_last):
        return S.bptt_state_gradients(h_seq, recurrent_kernel.T, grad_last)

    fails(ch2.check_bptt, no_transpose, "multiply by recurrent_kernel.T")

    def reversed_order(h_seq, recurrent_kernel, grad_last):
        return S.bptt_state_gradients(h_seq, recurrent_kernel, grad_last)[:, ::-1]

    fails(ch2.check_bptt, reversed_order, "store the gradients in time order")

    def no_derivative(h_seq, recurrent_kernel, grad_last):
        return S.bptt_state_gradients(np.zeros_like(h_seq), recurrent_kernel, grad_last)

    fails(ch2.check_bptt, no_derivative, "multiply by the tanh derivative")


def test_input_gradient_norms_averaged_over_the_batch_are_diagnosed():
    def mean_loss(model, X, y):
        return S.input_gradient_norms(model, X, y) / len(X)

    fails(ch2.check_input_gradient_norms, mean_loss, "do not average them", passed=3)


def test_input_gradient_norms_per_sequence_fail_on_shape():
    def per_sequence(model, X, y):
        return np.repeat(S.input_gradient_norms(model, X, y)[None], len(X), axis=0)

    fails(ch2.check_input_gradient_norms, per_sequence, "average over the batch axis")


def test_vanishing_horizon_mistakes_are_diagnosed():
    def index_instead_of_steps(norms, ratio=1e-3):
        k = S.vanishing_horizon(norms, ratio)
        return None if k is None else len(norms) - 1 - k

    fails(ch2.check_vanishing_horizon, index_instead_of_steps, "not the array index")

    def at_or_below(norms, ratio=1e-3):
        for k in range(1, len(norms)):
            if norms[-1 - k] <= ratio * norms[-1]:
                return k
        return None

    fails(ch2.check_vanishing_horizon, at_or_below, "strictly smaller", passed=5)

    fails(ch2.check_vanishing_horizon, lambda norms, ratio=1e-3: -1, "return None", passed=0)


def test_spectral_radius_with_singular_value_is_diagnosed():
    def singular(recurrent_kernel, rho):
        return recurrent_kernel * rho / np.linalg.norm(recurrent_kernel, 2)

    fails(ch2.check_spectral_radius, singular, "not the largest singular value", passed=2)


def test_spectral_radius_that_returns_nan_fails():
    fails(ch2.check_spectral_radius, lambda U, rho: U * np.nan, "NaN")


def test_growth_per_step_with_the_wrong_sign_is_diagnosed():
    def inverted(norms):
        return 1.0 / S.growth_per_step(norms)

    fails(ch2.check_growth_per_step, inverted, "return exp(-slope)", passed=0)


def test_linear_rnn_growth_is_close_to_the_spectral_radius():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(6, 6))
    base = base + base.T
    radius = np.max(np.abs(np.linalg.eigvals(base)))
    for rho in (0.8, 1.1):
        norms = ch2.linear_rnn_gradient_norms(base * rho / radius, 40)
        assert norms[-1] == 1.0
        assert S.growth_per_step(norms) == pytest.approx(rho, abs=0.02)


def test_clip_by_global_norm_per_tensor_is_diagnosed_as_clipnorm():
    def clip_each(grads, clip_norm):
        return [g * min(1.0, clip_norm / np.linalg.norm(g)) for g in grads]

    fails(ch2.check_clip_by_global_norm, clip_each, "that is Keras's `clipnorm`")


def test_clip_by_global_norm_that_always_rescales_is_diagnosed():
    def always(grads, clip_norm):
        norm = np.sqrt(sum(np.sum(g**2) for g in grads))
        return [g * clip_norm / norm for g in grads]

    fails(ch2.check_clip_by_global_norm, always, "stay as they are", passed=8)


def test_irnn_answer_wrong_option_gets_its_hint_and_not_the_right_letter():
    message = fails(ch2.check_irnn_answer, lambda: "d", "clipping caps each update", passed=0)
    assert "'c'" not in message, message
    fails(ch2.check_irnn_answer, lambda: "C", "lowercase", passed=0)
    fails(ch2.check_irnn_answer, lambda: 3, "must return one of 'a', 'b', 'c', 'd'", passed=0)
