"""The spoken-digits task: sources read the targets aloud; lengths vary and differ."""

import numpy as np
import pytest

from course_lib import datasets
from course_lib.datasets import spoken

WORD_DIGIT = {w: str(i) for i, w in enumerate(spoken.DIGIT_WORDS)} | {"oh": "0"}


def _read_back(source):
    """Write a source back as digits by hand: the reference for the generator."""
    digits, words = [], source.split()
    i = 0
    while i < len(words):
        repeat = {"double": 2, "triple": 3}.get(words[i], 1)
        if repeat > 1:
            i += 1
        digits.append(WORD_DIGIT[words[i]] * repeat)
        i += 1
    return "".join(digits)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_source_reads_its_target_aloud(seed):
    sources, targets = datasets.spoken_digits(500, seed=seed)
    assert len(sources) == len(targets) == 500
    assert [_read_back(s) for s in sources] == targets


def test_lengths_vary_and_sources_are_longer_in_characters():
    sources, targets = datasets.spoken_digits(2000, min_digits=2, max_digits=9, seed=0)
    lengths = np.array([len(t) for t in targets])
    assert lengths.min() == 2 and lengths.max() == 9
    assert set(np.unique(lengths)) == set(range(2, 10))
    words = np.array([len(s.split()) for s in sources])
    assert (words <= lengths).all() and (words < lengths).any()  # "double" and "triple"
    assert all(len(s) > len(t) for s, t in zip(sources, targets, strict=True))


def test_zero_is_said_two_ways_and_runs_are_grouped():
    sources, _ = datasets.spoken_digits(2000, seed=3)
    text = " ".join(sources).split()
    for word in ("oh", "zero", "double", "triple"):
        assert word in text
    never, _ = datasets.spoken_digits(500, p_group=0.0, seed=3)
    assert not any(w in s.split() for s in never for w in ("double", "triple"))


def test_same_seed_same_data_other_seed_other_data():
    assert datasets.spoken_digits(50, seed=4) == datasets.spoken_digits(50, seed=4)
    assert datasets.spoken_digits(50, seed=4) != datasets.spoken_digits(50, seed=5)


def test_encode_pairs_shifts_the_decoder_input_by_one_step():
    sources, targets = datasets.spoken_digits(300, seed=6)
    batch = datasets.encode_pairs(sources, targets)
    assert batch.encoder_input.shape == (300, max(len(s.split()) for s in sources))
    assert batch.decoder_input.shape == batch.decoder_target.shape == (300, 13)
    assert (batch.decoder_input[:, 0] == spoken.START).all()
    real = batch.decoder_target != spoken.PAD
    digit = batch.decoder_target[:, :-1] >= 3  # every digit is the next step's input
    np.testing.assert_array_equal(batch.decoder_input[:, 1:][digit],
                                  batch.decoder_target[:, :-1][digit])  # fmt: skip
    ends = batch.decoder_target[np.arange(300), batch.lengths]
    assert (ends == spoken.END).all()
    assert [datasets.decode_target(row) for row in batch.decoder_target] == targets
    assert [datasets.decode_target(row) for row in batch.decoder_input] == targets
    assert (real.sum(axis=1) == batch.lengths + 1).all()


def test_source_timesteps_pads_to_a_fixed_width():
    batch = datasets.encode_pairs(["one", "two three"], ["1", "23"], source_timesteps=5)
    assert batch.encoder_input.tolist() == [[2, 0, 0, 0, 0], [3, 4, 0, 0, 0]]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: datasets.spoken_digits(0), "`n_samples` must be at least 1"),
        (lambda: datasets.spoken_digits(5, min_digits=4, max_digits=3), "`max_digits` must"),
        (lambda: datasets.spoken_digits(5, p_group=1.5), "`p_group` must be in"),
        (lambda: datasets.encode_pairs(["one"], ["1", "2"]), "of the same length"),
        (lambda: datasets.encode_pairs(["one eleven"], ["11"]), "'eleven'"),
        (lambda: datasets.encode_pairs(["one"], ["1a"]), "string of digits"),
        (lambda: datasets.encode_pairs(["one two"], ["12"], source_timesteps=1), "at least"),
        (lambda: datasets.decode_target([3, 99]), "target ids in"),
        (lambda: datasets.decode_target([[3, 4]]), "`ids` must be 1-D"),
    ],
)
def test_bad_arguments_raise_value_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("seed", [0, 1])
def test_digit_words_align_every_digit_with_the_words_that_say_it(seed):
    sources, targets = datasets.spoken_digits(300, seed=seed)
    for source, target in zip(sources, targets, strict=True):
        spans = datasets.digit_words(source)
        assert len(spans) == len(target)
        words = source.split()
        for digit, span in zip(target, spans, strict=True):
            assert WORD_DIGIT[words[span[-1]]] == digit
    assert datasets.digit_words("oh triple nine one") == [(0,), (1, 2), (1, 2), (1, 2), (3,)]
    with pytest.raises(ValueError, match="without a digit after it"):
        datasets.digit_words("one double")


def test_decode_target_skips_start_tokens_and_stops_at_end_or_padding():
    assert datasets.decode_target([1, 4, 1, 5, 2, 6]) == "12"
    assert datasets.decode_target([4, 0, 5]) == "1"
    assert datasets.decode_target([]) == ""
