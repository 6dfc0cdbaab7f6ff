"""Yearly sunspot numbers, 1700-2008: a real, noisy, quasi-periodic series.

Introduced in Chapter 6a (forecasting).
"""

from __future__ import annotations

import numpy as np

__all__ = ["load_sunspots"]


def load_sunspots() -> tuple[np.ndarray, np.ndarray]:
    """Load the yearly mean sunspot numbers from 1700 to 2008 (309 years).

    The series has a cycle of about 11 years whose length and height both vary, so a
    forecaster must do more than repeat the last cycle.

    Source: the copy bundled with statsmodels (`statsmodels.datasets.sunspots`, a CSV
    inside the package; nothing is downloaded), taken from NOAA's National Geophysical
    Data Center; the sunspot numbers themselves come from the SIDC (Royal Observatory of
    Belgium), in their version 1 scale. Licence: statsmodels describes the data as
    public domain; statsmodels itself is BSD-3-Clause.

    Returns:
        `(years, values)`: `years` int32 of shape `(timesteps,)` = `(309,)`, from 1700
        to 2008, and `values` float32 of shape `(timesteps,)`, the yearly sunspot
        numbers (all non-negative).

    Example:
    >>> years, values = load_sunspots()
    >>> years[0], years[-1], values.shape
    (np.int32(1700), np.int32(2008), (309,))

    Introduced in Chapter 6a (forecasting).
    """
    from statsmodels.datasets import sunspots

    frame = sunspots.load_pandas().data
    years = frame["YEAR"].to_numpy().astype(np.int32)  # (T,)
    values = frame["SUNACTIVITY"].to_numpy().astype(np.float32)  # (T,)
    return years, values
