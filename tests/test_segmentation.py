"""Tests of `course_lib.segmentation`: the energy cut finds the words it can and misses touching ones."""

import numpy as np
import pytest

from course_lib import segmentation


def log_features(energy: np.ndarray, bands: int = 3) -> np.ndarray:
    """Log-mel-like features whose frames carry `energy` spread evenly over `bands` bands."""
    return np.log(1e-4 + np.repeat(energy[:, None], bands, axis=1) / bands)  # (frames, bands)


def test_frame_energy_is_the_log_of_the_summed_band_energies():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(7, 5)) * 20  # large values: a naive exp would overflow
    expected = np.log(np.exp(features.astype(np.float64)).sum(axis=1))
    np.testing.assert_allclose(segmentation.frame_energy(features), expected, rtol=1e-12)


def test_words_separated_by_pauses_are_found_and_touching_words_are_one():
    word, pause = np.ones(20), np.zeros(10)
    separated = np.concatenate([pause, word, pause, 2 * word, pause, word, pause])
    assert segmentation.energy_segments(log_features(separated)).tolist() == [
        [10, 30], [40, 60], [70, 90]]  # fmt: skip
    touching = np.concatenate([pause, word, 2 * word, pause, word, pause])
    assert len(segmentation.energy_segments(log_features(touching))) == 2


def test_short_dips_are_joined_and_short_bursts_dropped():
    quiet = np.zeros(10)
    dip = np.concatenate([quiet, np.ones(12), np.zeros(2), np.ones(12), quiet])
    assert segmentation.energy_segments(log_features(dip)).tolist() == [[10, 36]]
    assert segmentation.energy_segments(log_features(dip), min_gap=2).tolist() == [
        [10, 22], [24, 36]]  # fmt: skip
    burst = np.concatenate([quiet, np.ones(3), quiet, np.ones(20), quiet])
    assert segmentation.energy_segments(log_features(burst)).tolist() == [[23, 43]]


def test_pool_segment_averages_equal_parts_and_repeats_short_words():
    features = np.arange(12.0).reshape(6, 2)  # (frames, bands)
    np.testing.assert_allclose(
        segmentation.pool_segment(features, slices=3), [1.0, 2.0, 5.0, 6.0, 9.0, 10.0]
    )
    short = segmentation.pool_segment(features[:1], slices=4)
    np.testing.assert_allclose(short, np.tile([0.0, 1.0], 4))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: segmentation.energy_segments(np.zeros(5)), "`features` must be 2-D"),
        (lambda: segmentation.energy_segments(np.zeros((5, 2)), threshold=1.5), "`threshold`"),
        (lambda: segmentation.energy_segments(np.zeros((5, 2)), min_frames=0), "`min_frames`"),
        (lambda: segmentation.pool_segment(np.zeros((0, 2))), "`features` must not be empty"),
        (lambda: segmentation.pool_segment(np.zeros((3, 2)), slices=0), "`slices`"),
    ],
)
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
