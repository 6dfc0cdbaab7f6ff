"""Handwritten digits read row by row: an 8-step sequence classification problem.

Introduced in Chapter 6c (sequence classification).
"""

from __future__ import annotations

import numpy as np

from course_lib.validation import check_float, check_int

__all__ = ["load_digit_sequences"]

_N_CLASSES = 10


def load_digit_sequences(
    *, test_fraction: float = 0.2, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load the 8x8 handwritten digits as sequences of 8 rows of 8 pixels.

    Each image becomes a sequence: time step `t` is pixel row `t`, and its 8 pixel
    intensities are the features. Pixels are scaled from 0..16 to [0, 1]. The split is
    stratified (each digit keeps its share in both parts) and reproducible with `seed`.

    Source: the 1,797 images of `sklearn.datasets.load_digits`, shipped inside the
    scikit-learn package (nothing is downloaded). They are the test set of the UCI ML
    "Optical Recognition of Handwritten Digits" data set (E. Alpaydin and C. Kaynak,
    1998). Licence: scikit-learn's description of the data names no licence; the UCI
    Machine Learning Repository distributes the data set under CC BY 4.0, and
    scikit-learn ships it in its BSD-3-Clause package. Cite the UCI page when you reuse
    it.

    Args:
        test_fraction: share of the images in the test part, in (0, 1). Both parts
            must hold at least one image per class. Defaults to `0.2`.
        seed: seed of the stratified shuffle. Defaults to `0`.

    Returns:
        `((X_train, y_train), (X_test, y_test))`: `X_*` float32 of shape
        `(batch, timesteps, features)` = `(n, 8, 8)` with values in [0, 1], and `y_*`
        int32 labels 0..9 of shape `(batch,)`.

    Example:
    >>> (X_train, y_train), (X_test, y_test) = load_digit_sequences()
    >>> X_train.shape, X_test.shape, sorted(set(y_test.tolist())) == list(range(10))
    ((1437, 8, 8), (360, 8, 8), True)

    Introduced in Chapter 6c (sequence classification).
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    test_fraction = check_float(
        test_fraction, "test_fraction", minimum=0.0, maximum=1.0, inclusive=False
    )
    seed = check_int(seed, "seed", minimum=0)
    digits = load_digits()
    n_images = len(digits.target)
    n_test = int(np.ceil(test_fraction * n_images))  # how train_test_split rounds
    if n_test < _N_CLASSES or n_images - n_test < _N_CLASSES:
        raise ValueError(
            f"`test_fraction` must leave at least {_N_CLASSES} images (one per class) in "
            f"each part of the {n_images} images; got test_fraction={test_fraction:g}, "
            f"which gives {n_test} test and {n_images - n_test} training images."
        )
    X = (digits.images / 16.0).astype(np.float32)  # (N, 8, 8): rows are time steps
    y = digits.target.astype(np.int32)  # (N,)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=n_test, stratify=y, random_state=seed
    )
    return (X_train, y_train), (X_test, y_test)
