"""Tests of course_lib.datasets.messages (the Sphinx messages) and course_lib.batching."""

import re

import numpy as np
import pytest

import course_lib.batching as bucketing
from course_lib.datasets import MESSAGE_LANGUAGES, load_messages


def test_messages_are_balanced_parallel_and_split_by_message():
    texts, labels = load_messages("all")
    train, train_labels = load_messages("train")
    test, test_labels = load_messages("test")
    assert len(MESSAGE_LANGUAGES) == 5
    assert len(texts) >= 3000 and len(texts) == len(train) + len(test)
    for y in (labels, train_labels, test_labels):
        counts = np.bincount(y, minlength=5)
        assert counts.min() == counts.max()  # five translations of every message
        np.testing.assert_array_equal(y[:5], np.arange(5))
    assert abs(len(test) / len(texts) - 0.2) < 0.01
    english_train = set(train[train_labels == 0])
    assert not english_train & set(test[test_labels == 0])  # no message in both splits
    assert isinstance(texts[0], str) and texts.dtype.kind == "U"


def test_messages_are_clean_and_spread_in_length():
    texts, labels = load_messages("all")
    assert not any(re.search(r"%\(|%s|\{\d*\}", t) for t in texts)  # no placeholders
    assert all(t == " ".join(t.split()) and t for t in texts)
    words = np.array([len(t.split()) for t in texts])
    assert words.min() == 1 and words.max() >= 60 and 3 <= np.median(words) <= 8
    # a translation is never a copy of its English message
    rows = texts.reshape(-1, 5)
    assert all(row[0] not in row[1:] for row in rows)
    assert "(obsolète)" in set(texts[labels == 1])


def test_split_is_fixed_and_test_fraction_is_used():
    a, _ = load_messages("test")
    b, _ = load_messages("test")
    np.testing.assert_array_equal(a, b)
    small, _ = load_messages("test", test_fraction=0.1)
    assert abs(len(small) - len(a) / 2) <= 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"split": "valid"}, "`split` must be one of 'train', 'test', 'all'; got 'valid'."),
        ({"test_fraction": 0.9}, "`test_fraction` must be in [0.05, 0.5]; got 0.9."),
    ],
)
def test_load_messages_errors(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        load_messages(**kwargs)


# --------------------------------------------------------------------------------------
# course_lib.batching
# --------------------------------------------------------------------------------------


def _sequences(seed=0, n=50):
    rng = np.random.default_rng(seed)
    return [rng.integers(1, 9, size=rng.integers(1, 30)) for _ in range(n)], np.arange(n)


def test_unpad_inverts_post_padding():
    seqs, _ = _sequences()
    ids = np.zeros((len(seqs), 30), dtype=int)
    for row, s in zip(ids, seqs, strict=True):
        row[: len(s)] = s
    back = bucketing.unpad(ids)
    assert all(np.array_equal(a, b) for a, b in zip(back, seqs, strict=True))
    assert bucketing.unpad([[0, 0]])[0].size == 0


@pytest.mark.parametrize("bucket", [True, False])
@pytest.mark.parametrize("padding", ["post", "pre"])
def test_make_batches_keeps_every_sequence_once(bucket, padding):
    seqs, y = _sequences(1)
    batches = bucketing.make_batches(seqs, y, 8, bucket=bucket, padding=padding, seed=3)
    seen = np.concatenate([yb for _, yb in batches])
    np.testing.assert_array_equal(np.sort(seen), y)
    for X, yb in batches:
        assert X.dtype == np.int32 and X.shape[0] == len(yb) <= 8
        for row, label in zip(X, yb, strict=True):
            tokens = row[row != 0]
            np.testing.assert_array_equal(tokens, seqs[label])
            if padding == "post":
                assert np.all(row[len(tokens) :] == 0)
            else:
                assert np.all(row[: len(row) - len(tokens)] == 0)
        assert X.shape[1] == max(len(seqs[i]) for i in yb)  # padded to its own longest


def test_bucketing_pads_less_than_random_batches_and_maxlen_fixes_the_width():
    seqs, y = _sequences(2, n=400)
    bucketed = bucketing.make_batches(seqs, y, 32, bucket=True)
    random = bucketing.make_batches(seqs, y, 32, bucket=False)
    fixed = bucketing.make_batches(seqs, y, 32, bucket=False, maxlen=10)
    total_b, real_b = bucketing.padded_steps(bucketed)
    total_r, real_r = bucketing.padded_steps(random)
    assert real_b == real_r == sum(len(s) for s in seqs)
    assert total_b < 0.7 * total_r
    assert {X.shape[1] for X, _ in fixed} == {10}
    assert bucketing.padded_steps(fixed)[1] == sum(min(len(s), 10) for s in seqs)
    lengths = [X.shape[1] for X, _ in bucketed]
    assert lengths != sorted(lengths)  # the batches are shuffled, not in length order
    again = bucketing.make_batches(seqs, y, 32, bucket=True)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(bucketed, again, strict=True))


def test_to_dataset_yields_the_batches():
    seqs, y = _sequences(3, n=20)
    batches = bucketing.make_batches(seqs, y, 6)
    dataset = bucketing.to_dataset(batches)
    for (X, yb), (Xd, yd) in zip(batches, dataset, strict=True):
        np.testing.assert_array_equal(X, Xd.numpy())
        np.testing.assert_array_equal(yb, yd.numpy())


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: bucketing.make_batches([], [], 4), "`sequences` must be a non-empty list"),
        (lambda: bucketing.make_batches([[1, 2]], [0, 1], 4), "`y` must have one label per"),
        (lambda: bucketing.make_batches([[1]], [0], 0), "`batch_size` must be at least 1"),
        (lambda: bucketing.make_batches([[1]], [0], 2, padding="mid"), "`padding` must be one"),
        (lambda: bucketing.make_batches([[[1]]], [0], 2), "`sequences[0]` must be 1-D"),
        (lambda: bucketing.unpad([1, 2]), "`ids` must be 2-D (batch, timesteps)"),
        (lambda: bucketing.to_dataset([]), "`batches` must hold at least one"),
    ],
)
def test_bucketing_errors(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


def test_stream_windows_continue_each_other():
    ids = np.arange(1000)
    X, Y = bucketing.stream_windows(ids, streams=4, window=7)
    assert X.shape == Y.shape and X.shape[1] == 7 and X.shape[0] % 4 == 0
    np.testing.assert_array_equal(Y, X + 1)  # the next id
    batches = X.reshape(-1, 4, 7)  # (K, S, W)
    np.testing.assert_array_equal(batches[1:, :, 0], batches[:-1, :, -1] + 1)  # row b goes on
    streams = batches.transpose(1, 0, 2).reshape(4, -1)  # (S, K * W)
    np.testing.assert_array_equal(np.diff(streams, axis=1), 1)  # contiguous streams
    assert streams[1, 0] == streams[0, -1] + 1  # stream 1 starts where stream 0 ends
    with pytest.raises(ValueError, match=re.escape("`ids` must hold more than")):
        bucketing.stream_windows(np.arange(8), streams=4, window=2)
