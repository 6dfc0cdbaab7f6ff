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
    argmax) and that the draws come from `rng` (same seed, same draws). The logits are
    2, 1, 0, -1 in a drawn order, each moved by up to 0.3.
    """
    report = CheckReport("6.1", atol=_FREQ_ATOL, rtol=0.0)
    sample = StudentFunction(report, sample_with_temperature, "sample_with_temperature")
    rng = report.rng(9)
    logits = rng.permutation([2.0, 1.0, 0.0, -1.0]) + np.round(rng.uniform(-0.3, 0.3, 4), 1)
    huge = np.array([1000.0, 999.0, 0.0])[rng.permutation(3)]

    def draws(logits, temperature, seed, n=_DRAWS):
        generator = np.random.default_rng(report.seed(seed))
        return sample.call(
            lambda: [sample.function(logits.copy(), temperature, generator) for _ in range(n)]
        )

    first = draws(logits, 1.0, seed=0, n=20)
    results = [draws(logits, t, seed=int(10 * t)) for t in (1.0, 0.5, 2.0)]
    huge_result = draws(huge, 1.0, seed=3)
    cold = draws(logits, 1e-3, seed=4, n=200)
    a, b = draws(logits, 1.0, seed=5, n=50), draws(logits, 1.0, seed=5, n=50)
    if not report.judging:
        report.finish()
        return

    if isinstance(first, CallFailed):
        report.not_checked("a draw", first)
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

    for temperature, result in zip((1.0, 0.5, 2.0), results, strict=True):
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
            hint=hint,
        )

    report.expect_close(
        f"frequencies of {_DRAWS} draws for huge logits {huge.tolist()}",
        _frequencies(huge_result, len(huge)),
        _softmax(huge),
        hint="exp(1000) overflows: subtract the largest logit before np.exp (the softmax "
        "does not change).",
    )
    report.expect_close(
        "frequencies of 200 draws at temperature 0.001",
        _frequencies(cold, len(logits)),
        np.eye(len(logits))[np.argmax(logits)],
        atol=0.0,
        hint="as the temperature goes to 0 the softmax becomes the argmax; subtract the "
        "largest scaled logit to avoid overflow.",
    )
    if isinstance(a, CallFailed):
        report.not_checked("draws with the same seed", a)
    else:
        report.expect(
            _as_list(a) == _as_list(b),
            "two runs with generators made from the same seed should give the same 50 draws; "
            "they differ, so the draws do not come (only) from `rng`.",
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


def _bits_mistakes(probs, targets):
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


def check_bits_per_character(bits_per_character) -> None:
    """Exercise 6.2 (6 checks): `bits_per_character(probs, targets) -> float`.

    Uniform and perfect predictions (log2 of the alphabet size, and 0 bits), random softmax
    outputs (against Keras's cross-entropy divided by ln 2), a zero probability (clipped to
    1e-7, finite), and unchanged inputs.
    """
    report = CheckReport("6.2", atol=1e-9, rtol=1e-6)
    bpc = StudentFunction(report, bits_per_character, "bits_per_character")
    rng = report.rng(101)

    size = int(rng.choice([4, 8, 16]))
    uniform = np.full((6, size), 1.0 / size)
    uniform_targets = rng.integers(0, size, size=6)
    got_uniform = bpc(uniform, uniform_targets.copy())

    perfect_targets = rng.integers(0, 5, size=4)
    got_perfect = bpc(np.eye(5)[perfect_targets], perfect_targets.copy())

    logits = rng.standard_normal((50, 30)) * 2.0
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    targets = rng.integers(0, 30, size=50)
    originals = {"probs": probs.copy(), "targets": targets.copy()}
    got = bpc(probs, targets)

    p = round(float(rng.uniform(0.05, 0.95)), 2)
    zero = np.array([[0.0, 1.0], [p, 1.0 - p]])
    got_zero = bpc(zero.copy(), np.array([0, 1]))
    if not report.judging:
        report.finish()
        return

    report.expect_close(
        f"bits per character of a uniform guess over {size} characters",
        got_uniform,
        float(np.log2(size)),
        hint=diagnose(
            got_uniform,
            _bits_mistakes(uniform, uniform_targets),
            f"a uniform guess over {size} symbols costs log2({size}) = {np.log2(size):g} bits.",
        ),
    )
    report.expect_close(
        "bits per character of perfect predictions",
        got_perfect,
        0.0,
        atol=1e-6,
        rtol=0.0,
        hint="a probability of 1 for the right character costs -log2(1) = 0 bits.",
    )
    probs0, targets0 = originals.values()
    report.expect_close(
        "bits per character of random softmax outputs (50, 30), against "
        "keras.losses.sparse_categorical_crossentropy / ln 2",
        got,
        _keras_bits(probs0, targets0),
        atol=1e-4,
        rtol=1e-4,
        hint=diagnose(
            got, _bits_mistakes(probs0, targets0), "-mean(log2(probs[np.arange(n), targets]))."
        ),
    )
    report.expect_close(
        "bits per character of random softmax outputs (exact)",
        got,
        _bits_reference(probs0, targets0),
        hint="compute in float64 with np.log2.",
    )
    expect_unchanged(
        report, got, originals, {"probs": probs, "targets": targets}, f"{bpc.name}(probs, targets)"
    )
    report.expect_close(
        "bits per character when the right character had probability 0",
        got_zero,
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


def forecast_data(seed: int = 6) -> datasets.ForecastingData:
    """The data of exercise 6.3: two periods (16 and 60 steps) plus noise, 10 steps ahead.

    Windows of 32 steps, targets the next `HORIZON` = 10 values; scaled with training
    statistics.

    Args:
        seed: seed of the noise. Defaults to 6, the data the exercise trains on; the check
            evaluates on the test windows of this seed when self-checking and of a fresh
            seed when graded (the same periods, other noise).

    Introduced in Chapter 6 (Applications).
    """
    series = datasets.periodic_series(
        900, periods=(16.0, 60.0), amplitudes=(1.0, 0.5), noise=0.1, seed=seed
    )
    return datasets.make_forecasting_data(series, window=32, horizon=HORIZON)


def check_forecaster(train_forecaster, *, seed: int = 0) -> None:
    """Exercise 6.3 (6 checks): `train_forecaster(X_train, y_train, X_val, y_val) -> model`.

    Seeds Python, NumPy and Keras, calls the function on `forecast_data()` and evaluates
    the model on test windows: a recurrent layer (SimpleRNN, LSTM or GRU), finite
    `(batch, 10)` forecasts, and a test MSE at most `MAX_MSE_RATIO` times persistence's,
    both over the whole horizon and at its last step. Inputs fixed by nature: the model
    trains on the exercise's data set; only the test windows are drawn afresh when graded
    (`forecast_data(report.seed(6))`).
    """
    report = CheckReport("6.3")
    train = StudentFunction(report, train_forecaster, "train_forecaster")
    data = forecast_data()
    test = forecast_data(report.seed(6))
    seed_everything(seed)
    model = train(data.X_train, data.y_train, data.X_val, data.y_val)
    expect_good_forecaster(
        report,
        model,
        test.X_test,
        test.y_test,
        layer_types=("SimpleRNN", "LSTM", "GRU"),
        max_ratio=MAX_MSE_RATIO,
        last_step_ratio=MAX_MSE_RATIO,
    )
    report.finish()


# -- 6.4 -------------------------------------------------------------------------------------


def _confusion_reference(y_true, y_pred, n_classes):
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(y_true, y_pred, labels=np.arange(n_classes))


def _with_every_class(rng, labels: np.ndarray, classes: int) -> np.ndarray:
    """`labels` with the first positions set so that every class in range(classes) occurs."""
    labels = labels.copy()
    labels[rng.permutation(len(labels))[:classes]] = np.arange(classes)
    return labels


def _classification_cases(rng: np.random.Generator):
    """Three small drawn cases `(label, y_true, y_pred, n_classes)` and a large one."""
    y_true = _with_every_class(rng, rng.integers(0, 3, size=8), 3)
    y_pred = np.where(rng.random(8) < 0.6, y_true, rng.integers(0, 3, size=8))
    y_pred = _with_every_class(rng, y_pred, 3)
    cases = [("3 classes, 8 samples", y_true, y_pred, 3)]
    y_true = _with_every_class(rng, rng.integers(0, 3, size=6), 3)
    y_pred = np.where(y_true == 2, rng.integers(0, 2, size=6), y_true)
    cases.append(("a class never predicted", y_true, y_pred, 3))
    y_true = _with_every_class(rng, rng.integers(0, 3, size=5), 3)
    y_pred = np.where(rng.random(5) < 0.6, y_true, rng.integers(0, 3, size=5))
    cases.append(("a class that never occurs (n_classes=4)", y_true, y_pred, 4))
    y_true = rng.integers(0, 10, size=300)
    y_pred = np.where(rng.random(300) < 0.7, y_true, rng.integers(0, 10, size=300))
    cases.append(("10 classes, 300 samples (70% right)", y_true, y_pred, 10))
    return cases


def check_confusion_matrix(confusion_matrix) -> None:
    """Exercise 6.4 (5 checks): `confusion_matrix(y_true, y_pred, n_classes)`.

    Rows are true classes, columns predicted classes; compared with
    `sklearn.metrics.confusion_matrix(..., labels=range(n_classes))` on drawn labels:
    3 classes, a class never predicted, a class that never occurs, and 10 classes.
    """
    report = CheckReport("6.4", atol=0.0, rtol=0.0)
    matrix = StudentFunction(report, confusion_matrix, "confusion_matrix")
    for index, (label, y_true, y_pred, n_classes) in enumerate(
        _classification_cases(report.rng(111))
    ):
        got = matrix(y_true.copy(), y_pred.copy(), n_classes)
        if not report.judging:
            continue
        expected = _confusion_reference(y_true, y_pred, n_classes)
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
    labels=range(n_classes))` on perfect predictions, the drawn cases of 6.4 and an
    unbalanced binary problem: a class with no predicted (or no true) samples scores 0,
    never NaN.
    """
    report = CheckReport("6.5", atol=1e-9, rtol=1e-6)
    f1 = StudentFunction(report, macro_f1, "macro_f1")
    rng = report.rng(112)
    perfect = _with_every_class(rng, rng.integers(0, 3, size=int(rng.integers(6, 13))), 3)
    n, minority = int(rng.integers(15, 41)), int(rng.integers(1, 6))
    cases = [
        ("perfect predictions", perfect, perfect, 3),
        *_classification_cases(rng),
        (
            "an unbalanced binary problem",
            rng.permutation(np.array([0] * (n - minority) + [1] * minority)),
            np.zeros(n, dtype=int),
            2,
        ),
    ]
    for label, y_true, y_pred, n_classes in cases:
        got = f1(y_true.copy(), y_pred.copy(), n_classes)
        if report.judging:
            _expect_f1(report, f1.name, got, label, y_true, y_pred, n_classes)
    report.finish()


def _expect_f1(report, name, got, label, y_true, y_pred, n_classes) -> None:
    from sklearn.metrics import accuracy_score, f1_score

    labels = np.arange(n_classes)
    hint = diagnose(
        got,
        [
            (
                "macro-F1 averages the F1 of each class with equal weight; you computed "
                "the accuracy (micro average).",
                lambda: accuracy_score(y_true, y_pred),
            ),
            (
                "average over all n_classes classes, including those with no samples "
                "(their F1 is 0).",
                lambda: f1_score(y_true, y_pred, average="macro", zero_division=0),
            ),
            (
                "weight every class equally (macro), not by its number of samples.",
                lambda: f1_score(
                    y_true, y_pred, labels=labels, average="weighted", zero_division=0
                ),
            ),
        ],
        "per class: precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2 P R / "
        "(P + R); take 0 whenever a denominator is 0, then average over the classes.",
    )
    report.expect_close(
        f"{name} for {label}", got, _f1_reference(y_true, y_pred, n_classes), hint=hint
    )
