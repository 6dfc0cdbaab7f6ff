"""Log-mel features in NumPy against scipy.signal.stft and tf.signal, to 1e-5."""

import numpy as np
import pytest
import scipy.signal

from course_lib.spectrogram import (
    FeatureScaler,
    frame_signal,
    hann_window,
    log_mel_spectrogram,
    mel_filterbank,
    num_frames,
    stft_magnitude,
)


@pytest.mark.parametrize("n_samples", [0, 199, 200, 279, 280, 1148, 8000, 18262])
def test_num_frames_counts_the_frames_cut(n_samples):
    frames = frame_signal(np.arange(n_samples, dtype=float))
    assert frames.shape == (num_frames(n_samples), 200)
    by_hand = 0
    while by_hand * 80 + 200 <= n_samples:
        by_hand += 1
    assert num_frames(n_samples) == by_hand
    if by_hand:
        assert frames[-1, 0] == (by_hand - 1) * 80


def test_window_is_scipys_periodic_hann():
    np.testing.assert_allclose(hann_window(200), scipy.signal.get_window("hann", 200), atol=1e-12)


@pytest.mark.parametrize(
    ("frame_length", "hop_length", "fft_length"), [(200, 80, 256), (64, 16, 64)]
)
def test_stft_magnitude_agrees_with_scipy(frame_length, hop_length, fft_length):
    x = np.random.default_rng(0).standard_normal(3001)
    ours = stft_magnitude(x, frame_length, hop_length, fft_length)  # (frames, bins)
    _, _, z = scipy.signal.stft(
        x,
        window="hann",
        nperseg=frame_length,
        noverlap=frame_length - hop_length,
        nfft=fft_length,
        boundary=None,
        padded=False,
        detrend=False,
    )  # (bins, frames), scaled by 1 / sum(window)
    theirs = np.abs(z).T * hann_window(frame_length).sum()
    assert (
        ours.shape
        == theirs.shape
        == (num_frames(3001, frame_length, hop_length), fft_length // 2 + 1)
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("n_mels", "fft_length", "sample_rate", "fmin", "fmax"),
    [(40, 256, 8000, 20.0, 4000.0), (20, 512, 16000, 125.0, 3800.0)],
)
def test_mel_filterbank_agrees_with_tf_signal(n_mels, fft_length, sample_rate, fmin, fmax):
    tf = pytest.importorskip("tensorflow")
    theirs = tf.signal.linear_to_mel_weight_matrix(
        n_mels, fft_length // 2 + 1, sample_rate, fmin, fmax, dtype=tf.float64
    ).numpy()
    ours = mel_filterbank(n_mels, fft_length, sample_rate, fmin, fmax)
    assert ours.shape == (fft_length // 2 + 1, n_mels)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_log_mel_agrees_with_a_tf_signal_pipeline():
    tf = pytest.importorskip("tensorflow")
    x = 0.1 * np.random.default_rng(1).standard_normal(4000)
    stft = tf.signal.stft(tf.constant(x), 200, 80, 256, window_fn=tf.signal.hann_window)
    power = tf.abs(stft) ** 2  # (frames, bins)
    weights = tf.signal.linear_to_mel_weight_matrix(40, 129, 8000, 20.0, 4000.0, dtype=tf.float64)
    theirs = tf.math.log(tf.matmul(power, weights) + 1e-6).numpy()
    np.testing.assert_allclose(log_mel_spectrogram(x), theirs, rtol=1e-5, atol=1e-5)


def test_a_tone_lights_the_band_of_its_frequency():
    t = np.arange(8000) / 8000
    features = log_mel_spectrogram(np.sin(2 * np.pi * 1000 * t))
    centres = np.argmax(mel_filterbank(), axis=0) * 8000 / 256  # (n_mels,) Hz
    loudest = np.argmax(features.mean(axis=0))
    assert abs(centres[loudest] - 1000) < 100


def test_scaler_uses_the_statistics_it_was_fit_on():
    rng = np.random.default_rng(2)
    train = [rng.normal(3.0, 2.0, size=(50, 4)), rng.normal(3.0, 2.0, size=(70, 4))]
    scaler = FeatureScaler.fit(train)
    scaled = np.concatenate([scaler.transform(f) for f in train])
    np.testing.assert_allclose(scaled.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(scaled.std(axis=0), 1.0, atol=1e-5)
    other = rng.normal(10.0, 1.0, size=(30, 4))
    assert scaler.transform(other).mean() > 2  # not re-centred on the data it transforms


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match="`x` must be 1-D"):
        stft_magnitude(np.zeros((2, 300)))
    with pytest.raises(ValueError, match="`features` must end with 4 features"):
        FeatureScaler.fit([np.zeros((3, 4))]).transform(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="fft_length"):
        stft_magnitude(np.zeros(1000), fft_length=100)
