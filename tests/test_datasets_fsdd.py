"""The Free Spoken Digit Dataset shipped in the package: complete, labelled, faithful."""

import os
from pathlib import Path

import numpy as np
import pytest

import course_lib.datasets.fsdd as fsdd_module
from course_lib import datasets
from course_lib.datasets.fsdd import (
    FSDD_PATH,
    FSDD_SPEAKERS,
    load_fsdd,
    mu_law_decode,
    mu_law_encode,
)


def test_the_file_is_shipped_small_with_its_licence():
    assert FSDD_PATH.stat().st_size <= 12_000_000
    licence = (FSDD_PATH.parent / "LICENSE").read_text()
    assert "CC BY-SA 4.0" in licence and "Jakobovski/free-spoken-digit-dataset" in licence
    readme = (FSDD_PATH.parent / "README.md").read_text()
    assert "26eb9aaf76e81b692f806f9140c2d2777410d7a1" in readme


def test_every_speaker_says_every_digit_fifty_times():
    data = load_fsdd()
    assert len(data) == 3000 and data.sample_rate == 8000
    counts = np.zeros((6, 10), dtype=int)
    np.add.at(counts, (data.speaker, data.digit), 1)
    assert (counts == 50).all()
    for s in range(6):
        for d in range(10):
            mask = (data.speaker == s) & (data.digit == d)
            assert sorted(data.index[mask].tolist()) == list(range(50))


def test_clips_are_float_waveforms_of_plausible_length_and_level():
    data = load_fsdd()
    lengths = np.array([len(c) for c in data.clips])
    assert lengths.min() >= 1000 and lengths.max() <= 20000  # 0.14 s .. 2.3 s at 8 kHz
    assert all(c.dtype == np.float32 and np.abs(c).max() <= 1.0 for c in data.clips)
    assert all(np.abs(c).max() > 0.005 for c in data.clips)  # no silent clip


def test_speakers_are_selected_by_name():
    data = load_fsdd(["theo", "lucas"])
    assert len(data) == 1000
    assert set(data.speaker.tolist()) == {FSDD_SPEAKERS.index("theo"), FSDD_SPEAKERS.index("lucas")}
    assert len(load_fsdd("george")) == 500
    assert datasets.load_fsdd is load_fsdd


def test_unknown_speaker_is_named_in_the_error():
    with pytest.raises(ValueError, match="speakers.*'bob'"):
        load_fsdd("bob")
    with pytest.raises(ValueError, match="at least one"):
        load_fsdd([])


def test_mu_law_round_trip_is_accurate_to_half_a_step():
    x = np.linspace(-1, 1, 10001)
    y = mu_law_decode(mu_law_encode(x))
    # One step of the companded scale is 2/255; near 0 the error is tiny, near +-1 about 2 %.
    assert np.abs(y - x).max() < 0.025
    assert np.abs(y - x)[np.abs(x) < 0.01].max() < 3e-4
    assert mu_law_encode(np.array([0.0]))[0] == 128


def test_mu_law_decode_refuses_anything_but_bytes():
    with pytest.raises(ValueError, match="`codes` must be uint8"):
        mu_law_decode(np.array([1.0, 2.0]))


@pytest.mark.skipif(
    "FSDD_RECORDINGS" not in os.environ,
    reason="set FSDD_RECORDINGS to the recordings/ folder of a checkout of the source",
)
def test_decoded_clips_are_within_36_db_of_the_16_bit_originals():
    rows = fsdd_module.read_recordings(Path(os.environ["FSDD_RECORDINGS"]))
    data = load_fsdd()
    snr = []
    for (speaker, digit, index, original), i in zip(rows, range(len(data)), strict=True):
        assert (speaker, digit, index) == (data.speaker[i], data.digit[i], data.index[i])
        error = original - data.clips[i]
        snr.append(10 * np.log10(np.sum(original**2) / np.sum(error**2)))
    assert np.min(snr) > 36.0
    assert 37.5 < np.median(snr) < 38.5


@pytest.mark.skipif(
    "FSDD_RECORDINGS" not in os.environ,
    reason="set FSDD_RECORDINGS to the recordings/ folder of a checkout of the source",
)
def test_log_mel_features_of_decoded_clips_are_close_to_the_originals():
    from course_lib.spectrogram import log_mel_spectrogram

    rows = fsdd_module.read_recordings(Path(os.environ["FSDD_RECORDINGS"]))
    clips = load_fsdd().clips
    differences = [
        np.abs(log_mel_spectrogram(w) - log_mel_spectrogram(c.astype(np.float64))).mean()
        for (*_, w), c in zip(rows, clips, strict=True)
    ]
    assert 0.07 < np.mean(differences) < 0.085
    assert np.max(differences) < 0.7


@pytest.mark.slow
@pytest.mark.skipif(
    "FSDD_RECORDINGS" not in os.environ,
    reason="set FSDD_RECORDINGS to the recordings/ folder of a checkout of the source",
)
def test_a_classifier_is_as_accurate_on_decoded_clips_as_on_the_originals():
    """What the 8-bit storage costs in accuracy: chapter 10b's single-clip baseline (pooled
    log-mel, logistic regression) trained and tested on the originals, then on the decoded
    clips, each of the six speakers held out in turn."""
    from sklearn.linear_model import LogisticRegression

    from course_lib import segmentation
    from course_lib.spectrogram import log_mel_spectrogram

    rows = fsdd_module.read_recordings(Path(os.environ["FSDD_RECORDINGS"]))
    data = load_fsdd()

    def pooled(waves):  # (clips, 320)
        return np.stack(
            [segmentation.pool_segment(log_mel_spectrogram(np.float64(w))) for w in waves]
        )

    features = {"16-bit": pooled([w for *_, w in rows]), "mu-law": pooled(data.clips)}
    accuracy = {name: [] for name in features}
    for speaker in range(len(FSDD_SPEAKERS)):
        train, test = data.speaker != speaker, data.speaker == speaker
        for name, x in features.items():
            mean, std = x[train].mean(axis=0), x[train].std(axis=0) + 1e-8
            model = LogisticRegression(C=0.1, max_iter=500)
            model.fit((x[train] - mean) / std, data.digit[train])
            accuracy[name].append(model.score((x[test] - mean) / std, data.digit[test]))
    cost = np.array(accuracy["16-bit"]) - np.array(accuracy["mu-law"])  # (6,) per speaker
    print("held-out accuracy, 16-bit / mu-law:", accuracy, "cost:", cost)
    assert abs(cost.mean()) < 0.01, cost  # measured: 0.003 (mean), 0.650 -> 0.647
    assert np.abs(cost).max() < 0.03, cost  # measured: -0.016 to +0.012 (8 clips of 500)
