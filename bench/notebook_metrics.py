"""A chapter's headline numbers per seed, read from the chapter's own notebooks.

The numbers come from the chapter itself, so there is one copy of every experiment: each
notebook runs on a fresh kernel with `RNN_COURSE_SEED` set, and one extra cell, added in
memory only, prints the variables the chapter's sentences assert on as JSON. A chapter's
bench module (`bench.ch7`, `bench.ch9`) is a table `METRICS`: notebook stem -> {metric
name: Python expression evaluated at the end of that notebook}.
"""

from __future__ import annotations

import json
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


def median_over_seeds(values: Sequence[float | None]) -> float | None:
    """The median of one metric over the seeds, where `None` ("never") counts as the latest.

    A `None` value means that something did not happen within the chapter's budget (a
    plateau not left), so it sorts after every number: the median of (never, never, 14) is
    never, the median of (never, 5, 6) is 6.

    Args:
        values: one value per seed, numbers or `None`.

    Returns:
        The median, or `None` when it falls on (or between a number and) a "never".
    """
    if not values:
        raise ValueError("`values` must hold one value per seed; got none.")
    ordered = sorted(values, key=lambda v: (v is None, 0.0 if v is None else float(v)))
    middle = len(ordered) // 2
    low, high = ordered[middle - 1 if len(ordered) % 2 == 0 else middle], ordered[middle]
    if low is None or high is None:
        return None
    return (float(low) + float(high)) / 2


def summarise(runs: Sequence[Mapping[str, Any]], seeds: Sequence[int]) -> dict[str, Any]:
    """`{"seeds", "metrics": {name: {"median", "values"}}}` from one dict of values per seed.

    The median is `median_over_seeds`: a `None` value ("did not happen", such as a plateau
    never left) counts as later than any number, so a median over seeds that are mostly
    "never" is "never".
    """
    metrics = {}
    for name in runs[0]:
        values = [None if run[name] is None else float(run[name]) for run in runs]
        metrics[name] = {"median": median_over_seeds(values), "values": values}
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
