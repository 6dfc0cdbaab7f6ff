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
from course_lib.training import StopAtTarget, fit

# Chapter 4's recipe for the adding problem: Adam with a large step and clipping, at most
# 20 epochs, stopping once the validation MSE is below 0.004 (no patience: the loss sits
# on the 1/6 plateau for a while before a gated cell finds the marked values).
ADDING = {"units": 32, "n_train": 5000, "n_val": 1000, "n_test": 1000, "batch_size": 128,
          "lr": 0.02, "clipnorm": 1.0, "epochs": 20, "target": 0.004}  # fmt: skip
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
    X, y = datasets.adding_problem(cfg["n_train"], timesteps, seed=3 * seed)
    X_val, y_val = datasets.adding_problem(cfg["n_val"], timesteps, seed=3 * seed + 1)
    X_test, y_test = datasets.adding_problem(cfg["n_test"], timesteps, seed=3 * seed + 2)
    model = keras.Sequential(
        [keras.Input((timesteps, 2)), _layer(cell)(cfg["units"]), keras.layers.Dense(1)]
    )
    optimizer = keras.optimizers.Adam(cfg["lr"], clipnorm=cfg["clipnorm"])
    model.compile(optimizer, "mse", jit_compile=True)
    history = fit(model, X, y, validation_data=(X_val, y_val), epochs=cfg["epochs"],
                  batch_size=cfg["batch_size"], patience=None, verbose=False,
                  callbacks=[StopAtTarget(cfg["target"])])  # fmt: skip
    mse = baselines.mse(y_test, model.predict(X_test, verbose=0))
    return mse, history.train_seconds


def forecasting(seed: int) -> tuple[float, float]:
    """Sunspots, 1-5 years ahead: the GRU's RMSE over persistence's, worst horizon >= 2.

    Chapter 6a's settings: window 20, horizon 5, 60/15/25 split, GRU(64), Adam 3e-3.
    """
    import keras

    set_seed(seed)
    _, values = datasets.load_sunspots()
    data = datasets.make_forecasting_data(values, window=20, horizon=5, train=0.6, val=0.15)
    model = keras.Sequential(
        [keras.Input(data.X_train.shape[1:]), keras.layers.GRU(64), keras.layers.Dense(5)]
    )
    model.compile(keras.optimizers.Adam(3e-3), "mse")
    history = fit(model, data.X_train, data.y_train, validation_data=(data.X_val, data.y_val),
                  epochs=200, batch_size=64, patience=20, verbose=False)  # fmt: skip
    predicted = model.predict(data.X_test, verbose=0)  # (n, 5)
    persistence = baselines.persistence_forecast(data.X_test, horizon=5)  # (n, 5)
    rmse_model = np.sqrt(np.mean((predicted - data.y_test) ** 2, axis=0))  # (5,)
    rmse_persistence = np.sqrt(np.mean((persistence - data.y_test) ** 2, axis=0))  # (5,)
    return float((rmse_model / rmse_persistence)[1:].max()), history.train_seconds


def digits(seed: int) -> tuple[float, float]:
    """Digits read row by row by a bidirectional GRU(32): test accuracy (Chapter 6c)."""
    import keras

    set_seed(seed)
    (X, y), (X_test, y_test) = datasets.load_digit_sequences(test_fraction=0.2, seed=seed)
    model = keras.Sequential([
        keras.Input((8, 8)),
        keras.layers.Bidirectional(keras.layers.GRU(32)),
        keras.layers.Dense(10, activation="softmax"),
    ])  # fmt: skip
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    history = fit(model, X, y, validation_split=0.15, epochs=10, batch_size=64, patience=3,
                  verbose=False)  # fmt: skip
    accuracy = float(np.mean(model.predict(X_test, verbose=0).argmax(axis=1) == y_test))
    return accuracy, history.train_seconds


def characters(seed: int) -> tuple[float, float, float]:
    """Character model: validation bits per character, and the unigram's (Chapter 6b).

    Chapter 6b's settings: 120k characters, 90/10 split, windows of 64 predicting the
    window shifted by one, Embedding(32) + GRU(96), Adam 1e-2 with clipnorm 1, 8 epochs.
    """
    import keras

    set_seed(seed)
    text = datasets.load_corpus(max_chars=120_000)
    vocab = datasets.CharVocabulary(text)
    ids = vocab.encode(text)
    split = int(0.9 * len(ids))

    def shifted(part):
        X, y = datasets.make_char_sequences(part, 64, stride=64)  # (n, 64), (n,)
        return X, np.concatenate([X[:, 1:], y[:, None]], axis=1)  # targets (n, 64)

    X, Y = shifted(ids[:split])
    X_val, Y_val = shifted(ids[split:])
    model = keras.Sequential([
        keras.Input((None,), dtype="int32"),
        keras.layers.Embedding(vocab.size, 32),
        keras.layers.GRU(96, return_sequences=True),
        keras.layers.Dense(vocab.size),
    ])  # fmt: skip
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(keras.optimizers.Adam(1e-2, clipnorm=1.0), loss)
    history = fit(model, X, Y, validation_data=(X_val, Y_val), epochs=8, batch_size=64,
                  patience=3, verbose=False)  # fmt: skip
    bits = min(history.history["val_loss"]) / np.log(2)
    unigram = baselines.unigram_bits_per_char(ids[:split], ids[split:], vocab.size)
    return float(bits), unigram, history.train_seconds


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
    entries.append(_entry("sunspots, 2-5 years ahead", "GRU", "worst RMSE / persistence RMSE",
                          [r[0] for r in runs], [r[1] for r in runs], seeds,
                          "persistence: ratio 1"))  # fmt: skip
    print("digits", flush=True)
    runs = _over_seeds(digits, seeds)
    entries.append(_entry("digits read row by row", "bidirectional GRU", "test accuracy",
                          [r[0] for r in runs], [r[1] for r in runs], seeds, "chance: 0.1"))  # fmt: skip
    print("characters", flush=True)
    runs = _over_seeds(characters, seeds)
    unigram = statistics.median(r[1] for r in runs)
    entries.append(_entry("character model", "Embedding + GRU", "validation bits/char",
                          [r[0] for r in runs], [r[2] for r in runs], seeds,
                          f"unigram: {unigram:.3f} bits/char"))  # fmt: skip
    return entries
