"""Checks of the exercises of Chapter 6 (Applications).

- 6.1 `check_temperature_sampling(sample_with_temperature)`: draw the next character.
- 6.2 `check_bits_per_character(bits_per_character)`: bits per character from predicted
  probabilities.
- 6.3 `check_forecaster(train_forecaster)`: a recurrent model that forecasts 10 steps
  ahead and beats persistence over the whole horizon.
- 6.4 `check_confusion_matrix(confusion_matrix)`: count (true, predicted) pairs.
- 6.5 `check_macro_f1(macro_f1)`: the macro-averaged F1 score.

`forecast_data()` returns the data the check of 6.3 trains on.

References: the softmax of the scaled logits, `keras.losses.sparse_categorical_crossentropy`,
`course_lib.baselines.persistence_forecast` and `sklearn.metrics`.

Introduced in Chapter 6 (Applications).
"""

from __future__ import annotations

import numpy as np

from course_lib import datasets
from course_lib.checks.common import (
    StudentFunction,
    diagnose,
    expect_good_forecaster,
    expect_unchanged,
    hint_for,
    seed_everything,
)
from course_lib.checks.report import CallFailed, CheckReport

__all__ = [
    "HORIZON",
    "MAX_MSE_RATIO",
    "check_bits_per_character",
    "check_confusion_matrix",
    "check_forecaster",
    "check_macro_f1",
    "check_temperature_sampling",
    "forecast_data",
]

# -- 6.1 -------------------------------------------------------------------------------------


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - np.max(logits))
    return z / z.sum()


_DRAWS = 4000
# Frequencies of 4000 draws have a standard deviation of at most 0.008; 0.04 is 5 of them.
_FREQ_ATOL = 0.04


def check_temperature_sampling(sample_with_temperature) -> None:
    """Exercise 6.1 (7 checks): `sample_with_temperature(logits, temperature, rng) -> int`.

    Draws 4000 samples for several temperatures with a seeded `np.random.Generator` and
    compares their frequencies with `softmax(logits / temperature)` (within 0.04, five
    standard deviations); also checks huge logits, a near-zero temperature (always the
    argmax) and that the draws come from `rng` (same seed, same draws).
    """
    report = CheckReport("6.1")
    sample = StudentFunction(report, sample_with_temperature, "sample_with_temperature")
    logits = np.array([2.0, 1.0, 0.0, -1.0])

    def draws(logits, temperature, seed, n=_DRAWS):
        rng = np.random.default_rng(seed)
        return report.call(
            lambda: [sample.function(logits.copy(), temperature, rng) for _ in range(n)],
            name=sample.name,
        )

    first = draws(logits, 1.0, seed=0, n=20)
    if isinstance(first, CallFailed):
        report.expect_close("a draw", first, 0)
    else:
        bad = [d for d in first if not _is_index(d, len(logits))]
        report.expect(
            not bad,
            f"each draw should be an int in [0, {len(logits)}); got {bad[0]!r:.60} "
            f"({type(bad[0]).__name__})."
            if bad
            else "",
            hint="return int(rng.choice(len(logits), p=probabilities)).",
        )

    for temperature in (1.0, 0.5, 2.0):
        result = draws(logits, temperature, seed=int(10 * temperature))
        expected = _softmax(logits / temperature)
        freqs = _frequencies(result, len(logits))
        hint = diagnose(
            freqs,
            [
                (
                    "divide the logits by the temperature (a high temperature flattens the "
                    "distribution), do not multiply.",
                    lambda t=temperature: _softmax(logits * t),
                ),
                (
                    "sample from the distribution (rng.choice with p=...), do not take the argmax.",
                    lambda: np.eye(len(logits))[np.argmax(logits)],
                ),
                (
                    "apply the softmax: p = exp(logits / T) / sum(exp(logits / T)).",
                    lambda t=temperature: np.abs(logits / t) / np.abs(logits / t).sum(),
                ),
            ],
            f"the frequencies of {_DRAWS} draws should match softmax(logits / temperature).",
            atol=_FREQ_ATOL,
            rtol=0.0,
        )
        report.expect_close(
            f"frequencies of {_DRAWS} draws at temperature {temperature:g} for logits "
            f"{logits.tolist()}",
            freqs,
            expected,
            atol=_FREQ_ATOL,
            rtol=0.0,
            hint=hint,
        )

    huge = np.array([1000.0, 999.0, 0.0])
    result = draws(huge, 1.0, seed=3)
    report.expect_close(
        f"frequencies of {_DRAWS} draws for huge logits {huge.tolist()}",
        _frequencies(result, len(huge)),
        _softmax(huge),
        atol=_FREQ_ATOL,
        rtol=0.0,
        hint="exp(1000) overflows: subtract the largest logit before np.exp (the softmax "
        "does not change).",
    )

    result = draws(logits, 1e-3, seed=4, n=200)
    report.expect_close(
        "frequencies of 200 draws at temperature 0.001",
        _frequencies(result, len(logits)),
        np.eye(len(logits))[0],
        atol=0.0,
        rtol=0.0,
        hint="as the temperature goes to 0 the softmax becomes the argmax; subtract the "
        "largest scaled logit to avoid overflow.",
    )

    a, b = draws(logits, 1.0, seed=5, n=50), draws(logits, 1.0, seed=5, n=50)
    if isinstance(a, CallFailed):
        report.expect_close("draws with the same seed", a, 0)
    else:
        report.expect(
            _as_list(a) == _as_list(b),
            "two runs with np.random.default_rng(5) should give the same 50 draws; they "
            "differ, so the draws do not come (only) from `rng`.",
            hint="draw with the `rng` argument (rng.choice or rng.random), not np.random.*.",
        )
    report.finish()


