"""Why the LSTM fails the adding problem at T=200 within Chapter 4's budget and the GRU not.

Two measurements, quoted in Chapter 5, with the recipe of `bench.quality.adding_problem`
(units 32, Adam 0.02 with clipnorm 1, batches of 128, 5000 training sequences):

1. the gradient that reaches step T/4 (a typical first marker) at initialisation,
   relative to the last step, for the untrained LSTM and GRU at T=100 and T=200;
2. the validation MSE per epoch at T=200 with a longer budget than Chapter 4's 20
   epochs, stopping once it is below 0.004: how long each layer sits on the plateau.

`python -m bench --only plateau` runs both under seeds 0, 1 and 2 and records them in
`bench/results.json` (section `plateau`, rendered in the appendix); `python -m
bench.plateau --seed 0` runs one seed and prints it. Several minutes: the LSTM may need
many epochs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from bench import notebook_metrics
from bench.quality import ADDING, _layer
from course_lib import datasets, gradients
from course_lib.session import set_seed
from course_lib.training import StopAtTarget, fit


def initial_gradient(cell: str, timesteps: int, seed: int = 0) -> float:
    """||dL/dh_{T/4}|| / ||dL/dh_T|| of an untrained `cell` layer on 128 sequences."""
    import keras

    set_seed(seed)
    X, y = datasets.adding_problem(128, timesteps, seed=3 * seed + 1)
    model = keras.Sequential(
        [keras.Input((timesteps, 2)), _layer(cell)(ADDING["units"]), keras.layers.Dense(1)]
    )
    norms = gradients.hidden_state_gradient_norms(model, X, y)  # (timesteps,)
    return float(norms[timesteps // 4 - 1] / norms[-1])


def plateau(cell: str, timesteps: int, seed: int = 0, epochs: int = 60) -> list[float]:
    """Validation MSE per epoch of `cell` on the adding problem, up to `epochs` epochs."""
    import keras

    cfg = ADDING
    set_seed(seed)
    X, y = datasets.adding_problem(cfg["n_train"], timesteps, seed=3 * seed)
    X_val, y_val = datasets.adding_problem(cfg["n_val"], timesteps, seed=3 * seed + 1)
    model = keras.Sequential(
        [keras.Input((timesteps, 2)), _layer(cell)(cfg["units"]), keras.layers.Dense(1)]
    )
    model.compile(keras.optimizers.Adam(cfg["lr"], clipnorm=cfg["clipnorm"]), "mse",
                  jit_compile=True)  # fmt: skip
    history = fit(model, X, y, validation_data=(X_val, y_val), epochs=epochs,
                  batch_size=cfg["batch_size"], patience=None, verbose=False,
                  callbacks=[StopAtTarget(cfg["target"])])  # fmt: skip
    return [float(v) for v in history.history["val_loss"]]


def headline(seed: int, epochs: int = 60) -> dict[str, float | None]:
    """One seed's numbers, as `{metric name: value}` (`None`: not within `epochs`)."""
    values: dict[str, float | None] = {}
    for timesteps in (100, 200):
        for cell in ("LSTM", "GRU"):
            values[f"untrained {cell}, T={timesteps}: gradient at step T/4 / at step T"] = (
                initial_gradient(cell, timesteps, seed)
            )
    half = 0.5 * datasets.ADDING_BASELINE_MSE
    for cell in ("GRU", "LSTM"):
        val = plateau(cell, 200, seed, epochs)
        below = [i + 1 for i, v in enumerate(val) if v < half]
        reached = val[-1] < ADDING["target"]
        values[f"{cell}, T=200: first epoch below half the baseline"] = (
            float(below[0]) if below else None
        )
        values[f"{cell}, T=200: epoch the validation MSE is below 0.004"] = (
            float(len(val)) if reached else None
        )
    return values


def measure(seeds: Sequence[int] = (0, 1, 2), epochs: int = 60) -> dict[str, Any]:
    """Every seed's `headline`: `{"seeds", "epochs", "metrics": {name: {"median", "values"}}}`."""
    runs = []
    for seed in seeds:
        runs.append(headline(seed, epochs))
        print(f"  plateau seed {seed}: {runs[-1]}", flush=True)
    return {**notebook_metrics.summarise(runs, seeds), "epochs": epochs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.plateau", description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=60)
    args = parser.parse_args(argv)
    results: dict = {"initial_gradient": {}, "plateau": {}}
    for timesteps in (100, 200):
        for cell in ("LSTM", "GRU"):
            ratio = initial_gradient(cell, timesteps, args.seed)
            results["initial_gradient"][f"{cell}, T={timesteps}"] = ratio
            print(f"untrained {cell}, T={timesteps}: ||dL/dh_T/4|| / ||dL/dh_T|| = {ratio:.1e}")
    for cell in ("GRU", "LSTM"):
        val = plateau(cell, 200, args.seed, args.epochs)
        left = next(
            (i + 1 for i, v in enumerate(val) if v < 0.5 * datasets.ADDING_BASELINE_MSE), None
        )
        results["plateau"][cell] = {"val_loss": val, "left_plateau_at_epoch": left}
        print(
            f"{cell}, T=200: below half the baseline from epoch {left}; val MSE {np.round(val, 4)}"
        )
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
