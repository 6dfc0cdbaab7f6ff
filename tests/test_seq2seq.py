"""The encoder-decoder: its step model computes what the training model computes."""

import keras
import numpy as np
import pytest

from course_lib import datasets, seq2seq


@pytest.mark.parametrize("attention", [False, True])
def test_step_by_step_decoding_matches_teacher_forcing(attention):
    keras.utils.set_random_seed(0)
    s2s = seq2seq.build_seq2seq(units=8, embedding_dim=4, attention=attention)
    batch = datasets.encode_pairs(*datasets.spoken_digits(5, max_digits=6, seed=0))
    logits = keras.ops.convert_to_numpy(
        s2s.model([batch.encoder_input, batch.decoder_input], training=False)
    )  # (B, Td, V)
    expected = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))  # log-softmax
    state = s2s.encode(batch.encoder_input)
    for t in range(batch.decoder_input.shape[1]):
        log_probs, state = s2s.step(batch.decoder_input[:, t], state)  # the true token
        np.testing.assert_allclose(log_probs, expected[:, t], atol=1e-5)


def test_attention_weights_cover_only_the_real_source_words():
    keras.utils.set_random_seed(1)
    s2s = seq2seq.build_seq2seq(units=8, embedding_dim=4, attention=True)
    batch = datasets.encode_pairs(["one two", "three four five six"], ["12", "3456"])
    state = s2s.encode(batch.encoder_input)
    _, _, weights = s2s.step_with_weights(np.full(2, datasets.spoken.START), state)
    assert weights.shape == (2, 4)
    np.testing.assert_allclose(weights[0, 2:], 0.0, atol=1e-7)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="attention=True"):
        seq2seq.build_seq2seq(units=4).step_with_weights(np.zeros(1), (np.zeros((1, 4)),))


def test_translate_decodes_strings_greedy_and_with_beams():
    keras.utils.set_random_seed(2)
    s2s = seq2seq.build_seq2seq(units=8, embedding_dim=4)
    batch = datasets.encode_pairs(["one two", "three"], ["12", "3"])
    for width in (1, 3):
        got = s2s.translate(batch.encoder_input, max_len=4, beam_width=width)
        assert len(got) == 2 and all(set(s) <= set("0123456789") and len(s) <= 4 for s in got)


def test_exact_match_and_accuracy_by_length():
    predicted, targets = ["1", "22", "34", "555"], ["1", "22", "33", "554"]
    assert seq2seq.exact_match(predicted, targets) == 0.5
    assert seq2seq.accuracy_by_length(predicted, targets) == {1: 1.0, 2: 0.5, 3: 0.0}
    assert seq2seq.accuracy_by_length(predicted, targets, bins=[(1, 2), (3, 3)]) == {
        (1, 2): 2 / 3,
        (3, 3): 0.0,
    }
    with pytest.raises(ValueError, match="same length"):
        seq2seq.exact_match(["1"], ["1", "2"])
    with pytest.raises(ValueError, match="no target in it"):
        seq2seq.accuracy_by_length(predicted, targets, bins=[(5, 6)])


def test_drop_at_lowers_the_learning_rate_tenfold_after_that_step():
    s2s = seq2seq.build_seq2seq(units=4, lr=2e-3, drop_at=5)
    schedule = s2s.model.optimizer._learning_rate
    assert float(schedule(4)) == pytest.approx(2e-3)
    assert float(schedule(6)) == pytest.approx(2e-4)
    with pytest.raises(ValueError, match="`drop_at` must be at least 1"):
        seq2seq.build_seq2seq(units=4, drop_at=0)