def _is_index(value, size: int) -> bool:
    return (
        isinstance(value, int | np.integer)
        and not isinstance(value, bool)
        and 0 <= int(value) < size
    )


def _as_list(values):
    try:
        return [int(v) for v in values]
    except Exception:
        return None


def _frequencies(draws, size: int):
    """Relative frequency of each index in `draws` (a CallFailed passes through)."""
    if isinstance(draws, CallFailed):
        return draws
    try:
        ids = np.array([int(d) for d in draws])
        if ids.min() < 0 or ids.max() >= size:
            return np.full(size, np.nan)
        return np.bincount(ids, minlength=size) / len(ids)
    except Exception:
        return np.full(size, np.nan)


# -- 6.2 -------------------------------------------------------------------------------------

EPSILON = 1e-7  # Keras's epsilon: probabilities are clipped to [EPSILON, 1]


def _bits_reference(probs: np.ndarray, targets: np.ndarray) -> float:
    p = np.clip(probs[np.arange(len(targets)), targets], EPSILON, 1.0)
    return float(-np.mean(np.log2(p)))


def _keras_bits(probs: np.ndarray, targets: np.ndarray) -> float:
    """Keras's sparse categorical cross-entropy (in nats) converted to bits."""
    import keras

    loss = keras.losses.sparse_categorical_crossentropy(targets, probs.astype("float32"))
    return float(np.mean(keras.ops.convert_to_numpy(loss)) / np.log(2.0))


