"""Chapter 9 (linear recurrences): loop against scan, and minGRU's memory, per seed.

`loop_scan_ratios(seed)` times one forward and backward pass of a `MinGRU` layer in each
mode, as Chapter 9a does, and returns the ratios (never absolute times in the book).
`adding_problem(cell, timesteps, seed)` trains minGRU, minLSTM, GRU or LSTM on the adding
problem with Chapter 4's budget (`bench.quality.ADDING`), so the result sits next to
the quality table's LSTM and GRU rows. `measure(seeds)` runs both over the seeds.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from bench.quality import ADDING, _entry, _layer, _over_seeds
from course_lib import baselines, datasets
from course_lib.session import set_seed
from course_lib.training import StopAtTarget, fit

LENGTHS = (64, 256, 1024, 4096)
MEMORY_CELLS = ("minGRU", "minLSTM", "GRU", "LSTM")


def loop_scan_ratios(
    seed: int, lengths: Sequence[int] = LENGTHS, *, batch_size: int = 8, units: int = 16
) -> list[dict[str, float]]:
    """Time of the loop over time of the blocked scan, forward and backward, per length.

    Each time is the fastest of five calls (two for the longest length) after a warm-up
    call, the modes taking turns so that both see the same load.

    Returns:
        One dict per length: `timesteps`, `loop` and `scan` seconds, `ratio` (loop / scan).
    """
    import tensorflow as tf

    from course_lib.mingru import MinGRU

    set_seed(seed)
    rows = []
    for timesteps in lengths:
        x = tf.constant(
            np.random.default_rng(seed).normal(size=(batch_size, timesteps, 2)), tf.float32
        )
        steps = {}
        for mode in ("loop", "scan"):
            layer = MinGRU(units, mode=mode, return_sequences=True)
            layer.build(x.shape)

            @tf.function
            def step(x, layer=layer):
                with tf.GradientTape() as tape:
                    loss = tf.reduce_mean(layer(x) ** 2)
                return tape.gradient(loss, layer.trainable_variables)

            step(x)  # warm-up: traces the graph
            steps[mode] = step
        best = dict.fromkeys(steps, float("inf"))
        for _ in range(5 if timesteps < max(lengths) else 2):
            for mode, step in steps.items():
                start = time.perf_counter()
                [g.numpy() for g in step(x)]
                best[mode] = min(best[mode], time.perf_counter() - start)
        rows.append({"timesteps": timesteps, **best, "ratio": best["loop"] / best["scan"]})
    return rows


def adding_problem(cell: str, timesteps: int, seed: int) -> tuple[float, float]:
    """Test MSE of `cell` on the adding problem with Chapter 4's budget, and train seconds.

    The data and the budget are those of `bench.quality.adding_problem`. Keras's GRU and
    LSTM are compiled with XLA as there; minGRU and minLSTM run their blocked scan in a
    plain compiled graph (`jit_compile=False`), which is faster for them on a CPU.
    """
    import keras

    from course_lib.mingru import MinGRU, MinLSTM

    cfg = ADDING
    set_seed(seed)
    X, y = datasets.adding_problem(cfg["n_train"], timesteps, seed=3 * seed)
    X_val, y_val = datasets.adding_problem(cfg["n_val"], timesteps, seed=3 * seed + 1)
    X_test, y_test = datasets.adding_problem(cfg["n_test"], timesteps, seed=3 * seed + 2)
    linear = {"minGRU": MinGRU, "minLSTM": MinLSTM}
    layer = linear[cell](cfg["units"]) if cell in linear else _layer(cell)(cfg["units"])
    model = keras.Sequential([keras.Input((timesteps, 2)), layer, keras.layers.Dense(1)])
    optimizer = keras.optimizers.Adam(cfg["lr"], clipnorm=cfg["clipnorm"])
    model.compile(optimizer, "mse", jit_compile=cell not in linear)
    history = fit(model, X, y, validation_data=(X_val, y_val), epochs=cfg["epochs"],
                  batch_size=cfg["batch_size"], patience=None, verbose=False,
                  callbacks=[StopAtTarget(cfg["target"])])  # fmt: skip
    mse = baselines.mse(y_test, model.predict(X_test, verbose=0))
    return mse, history.train_seconds


def measure(seeds: Sequence[int] = (0, 1, 2), timesteps: int = 200) -> dict[str, Any]:
    """The loop/scan ratio table and the adding-problem results, over `seeds`.

    Returns:
        `{"loop_scan": [{"seed", "timesteps", "loop", "scan", "ratio"}, ...],
        "ratio_median": {timesteps: median ratio}, "memory": [quality-style entries]}`.
    """
    table = []
    for seed in seeds:
        print(f"loop vs scan, seed {seed}", flush=True)
        table += [{"seed": seed, **row} for row in loop_scan_ratios(seed)]
    medians = {
        length: float(statistics.median(r["ratio"] for r in table if r["timesteps"] == length))
        for length in LENGTHS
    }
    baseline = f"predict 1: MSE {datasets.ADDING_BASELINE_MSE:.4f}"
    memory = []
    for cell in MEMORY_CELLS:
        print(f"adding problem T={timesteps} {cell}", flush=True)
        runs = _over_seeds(lambda s, c=cell: adding_problem(c, timesteps, s), seeds)
        memory.append(_entry(f"adding problem, T={timesteps}", cell, "test MSE",
                             [r[0] for r in runs], [r[1] for r in runs], seeds, baseline))  # fmt: skip
    return {"loop_scan": table, "ratio_median": medians, "memory": memory}
