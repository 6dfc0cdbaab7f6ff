"""Checks of Chapter 8's exercises: the reference solutions pass, typical mistakes fail."""

import numpy as np
from exercise_solutions import fails, load_solutions

from course_lib.checks import ch8

S = load_solutions("08_seq2seq")

# The reference passing and the stub scoring 0 are tested for every exercise by
# tests/test_check_harness.py; this file keeps Chapter 8's mistake diagnoses.


# 8.1 -------------------------------------------------------------------------------------


def test_decoder_inputs_shifted_left_is_diagnosed():
    def shifted_left(targets, start):
        return np.concatenate([targets[:, 1:], np.full((len(targets), 1), start)], axis=1)

    fails(ch8.check_decoder_inputs, shifted_left, "shift to the right", passed=2)


def test_decoder_inputs_that_keep_the_last_column_are_diagnosed():
    def too_long(targets, start):
        return np.concatenate([np.full((len(targets), 1), start), targets], axis=1)

    fails(ch8.check_decoder_inputs, too_long, "drop the target's last step", "wrong shape")


def test_decoder_inputs_that_write_into_the_targets_fail():
    def in_place(targets, start):
        targets[:, 1:] = targets[:, :-1].copy()
        targets[:, 0] = start
        return targets

    fails(ch8.check_decoder_inputs, in_place, "changed its input `targets` in place", passed=3)


# 8.2 -------------------------------------------------------------------------------------


def test_attention_weights_without_the_mask_are_diagnosed():
    def unmasked(query, keys, W1, W2, v, mask=None):
        return S.attention_weights(query, keys, W1, W2, v, None)

    fails(ch8.check_attention_weights, unmasked, "the padding (mask False) must get weight 0",
          passed=3)  # fmt: skip


def test_attention_weights_without_softmax_are_diagnosed():
    def raw_scores(query, keys, W1, W2, v, mask=None):
        scores = np.tanh((query @ W1)[:, None] + keys @ W2) @ v
        return scores if mask is None else np.where(mask, scores, 0.0)

    fails(ch8.check_attention_weights, raw_scores, "with a softmax over the source positions")


def test_attention_weights_without_tanh_are_diagnosed():
    def no_tanh(query, keys, W1, W2, v, mask=None):
        scores = ((query @ W1)[:, None] + keys @ W2) @ v
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    fails(ch8.check_attention_weights, no_tanh, "apply tanh", passed=2)


def test_attention_weights_with_the_wrong_shape_fail():
    fails(
        ch8.check_attention_weights,
        lambda query, keys, *rest: np.ones(keys.shape[:2])[:, :, None],
        "wrong shape",
        "(batch, timesteps)",
    )


# 8.3 -------------------------------------------------------------------------------------


def test_greedy_decode_that_never_feeds_back_is_diagnosed():
    def no_feedback(step, state, start, end, max_len):
        batch = len(state)
        tokens = np.zeros((batch, max_len), dtype=int)
        finished = np.zeros(batch, dtype=bool)
        for t in range(max_len):
            log_probs, state = step(np.full(batch, start), state)
            chosen = log_probs.argmax(axis=1)
            tokens[:, t] = np.where(finished, 0, chosen)
            finished |= chosen == end
        return tokens

    fails(ch8.check_greedy_decode, no_feedback, "feed back the token you just chose")


def test_greedy_decode_that_does_not_pad_after_end_is_diagnosed():
    def no_padding(step, state, start, end, max_len):
        tokens, previous = [], np.full(len(state), start)
        for _ in range(max_len):
            log_probs, state = step(previous, state)
            previous = log_probs.argmax(axis=1)
            tokens.append(previous)
        return np.stack(tokens, axis=1)

    fails(ch8.check_greedy_decode, no_padding, "then 0 for the remaining steps", passed=3)


def test_greedy_decode_returning_floats_fails():
    def floats(step, state, start, end, max_len):
        return S.greedy_decode(step, state, start, end, max_len).astype(float)

    fails(ch8.check_greedy_decode, floats, "integer NumPy array", passed=3)


# 8.4 -------------------------------------------------------------------------------------


def test_beam_step_that_ignores_the_beam_scores_is_diagnosed():
    def tokens_only(scores, log_probs, beam_width):
        return S.beam_step(np.zeros_like(scores), log_probs, beam_width)

    fails(ch8.check_beam_step, tokens_only, "add each beam's score")


def test_beam_step_sorted_the_wrong_way_is_diagnosed():
    def worst_first(scores, log_probs, beam_width):
        candidates = (scores[:, None] + log_probs).reshape(-1)
        best = np.argsort(candidates, kind="stable")[:beam_width]
        return candidates[best], best // log_probs.shape[1], best % log_probs.shape[1]

    fails(ch8.check_beam_step, worst_first, "keep the largest scores")


def test_beam_step_that_extends_only_the_best_beam_fails_the_hand_case():
    def best_beam_only(scores, log_probs, beam_width):
        k = int(np.argmax(scores))
        order = np.argsort(-log_probs[k], kind="stable")[:beam_width]
        return scores[k] + log_probs[k, order], np.full(beam_width, k), order

    message = fails(ch8.check_beam_step, best_beam_only, "beats")
    assert "a beam that is not the best" in message


def test_beam_step_returning_one_array_fails():
    fails(ch8.check_beam_step, lambda s, lp, w: np.zeros(w), "should return (new_scores, parents")


def test_exposure_bias_answer_wrong_options_get_their_hints():
    fails(ch8.check_exposure_bias_answer, lambda: "c", "lowers both curves alike", passed=0)
    fails(ch8.check_exposure_bias_answer, lambda: "a", "same network", passed=0)


def test_attention_answer_wrong_option_gets_its_hint():
    fails(ch8.check_attention_answer, lambda: "a", "nobody tells the model where to look", passed=0)