def check_bits_per_character(bits_per_character) -> None:
    """Exercise 6.2 (6 checks): `bits_per_character(probs, targets) -> float`.

    Uniform and perfect predictions (2 bits and 0 bits), random softmax outputs
    (against Keras's cross-entropy divided by ln 2), a zero probability (clipped to
    1e-7, finite), and unchanged inputs.
    """
    report = CheckReport("6.2")
    bpc = StudentFunction(report, bits_per_character, "bits_per_character")
    rng = np.random.default_rng(101)

    def mistakes(probs, targets):
        p = np.clip(probs[np.arange(len(targets)), targets], EPSILON, 1.0)
        return [
            (
                "use log base 2 (np.log2), or divide the natural log by ln 2.",
                lambda: -np.mean(np.log(p)),
            ),
            ("average over the characters (np.mean), do not sum.", lambda: -np.sum(np.log2(p))),
            (
                "take each row's probability of its own target, probs[np.arange(n), targets], "
                "not probs[:, targets].",
                lambda: -np.mean(np.log2(np.clip(probs[:, targets], EPSILON, 1.0))),
            ),
            ("the cross-entropy is -mean(log2 p): mind the sign.", lambda: np.mean(np.log2(p))),
        ]

    uniform = np.full((6, 4), 0.25)
    targets = np.array([0, 1, 2, 3, 0, 1])
    got = bpc(uniform, targets)
    report.expect_close(
        "bits per character of a uniform guess over 4 characters",
        got,
        2.0,
        atol=1e-9,
        rtol=1e-6,
        hint=diagnose(
            got,
            mistakes(uniform, targets),
            "a uniform guess over 4 symbols costs log2(4) = 2 bits.",
        ),
    )

    perfect = np.eye(5)[[3, 1, 4, 0]]
    got = bpc(perfect, np.array([3, 1, 4, 0]))
    report.expect_close(
        "bits per character of perfect predictions",
        got,
        0.0,
        atol=1e-6,
        rtol=0.0,
        hint="a probability of 1 for the right character costs -log2(1) = 0 bits.",
    )

    logits = rng.standard_normal((50, 30)) * 2.0
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    targets = rng.integers(0, 30, size=50)
    originals = {"probs": probs.copy(), "targets": targets.copy()}
    got = bpc(probs, targets)
    report.expect_close(
        "bits per character of random softmax outputs (50, 30), against "
        "keras.losses.sparse_categorical_crossentropy / ln 2",
        got,
        _keras_bits(probs, targets),
        atol=1e-4,
        rtol=1e-4,
        hint=diagnose(got, mistakes(probs, targets), "-mean(log2(probs[np.arange(n), targets]))."),
    )
    report.expect_close(
        "bits per character of random softmax outputs (exact)",
        got,
        _bits_reference(probs, targets),
        atol=1e-9,
        rtol=1e-6,
        hint="compute in float64 with np.log2.",
    )
    expect_unchanged(
        report, got, originals, {"probs": probs, "targets": targets}, f"{bpc.name}(probs, targets)"
    )

    zero = np.array([[0.0, 1.0], [0.5, 0.5]])
    got = bpc(zero, np.array([0, 1]))
    report.expect_close(
        "bits per character when the right character had probability 0",
        got,
        _bits_reference(zero, np.array([0, 1])),
        atol=1e-6,
        rtol=1e-6,
        hint="clip the probabilities to at least 1e-7 (np.clip(p, 1e-7, 1.0)) before the log, "
        "as Keras does: log2(0) is -inf.",
    )
    report.finish()


# -- 6.3 -------------------------------------------------------------------------------------

HORIZON = 10
#: The model's test MSE, over the horizon and at its last step, must be at most this
#: fraction of the persistence forecast's (forecasting the training mean scores about 0.5).
MAX_MSE_RATIO = 0.1


def forecast_data() -> datasets.ForecastingData:
    """The data of exercise 6.3: two periods (16 and 60 steps) plus noise, 10 steps ahead.

    Windows of 32 steps, targets the next `HORIZON` = 10 values; scaled with training
    statistics.

    Introduced in Chapter 6 (Applications).
    """
    series = datasets.periodic_series(
        900, periods=(16.0, 60.0), amplitudes=(1.0, 0.5), noise=0.1, seed=6
    )
    return datasets.make_forecasting_data(series, window=32, horizon=HORIZON)


def check_forecaster(train_forecaster, *, seed: int = 0) -> None:
    """Exercise 6.3 (6 checks): `train_forecaster(X_train, y_train, X_val, y_val) -> model`.

    Seeds Python, NumPy and Keras, calls the function on `forecast_data()` and evaluates
    the model on the test windows: a recurrent layer (SimpleRNN, LSTM or GRU), finite
    `(batch, 10)` forecasts, and a test MSE at most `MAX_MSE_RATIO` times persistence's,
    both over the whole horizon and at its last step.
    """
    report = CheckReport("6.3")
    train = StudentFunction(report, train_forecaster, "train_forecaster")
    data = forecast_data()
    seed_everything(seed)
    model = train(data.X_train, data.y_train, data.X_val, data.y_val)
    expect_good_forecaster(
        report,
        model,
        data.X_test,
        data.y_test,
        layer_types=("SimpleRNN", "LSTM", "GRU"),
        max_ratio=MAX_MSE_RATIO,
        last_step_ratio=MAX_MSE_RATIO,
    )
    report.finish()


# -- 6.4 -------------------------------------------------------------------------------------


def _confusion_reference(y_true, y_pred, n_classes):
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(y_true, y_pred, labels=np.arange(n_classes))


