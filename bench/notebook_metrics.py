"""A chapter's headline numbers per seed, read from the chapter's own notebooks.

The numbers come from the chapter itself, so there is one copy of every experiment: each
notebook runs on a fresh kernel with `RNN_COURSE_SEED` set, and one extra cell, added in
memory only, prints the variables the chapter's sentences assert on as JSON. A chapter's
bench module (`bench.ch7`, `bench.ch9`) is a table `METRICS`: notebook stem -> {metric
name: Python expression evaluated at the end of that notebook}.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from bench.seeds import execute_under_seed
from bench.timing import ROOT

BOOK = ROOT / "book"


def run_notebook(stem: str, seed: int, metrics: Mapping[str, str]) -> tuple[dict[str, Any], float]:
    """Execute `book/<stem>.ipynb` under `RNN_COURSE_SEED=seed` and evaluate `metrics` at its end.

    Returns:
        `({metric: value}, seconds)`, the seconds being the wall time of the execution. A
        value is whatever JSON the expression gives (a number, or `None` for "never").
    """
    import nbformat

    nb = nbformat.read(BOOK / f"{stem}.ipynb", as_version=4)
    expressions = ", ".join(f"{name!r}: {expr}" for name, expr in metrics.items())
    nb.cells.append(nbformat.v4.new_code_cell(f"import json\nprint(json.dumps({{{expressions}}}))"))
    seconds = execute_under_seed(nb, seed, BOOK, allow_errors=False, timeout=900)
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    return json.loads(text), seconds


def headline_metrics(table: Mapping[str, Mapping[str, str]], seed: int) -> dict[str, Any]:
    """Every metric of `table` and each notebook's execution seconds, for one seed."""
    values: dict[str, Any] = {}
    for stem, metrics in table.items():
        found, seconds = run_notebook(stem, seed, metrics)
        values.update(found)
        values[f"seconds, {stem}"] = seconds
    return values


def summarise(runs: Sequence[Mapping[str, Any]], seeds: Sequence[int]) -> dict[str, Any]:
    """`{"seeds", "metrics": {name: {"median", "values"}}}` from one dict of values per seed.

    The median is over the seeds whose value is a number; it is `None` when none is (a
    `None` value means "did not happen", such as a plateau never left).
    """
    metrics = {}
    for name in runs[0]:
        values = [run[name] for run in runs]
        numbers = [float(v) for v in values if v is not None]
        metrics[name] = {
            "median": float(statistics.median(numbers)) if numbers else None,
            "values": [None if v is None else float(v) for v in values],
        }
    return {"seeds": list(seeds), "metrics": metrics}


def measure(
    table: Mapping[str, Mapping[str, str]], seeds: Sequence[int], label: str
) -> dict[str, Any]:
    """Run every notebook of `table` once per seed; see `summarise` for what it returns."""
    runs = []
    for seed in seeds:
        runs.append(headline_metrics(table, seed))
        print(f"  {label} seed {seed}: {runs[-1]}", flush=True)
    return summarise(runs, seeds)
