"""The chapter's speech experiment: shapes, decoding equal to Keras's, a loss that falls."""

import keras
import numpy as np
import pytest

from course_lib.datasets import connected_digits
from course_lib.speech import (
    CLASSES,
    build_ctc_model,
    ctc_logits,
    decode,
    speech_features,
    train_ctc_model,
)


def test_features_stack_frames_into_steps():
    audio = [np.zeros(8000, np.float32), np.zeros(4000, np.float32)]
    features = speech_features(audio, stack=3)
    assert [f.shape for f in features] == [(32, 120), (16, 120)]  # 98 and 48 frames
    assert speech_features(audio, stack=1)[0].shape == (98, 40)
    with pytest.raises(ValueError, match="`stack` must be at least 1"):
        speech_features(audio, stack=0)


def test_centred_features_ignore_a_constant_gain():
    x = np.random.default_rng(0).standard_normal(4000).astype(np.float32)  # loud noise
    centred = speech_features([x, 3.0 * x], stack=2)
    bands = centred[0].reshape(-1, 40)  # (frames, 40): the stacked frames one by one
    assert np.abs(bands.mean(axis=0)).max() < 1e-4  # each band's mean over the utterance is 0
    np.testing.assert_allclose(centred[0], centred[1], atol=1e-3)  # the gain is a shift
    raw = speech_features([x, 3.0 * x], stack=2, centre=False)
    np.testing.assert_allclose(raw[1] - raw[0], np.log(9.0), atol=1e-3)


def test_model_gives_logits_per_step_and_ignores_padding():
    model = build_ctc_model(units=8, features=12)
    rng = np.random.default_rng(0)
    short, long = rng.standard_normal((5, 12)), rng.standard_normal((9, 12))
    logits = ctc_logits(model, [short, long])
    assert [z.shape for z in logits] == [(5, CLASSES), (9, CLASSES)]
    alone = keras.ops.convert_to_numpy(model(short[None].astype(np.float32)))[0]
    np.testing.assert_allclose(logits[0], alone, atol=1e-5)  # padding to 9 changes nothing


def test_our_greedy_decoder_equals_keras_ctc_decode():
    rng = np.random.default_rng(1)
    logits = [2.0 * rng.standard_normal((int(rng.integers(3, 30)), CLASSES)) for _ in range(20)]
    ours = decode(logits, "greedy")
    padded = np.zeros((20, 30, CLASSES), np.float32)
    for i, z in enumerate(logits):
        padded[i, : len(z)] = z
    lengths = np.array([len(z) for z in logits], np.int32)
    decoded, _ = keras.ops.ctc_decode(padded, lengths, strategy="greedy", mask_index=0)
    theirs = keras.ops.convert_to_numpy(decoded)[0]
    for mine, path in zip(ours, theirs, strict=True):
        assert mine.tolist() == (path[path >= 0] - 1).tolist()  # classes 1-10 -> digits
    beams = decode(logits, "beam_search", beam_width=8)
    assert len(beams) == 20 and all(b.min(initial=0) >= 0 and b.max(initial=0) <= 9 for b in beams)


@pytest.mark.slow
def test_training_lowers_the_ctc_loss():
    keras.utils.set_random_seed(0)
    data = connected_digits(64, ["theo", "lucas"], seed=0, max_digits=3)
    features = speech_features(data.audio)
    mean = np.concatenate(features).mean(0)
    std = np.concatenate(features).std(0)
    features = [(f - mean) / std for f in features]
    model = build_ctc_model(units=16)
    history = train_ctc_model(model, features, data.labels, epochs=4, batch_size=16, lr=1e-2)
    assert len(history) == 4 and history[-1] < 0.8 * history[0]


def test_bad_dropout_is_named():
    with pytest.raises(ValueError, match="`dropout` must be in"):
        build_ctc_model(4, 12, dropout=1.0)


def test_mismatched_labels_are_named():
    with pytest.raises(ValueError, match="`labels` must hold one array per utterance"):
        train_ctc_model(build_ctc_model(4, 12), [np.zeros((3, 12))], [], epochs=1)
