"""Checks of Chapter 6's exercises: typical mistakes are diagnosed.

That the reference solutions pass and the stubs score nothing is tested for every
exercise by `tests/test_check_harness.py`.
"""

import keras
import numpy as np
from exercise_solutions import fails, load_solutions

from course_lib.checks import ch6

S = load_solutions("06_applications")


def test_sampling_that_multiplies_by_the_temperature_is_diagnosed():
    def multiplies(logits, temperature, rng):
        return S.sample_with_temperature(logits, 1.0 / temperature, rng)

    fails(ch6.check_temperature_sampling, multiplies, "do not multiply", passed=4)


def test_sampling_with_the_global_generator_is_diagnosed():
    def global_rng(logits, temperature, rng):
        return S.sample_with_temperature(logits, temperature, np.random.default_rng())

    fails(ch6.check_temperature_sampling, global_rng, "draw with the `rng` argument", passed=6)


def test_sampling_that_overflows_fails():
    def unstable(logits, temperature, rng):
        weights = np.exp(np.asarray(logits) / temperature)
        return int(rng.choice(len(weights), p=weights / weights.sum()))

    fails(ch6.check_temperature_sampling, unstable, "subtract the largest logit", "ValueError")


def test_greedy_sampling_is_diagnosed():
    fails(
        ch6.check_temperature_sampling,
        lambda logits, t, rng: int(np.argmax(logits)),
        "do not take the argmax",
    )


def test_sampling_that_returns_a_float_fails():
    def as_float(logits, temperature, rng):
        return float(S.sample_with_temperature(logits, temperature, rng))

    fails(ch6.check_temperature_sampling, as_float, "should be an int", passed=6)


def test_bits_per_character_mistakes_are_diagnosed():
    def nats(probs, targets):
        return S.bits_per_character(probs, targets) * np.log(2.0)

    fails(ch6.check_bits_per_character, nats, "use log base 2", passed=2)

    def summed(probs, targets):
        return S.bits_per_character(probs, targets) * len(targets)

    fails(ch6.check_bits_per_character, summed, "average over the characters")


def test_bits_per_character_without_clipping_fails_with_inf():
    def unclipped(probs, targets):
        with np.errstate(divide="ignore"):
            return float(-np.mean(np.log2(probs[np.arange(len(targets)), targets])))

    fails(ch6.check_bits_per_character, unclipped, "NaN or infinite", "clip", passed=5)


def test_transposed_confusion_matrix_is_diagnosed():
    def transposed(y_true, y_pred, n_classes):
        return S.confusion_matrix(y_true, y_pred, n_classes).T

    fails(ch6.check_confusion_matrix, transposed, "rows are the true classes", passed=1)


def test_confusion_matrix_ignoring_absent_classes_fails_on_shape():
    def observed_only(y_true, y_pred, n_classes):
        return S.confusion_matrix(y_true, y_pred, int(max(y_true.max(), y_pred.max())) + 1)

    fails(
        ch6.check_confusion_matrix, observed_only, "confusion matrix for a class that never occurs"
    )


def test_accuracy_is_not_macro_f1():
    fails(
        ch6.check_macro_f1,
        lambda t, p, n: float(np.mean(t == p)),
        "you computed the accuracy",
        passed=1,
    )


def test_macro_f1_with_nan_for_empty_classes_fails():
    def nan_prone(y_true, y_pred, n_classes):
        matrix = S.confusion_matrix(y_true, y_pred, n_classes).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            precision = np.diag(matrix) / matrix.sum(axis=0)
            recall = np.diag(matrix) / matrix.sum(axis=1)
            return float(np.mean(2 * precision * recall / (precision + recall)))

    fails(ch6.check_macro_f1, nan_prone, "contains NaN", passed=3)


def test_forecaster_without_a_recurrent_layer_fails():
    def dense_only(X_train, y_train, X_val, y_val):
        model = keras.Sequential(
            [keras.Input(X_train.shape[1:]), keras.layers.Flatten(), keras.layers.Dense(10)]
        )
        return model

    fails(ch6.check_forecaster, dense_only, "SimpleRNN or LSTM or GRU", "last step ahead")


def test_forecaster_with_one_output_fails():
    def one_step(X_train, y_train, X_val, y_val):
        return keras.Sequential(
            [keras.Input(X_train.shape[1:]), keras.layers.GRU(4), keras.layers.Dense(1)]
        )

    fails(ch6.check_forecaster, one_step, "keras.layers.Dense(10)", passed=3)


def test_bidirectional_answer_wrong_options_get_their_hints():
    fails(ch6.check_bidirectional_answer, lambda: "a", "with their own weights", passed=0)
    fails(ch6.check_bidirectional_answer, lambda: "d", "must not read the future", passed=0)
