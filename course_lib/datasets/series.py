"""Synthetic time series, sliding windows, time-ordered splits and scaling for forecasting.

Everything here is generated locally with `np.random.default_rng(seed)`; nothing is
downloaded. The pieces compose into `make_forecasting_data`, which splits a series in
time order, fits the scaler on the training segment only and cuts windows inside each
segment, so no information from the future reaches the training arrays.

Introduced in Chapter 3 (SimpleRNN in Keras).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_lib.validation import as_array, check_choice, check_float, check_int

__all__ = [
    "ForecastingData",
    "SeriesScaler",
    "make_forecasting_data",
    "make_windows",
    "periodic_series",
    "sine_series",
    "split_by_time",
]

_SERIES_LAYOUT = "(timesteps,) or (timesteps, features)"


def _as_series(series, name: str = "series") -> np.ndarray:
    """Return `series` as a finite float64 array of shape (timesteps,) or (timesteps, features)."""
    return as_array(series, name, ndim=(1, 2), layout=_SERIES_LAYOUT, finite=True)


def sine_series(
    n_steps: int = 1000,
    *,
    period: float = 50.0,
    amplitude: float = 1.0,
    noise: float = 0.0,
    trend: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """Generate a sine wave with optional linear trend and Gaussian noise.

    The value at step `t` is
    `amplitude * sin(2 * pi * t / period) + trend * t + noise * eps_t`,
    with `eps_t` drawn from a standard normal by `np.random.default_rng(seed)`.

    Args:
        n_steps: number of time steps. Defaults to `1000`.
        period: length of one cycle, in steps. Defaults to `50.0`.
        amplitude: peak value of the sine. Defaults to `1.0`.
        noise: standard deviation of the added Gaussian noise. Defaults to `0.0`.
        trend: slope added per step. Defaults to `0.0`.
        seed: seed of the noise. Defaults to `0`.

    Returns:
        float32 array of shape `(timesteps,)`, with `timesteps = n_steps`.

    Example:
    >>> series = sine_series(200, period=25.0, noise=0.1, seed=1)
    >>> series.shape, series.dtype
    ((200,), dtype('float32'))

    Introduced in Chapter 3 (SimpleRNN in Keras).
    """
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    period = check_float(period, "period", minimum=0.0, inclusive=False)
    amplitude = check_float(amplitude, "amplitude")
    noise = check_float(noise, "noise", minimum=0.0)
    trend = check_float(trend, "trend")
    seed = check_int(seed, "seed", minimum=0)
    t = np.arange(n_steps, dtype=np.float64)  # (T,)
    values = amplitude * np.sin(2.0 * np.pi * t / period) + trend * t
    if noise > 0:
        values = values + noise * np.random.default_rng(seed).standard_normal(n_steps)
    return values.astype(np.float32)


def periodic_series(
    n_steps: int,
    *,
    periods: tuple[float, ...] = (50.0,),
    amplitudes: tuple[float, ...] | None = None,
    noise: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """Generate a sum of sines, one per period, with optional Gaussian noise.

    The value at step `t` is `sum_k amplitudes[k] * sin(2 * pi * t / periods[k])`
    plus `noise * eps_t`, `eps_t` standard normal from `np.random.default_rng(seed)`.
    Mixing a fast and a slow period gives a series whose future depends on a long
    past, which is where recurrent models start to beat a window of a few steps.

    Args:
        n_steps: number of time steps.
        periods: one period (in steps) per component. Defaults to `(50.0,)`.
        amplitudes: one amplitude per component, or `None` for all ones.
            Defaults to `None`.
        noise: standard deviation of the added Gaussian noise. Defaults to `0.0`.
        seed: seed of the noise. Defaults to `0`.

    Returns:
        float32 array of shape `(timesteps,)`, with `timesteps = n_steps`.

    Example:
    >>> series = periodic_series(500, periods=(20.0, 120.0), amplitudes=(1.0, 0.5))
    >>> series.shape
    (500,)

    Introduced in Chapter 6 (Applications): the forecasting exercise's check draws its
    series with it.
    """
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    periods_arr = as_array(periods, "periods", ndim=1, layout="(components,)", finite=True)
    if np.any(periods_arr <= 0):
        raise ValueError(f"`periods` must all be positive; got {tuple(periods_arr.tolist())}.")
    if amplitudes is None:
        amps = np.ones_like(periods_arr)
    else:
        amps = as_array(amplitudes, "amplitudes", ndim=1, layout="(components,)", finite=True)
        if amps.shape != periods_arr.shape:
            raise ValueError(
                f"`amplitudes` must have one value per period ({periods_arr.size}); "
                f"got {amps.size}."
            )
    noise = check_float(noise, "noise", minimum=0.0)
    seed = check_int(seed, "seed", minimum=0)
    t = np.arange(n_steps, dtype=np.float64)[:, None]  # (T, 1)
    values = (amps * np.sin(2.0 * np.pi * t / periods_arr)).sum(axis=1)  # (T, K) -> (T,)
    if noise > 0:
        values = values + noise * np.random.default_rng(seed).standard_normal(n_steps)
    return values.astype(np.float32)


def make_windows(
    series, window: int, horizon: int = 1, *, stride: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Cut a series into (input window, next values) pairs for supervised learning.

    Window `i` starts at step `i * stride`: its inputs are the `window` steps
    `series[s : s + window]` and its target is the next `horizon` values of the first
    (or only) feature, `series[s + window : s + window + horizon, 0]`.

    Args:
        series: array of shape `(timesteps,)` or `(timesteps, features)`; a 1-D series
            becomes one feature.
        window: number of input steps per example.
        horizon: number of future steps to predict. Defaults to `1`.
        stride: steps between the starts of consecutive windows. Defaults to `1`.

    Returns:
        `(X, y)`: float32 arrays of shapes `(batch, window, features)` and
        `(batch, horizon)`, where `batch = (timesteps - window - horizon) // stride + 1`.

    Raises:
        ValueError: if `window + horizon` is longer than the series.

    Example:
    >>> X, y = make_windows(np.arange(10.0), window=3, horizon=2)
    >>> X.shape, y.shape
    ((6, 3, 1), (6, 2))
    >>> X[0, :, 0].tolist(), y[0].tolist()
    ([0.0, 1.0, 2.0], [3.0, 4.0])

    Introduced in Chapter 3 (SimpleRNN in Keras).
    """
    values = _as_series(series)
    if values.ndim == 1:
        values = values[:, None]  # (T,) -> (T, 1)
    window = check_int(window, "window", minimum=1)
    horizon = check_int(horizon, "horizon", minimum=1)
    stride = check_int(stride, "stride", minimum=1)
    n_steps = values.shape[0]
    if window + horizon > n_steps:
        raise ValueError(
            f"`window` + `horizon` (= {window + horizon}) must be at most the series length "
            f"{n_steps}; got window={window}, horizon={horizon}."
        )
    # (T - span + 1, F, span) -> every window start, then keep every `stride`-th one.
    span = window + horizon
    views = np.lib.stride_tricks.sliding_window_view(values, span, axis=0)[::stride]
    views = np.moveaxis(views, -1, 1)  # (B, span, F)
    X = views[:, :window, :].astype(np.float32)  # (B, window, F)
    y = views[:, window:, 0].astype(np.float32)  # (B, horizon)
    return X, y


