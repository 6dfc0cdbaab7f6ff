"""Tests of course_lib.datasets.digits: sklearn's digits as row sequences."""

import numpy as np
import pytest

from course_lib.datasets import load_digit_sequences


@pytest.fixture(scope="module")
def split():
    return load_digit_sequences()


@pytest.fixture(scope="module")
def reference():
    from sklearn.datasets import load_digits

    return load_digits()


def test_shapes_dtypes_and_range(split):
    (X_train, y_train), (X_test, y_test) = split
    assert X_train.shape == (1437, 8, 8) and X_test.shape == (360, 8, 8)
    assert y_train.shape == (1437,) and y_test.shape == (360,)
    assert X_train.dtype == np.float32 and X_test.dtype == np.float32
    assert np.issubdtype(y_train.dtype, np.integer)
    for X in (X_train, X_test):
        assert X.min() == 0.0 and X.max() == 1.0


def test_rows_are_time_steps_of_the_original_images(split, reference):
    (X_train, y_train), _ = split
    # Find the first training image among sklearn's images: rows must match row by row.
    flat = reference.images.reshape(len(reference.images), -1) / 16.0  # (N, 64)
    match = np.flatnonzero(np.all(np.isclose(flat, X_train[0].reshape(-1)), axis=1))
    assert match.size >= 1
    np.testing.assert_allclose(X_train[0], reference.images[match[0]] / 16.0, atol=1e-7)
    assert y_train[0] == reference.target[match[0]]


def test_split_is_stratified_and_complete(split, reference):
    (X_train, y_train), (X_test, y_test) = split
    assert len(y_train) + len(y_test) == len(reference.target)
    np.testing.assert_array_equal(
        np.bincount(y_train) + np.bincount(y_test), np.bincount(reference.target)
    )
    assert set(y_train.tolist()) == set(range(10)) and set(y_test.tolist()) == set(range(10))
    share = np.bincount(y_test) / np.bincount(reference.target)  # each class's test share
    assert np.all(np.abs(share - 0.2) < 0.02)
    # Total pixel mass is preserved: no image duplicated or lost.
    total = X_train.sum(dtype=np.float64) + X_test.sum(dtype=np.float64)
    assert total == pytest.approx(reference.images.sum() / 16.0, rel=1e-6)


def test_split_is_reproducible_with_seed(split):
    (X_a, y_a), _ = split
    (X_b, y_b), _ = load_digit_sequences(seed=0)
    (X_c, y_c), _ = load_digit_sequences(seed=1)
    np.testing.assert_array_equal(X_a, X_b)
    np.testing.assert_array_equal(y_a, y_b)
    assert not np.array_equal(y_a, y_c)


def test_test_fraction_sets_the_split_size():
    (X_train, _), (X_test, y_test) = load_digit_sequences(test_fraction=0.5)
    assert len(X_test) == int(np.ceil(0.5 * 1797)) and len(X_train) == 1797 - len(X_test)
    assert set(y_test.tolist()) == set(range(10))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"test_fraction": 0.0}, r"`test_fraction` must be in \(0, 1\); got 0"),
        ({"test_fraction": 1.0}, r"`test_fraction` must be in \(0, 1\); got 1"),
        (
            {"test_fraction": 0.001},
            r"`test_fraction` must leave at least 10 images \(one per class\) in each part",
        ),
        ({"test_fraction": 0.999}, r"`test_fraction` must leave at least 10 images"),
        ({"seed": -3}, r"`seed` must be at least 0; got -3"),
    ],
)
def test_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_digit_sequences(**kwargs)
