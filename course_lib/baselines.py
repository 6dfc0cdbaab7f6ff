"""Naive baselines every model of the course must beat.

A recurrent network that forecasts no better than "tomorrow equals today" has learnt
nothing useful. The forecasting baselines take the same windows as the models,
X (samples, window, features), and return forecasts (samples, horizon); the text
baseline gives the bits per character of a model that ignores context entirely.

Introduced in Chapter 3 (SimpleRNN; the persistence baseline) and used
throughout Chapter 6 (Applications).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.validation import as_array, check_float, check_int

_WINDOW_LAYOUT = "(samples, window) or (samples, window, features)"


def _windows(X: Any, name: str) -> np.ndarray:
    """Return windows as (samples, window, features); a 2-D array has one feature."""
    X = as_array(X, name, ndim=(2, 3), layout=_WINDOW_LAYOUT)
    return X[:, :, None] if X.ndim == 2 else X  # (n, window, features)


def _targets(y: Any, name: str) -> np.ndarray:
    """Return targets as (samples, horizon); a 1-D array has horizon 1."""
    y = as_array(y, name, ndim=(1, 2), layout="(samples,) or (samples, horizon)")
    return y[:, None] if y.ndim == 1 else y  # (n, horizon)


def persistence_forecast(X: Any, horizon: int = 1) -> np.ndarray:
    """Forecast that the last observed value repeats: y_hat[t + k] = x[t] for every k.

    Args:
        X: input windows, (samples, window, features) or (samples, window). The
            forecast is of feature 0, the target of `course_lib.datasets.make_windows`.
        horizon: how many future steps to forecast, at least 1. Defaults to 1.

    Returns:
        NumPy array (samples, horizon).

    Example:
    >>> persistence_forecast(np.array([[1.0, 2.0, 3.0]]), horizon=2)
    array([[3., 3.]])

    Introduced in Chapter 3 (SimpleRNN); used again in Chapter 6 (Applications: forecasting).
    """
    X = _windows(X, "X")
    horizon = check_int(horizon, "horizon", minimum=1)
    last = X[:, -1, 0]  # (n,)
    return np.repeat(last[:, None], horizon, axis=1)  # (n, horizon)


def mean_forecast(y_train: Any, n_samples: int, horizon: int = 1) -> np.ndarray:
    """Forecast the mean of the training targets, whatever the input.

    Args:
        y_train: training targets, (samples,) or (samples, horizon).
        n_samples: how many forecasts to return, at least 1.
        horizon: how many future steps per forecast, at least 1. Defaults to 1.

    Returns:
        NumPy array (n_samples, horizon), every entry `mean(y_train)`.

    Example:
    >>> mean_forecast(np.array([1.0, 2.0, 6.0]), n_samples=2)
    array([[3.],
           [3.]])

    Introduced in Chapter 3 (SimpleRNN), as the forecast a model of raw values fails to beat.
    """
    y_train = as_array(y_train, "y_train", ndim=(1, 2), layout="(samples,) or (samples, horizon)")
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    horizon = check_int(horizon, "horizon", minimum=1)
    return np.full((n_samples, horizon), float(np.mean(y_train)))  # (n_samples, horizon)


def linear_forecast(X_train: Any, y_train: Any, X: Any, *, alpha: float = 1e-3) -> np.ndarray:
    """Forecast with a ridge regression on the flattened windows (an AR model).

    Fits `sklearn.linear_model.Ridge` from the window, flattened to
    window * features numbers, to the next `horizon` values. A linear model of the
    last few values is a strong baseline for smooth series.

    Args:
        X_train: training windows, (samples, window, features) or (samples, window).
        y_train: training targets, (samples,) or (samples, horizon).
        X: windows to forecast, with the same window and features as `X_train`.
        alpha: the ridge penalty, at least 0. Defaults to 1e-3 (almost least squares).

    Returns:
        NumPy array (len(X), horizon).

    Example:
    >>> X_train = np.arange(10.0)[np.arange(7)[:, None] + np.arange(3)]  # ramps, (7, 3)
    >>> forecast = linear_forecast(X_train, X_train[:, -1] + 1, np.array([[20.0, 21.0, 22.0]]))
    >>> forecast.round(2)
    array([[23.]])

    Introduced in Chapter 6 (Applications: forecasting).
    """
    from sklearn.linear_model import Ridge

    X_train = _windows(X_train, "X_train")
    y_train = _targets(y_train, "y_train")
    X = _windows(X, "X")
    alpha = check_float(alpha, "alpha", minimum=0.0)
    if y_train.shape[0] != X_train.shape[0]:
        raise ValueError(
            f"`y_train` must have one target per window of `X_train` ({X_train.shape[0]}); "
            f"got shape {y_train.shape}."
        )
    if X.shape[1:] != X_train.shape[1:]:
        raise ValueError(
            f"`X` must have the window and features of `X_train` {X_train.shape[1:]}; "
            f"got shape {X.shape}."
        )
    model = Ridge(alpha=alpha)
    model.fit(X_train.reshape(len(X_train), -1), y_train)  # (n, window * features)
    forecast = model.predict(X.reshape(len(X), -1))  # (n, horizon)
    return np.asarray(forecast).reshape(len(X), y_train.shape[1])  # (n, horizon)


def mse(y_true: Any, y_pred: Any) -> float:
    """Mean squared error between two arrays of the same shape.

    Arrays that differ only by trailing axes of length 1, such as (n,) and (n, 1),
    are compared element by element; anything else that NumPy would broadcast into a
    larger array (the classic (n,) against (n, 1) bug) is refused.

    Args:
        y_true: targets, any shape.
        y_pred: predictions, the same shape.

    Returns:
        A float, mean((y_true - y_pred) ** 2).

    Example:
    >>> mse(np.array([1.0, 2.0]), np.array([[1.0], [4.0]]))
    2.0

    Introduced in Chapter 3 (SimpleRNN).
    """
    y_true = as_array(y_true, "y_true", finite=True)
    y_pred = as_array(y_pred, "y_pred", finite=True)
    if y_true.shape != y_pred.shape:

        def squeezed(shape):
            while shape and shape[-1] == 1:
                shape = shape[:-1]
            return shape

        if squeezed(y_true.shape) != squeezed(y_pred.shape):
            raise ValueError(
                f"`y_pred` must have the shape of `y_true` {y_true.shape}; got shape "
                f"{y_pred.shape}."
            )
        y_pred = y_pred.reshape(y_true.shape)
    return float(np.mean((y_true - y_pred) ** 2))


def unigram_bits_per_char(train_ids: Any, val_ids: Any, vocab_size: int) -> float:
    """Bits per character of a model that predicts every character from its frequency.

    The probability of character c is its add-one (Laplace) smoothed frequency in
    `train_ids`, p(c) = (count(c) + 1) / (len(train_ids) + vocab_size), so characters
    never seen in training still get a probability. The result is the cross-entropy
    on `val_ids` in bits, -mean(log2 p(val_ids)). A uniform guess gives
    log2(vocab_size); a character-level RNN must do clearly better than this.

    Args:
        train_ids: integer character ids, (n_train,), each in [0, vocab_size).
            May be empty (the model is then uniform).
        val_ids: integer character ids to evaluate, (n_val,), in [0, vocab_size).
        vocab_size: number of distinct characters, at least 1.

    Returns:
        A float, bits per character.

    Example:
    >>> unigram_bits_per_char([0, 0, 0, 1], [0, 0, 1], vocab_size=2)  # p = (2/3, 1/3)
    0.918...

    Introduced in Chapter 6 (Applications: text generation).
    """
    vocab_size = check_int(vocab_size, "vocab_size", minimum=1)
    train_ids = _ids(train_ids, "train_ids", vocab_size, allow_empty=True)
    val_ids = _ids(val_ids, "val_ids", vocab_size, allow_empty=False)
    counts = np.bincount(train_ids, minlength=vocab_size) + 1.0  # (vocab_size,)
    probabilities = counts / counts.sum()  # (vocab_size,)
    return float(-np.mean(np.log2(probabilities[val_ids])))


def _ids(ids: Any, name: str, vocab_size: int, *, allow_empty: bool) -> np.ndarray:
    """Check a 1-D array of integer ids in [0, vocab_size) and return it as int64."""
    ids = as_array(ids, name, ndim=1, layout="(characters,)", dtype=None, allow_empty=allow_empty)
    if ids.size == 0:
        return ids.astype(np.int64)
    if not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"`{name}` must hold integer ids; got dtype {ids.dtype}.")
    low, high = int(ids.min()), int(ids.max())
    if low < 0 or high >= vocab_size:
        raise ValueError(
            f"`{name}` must hold ids in [0, {vocab_size}) for vocab_size={vocab_size}; "
            f"got ids from {low} to {high}."
        )
    return ids.astype(np.int64)