def split_by_time(
    series, *, train: float = 0.7, val: float = 0.15
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split a series into contiguous train, validation and test segments, in time order.

    The first `floor(train * timesteps)` steps are the training segment, the next
    `floor(val * timesteps)` the validation segment and the rest the test segment.
    Never shuffle a series before splitting it: the test segment must lie in the
    future of everything the model was fitted on.

    Args:
        series: array of shape `(timesteps,)` or `(timesteps, features)`.
        train: fraction of the steps in the training segment. Defaults to `0.7`.
        val: fraction of the steps in the validation segment; `0` gives an empty
            validation segment. Defaults to `0.15`.

    Returns:
        `(train, val, test)`: three arrays with the series' trailing shape, whose
        lengths add up to `timesteps`.

    Raises:
        ValueError: if a fraction is out of range, `train + val` is not below 1 or a
            segment would be empty.

    Example:
    >>> train, val, test = split_by_time(np.arange(100.0), train=0.6, val=0.2)
    >>> len(train), len(val), len(test), test[0]
    (60, 20, 20, np.float64(80.0))

    Introduced in Chapter 3 (SimpleRNN in Keras).
    """
    values = _as_series(series)
    train = check_float(train, "train", minimum=0.0, maximum=1.0, inclusive=False)
    val = check_float(val, "val", minimum=0.0, maximum=1.0)
    if train + val >= 1.0:
        raise ValueError(
            "`train` + `val` must be below 1 so that the test segment is not empty; "
            f"got train={train:g}, val={val:g} (sum {train + val:g})."
        )
    n_steps = values.shape[0]
    n_train = int(np.floor(train * n_steps))
    n_val = int(np.floor(val * n_steps))
    n_test = n_steps - n_train - n_val
    if n_train < 1 or n_test < 1 or (val > 0 and n_val < 1):
        raise ValueError(
            f"`series` of length {n_steps} is too short for train={train:g}, val={val:g}: "
            f"the segments would have {n_train}, {n_val} and {n_test} steps."
        )
    return (
        values[:n_train],
        values[n_train : n_train + n_val],
        values[n_train + n_val :],
    )


class SeriesScaler:
    """Rescale a series with statistics learned from the training segment only.

    `transform` computes `(x - offset_) / scale_` per feature:

    - `method="standard"`: `offset_` is the mean and `scale_` the standard deviation
      of the training data (zero mean, unit variance on the training segment);
    - `method="minmax"`: `offset_` is the minimum and `scale_` the range (the
      training segment maps onto [0, 1]).

    A feature with zero spread gets `scale_ = 1`. Statistics are taken over the time
    axis, one per feature; after fitting on a 1-D series they are scalars and the
    scaler applies to arrays of any shape, such as windows `(batch, window, 1)` or
    predictions `(batch, horizon)`.

    Args:
        method: `"standard"` or `"minmax"`. Defaults to `"standard"`.

    Example:
    >>> scaler = SeriesScaler("minmax").fit(np.array([2.0, 4.0, 6.0]))
    >>> scaler.transform(np.array([4.0, 8.0])).tolist()
    [0.5, 1.5]
    >>> scaler.inverse_transform(np.array([0.5])).tolist()
    [4.0]

    Introduced in Chapter 3 (SimpleRNN in Keras).
    """

    def __init__(self, method: str = "standard") -> None:
        self.method = check_choice(method, "method", ("standard", "minmax"))
        self.offset_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def __repr__(self) -> str:
        state = "fitted" if self.offset_ is not None else "not fitted"
        return f"SeriesScaler(method={self.method!r}, {state})"

    def fit(self, train) -> SeriesScaler:
        """Learn `offset_` and `scale_` from the training segment.

        Args:
            train: array of shape `(timesteps,)` or `(timesteps, features)`.

        Returns:
            The scaler itself, so calls can be chained.
        """
        values = _as_series(train, "train")
        if self.method == "standard":
            offset = values.mean(axis=0)
            scale = values.std(axis=0)
        else:
            offset = values.min(axis=0)
            scale = values.max(axis=0) - offset
        self.offset_ = np.asarray(offset, dtype=np.float64)  # () or (F,)
        self.scale_ = np.where(scale > 0, scale, 1.0).astype(np.float64)  # () or (F,)
        return self

    def _stats(
        self, x, name: str, feature: int | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.offset_ is None or self.scale_ is None:
            raise ValueError("This SeriesScaler is not fitted yet; call `fit(train)` first.")
        values = as_array(x, name, allow_empty=True)
        offset, scale = self.offset_, self.scale_
        if offset.ndim == 0:
            if feature not in (None, 0):
                raise ValueError(
                    "`feature` must be 0 or None for a scaler fitted on a 1-D series; "
                    f"got {feature!r}."
                )
            return values, offset, scale
        n_features = offset.shape[0]
        if feature is not None:
            feature = check_int(feature, "feature", minimum=0, maximum=n_features - 1)
            return values, offset[feature], scale[feature]
        if values.ndim == 0 or values.shape[-1] != n_features:
            raise ValueError(
                f"`{name}` must have {n_features} features on its last axis, like the data the "
                f"scaler was fitted on; got shape {values.shape}. Pass `feature=` to rescale "
                "one feature, e.g. predictions of feature 0."
            )
        return values, offset, scale

    def transform(self, x, *, feature: int | None = None) -> np.ndarray:
        """Scale `x`: `(x - offset_) / scale_`.

        Args:
            x: array whose last axis holds the features (any shape after fitting on
                a 1-D series).
            feature: use the statistics of this one feature for every value of `x`
                (for example targets `(batch, horizon)` of feature 0). Defaults to `None`.

        Returns:
            float32 array of the same shape as `x`.
        """
        values, offset, scale = self._stats(x, "x", feature)
        return ((values - offset) / scale).astype(np.float32)

    def inverse_transform(self, x, *, feature: int | None = None) -> np.ndarray:
        """Undo `transform`: `x * scale_ + offset_`, back to the original units.

        Args:
            x: scaled array, for example a model's predictions `(batch, horizon)`.
            feature: as in `transform`. Defaults to `None`.

        Returns:
            float32 array of the same shape as `x`.
        """
        values, offset, scale = self._stats(x, "x", feature)
        return (values * scale + offset).astype(np.float32)

    def fit_transform(self, train) -> np.ndarray:
        """Fit on `train` and return `train` scaled."""
        return self.fit(train).transform(train)


@dataclass(repr=False)
class ForecastingData:
    """Windows, targets, scaler and raw segments of one forecasting problem.

    Attributes:
        X_train, X_val, X_test: float32 windows `(batch, window, features)`, scaled.
        y_train, y_val, y_test: float32 targets `(batch, horizon)`, scaled (feature 0).
        scaler: the `SeriesScaler` fitted on the training segment only, or `None`
            when `scale=None`. Use `scaler.inverse_transform(pred, feature=0)` to
            bring predictions back to the series' units.
        train, val, test: the raw (unscaled) segments returned by `split_by_time`.

    Introduced in Chapter 3 (SimpleRNN in Keras).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    scaler: SeriesScaler | None
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray

    def __repr__(self) -> str:
        parts = [
            f"{name}={getattr(self, name).shape}"
            for name in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test")
        ]
        return f"ForecastingData({', '.join(parts)}, scaler={self.scaler!r})"


def make_forecasting_data(
    series,
    *,
    window: int,
    horizon: int = 1,
    train: float = 0.7,
    val: float = 0.15,
    scale: str | None = "standard",
) -> ForecastingData:
    """Split a series in time, scale it without leakage and cut it into windows.

    1. `split_by_time` cuts the series into contiguous train, validation and test
       segments.
    2. A `SeriesScaler(scale)` is fitted on the training segment only and applied to
       all three, so no statistic of the future reaches the training data.
    3. `make_windows` runs inside each segment separately: no window (inputs or
       target) crosses a split boundary, and the first test target comes after the
       last training target. The first `window` steps of the validation and test
       segments therefore only serve as inputs.

    Args:
        series: array of shape `(timesteps,)` or `(timesteps, features)`.
        window: number of input steps per example.
        horizon: number of future steps to predict. Defaults to `1`.
        train: fraction of the steps used for training. Defaults to `0.7`.
        val: fraction of the steps used for validation; `0` gives empty validation
            arrays. Defaults to `0.15`.
        scale: `"standard"`, `"minmax"` or `None` (no scaling). Defaults to `"standard"`.

    Returns:
        A `ForecastingData` with `X_*` of shape `(batch, window, features)` and `y_*`
        of shape `(batch, horizon)`, all float32.

    Raises:
        ValueError: if a segment is shorter than `window + horizon`.

    Example:
    >>> data = make_forecasting_data(sine_series(1000), window=30)
    >>> data.X_train.shape, data.y_train.shape, data.X_test.shape
    ((670, 30, 1), (670, 1), (120, 30, 1))

    Introduced in Chapter 3 (SimpleRNN in Keras).
    """
    window = check_int(window, "window", minimum=1)
    horizon = check_int(horizon, "horizon", minimum=1)
    if scale is not None:
        check_choice(scale, "scale", ("standard", "minmax", None))
    segments = split_by_time(series, train=train, val=val)
    names = ("train", "val", "test")
    for name, segment in zip(names, segments, strict=True):
        if (name != "val" or val > 0) and len(segment) < window + horizon:
            raise ValueError(
                f"`window` + `horizon` (= {window + horizon}) must fit inside the {name} "
                f"segment of {len(segment)} steps (the series has {len(_as_series(series))} "
                f"steps, train={train:g}, val={val:g}); use a shorter window or a longer series."
            )
    scaler = SeriesScaler(scale).fit(segments[0]) if scale is not None else None
    arrays = []
    n_features = 1 if segments[0].ndim == 1 else segments[0].shape[1]
    for segment in segments:
        scaled = scaler.transform(segment) if scaler is not None else segment
        if len(segment) == 0:  # only an empty validation segment (val=0)
            X = np.zeros((0, window, n_features), dtype=np.float32)
            y = np.zeros((0, horizon), dtype=np.float32)
        else:
            X, y = make_windows(scaled, window, horizon)
        arrays.extend([X, y])
    return ForecastingData(*arrays, scaler, *segments)
