"""Tests of course_lib.datasets.sunspots: statsmodels' bundled yearly sunspot numbers."""

import numpy as np
import pytest

from course_lib.datasets import load_sunspots


def test_years_and_values():
    years, values = load_sunspots()
    assert years.shape == (309,) and values.shape == (309,)
    assert values.dtype == np.float32 and np.issubdtype(years.dtype, np.integer)
    np.testing.assert_array_equal(years, np.arange(1700, 2009))
    assert np.all(np.isfinite(values)) and values.min() >= 0.0
    # A few values of the published series (statsmodels' CSV).
    assert values[0] == pytest.approx(5.0)
    assert values[-1] == pytest.approx(2.9)
    assert values.max() == pytest.approx(190.2)  # 1957, the highest yearly mean
    assert years[np.argmax(values)] == 1957


def test_series_has_the_eleven_year_cycle():
    _, values = load_sunspots()
    centred = values - values.mean()
    power = np.abs(np.fft.rfft(centred)) ** 2
    freqs = np.fft.rfftfreq(len(values), d=1.0)
    peak_period = 1.0 / freqs[1:][np.argmax(power[1:])]
    assert 9.5 < peak_period < 12.5


def test_repeated_calls_give_the_same_arrays():
    a, b = load_sunspots(), load_sunspots()
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
