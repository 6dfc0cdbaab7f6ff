"""Wrong answers to the two projects (6.9 and 8.9): each is diagnosed and scores less.

The reference solutions passing and the unsolved stubs scoring nothing are tested for
every exercise by `tests/test_check_harness.py`; here, models that are not good enough:
untrained, without a recurrent or an attention layer, or trained beyond the time budget.
"""

import keras
import numpy as np
import pytest
from exercise_solutions import fails

from course_lib import datasets
from course_lib.checks import projects
from course_lib.datasets.spoken import PAD, SOURCE_WORDS, TARGET_TOKENS


def untrained_language_model(train_ids, val_ids, vocab_size):
    chars = keras.Input(shape=(None,), dtype="int32")
    states = keras.layers.GRU(16, return_sequences=True)(
        keras.layers.Embedding(vocab_size, 8)(chars)
    )
    return keras.Model(chars, keras.layers.Dense(vocab_size)(states))


def unigram_language_model(train_ids, val_ids, vocab_size):
    """No recurrence: a trained bias that predicts the character frequencies."""
    chars = keras.Input(shape=(None,), dtype="int32")
    logits = keras.layers.Dense(vocab_size)(keras.ops.zeros_like(chars, dtype="float32")[..., None])
    model = keras.Model(chars, logits)
    model.compile(
        keras.optimizers.Adam(0.1), keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    X, y = datasets.make_char_sequences(train_ids[:20_000], 64, stride=64)
    model.fit(X, np.concatenate([X[:, 1:], y[:, None]], axis=1), epochs=3, verbose=0)
    return model


def test_an_untrained_language_model_misses_the_bound():
    fails(projects.check_language_model, untrained_language_model,
          "bits per character on 2000 fresh test characters", "at most", passed=5)  # fmt: skip


def test_a_model_that_counts_characters_has_no_recurrent_layer_and_misses_the_bound():
    message = fails(projects.check_language_model, unigram_language_model,
                    "should contain a keras.layers.SimpleRNN or LSTM or GRU layer",
                    "counting characters (unigram) scores", passed=4)  # fmt: skip
    assert "bits per character" in message


def test_returning_no_model_fails_every_check_on_the_model():
    fails(projects.check_language_model, lambda train_ids, val_ids, vocab_size: None,
          "should return the trained keras.Model; got NoneType", passed=1)  # fmt: skip


def test_training_beyond_the_budget_fails(monkeypatch):
    monkeypatch.setattr(projects, "TRAIN_SECONDS", 0.0)
    fails(projects.check_language_model, untrained_language_model, "the budget is 0 CPU seconds",
          passed=4)  # fmt: skip


def _translator(*, attend: bool):
    def train_translator(encoder_input, decoder_input, decoder_target):
        source = keras.Input((None,), dtype="int32")
        target = keras.Input((None,), dtype="int32")
        embedded = keras.layers.Embedding(len(SOURCE_WORDS) + 1, 8, mask_zero=True)(source)
        outputs, h = keras.layers.GRU(16, return_sequences=True, return_state=True)(embedded)
        s = keras.layers.GRU(16, return_sequences=True)(
            keras.layers.Embedding(len(TARGET_TOKENS), 8)(target), initial_state=h
        )
        if attend:
            from course_lib.attention import BahdanauAttention

            context, _ = BahdanauAttention(16)(
                s, outputs, value_mask=keras.ops.not_equal(source, PAD)
            )
            s = keras.layers.Concatenate()([s, context])
        return keras.Model([source, target], keras.layers.Dense(len(TARGET_TOKENS))(s))

    return train_translator


def test_an_untrained_translator_misses_the_exact_match_bound():
    fails(projects.check_translator, _translator(attend=True),
          "exact match on 400 fresh strings", "at least 0.8 passes", passed=5)  # fmt: skip


def test_a_translator_without_attention_is_told_to_attend():
    fails(projects.check_translator, _translator(attend=False),
          "through an attention layer", "exact match", passed=4)  # fmt: skip


def test_the_test_contexts_are_fresh_when_graded_and_say_nothing_of_their_targets():
    check = projects.check_language_model
    (fixed,) = check.cases(None)
    (graded,) = check.cases(12345)
    contexts_fixed, contexts_graded = fixed.args[-1], graded.args[-1]
    assert contexts_fixed.shape == contexts_graded.shape == (2000, projects.CONTEXT_CHARS)
    assert not np.array_equal(contexts_fixed, contexts_graded)
    # The training data is the project's, the same in both.
    np.testing.assert_array_equal(fixed.args[0], graded.args[0])


@pytest.mark.parametrize("order", [1, 3])
def test_the_chain_samples_only_what_its_text_allows(order):
    text = "abcabd abcx"
    chain = datasets.CharMarkovChain(text, order=order)
    sample = chain.sample(200, seed=1)
    assert len(sample) == 200 and set(sample) <= set(text)
    for i in range(order, len(sample)):
        assert chain.probabilities(sample[:i])[chain.chars.index(sample[i])] > 0
    np.testing.assert_allclose(chain.probabilities(sample[:order]).sum(), 1.0)


def test_the_chain_refuses_bad_arguments_with_their_names():
    with pytest.raises(ValueError, match="`text` must be a str longer than `order`"):
        datasets.CharMarkovChain("ab", order=3)
    with pytest.raises(ValueError, match="`context` must end with 2 characters"):
        datasets.CharMarkovChain("abcabc", order=2).probabilities("zz")
