"""Checks of the exercises of Chapter 6 (Applications).

- 6.1 `check_temperature_sampling(sample_with_temperature)`: draw the next character.
- 6.2 `check_bits_per_character(bits_per_character)`: bits per character from predicted
  probabilities.
- 6.3 `check_forecaster(train_forecaster)`: a recurrent model that forecasts 10 steps
  ahead and beats persistence over the whole horizon.
- 6.4 `check_confusion_matrix(confusion_matrix)`: count (true, predicted) pairs.
- 6.5 `check_macro_f1(macro_f1)`: the macro-averaged F1 score.
- 6.6 `check_bidirectional_answer(answer_6_6)`: what keras.layers.Bidirectional adds
  (multiple choice).

`forecast_data()` returns the data the check of 6.3 trains on.

References: the softmax of the scaled logits, `keras.losses.sparse_categorical_crossentropy`,
`course_lib.baselines.persistence_forecast` and `sklearn.metrics`.

Introduced in Chapter 6 (Applications).
"""

from __future__ import annotations

import numpy as np

from course_lib import datasets
from course_lib.checks.common import (
    FORECASTS,
    forecasting_case,
    independent_windows,
    train_and_forecast,
)
from course_lib.checks.concepts import choice
from course_lib.checks.exercise import Expect, Mistake, Values, exercise, runs_in_notebook

