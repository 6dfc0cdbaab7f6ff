"""Connected-digit utterances: labelled by their digits, seeded, speakers never mixed."""

import numpy as np
import pytest

from course_lib.datasets import FSDD_SPEAKERS, connected_digits, load_fsdd, split_speakers


def test_utterances_hold_2_to_7_digits_and_are_seeded():
    a = connected_digits(40, ["theo", "lucas"], seed=1)
    b = connected_digits(40, ["theo", "lucas"], seed=1)
    c = connected_digits(40, ["theo", "lucas"], seed=2)
    assert len(a) == 40 and a.texts == b.texts and a.texts != c.texts
    assert all(np.array_equal(x, y) for x, y in zip(a.audio, b.audio, strict=True))
    assert {len(t) for t in a.texts} <= set(range(2, 8))
    assert all(x.dtype == np.float32 and x.ndim == 1 for x in a.audio)


def test_each_digit_is_a_clip_of_that_digit_by_the_utterance_speaker():
    data = connected_digits(20, ["george", "nicolas"], seed=0, snr_db=(200.0, 200.0), gain_db=0.0)
    clips = load_fsdd()
    for audio, label, bounds, speaker in zip(
        data.audio, data.labels, data.bounds, data.speaker, strict=True
    ):
        assert bounds.shape == (len(label), 2)
        assert (np.diff(bounds.ravel()) >= 0).all()  # in order, never overlapping
        for digit, (start, end) in zip(label, bounds, strict=True):
            piece = audio[start:end]
            same = [
                c
                for c, d, s in zip(clips.clips, clips.digit, clips.speaker, strict=True)
                if d == digit and s == speaker and len(c) == len(piece)
            ]
            assert any(np.allclose(piece, c, atol=1e-6) for c in same)
        outside = np.ones(len(audio), bool)
        for start, end in bounds:
            outside[start:end] = False
        assert np.abs(audio[outside]).max(initial=0.0) < 1e-6  # pauses are silence


def test_speakers_are_split_never_clips():
    train, test = split_speakers("yweweler")
    assert set(train) | set(test) == set(FSDD_SPEAKERS) and not set(train) & set(test)
    held_out = FSDD_SPEAKERS.index("yweweler")
    assert held_out not in connected_digits(200, train, seed=0).speaker
    assert set(connected_digits(20, test, seed=0).speaker.tolist()) == {held_out}


def test_noise_is_at_the_requested_level():
    quiet = connected_digits(5, "theo", seed=3, snr_db=(200.0, 200.0))
    noisy = connected_digits(5, "theo", seed=3, snr_db=(10.0, 10.0))
    for x, y, bounds in zip(quiet.audio, noisy.audio, quiet.bounds, strict=True):
        speech = np.concatenate([x[start:end] for start, end in bounds])
        snr = 10 * np.log10(np.mean(speech**2) / np.mean((y - x) ** 2))
        assert 9.5 < snr < 10.5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_utterances": 0}, "n_utterances"),
        ({"min_digits": 3, "max_digits": 2}, "max_digits"),
        ({"snr_db": (30.0, 10.0)}, "snr_db"),
        ({"speakers": "nobody"}, "speakers"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    arguments = {"n_utterances": 2, "speakers": "theo"} | kwargs
    with pytest.raises(ValueError, match=message):
        connected_digits(**arguments)


def test_unknown_test_speaker_is_named():
    with pytest.raises(ValueError, match="test_speaker"):
        split_speakers("bob")
