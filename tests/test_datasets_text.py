"""Tests of course_lib.datasets.text: the pydoc corpus, the vocabulary and the pairs."""

import re

import numpy as np
import pytest

import course_lib.datasets.text as text_module
from course_lib.datasets import CharVocabulary, load_corpus, make_char_sequences


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


def test_corpus_is_long_ascii_and_starts_with_the_first_sorted_topic(corpus):
    from pydoc_data.topics import topics

    assert len(corpus) >= 200_000
    assert corpus.isascii()
    first_key = sorted(topics)[0]
    assert corpus.startswith(topics[first_key].splitlines()[0])


def test_corpus_is_normalised(corpus):
    assert "\t" not in corpus and "\r" not in corpus
    assert "\n\n\n" not in corpus
    assert not re.search(r" +\n", corpus)  # no trailing spaces
    assert not re.search(r"\S  ", corpus)  # no runs of spaces inside a line
    assert not re.search(r"(?m)^\s*([-=*~^])\1{2,}\s*$", corpus)  # no underline rules
    assert "   if __debug__:" in corpus  # indentation of code examples is kept
    assert "sequence's" in corpus  # typographic apostrophe mapped to ASCII
    assert len(set(corpus)) <= 96


def test_corpus_is_deterministic(corpus):
    text_module._full_corpus.cache_clear()
    assert load_corpus() == corpus


def test_max_chars_gives_a_prefix(corpus):
    assert load_corpus(max_chars=5000) == corpus[:5000]
    assert load_corpus(max_chars=10**9) == corpus


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (0, r"`max_chars` must be at least 1; got 0"),
        (1.5, r"`max_chars` must be an integer; got float 1.5"),
    ],
)
def test_load_corpus_rejects_bad_max_chars(value, match):
    with pytest.raises(ValueError, match=match):
        load_corpus(max_chars=value)


def test_vocabulary_is_sorted_and_round_trips(corpus):
    vocab = CharVocabulary(corpus)
    assert list(vocab.chars) == sorted(set(corpus))
    assert vocab.size == len(vocab.chars) == len(vocab)
    ids = vocab.encode(corpus)
    assert ids.shape == (len(corpus),) and ids.dtype == np.int32
    assert ids.min() == 0 and ids.max() == vocab.size - 1
    assert vocab.decode(ids) == corpus
    assert vocab.decode(ids.tolist()[:50]) == corpus[:50]  # plain lists work too
    assert vocab.decode([]) == ""


def test_encode_names_the_unknown_character():
    vocab = CharVocabulary("abc ")
    with pytest.raises(ValueError, match=r"character 'é' \(U\+00E9\) at position 2"):
        vocab.encode("abé")
    with pytest.raises(ValueError, match=r"`text` must be a str; got list"):
        vocab.encode(["a"])


@pytest.mark.parametrize(
    ("ids", "match"),
    [
        ([0, 4], r"`ids` must be in \[0, 3\); got 4 at position 1"),
        ([-1], r"`ids` must be in \[0, 3\); got -1 at position 0"),
        ([0.5], r"`ids` must hold integers; got dtype float64"),
        ([[0, 1]], r"`ids` must be 1-D \(timesteps,\); got shape \(1, 2\)"),
    ],
)
def test_decode_rejects_bad_ids(ids, match):
    with pytest.raises(ValueError, match=match):
        CharVocabulary("abc").decode(ids)


def test_vocabulary_rejects_empty_text():
    with pytest.raises(ValueError, match=r"`text` must be a non-empty str"):
        CharVocabulary("")


def test_make_char_sequences_pairs_each_window_with_the_next_character():
    ids = np.arange(20) * 3
    X, y = make_char_sequences(ids, 5)
    assert X.shape == (15, 5) and y.shape == (15,)
    assert X.dtype == np.int32 and y.dtype == np.int32
    for i in range(len(X)):
        np.testing.assert_array_equal(X[i], ids[i : i + 5])
        assert y[i] == ids[i + 5]


def test_make_char_sequences_stride():
    X, y = make_char_sequences(np.arange(20), 5, stride=4)
    assert X.shape == ((20 - 5 - 1) // 4 + 1, 5)
    np.testing.assert_array_equal(X[:, 0], [0, 4, 8, 12])
    np.testing.assert_array_equal(y, [5, 9, 13, 17])


@pytest.mark.parametrize(
    ("ids", "kwargs", "match"),
    [
        (np.arange(10), {"seq_len": 10}, r"`seq_len` must be shorter than `ids` \(length 10\)"),
        (np.arange(10), {"seq_len": 0}, r"`seq_len` must be at least 1; got 0"),
        (np.arange(10), {"seq_len": 3, "stride": 0}, r"`stride` must be at least 1; got 0"),
        (np.linspace(0, 1, 10), {"seq_len": 3}, r"`ids` must hold integers"),
        (np.zeros((2, 10), dtype=int), {"seq_len": 3}, r"`ids` must be 1-D \(timesteps,\)"),
    ],
)
def test_make_char_sequences_rejects_bad_arguments(ids, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_char_sequences(ids, **kwargs)
