"""Not a lucky seed: execute every chapter under other seeds and list the assertions that fail.

`course_lib.setup()` takes its seed from the environment variable `RNN_COURSE_SEED`, and
every chapter derives its own seeds (data, initial weights, shuffling) from
`course_lib.current_seed()`, so a chapter executed under `RNN_COURSE_SEED=1` is a
different run of the same experiments. Each chapter is executed to the end whatever
fails (`allow_errors`), so one failing assertion does not hide the next.

Run `make bench` (the `seeds` section, seeds 1 and 2 by default) or, for a quick look,
`python -m bench.seeds --seeds 1 --chapters 02_bptt_vanishing_gradients.ipynb`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.timing import ROOT

BOOK = ROOT / "book"
SEED_VARIABLE = "RNN_COURSE_SEED"


def chapters() -> list[Path]:
    """The book's chapter notebooks, in reading order (`bench.book.book_notebooks`)."""
    from bench.book import book_notebooks

    return book_notebooks()


def failures(notebook: Any) -> list[dict[str, Any]]:
    """Every error an executed notebook recorded: cell index, exception name and message."""
    found = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                message = str(output.get("evalue", "")).strip().splitlines()
                found.append(
                    {
                        "cell": index,
                        "error": output.get("ename", "?"),
                        "message": message[0][:300] if message else "",
                    }
                )
    return found


def execute_under_seed(
    notebook: Any, seed: int, folder: Path, *, allow_errors: bool, timeout: int = 1200
) -> float:
    """Execute `notebook` in place on a fresh kernel with `RNN_COURSE_SEED=seed`; its seconds.

    The kernel starts in `folder` and inherits the environment, which is restored after.
    """
    from nbclient import NotebookClient

    saved = os.environ.get(SEED_VARIABLE)
    os.environ[SEED_VARIABLE] = str(seed)  # the kernel inherits the environment
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    start = time.perf_counter()
    try:
        client = NotebookClient(
            notebook,
            timeout=timeout,
            allow_errors=allow_errors,
            kernel_name="python3",
            resources={"metadata": {"path": str(folder)}},
        )
        client.execute()
    finally:
        if saved is None:
            os.environ.pop(SEED_VARIABLE, None)
        else:
            os.environ[SEED_VARIABLE] = saved
    return time.perf_counter() - start


def run_chapter(path: Path, seed: int, *, timeout: int = 1200) -> dict[str, Any]:
    """Execute one chapter under `RNN_COURSE_SEED=seed` and report what failed.

    Returns:
        {"seed", "seconds", "failures": [{"cell", "error", "message"}, ...]}.
    """
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    seconds = execute_under_seed(notebook, seed, path.parent, allow_errors=True, timeout=timeout)
    return {"seed": seed, "seconds": round(seconds, 1), "failures": failures(notebook)}


def measure(seeds: Sequence[int] = (1, 2), names: Sequence[str] | None = None) -> dict:
    """Execute every chapter (or those in `names`) under each seed, one run at a time.

    Returns:
        {chapter file name: [one `run_chapter` result per seed]}.
    """
    selected = [p for p in chapters() if names is None or p.name in names]
    if names is not None and len(selected) != len(set(names)):
        known = ", ".join(p.name for p in chapters())
        raise ValueError(f"`names` must be chapter notebooks ({known}); got {list(names)}.")
    results: dict[str, list] = {}
    for path in selected:
        for seed in seeds:
            run = run_chapter(path, seed)
            results.setdefault(path.name, []).append(run)
            state = "ok" if not run["failures"] else f"{len(run['failures'])} failing"
            print(f"seeds: {path.name} seed {seed}: {state}, {run['seconds']} s", file=sys.stderr)
    return results


def render(results: dict) -> str:
    """A Markdown table, chapter x seed, with the failing cells and their messages below."""
    seeds = sorted({run["seed"] for runs in results.values() for run in runs})
    lines = [
        "| chapter | " + " | ".join(f"seed {s}" for s in seeds) + " |",
        "|" + " --- |" * (len(seeds) + 1),
    ]
    details = []
    for name, runs in results.items():
        by_seed = {run["seed"]: run for run in runs}
        cells = []
        for seed in seeds:
            run = by_seed.get(seed)
            if run is None:
                cells.append("not run")
            elif not run["failures"]:
                cells.append(f"all assertions hold ({run['seconds']:.0f} s)")
            else:
                cells.append(f"{len(run['failures'])} failing ({run['seconds']:.0f} s)")
                for failure in run["failures"]:
                    details.append(
                        f"- `{name}`, seed {seed}, cell {failure['cell']}: "
                        f"{failure['error']}: {failure['message']}"
                    )
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(lines + ([""] + details if details else [])) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.seeds", description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--chapters", nargs="+", default=None, help="notebook file names")
    args = parser.parse_args(argv)
    results = measure(args.seeds, args.chapters)
    print(render(results))
    return 0 if not any(run["failures"] for runs in results.values() for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
