"""Chapter 8's headline, per seed: exact match against input length, with and without attention.

The recipe is notebook 8b's (`book/08b_attention.ipynb`): 8,000 training pairs of
`datasets.spoken_digits` (1-12 digits, seed `10 * seed`), 1,200 test pairs (seed
`10 * seed + 1`), GRU(64) encoder-decoders built by `seq2seq.build_seq2seq`, six epochs of
batches of 128, the learning rate a tenth for the last epoch, greedy decoding. The numbers do not
depend on how the notebook is executed, only on the seed (the notebook draws a few
random numbers before training, so its models start from other initial weights than
these).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from typing import Any

from course_lib import datasets, seq2seq
from course_lib.session import set_seed
from course_lib.training import fit

RECIPE = {"n_train": 8000, "n_test": 1200, "max_digits": 12, "units": 64, "epochs": 6,
          "batch_size": 128}  # fmt: skip
BINS = ((1, 3), (4, 6), (7, 9), (10, 12))
MODELS = (("without attention", False), ("with attention", True))


def accuracy_by_length(seed: int, **overrides: Any) -> dict[str, Any]:
    """Exact match by number of digits for both models, trained with `seed`.

    Args:
        seed: the session seed (data and weights).
        **overrides: entries of `RECIPE` to change (the tests use a tiny recipe).

    Returns:
        `{"seed": seed, "bins": ["1-3", ...], "without attention": {"1-3": acc, ...},
        "with attention": {...}, "seconds": {model: training seconds}}`.
    """
    cfg = {**RECIPE, **overrides}
    set_seed(seed)
    train = datasets.encode_pairs(
        *datasets.spoken_digits(cfg["n_train"], max_digits=cfg["max_digits"], seed=10 * seed)
    )
    test_sources, test_targets = datasets.spoken_digits(
        cfg["n_test"], max_digits=cfg["max_digits"], seed=10 * seed + 1
    )
    test = datasets.encode_pairs(test_sources, test_targets)
    drop_at = (cfg["epochs"] - 1) * -(-cfg["n_train"] // cfg["batch_size"])
    bins = [b for b in BINS if b[0] <= cfg["max_digits"]]
    result: dict[str, Any] = {"seed": seed, "bins": [f"{lo}-{hi}" for lo, hi in bins],
                              "seconds": {}}  # fmt: skip
    for name, use_attention in MODELS:
        model = seq2seq.build_seq2seq(
            units=cfg["units"], attention=use_attention, drop_at=drop_at or None
        )
        history = fit(model.model, [train.encoder_input, train.decoder_input],
                      train.decoder_target, epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                      patience=None, verbose=False)  # fmt: skip
        predicted = model.translate(test.encoder_input, max_len=cfg["max_digits"] + 1)
        table = seq2seq.accuracy_by_length(predicted, test_targets, bins=bins)
        result[name] = {f"{lo}-{hi}": value for (lo, hi), value in table.items()}
        result["seconds"][name] = history.train_seconds
    return result


def measure(seeds: Sequence[int] = (0, 1, 2)) -> list[dict[str, Any]]:
    """The table over `seeds`, as entries of the "Model quality" table of `bench.quality`."""
    runs = []
    for seed in seeds:
        start = time.perf_counter()
        runs.append(accuracy_by_length(seed))
        print(f"  chapter 8, seed {seed}: {runs[-1]} ({time.perf_counter() - start:.0f} s)",
              flush=True)  # fmt: skip
    entries = []
    for name, _ in MODELS:
        seconds = statistics.median(run["seconds"][name] for run in runs)
        for label in runs[0]["bins"]:
            values = [run[name][label] for run in runs]
            entries.append({
                "task": f"spoken digits to digits, {label} digits", "model": f"GRU seq2seq {name}",
                "metric": "exact match (greedy)", "median": float(statistics.median(values)),
                "values": [float(v) for v in values], "seconds": float(seconds),
                "seeds": list(seeds), "reference": "chapter 8b: with >= 0.9, without falls",
            })  # fmt: skip
    return entries
