"""Checks of Chapter 7's exercises: the reference solutions pass, typical mistakes fail."""

import numpy as np
from exercise_solutions import fails, load_solutions, passes

from course_lib import cells
from course_lib.checks import ch7

S = load_solutions("07_variable_length")

# The reference passing and the stub scoring 0 are tested for every exercise by
# tests/test_check_harness.py; this file keeps Chapter 7's mistake diagnoses.


# 7.1 -----------------------------------------------------------------------------------


def test_pad_on_the_wrong_side_is_diagnosed():
    def always_post(sequences, maxlen, padding="post"):
        return S.pad(sequences, maxlen, "post")

    fails(ch7.check_pad, always_post, 'padding="pre" puts the zeros before', passed=3)


def test_pad_that_keeps_the_last_ids_is_diagnosed():
    def keeps_last(sequences, maxlen, padding="post"):
        return S.pad([list(s)[-maxlen:] for s in sequences], maxlen, padding)

    fails(ch7.check_pad, keeps_last, "keep its first maxlen ids")


def test_pad_with_a_wrong_width_fails_on_shape():
    fails(
        ch7.check_pad,
        lambda sequences, maxlen, padding="post": S.pad(sequences, maxlen + 1, padding),
        "expected (3, 4) (sequences, maxlen)",
        passed=0,
    )


# 7.2 -----------------------------------------------------------------------------------


def test_masked_rnn_that_ignores_the_mask_is_diagnosed():
    def no_mask(x, mask, kernel, recurrent_kernel, bias):
        # Not cells.simple_rnn_forward: it answers 7.2, so the self-check withholds it.
        return S.masked_rnn_forward(x, np.ones_like(mask), kernel, recurrent_kernel, bias)

    fails(ch7.check_masked_rnn_forward, no_mask, "use the mask", passed=1)


def test_masked_rnn_with_zero_outputs_is_diagnosed():
    def zero_outputs(x, mask, kernel, recurrent_kernel, bias):
        out = S.masked_rnn_forward(x, mask, kernel, recurrent_kernel, bias)
        return np.where(mask[:, :, None], out, 0.0)

    fails(ch7.check_masked_rnn_forward, zero_outputs, "repeats the previous output")


def test_masked_rnn_that_resets_the_state_is_diagnosed():
    def resets(x, mask, kernel, recurrent_kernel, bias):
        h = np.zeros((x.shape[0], recurrent_kernel.shape[0]))
        outputs = []
        for t in range(x.shape[1]):
            new = cells.simple_rnn_step(x[:, t], h, kernel, recurrent_kernel, bias)
            h = np.where(mask[:, t, None], new, 0.0)
            outputs.append(h)
        return np.stack(outputs, axis=1)

    fails(ch7.check_masked_rnn_forward, resets, "instead of resetting it to zeros")


def test_masked_rnn_returning_the_last_output_fails_on_shape():
    def last(x, mask, kernel, recurrent_kernel, bias):
        return S.masked_rnn_forward(x, mask, kernel, recurrent_kernel, bias)[:, -1]

    fails(ch7.check_masked_rnn_forward, last, "expected (4, 6, 4)", passed=0)


# 7.3 -----------------------------------------------------------------------------------


def test_masked_mean_over_all_steps_is_diagnosed():
    fails(
        ch7.check_masked_mean,
        lambda outputs, mask: outputs.mean(axis=1),
        "leave the masked steps out",
        passed=1,
    )


def test_masked_mean_divided_by_timesteps_is_diagnosed():
    def by_timesteps(outputs, mask):
        return (outputs * mask[:, :, None]).sum(axis=1) / outputs.shape[1]

    fails(ch7.check_masked_mean, by_timesteps, "not by timesteps")


def test_masked_sum_is_diagnosed():
    fails(
        ch7.check_masked_mean,
        lambda outputs, mask: (outputs * mask[:, :, None]).sum(axis=1),
        "divide the sum by the number of real steps",
    )


