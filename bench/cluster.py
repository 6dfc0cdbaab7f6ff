"""Grading through Dask: a class graded with the local pool and through a Dask LocalCluster.

Issue 11, item 6. The class (default 200 submissions) is made of copies of solution
notebooks and broken variants of them (`bench.grading.make_class`: unsolved copies, invalid
JSON, kernels that die), one notebook per student, spread over the notebooks in turn. In the
same run it is graded twice with the same number of workers: by `grade_submissions`
(`--workers N`, a local process pool) and with `dask=` on a `distributed.LocalCluster`
on 127.0.0.1 with N single-threaded worker processes (the dashboard off). The ratio is
Dask's grading time over the pool's (goal: at most 1.15), with the cluster already started
and the runs interleaved. Both gradebooks must be equal, row for row. Every student is
graded against every released notebook (the ones a student did not hand in are "missing",
which takes no kernel), so seconds per submission divide by the class size.

Measured differences to keep in mind: Dask's nanny starts its workers with
`OMP_NUM_THREADS=1`, `MKL_NUM_THREADS=1` and `OPENBLAS_NUM_THREADS=1`
(`distributed.nanny.pre-spawn-environ`), which the kernels inherit, while the local pool
leaves them unset; and the local pool starts its processes afresh for every class.

    python -m bench --only cluster      # 200 fixture submissions, twice each way
    python -m bench --only cluster --cluster-notebooks course --cluster-class-size 50
    python -m bench.cluster --size 12 --fixtures        # a small proof on the test fixtures
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.grading import EXERCISES, SOLUTIONS, make_class
from bench.timing import ROOT

NOTEBOOKS = ("01_sequences_hidden_state.ipynb", "02_bptt_vanishing_gradients.ipynb")
FIXTURES = ROOT / "tests" / "fixtures" / "grading"


def _rows(results) -> list:
    return [(n.student, n.notebook, r) for n in results for r in n.results]


def measure(
    size: int = 200,
    workers: int = 2,
    notebooks: tuple[str, ...] = NOTEBOOKS,
    *,
    fixtures: bool = False,
    repeats: int = 1,
) -> dict[str, Any]:
    """Grade one class with the local pool and with Dask, `workers` each; return timings.

    Args:
        size: submissions in the class (students x one notebook each).
        workers: worker processes for both ways.
        notebooks: released notebooks the class hands in, in turn.
        fixtures: grade the small NumPy-only test fixtures instead of the course's
            notebooks (a quick proof that the bench works).
        repeats: gradings each way, interleaved (local, Dask, local, ...); medians kept.

    Returns:
        seconds of each way, Dask's start-up, the ratio dask / local, seconds per
        submission and whether the gradebooks are equal.
    """
    from distributed import Client, LocalCluster

    from course_lib.checks.contract import CHECKS_PACKAGE
    from course_lib.grading.class_grading import grade_submissions
    from course_lib.grading.execute import ExecutionConfig

    release = FIXTURES / "exercises" if fixtures else EXERCISES
    solutions = FIXTURES / "solutions" if fixtures else SOLUTIONS
    if fixtures:
        notebooks = ("01_basics.ipynb", "02_more.ipynb")
        os.environ["PYTHONPATH"] = os.pathsep.join(
            [str(FIXTURES), str(ROOT), os.environ.get("PYTHONPATH", "")]
        )
    config = ExecutionConfig(
        check_modules=(CHECKS_PACKAGE, "fixture_checks") if fixtures else (CHECKS_PACKAGE,)
    )
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        root = Path(tmp) / "class"
        root.mkdir()
        counts: dict[str, int] = {}
        for index, notebook in enumerate(notebooks):
            share = size // len(notebooks) + (index < size % len(notebooks))
            part = Path(tmp) / f"part{index}"
            for kind, count in make_class(part, notebook, share, solutions, release).items():
                counts[kind] = counts.get(kind, 0) + count
            for student in part.iterdir():
                student.rename(root / f"{student.name}-{index}")
        local_times, dask_times = [], []
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            client.wait_for_workers(workers)
            # Interleaved, so that a change in the machine's load hits both ways alike.
            for _ in range(repeats):
                start = time.monotonic()
                local = grade_submissions(
                    root, release, config=config, workers=workers, progress=None
                )
                local_times.append(time.monotonic() - start)
                start = time.monotonic()
                remote = grade_submissions(root, release, dask=client, config=config, progress=None)
                dask_times.append(time.monotonic() - start)
    local_seconds, dask_seconds = statistics.median(local_times), statistics.median(dask_times)
    pairs = len(local)  # students x released notebooks: the missing ones are quick
    return {
        "class_size": size,
        "notebooks": list(notebooks),
        "fixtures": fixtures,
        "workers": workers,
        "graded_pairs": pairs,
        "make_up": counts,
        "local_seconds": round(local_seconds, 2),
        "dask_seconds": round(dask_seconds, 2),
        "local_runs": [round(t, 2) for t in local_times],
        "dask_runs": [round(t, 2) for t in dask_times],
        "ratio": round(dask_seconds / local_seconds, 3),
        "seconds_per_submission_local": round(local_seconds / size, 3),
        "seconds_per_submission_dask": round(dask_seconds / size, 3),
        "gradebooks_equal": _rows(local) == _rows(remote),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__)
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--fixtures", action="store_true", help="grade the test fixtures")
    parser.add_argument("--repeats", type=int, default=1, help="interleaved runs each way")
    args = parser.parse_args(argv)
    import json

    measured = measure(args.size, args.workers, fixtures=args.fixtures, repeats=args.repeats)
    print(json.dumps(measured, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