_CLASSIFICATION_CASES = (
    ("3 classes, 8 samples", [0, 1, 2, 2, 1, 0, 2, 1], [0, 2, 2, 2, 1, 1, 0, 1], 3),
    ("a class never predicted", [0, 1, 2, 2, 1, 2], [0, 1, 1, 1, 1, 0], 3),
    ("a class that never occurs (n_classes=4)", [0, 1, 1, 0, 2], [0, 1, 0, 0, 2], 4),
)


def _random_case(seed: int):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 10, size=300)
    y_pred = np.where(rng.random(300) < 0.7, y_true, rng.integers(0, 10, size=300))
    return "10 classes, 300 samples (70% right)", y_true, y_pred, 10


def check_confusion_matrix(confusion_matrix) -> None:
    """Exercise 6.4 (5 checks): `confusion_matrix(y_true, y_pred, n_classes)`.

    Rows are true classes, columns predicted classes; compared with
    `sklearn.metrics.confusion_matrix(..., labels=range(n_classes))`.
    """
    report = CheckReport("6.4")
    matrix = StudentFunction(report, confusion_matrix, "confusion_matrix")
    cases = [*_CLASSIFICATION_CASES, _random_case(111)]
    for index, (label, y_true, y_pred, n_classes) in enumerate(cases):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        expected = _confusion_reference(y_true, y_pred, n_classes)
        got = matrix(y_true.copy(), y_pred.copy(), n_classes)
        if index == 0:
            report.expect_shape(
                f"confusion matrix for {label}",
                got,
                (n_classes, n_classes),
                layout="(n_classes, n_classes)",
                hint=hint_for(
                    got,
                    "one row per true class and one column per predicted class, even for "
                    "classes that never occur.",
                ),
            )
        report.expect_close(
            f"confusion matrix for {label}",
            got,
            expected,
            atol=0.0,
            rtol=0.0,
            hint=diagnose(
                got,
                [
                    (
                        "rows are the true classes and columns the predicted ones: "
                        "matrix[true, predicted] += 1.",
                        lambda e=expected: e.T,
                    )
                ],
                "count every pair: for t, p in zip(y_true, y_pred): matrix[t, p] += 1.",
            ),
        )
    report.finish()


# -- 6.5 -------------------------------------------------------------------------------------


def _f1_reference(y_true, y_pred, n_classes) -> float:
    from sklearn.metrics import f1_score

    return float(
        f1_score(y_true, y_pred, labels=np.arange(n_classes), average="macro", zero_division=0)
    )


def check_macro_f1(macro_f1) -> None:
    """Exercise 6.5 (6 checks): `macro_f1(y_true, y_pred, n_classes) -> float`.

    Compared with `sklearn.metrics.f1_score(..., average="macro", zero_division=0,
    labels=range(n_classes))`: a class with no predicted (or no true) samples scores 0,
    never NaN.
    """
    from sklearn.metrics import accuracy_score, f1_score

    report = CheckReport("6.5")
    f1 = StudentFunction(report, macro_f1, "macro_f1")
    cases = [
        ("perfect predictions", [0, 1, 2, 1], [0, 1, 2, 1], 3),
        *_CLASSIFICATION_CASES,
        _random_case(112),
        ("an unbalanced binary problem", [0] * 18 + [1] * 2, [0] * 20, 2),
    ]
    for label, y_true, y_pred, n_classes in cases:
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        got = f1(y_true.copy(), y_pred.copy(), n_classes)
        labels = np.arange(n_classes)
        hint = diagnose(
            got,
            [
                (
                    "macro-F1 averages the F1 of each class with equal weight; you computed "
                    "the accuracy (micro average).",
                    lambda t=y_true, p=y_pred: accuracy_score(t, p),
                ),
                (
                    "average over all n_classes classes, including those with no samples "
                    "(their F1 is 0).",
                    lambda t=y_true, p=y_pred: f1_score(t, p, average="macro", zero_division=0),
                ),
                (
                    "weight every class equally (macro), not by its number of samples.",
                    lambda t=y_true, p=y_pred, n=labels: f1_score(
                        t, p, labels=n, average="weighted", zero_division=0
                    ),
                ),
            ],
            "per class: precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2 P R / "
            "(P + R); take 0 whenever a denominator is 0, then average over the classes.",
        )
        report.expect_close(
            f"{f1.name} for {label}",
            got,
            _f1_reference(y_true, y_pred, n_classes),
            atol=1e-9,
            rtol=1e-6,
            hint=hint,
        )
    report.finish()