__all__ = [
    "HORIZON",
    "MAX_MSE_RATIO",
    "check_bidirectional_answer",
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


@runs_in_notebook
def _draws(sample, logits, temperature, seed, n, repeats=1):
    """How 6.1 calls the student's function: `n` draws from one generator seeded with
    `seed`, `repeats` times (each time a new generator with the same seed)."""
    runs = []
    for _ in range(repeats):
        generator = np.random.default_rng(seed)
        runs.append([sample(np.array(logits), temperature, generator) for _ in range(n)])
    return runs


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
    """Relative frequency of each index in `draws`; NaN where they are not indices."""
    try:
        ids = np.array([int(d) for d in draws])
        if ids.min() < 0 or ids.max() >= size:
            return np.full(size, np.nan)
        return np.bincount(ids, minlength=size) / len(ids)
    except Exception:
        return np.full(size, np.nan)


def _exact_draws(probabilities, n: int) -> list[list[int]]:
    """Draws whose frequencies are `probabilities` (what a mistaken sampler tends to)."""
    counts = np.round(np.asarray(probabilities) * n).astype(int)
    return [np.repeat(np.arange(len(counts)), counts).tolist()]


_SAMPLING_MISTAKES = [
    Mistake(
        "temperature-multiplied",
        "divide the logits by the temperature (a high temperature flattens the distribution), "
        "do not multiply.",
        lambda logits, t, seed, n, repeats=1: _exact_draws(_softmax(np.array(logits) * t), n),
    ),
    Mistake(
        "argmax",
        "sample from the distribution (rng.choice with p=...), do not take the argmax.",
        lambda logits, t, seed, n, repeats=1: _exact_draws(
            np.eye(len(logits))[np.argmax(logits)], n
        ),
    ),
    Mistake(
        "softmax-forgotten",
        "apply the softmax: p = exp(logits / T) / sum(exp(logits / T)).",
        lambda logits, t, seed, n, repeats=1: _exact_draws(
            np.abs(np.array(logits) / t) / np.abs(np.array(logits) / t).sum(), n
        ),
    ),
]


def _draws_problem(size: int):
    def rule(runs):
        bad = [d for d in runs[0] if not _is_index(d, size)]
        if not bad:
            return None
        return (
            f"each draw should be an int in [0, {size}); got {bad[0]!r:.60} "
            f"({type(bad[0]).__name__})."
        )

    return rule


def _same_draws(runs):
    if _as_list(runs[0]) == _as_list(runs[1]):
        return None
    return (
        "two runs with generators made from the same seed should give the same 50 draws; "
        "they differ, so the draws do not come (only) from `rng`."
    )


@exercise(
    "6.1",
    student="sample_with_temperature(logits, temperature, rng)",
    call=_draws,
    mistakes=_SAMPLING_MISTAKES,
    atol=_FREQ_ATOL,
    rtol=0.0,
)
def check_temperature_sampling(ex) -> None:
    """Exercise 6.1 (7 checks): `sample_with_temperature(logits, temperature, rng) -> int`.

    Draws 4000 samples for several temperatures with a seeded `np.random.Generator` and
    compares their frequencies with `softmax(logits / temperature)` (within 0.04, five
    standard deviations); also checks huge logits, a near-zero temperature (always the
    argmax) and that the draws come from `rng` (same seed, same draws). The logits are
    2, 1, 0, -1 in a drawn order, each moved by up to 0.3.
    """
    rng = ex.rng(9)
    logits = rng.permutation([2.0, 1.0, 0.0, -1.0]) + np.round(rng.uniform(-0.3, 0.3, 4), 1)
    huge = np.array([1000.0, 999.0, 0.0])[rng.permutation(3)]
    size = len(logits)

    def frequencies(n_size):
        return lambda runs: _frequencies(runs[0], n_size)

    ex.case(
        "20 draws at temperature 1",
        logits,
        1.0,
        ex.seed(0),
        20,
        checks=[
            Expect(
                _draws_problem(size),
                name="a draw",
                hint="return int(rng.choice(len(logits), p=probabilities)).",
            )
        ],
    )
    for temperature in (1.0, 0.5, 2.0):
        name = (
            f"frequencies of {_DRAWS} draws at temperature {temperature:g} for logits "
            f"{logits.tolist()}"
        )
        ex.case(
            name,
            logits,
            temperature,
            ex.seed(int(10 * temperature)),
            _DRAWS,
            checks=[
                Values(
                    _softmax(logits / temperature),
                    of=frequencies(size),
                    name=name,
                    hint=f"the frequencies of {_DRAWS} draws should match "
                    "softmax(logits / temperature).",
                )
            ],
        )
    ex.case(
        "draws for huge logits",
        huge,
        1.0,
        ex.seed(3),
        _DRAWS,
        checks=[
            Values(
                _softmax(huge),
                of=frequencies(len(huge)),
                name=f"frequencies of {_DRAWS} draws for huge logits {huge.tolist()}",
                hint="exp(1000) overflows: subtract the largest logit before np.exp (the "
                "softmax does not change).",
            )
        ],
    )
    ex.case(
        "draws at temperature 0.001",
        logits,
        1e-3,
        ex.seed(4),
        200,
        checks=[
            Values(
                np.eye(size)[np.argmax(logits)],
                of=frequencies(size),
                name="frequencies of 200 draws at temperature 0.001",
                atol=0.0,
                hint="as the temperature goes to 0 the softmax becomes the argmax; subtract the "
                "largest scaled logit to avoid overflow.",
            )
        ],
    )
    ex.case(
        "two runs of 50 draws with the same seed",
        logits,
        1.0,
        ex.seed(5),
        50,
        kwargs={"repeats": 2},
        checks=[
            Expect(
                _same_draws,
                name="draws with the same seed",
                hint="draw with the `rng` argument (rng.choice or rng.random), not np.random.*.",
            )
        ],
    )


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


def _picked(probs, targets):
    return np.clip(probs[np.arange(len(targets)), targets], EPSILON, 1.0)


_BITS_MISTAKES = [
    Mistake(
        "natural-log",
        "use log base 2 (np.log2), or divide the natural log by ln 2.",
        lambda probs, targets: -np.mean(np.log(_picked(probs, targets))),
    ),
    Mistake(
        "summed",
        "average over the characters (np.mean), do not sum.",
        lambda probs, targets: -np.sum(np.log2(_picked(probs, targets))),
    ),
    Mistake(
        "wrong-probabilities",
        "take each row's probability of its own target, probs[np.arange(n), targets], not "
        "probs[:, targets].",
        lambda probs, targets: -np.mean(np.log2(np.clip(probs[:, targets], EPSILON, 1.0))),
    ),
    Mistake(
        "sign",
        "the cross-entropy is -mean(log2 p): mind the sign.",
        lambda probs, targets: np.mean(np.log2(_picked(probs, targets))),
    ),
]


@exercise(
    "6.2",
    student="bits_per_character(probs, targets)",
    reference=_bits_reference,
    mistakes=_BITS_MISTAKES,
    atol=1e-9,
    rtol=1e-6,
)
def check_bits_per_character(ex) -> None:
    """Exercise 6.2 (6 checks): `bits_per_character(probs, targets) -> float`.

    Uniform and perfect predictions (log2 of the alphabet size, and 0 bits), random softmax
    outputs (against Keras's cross-entropy divided by ln 2), a zero probability (clipped to
    1e-7, finite), and unchanged inputs.
    """
    rng = ex.rng(101)
    size = int(rng.choice([4, 8, 16]))
    uniform = np.full((6, size), 1.0 / size)
    uniform_targets = rng.integers(0, size, size=6)
    ex.case(
        f"bits per character of a uniform guess over {size} characters",
        uniform,
        uniform_targets,
        expected=float(np.log2(size)),
        hint=f"a uniform guess over {size} symbols costs log2({size}) = {np.log2(size):g} bits.",
    )
    perfect_targets = rng.integers(0, 5, size=4)
    ex.case(
        "bits per character of perfect predictions",
        np.eye(5)[perfect_targets],
        perfect_targets,
        expected=0.0,
        atol=1e-6,
        rtol=0.0,
        hint="a probability of 1 for the right character costs -log2(1) = 0 bits.",
    )
    logits = rng.standard_normal((50, 30)) * 2.0
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    targets = rng.integers(0, 30, size=50)
    ex.case(
        "bits per character of random softmax outputs (50, 30)",
        probs,
        targets,
        values=False,
        checks=[
            Values(
                _keras_bits(probs, targets),
                name="bits per character of random softmax outputs (50, 30), against "
                "keras.losses.sparse_categorical_crossentropy / ln 2",
                atol=1e-4,
                rtol=1e-4,
                hint="-mean(log2(probs[np.arange(n), targets])).",
            ),
            Values(
                name="bits per character of random softmax outputs (exact)",
                hint="compute in float64 with np.log2.",
            ),
        ],
        unchanged=True,
    )
    p = round(float(rng.uniform(0.05, 0.95)), 2)
    ex.case(
        "bits per character when the right character had probability 0",
        np.array([[0.0, 1.0], [p, 1.0 - p]]),
        np.array([0, 1]),
        atol=1e-6,
        rtol=1e-6,
        hint="clip the probabilities to at least 1e-7 (np.clip(p, 1e-7, 1.0)) before the log, "
        "as Keras does: log2(0) is -inf.",
    )


# -- 6.3 -------------------------------------------------------------------------------------

HORIZON = 10
#: The model's test MSE, over the horizon and at its last step, must be at most this
#: fraction of the persistence forecast's (forecasting the training mean scores about 0.5).
MAX_MSE_RATIO = 0.1
_PERIODS, _AMPLITUDES, _NOISE, _WINDOW = (16.0, 60.0), (1.0, 0.5), 0.1, 32


@runs_in_notebook
def forecast_data(seed: int = 6) -> datasets.ForecastingData:
    """The data of exercise 6.3: two periods (16 and 60 steps) plus noise, 10 steps ahead.

    Windows of 32 steps, targets the next `HORIZON` = 10 values; scaled with training
    statistics.

    Args:
        seed: seed of the noise. Defaults to 6, the data the exercise trains on. The check
            evaluates on test windows of the same periods with other noise, each cut from
            its own stretch of time (fresh ones when graded).

    Introduced in Chapter 6 (Applications).
    """
    series = datasets.periodic_series(
        900, periods=_PERIODS, amplitudes=_AMPLITUDES, noise=_NOISE, seed=seed
    )
    return datasets.make_forecasting_data(series, window=_WINDOW, horizon=HORIZON)


def _signal(t: np.ndarray) -> np.ndarray:
    """The clean series of 6.3 at times `t` (the same shape)."""
    return sum(a * np.sin(2.0 * np.pi * t / p) for p, a in zip(_PERIODS, _AMPLITUDES, strict=True))


@exercise(
    "6.3",
    student="train_forecaster(X_train, y_train, X_val, y_val)",
    call=train_and_forecast,
    returns=FORECASTS,
)
def check_forecaster(ex) -> None:
    """Exercise 6.3 (6 checks): `train_forecaster(X_train, y_train, X_val, y_val) -> model`.

    Seeds Python, NumPy and Keras, calls the function on `forecast_data()` and evaluates
    the model on 120 test windows of the same series with other noise, each from its own
    stretch of time: a recurrent layer (SimpleRNN, LSTM or GRU), finite `(batch, 10)`
    forecasts, and a test MSE at most `MAX_MSE_RATIO` times persistence's, both over the
    whole horizon and at its last step. Inputs fixed by nature: the model trains on the
    exercise's data set; only the test windows are drawn afresh when graded, and their
    targets never leave the grader.
    """
    data = forecast_data()
    X_test, y_test = independent_windows(
        _signal,
        noise=_NOISE,
        scaler=data.scaler,
        window=_WINDOW,
        horizon=HORIZON,
        n=120,
        inputs_rng=ex.rng(6),
        targets_rng=ex.rng(7),
    )
    forecasting_case(
        ex,
        "a recurrent model trained on forecast_data()",
        data,
        X_test,
        y_test,
        layer_types=("SimpleRNN", "LSTM", "GRU"),
        max_ratio=MAX_MSE_RATIO,
        last_step_ratio=MAX_MSE_RATIO,
    )


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


@exercise(
    "6.4",
    student="confusion_matrix(y_true, y_pred, n_classes)",
    reference=_confusion_reference,
    mistakes=[
        Mistake(
            "transposed",
            "rows are the true classes and columns the predicted ones: "
            "matrix[true, predicted] += 1.",
            lambda *args: _confusion_reference(*args).T,
        )
    ],
    hint="count every pair: for t, p in zip(y_true, y_pred): matrix[t, p] += 1.",
    atol=0.0,
    rtol=0.0,
    layout="(n_classes, n_classes)",
)
def check_confusion_matrix(ex) -> None:
    """Exercise 6.4 (5 checks): `confusion_matrix(y_true, y_pred, n_classes)`.

    Rows are true classes, columns predicted classes; compared with
    `sklearn.metrics.confusion_matrix(..., labels=range(n_classes))` on drawn labels:
    3 classes, a class never predicted, a class that never occurs, and 10 classes.
    """
    cases = _classification_cases(ex.rng(111))
    for index, (label, y_true, y_pred, n_classes) in enumerate(cases):
        ex.case(
            f"confusion matrix for {label}",
            y_true,
            y_pred,
            n_classes,
            shape=(n_classes, n_classes) if index == 0 else None,
            shape_hint="one row per true class and one column per predicted class, even for "
            "classes that never occur.",
        )


# -- 6.5 -------------------------------------------------------------------------------------


def _f1_reference(y_true, y_pred, n_classes) -> float:
    from sklearn.metrics import f1_score

    return float(
        f1_score(y_true, y_pred, labels=np.arange(n_classes), average="macro", zero_division=0)
    )


def _f1_mistake(average: str, all_labels: bool = True):
    def answer(y_true, y_pred, n_classes):
        from sklearn.metrics import f1_score

        labels = np.arange(n_classes) if all_labels else None
        return f1_score(y_true, y_pred, labels=labels, average=average, zero_division=0)

    return answer


def _accuracy(y_true, y_pred, n_classes):
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


@exercise(
    "6.5",
    student="macro_f1(y_true, y_pred, n_classes)",
    reference=_f1_reference,
    mistakes=[
        Mistake(
            "accuracy",
            "macro-F1 averages the F1 of each class with equal weight; you computed the "
            "accuracy (micro average).",
            _accuracy,
        ),
        Mistake(
            "present-classes-only",
            "average over all n_classes classes, including those with no samples (their F1 is 0).",
            _f1_mistake("macro", all_labels=False),
        ),
        Mistake(
            "weighted",
            "weight every class equally (macro), not by its number of samples.",
            _f1_mistake("weighted"),
        ),
    ],
    hint="per class: precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2 P R / "
    "(P + R); take 0 whenever a denominator is 0, then average over the classes.",
    atol=1e-9,
    rtol=1e-6,
)
def check_macro_f1(ex) -> None:
    """Exercise 6.5 (6 checks): `macro_f1(y_true, y_pred, n_classes) -> float`.

    Compared with `sklearn.metrics.f1_score(..., average="macro", zero_division=0,
    labels=range(n_classes))` on perfect predictions, the drawn cases of 6.4 and an
    unbalanced binary problem: a class with no predicted (or no true) samples scores 0,
    never NaN.
    """
    rng = ex.rng(112)
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
        ex.case(f"macro_f1 for {label}", y_true, y_pred, n_classes)


# -- 6.6 -------------------------------------------------------------------------------------


@exercise("6.6", student="answer_6_6()")
def check_bidirectional_answer(ex) -> None:
    """Exercise 6.6 (1 check): `answer_6_6()`, the letter of the chosen option.

    Inputs fixed by nature: a question has none, and its answer is the same under every
    grading seed (a lookup of the self-check's answer is the answer).
    """
    choice(
        ex,
        "the option answer_6_6() chose",
        right="b",
        wrong={
            "a": "Bidirectional runs two copies of the layer with their own weights, and "
            "concatenates their final states (2 * units numbers); it does not average one "
            "layer's two readings.",
            "c": "the chapter measured no reliable difference on the 8-row digits: which model is "
            "ahead changes with the seed, although the bidirectional one has twice the "
            "recurrent weights.",
            "d": "a forecaster must not read the future it predicts: the backward direction needs "
            "the whole sequence before the first output, which forecasting does not have.",
        },
    )
