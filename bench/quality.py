"""Model quality, median over seeds: do the models reach what the book claims?

Each recipe uses the settings of the chapter that makes the claim (named in its
docstring), trained with `course_lib.training.fit`, and reports its metric next to the
reference it must beat, with the wall time of one training run.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from course_lib import baselines, datasets
from course_lib.session import set_seed
from course_lib.training import fit

# Chapter 4's recipe for the adding problem: Adam with a large step and clipping.
ADDING = {"units": 32, "n_train": 5000, "n_test": 1000, "batch_size": 128, "lr": 0.02,
          "clipnorm": 1.0, "epochs": 20, "patience": 4}  # fmt: skip
ADDING_TIMESTEPS = (50, 100, 200)


def _layer(cell: str):
    import keras

    return {"SimpleRNN": keras.layers.SimpleRNN, "LSTM": keras.layers.LSTM,
            "GRU": keras.layers.GRU}[cell]  # fmt: skip


def adding_problem(cell: str, timesteps: int, seed: int) -> tuple[float, float]:
    """Test MSE of `cell` on the adding problem of length `timesteps` (Chapters 2, 4, 5)."""
    import keras

    cfg = ADDING
    set_seed(seed)
    X, y = datasets.adding_problem(cfg["n_train"], timesteps, seed=seed)
    X_test, y_test = datasets.adding_problem(cfg["n_test"], timesteps, seed=10_000 + seed)
    model = keras.Sequential(
        [keras.Input((timesteps, 2)), _layer(cell)(cfg["units"]), keras.layers.Dense(1)]
    )
    model.compile(keras.optimizers.Adam(cfg["lr"], clipnorm=cfg["clipnorm"]), "mse")
    history = fit(model, X, y, validation_split=0.1, epochs=cfg["epochs"],
                  batch_size=cfg["batch_size"], patience=cfg["patience"], verbose=False)  # fmt: skip
    mse = baselines.mse(y_test, model.predict(X_test, verbose=0))
    return mse, history.train_seconds


def forecasting(seed: int) -> tuple[float, float]:
    """Sunspots, 1-5 years ahead: the model's MSE over persistence's (Chapter 6a)."""
    import keras

    set_seed(seed)
    _, values = datasets.load_sunspots()
    data = datasets.make_forecasting_data(values, window=20, horizon=5, train=0.7, val=0.15)
    model = keras.Sequential(
        [keras.Input(data.X_train.shape[1:]), keras.layers.GRU(32), keras.layers.Dense(5)]
    )
    model.compile(keras.optimizers.Adam(3e-3), "mse")
    history = fit(model, data.X_train, data.y_train, validation_data=(data.X_val, data.y_val),
                  epochs=200, batch_size=32, patience=20, verbose=False)  # fmt: skip
    predicted = model.predict(data.X_test, verbose=0)
    persistence = baselines.persistence_forecast(data.X_test, horizon=5)
    ratio = baselines.mse(data.y_test, predicted) / baselines.mse(data.y_test, persistence)
    return ratio, history.train_seconds


def digits(seed: int) -> tuple[float, float]:
    """Digits read row by row by a bidirectional LSTM: test accuracy (Chapter 6c)."""
    import keras

    set_seed(seed)
    (X, y), (X_test, y_test) = datasets.load_digit_sequences(seed=seed)
    model = keras.Sequential([
        keras.Input((8, 8)),
        keras.layers.Bidirectional(keras.layers.LSTM(32)),
        keras.layers.Dense(10, activation="softmax"),
    ])  # fmt: skip
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    history = fit(model, X, y, validation_split=0.1, epochs=60, batch_size=64, patience=8,
                  verbose=False)  # fmt: skip
    accuracy = float(np.mean(model.predict(X_test, verbose=0).argmax(axis=1) == y_test))
    return accuracy, history.train_seconds


def characters(seed: int) -> tuple[float, float, float]:
    """Character model: validation bits per character, and the unigram's (Chapter 6b)."""
    import keras

    set_seed(seed)
    text = datasets.load_corpus(max_chars=120_000)
    vocab = datasets.CharVocabulary(text)
    ids = vocab.encode(text)
    split = int(0.9 * len(ids))
    X, y = datasets.make_char_sequences(ids[:split], 64, stride=3)
    X_val, y_val = datasets.make_char_sequences(ids[split:], 64, stride=3)
    model = keras.Sequential([
        keras.Input((64,)),
        keras.layers.Embedding(vocab.size, 32),
        keras.layers.GRU(128),
        keras.layers.Dense(vocab.size),
    ])  # fmt: skip
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(keras.optimizers.Adam(3e-3), loss)
    history = fit(model, X, y, validation_data=(X_val, y_val), epochs=8, batch_size=256,
                  patience=2, verbose=False)  # fmt: skip
    bits = float(model.evaluate(X_val, y_val, verbose=0)) / np.log(2)
    unigram = baselines.unigram_bits_per_char(ids[:split], ids[split:], vocab.size)
    return bits, unigram, history.train_seconds


def _entry(task, model, metric, values, seconds, seeds, reference) -> dict[str, Any]:
    return {
        "task": task, "model": model, "metric": metric,
        "median": float(statistics.median(values)), "values": [float(v) for v in values],
        "seconds": float(statistics.median(seconds)), "seeds": list(seeds),
        "reference": reference,
    }  # fmt: skip


def _over_seeds(run: Callable[[int], tuple], seeds: Sequence[int]) -> list[tuple]:
    results = []
    for seed in seeds:
        start = time.perf_counter()
        results.append(run(seed))
        print(f"  seed {seed}: {results[-1]} ({time.perf_counter() - start:.0f} s)", flush=True)
    return results


def measure(seeds: Sequence[int] = (0, 1, 2)) -> list[dict[str, Any]]:
    """Run every recipe once per seed and return one entry per (task, model)."""
    entries = []
    baseline = f"predict 1: MSE {datasets.ADDING_BASELINE_MSE:.4f}"
    for timesteps in ADDING_TIMESTEPS:
        for cell in ("SimpleRNN", "LSTM", "GRU"):
            print(f"adding problem T={timesteps} {cell}", flush=True)
            runs = _over_seeds(lambda s, c=cell, t=timesteps: adding_problem(c, t, s), seeds)
            entries.append(_entry(f"adding problem, T={timesteps}", cell, "test MSE",
                                  [r[0] for r in runs], [r[1] for r in runs], seeds, baseline))  # fmt: skip
    print("sunspots forecast", flush=True)
    runs = _over_seeds(forecasting, seeds)
    entries.append(_entry("sunspots, 1-5 years ahead", "GRU", "MSE / persistence MSE",
                          [r[0] for r in runs], [r[1] for r in runs], seeds,
                          "persistence: ratio 1"))  # fmt: skip
    print("digits", flush=True)
    runs = _over_seeds(digits, seeds)
    entries.append(_entry("digits read row by row", "bidirectional LSTM", "test accuracy",
                          [r[0] for r in runs], [r[1] for r in runs], seeds, "chance: 0.1"))  # fmt: skip
    print("characters", flush=True)
    runs = _over_seeds(characters, seeds)
    unigram = statistics.median(r[1] for r in runs)
    entries.append(_entry("character model", "Embedding + GRU", "validation bits/char",
                          [r[0] for r in runs], [r[2] for r in runs], seeds,
                          f"unigram: {unigram:.3f} bits/char"))  # fmt: skip
    return entries
