"""Chapter 7's headline metrics and execution time, per seed, read from the notebooks.

The numbers come from the chapter itself, so there is one copy of every experiment: each
notebook runs on a fresh kernel with `RNN_COURSE_SEED` set, and one extra cell, added in
memory only, prints the variables the chapter's sentences assert on as JSON.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Sequence
from typing import Any

from bench.timing import ROOT

BOOK = ROOT / "book"
# notebook -> {metric name: Python expression evaluated at the end of the notebook}
METRICS: dict[str, dict[str, str]] = {
    "07a_padding_masking": {
        "accuracy, mask": 'accuracy["mask"]',
        "accuracy, no mask": 'accuracy["no mask"]',
        "final-state drift after 56 pad steps, mask": 'drift["mask"][-1]',
        "final-state drift after 56 pad steps, no mask": 'drift["no mask"][-1]',
        "NumPy vs Keras masked GRU, max |diff|": "float(masked_diff)",
        "embedding: nearest neighbour in the same language": "agreement",
    },
    "07b_bucketing_stateful": {
        "padded steps, longest / bucketed": 'steps["padded to the longest"] / steps["bucketed"]',
        "epoch time, longest / bucketed": "speedup",
        "bits/char, stateful (TBPTT)": 'float(by_position["stateful (TBPTT)"].mean())',
        "bits/char, independent windows": 'float(by_position["independent windows"].mean())',
        "bits/char gain of the stateful model": "float(gain)",
    },
}


def run_notebook(stem: str, seed: int) -> tuple[dict[str, float], float]:
    """Execute `book/<stem>.ipynb` under `RNN_COURSE_SEED=seed`; return its metrics and time.

    Returns:
        `({metric: value}, seconds)`, the seconds being the wall time of the execution.
    """
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(BOOK / f"{stem}.ipynb", as_version=4)
    expressions = ", ".join(f"{name!r}: {expr}" for name, expr in METRICS[stem].items())
    nb.cells.append(nbformat.v4.new_code_cell(f"import json\nprint(json.dumps({{{expressions}}}))"))
    previous = os.environ.get("RNN_COURSE_SEED")
    os.environ["RNN_COURSE_SEED"] = str(seed)  # the kernel inherits the environment
    try:
        client = NotebookClient(
            nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(BOOK)}}
        )
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    finally:
        if previous is None:
            os.environ.pop("RNN_COURSE_SEED", None)
        else:
            os.environ["RNN_COURSE_SEED"] = previous
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    return json.loads(text), seconds


def headline_metrics(seed: int) -> dict[str, float]:
    """Chapter 7's headline metrics and each notebook's execution seconds for one seed."""
    metrics: dict[str, float] = {}
    for stem in METRICS:
        values, seconds = run_notebook(stem, seed)
        metrics.update(values)
        metrics[f"seconds, {stem}"] = seconds
    return metrics


def measure(seeds: Sequence[int] = (0, 1, 2)) -> dict[str, Any]:
    """Run the chapter once per seed.

    Returns:
        `{"seeds": [...], "metrics": {name: {"median": m, "values": [...]}}}`.
    """
    runs = []
    for seed in seeds:
        runs.append(headline_metrics(seed))
        print(f"  ch7 seed {seed}: {runs[-1]}", flush=True)
    return {
        "seeds": list(seeds),
        "metrics": {
            name: {
                "median": float(statistics.median(run[name] for run in runs)),
                "values": [float(run[name]) for run in runs],
            }
            for name in runs[0]
        },
    }