# 7.4 -----------------------------------------------------------------------------------


def test_unsorted_batches_cost_more_steps():
    def unsorted(lengths, batch_size):
        order = np.arange(len(lengths))
        return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]

    fails(ch7.check_bucket_batches, unsorted, "np.argsort(lengths)", passed=3)


def _cut(order, batch_size):
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def test_a_descending_sort_pads_fewer_steps_and_passes(capsys):
    # The short last batch then holds the shortest sequences: fewer padded steps than the
    # ascending layout of the reference (1234 against 1254 for the check's lengths).
    def descending(lengths, batch_size):
        return _cut(np.argsort(-np.asarray(lengths), kind="stable"), batch_size)

    passes(ch7.check_bucket_batches, descending, capsys, "7.4", 4)


def test_batches_in_another_order_pass(capsys):
    # "Here the order does not matter": the short batch first, or the list reversed.
    def short_batch_first(lengths, batch_size):
        order = np.argsort(lengths, kind="stable")
        first = len(order) % batch_size
        return [order[:first], *_cut(order[first:], batch_size)]

    def reversed_list(lengths, batch_size):
        return S.bucket_batches(lengths, batch_size)[::-1]

    passes(ch7.check_bucket_batches, short_batch_first, capsys, "7.4", 4)
    passes(ch7.check_bucket_batches, reversed_list, capsys, "7.4", 4)


def test_two_short_batches_fail():
    def split_twice(lengths, batch_size):
        order = np.argsort(lengths, kind="stable")
        return [order[:3], *_cut(order[3:], batch_size)]

    fails(ch7.check_bucket_batches, split_twice, "except at most one with fewer", passed=3)


def test_batches_that_lose_indices_fail():
    def drops_last(lengths, batch_size):
        return S.bucket_batches(lengths, batch_size)[:-1]

    fails(ch7.check_bucket_batches, drops_last, "exactly once")


def test_batches_of_the_wrong_size_fail():
    def pairs(lengths, batch_size):
        return S.bucket_batches(lengths, 2)

    fails(ch7.check_bucket_batches, pairs, "every batch must hold batch_size=8")


def test_batches_that_are_not_index_arrays_fail():
    fails(
        ch7.check_bucket_batches,
        lambda lengths, batch_size: np.sort(lengths),
        "must return a list of integer index arrays",
    )


# 7.5 -----------------------------------------------------------------------------------


def test_naive_windows_that_do_not_continue_each_other_are_diagnosed():
    def naive(ids, streams, window):
        X, Y = S.stream_windows(ids, streams, window)
        n = X.size
        return ids[:n].reshape(-1, window), ids[1 : n + 1].reshape(-1, window)

    # the same as laying the windows out stream by stream
    fails(
        ch7.check_stream_windows,
        naive,
        "row b of batch k+1 must continue row b of batch k",
        passed=0,
    )


def test_unshifted_targets_are_diagnosed():
    def same(ids, streams, window):
        X, _ = S.stream_windows(ids, streams, window)
        return X, X

    fails(ch7.check_stream_windows, same, "the next id", passed=2)


def test_nearest_neighbours_by_dot_product_is_diagnosed():
    def dot(table, word_id, k):
        order = np.argsort(-(table @ table[word_id]), kind="stable")
        return order[order != word_id][:k]

    fails(ch7.check_nearest_neighbours, dot, "divide every row by its length")


def test_nearest_neighbours_including_the_word_itself_is_diagnosed():
    def itself(table, word_id, k):
        unit = table / np.linalg.norm(table, axis=1, keepdims=True)
        return np.argsort(-(unit @ unit[word_id]), kind="stable")[:k]

    fails(ch7.check_nearest_neighbours, itself, "leave out the word itself")


def test_missing_mask_answer_wrong_options_get_their_hints():
    fails(ch7.check_missing_mask_answer, lambda: "d", "the zeros come before the words", passed=0)
    fails(ch7.check_missing_mask_answer, lambda: "a", "nothing drops the padding", passed=0)
