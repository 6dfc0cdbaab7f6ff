"""Grade a class on a Dask distributed cluster: `rnn-course grade --dask ADDRESS`.

`grade_submissions` grades on the local machine with a process pool (`--workers N`, the
default, which needs no Dask). A class that outgrows one machine can go to a Dask cluster
that already runs (the engine many universities run on their clusters and JupyterHubs):
`grade_on_dask` sends one task per (student, released notebook) to the scheduler at
`address`; each Dask worker grades its task exactly as a local worker does (`grade_notebook`:
its own kernel, its own temporary folder, and the sandbox where the grader uses one), and
returns a `NotebookResult`. The gradebook is the same, row for row, as the local one.

Faults: when a worker dies mid-task (killed, out of memory, its machine lost), the scheduler
runs that task again on another worker (Dask's own recovery of lost tasks; `retries=1` adds a
retry for a task that raised). Only the lost submission is graded again. A task that still
fails gets the rows of a notebook whose grading failed ("error"), like a crashed local worker.

Pointing it at a real cluster:

- Every worker needs the course installed (`pip install "rnn-course[cluster]"`, the same
  version as the teacher's) and must see the submissions and the release at the same paths
  as the machine that runs `rnn-course grade` (a shared file system such as an NFS home or a
  JupyterHub's shared volume): tasks carry paths, not files.
- Start a scheduler and workers as the cluster's documentation says (`dask scheduler` and
  `dask worker tcp://HOST:8786 --nthreads 1` on each node, or `dask-jobqueue` on SLURM/PBS,
  or Dask Gateway on a JupyterHub), one thread per worker: each task runs a kernel.
- Run `rnn-course grade SUBMISSIONS --out grades.csv --dask tcp://HOST:8786`.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

from course_lib.grading import sandbox
from course_lib.grading.batch import (
    failed_task,
    grade_task,
    new_grading_seed,
    progress_line,
    released_notebooks,
    student_folders,
)
from course_lib.grading.execute import ExecutionConfig
from course_lib.grading.grade import NotebookResult


def _client(address):
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            "--dask needs Dask's distributed scheduler: pip install 'rnn-course[cluster]' "
            "(or pip install 'dask[distributed]'); without it, use --workers N"
        ) from None
    if not isinstance(address, str):
        return address, False  # an existing Client (tests, notebooks)
    return Client(address, timeout="30s"), True


def grade_on_dask(
    submissions_dir: str | Path,
    release_dir: str | Path,
    address,
    *,
    config: ExecutionConfig | None = None,
    seed: int | None = None,
    progress: Callable[[str], None] | None = print,
    notebooks: Collection[str] | None = None,
) -> list[NotebookResult]:
    """Grade every student's copy of every released notebook (or the assignment's) on Dask.

    Args:
        submissions_dir: folder with one sub-folder per student, on a file system every
            worker sees at the same path.
        release_dir: folder with the released exercise notebooks, likewise shared.
        address: the scheduler's address (`"tcp://host:8786"`), or a `distributed.Client`.
        config: limits, kernel and sandbox settings. Defaults to `ExecutionConfig()`
            (sandboxed: each worker grades in its own sandbox, and a worker where it cannot
            be set up gives its tasks' rows as errors saying why).
        seed: the seed of the checks' inputs; None draws a fresh one.
        progress: called with one line per graded notebook; None for silence.
        notebooks: the released notebooks of the assignment (file names); None for all.

    Returns:
        One `NotebookResult` per student x notebook graded, in the order of
        `grade_submissions`.

    Raises:
        RuntimeError: when Dask's `distributed` package is not installed.
        SandboxUnavailable: when the sandbox is asked for and cannot be set up here.

    Example:
        >>> results = grade_on_dask("submissions", "exercises", "tcp://10.0.0.5:8786")  # doctest: +SKIP
    """
    from distributed import as_completed

    config = config or ExecutionConfig()
    if config.sandbox:
        sandbox.check_available(config.limits)
    seed = new_grading_seed() if seed is None else seed
    releases = released_notebooks(release_dir)
    if notebooks is not None:
        releases = [release for release in releases if release.name in notebooks]
    students = student_folders(submissions_dir)
    client, owned = _client(address)
    results: dict[tuple[str, str], NotebookResult] = {}
    try:
        futures = {}
        for student in students:
            for release in releases:
                future = client.submit(
                    grade_task,
                    str(student),
                    release,
                    config,
                    seed,
                    key=f"rnn-course-grade-{student.name}-{release.name}-{id(results)}",
                    pure=False,
                    retries=1,
                )
                futures[future] = (student, release)
        for future in as_completed(futures):
            student, release = futures[future]
            try:
                value = future.result()
            except Exception as error:  # a task that kept failing must not lose the rows
                value = failed_task(student.name, release, error, config, seed)
            results[(student.name, release.name)] = value
            if progress is not None:
                progress(progress_line(len(results), len(futures), value))
    finally:
        if owned:
            client.close()
    return [results[(s.name, r.name)] for s in students for r in releases]
