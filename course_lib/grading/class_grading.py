"""Grade a class: every student's folder against every released notebook, over any executor.

`grade_submissions` takes a folder with one sub-folder per student (named after the
student) holding that student's copies of the exercise notebooks, named as in the release
(a copy further down, e.g. `alice/exercises/04_lstm.ipynb` in a cloned repository, is found
too). Each (student, notebook) pair is one task, `grade_task`: `grade_notebook` in its own
kernel and temporary folder. One loop, `grade_class`, hands the tasks to an executor (a
`concurrent.futures.Executor`) and collects their results; which executor is the only
difference between the ways to grade:

- `workers=1`: in this process, one task after the other (`InProcessExecutor`);
- `workers=N`: a local pool of N processes (`rnn-course grade --workers N`);
- `dask=ADDRESS`: a Dask distributed cluster that already runs (`rnn-course grade --dask`),
  for a class that outgrows one machine (the engine many universities run on their clusters
  and JupyterHubs). Each Dask worker grades its task exactly as a local worker does.

A line per graded notebook reports progress::

    [12/150] alice 04_lstm.ipynb 8/10 points 14.2 s

The result is one CSV row per student x released notebook x exercise, always (columns
`student, notebook, exercise, points, max_points, status, message`), and optionally a
Markdown feedback file per student. The gradebook is the same, row for row, whichever the
executor.

Faults: a task that raises (a bug, a killed local worker) gets the rows of a notebook whose
grading failed ("error"), so no student's rows are lost. On Dask, when a worker dies
mid-task (killed, out of memory, its machine lost), the scheduler runs that task again on
another worker (Dask's own recovery of lost tasks; one retry is added for a task that
raised): only the lost submission is graded again.

Pointing it at a real Dask cluster:

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

import contextlib
import multiprocessing
import secrets
import uuid
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from pathlib import Path

from course_lib.grading import sandbox
from course_lib.grading.escaping import terminal_text
from course_lib.grading.execute import ExecutionConfig
from course_lib.grading.grade import ReleasedNotebook, grade_notebook
from course_lib.grading.outcomes import ExerciseResult, ExerciseStatus, NotebookResult


def released_notebooks(release_dir: str | Path) -> list[ReleasedNotebook]:
    """Read and validate the released exercise notebooks of `release_dir`, sorted by name.

    Raises:
        FileNotFoundError: when the folder does not exist or holds no notebook.
        NotebookFormatError: when a released notebook breaks the format.
    """
    release_dir = Path(release_dir)
    paths = sorted(release_dir.glob("*.ipynb")) if release_dir.is_dir() else []
    if not paths:
        raise FileNotFoundError(f"no released exercise notebooks (*.ipynb) in {release_dir}")
    return [ReleasedNotebook.read(path) for path in paths]


def new_grading_seed() -> int:
    """A fresh seed for the checks' inputs of one grading run (recorded in the gradebook).

    63 bits: a student who sees a check's inputs inside the sandbox cannot search for the
    seed (and from it the inputs of the hidden targets) within any time limit.
    """
    return secrets.randbelow(2**63)


def student_folders(submissions_dir: str | Path) -> list[Path]:
    """Return the students' folders of `submissions_dir`, sorted.

    Hidden folders (`.git`) and macOS's `__MACOSX` are skipped; every other folder is a
    student, whatever its name starts with (`_una`, `(bob)`, `=eve`).

    Raises:
        FileNotFoundError: when `submissions_dir` is not a folder.
    """
    submissions_dir = Path(submissions_dir)
    if not submissions_dir.is_dir():
        raise FileNotFoundError(f"submissions folder {submissions_dir} does not exist")
    return sorted(
        p
        for p in submissions_dir.iterdir()
        if p.is_dir() and not p.name.startswith(".") and p.name != "__MACOSX"
    )


def find_submission(student_dir: Path, name: str) -> tuple[Path | None, str]:
    """Find `name` in a student's folder: at its top, else the shallowest unique copy below.

    A link of that name is found too but not followed (folders below are searched without
    following links): grading refuses it as "a link", so a link to a classmate's notebook
    or to a file of the teacher's is never graded as the student's work.

    Returns:
        `(path, note)`; `path` is None when not found (then `note` says why).
    """
    direct = student_dir / name
    if direct.is_file() or direct.is_symlink():
        return direct, ""
    found = sorted(
        (len(p.relative_to(student_dir).parts), str(p), p)
        for p in student_dir.rglob(name)
        if (p.is_file() or p.is_symlink()) and ".ipynb_checkpoints" not in p.parts
    )
    if not found:
        return None, f"{name} not found in {student_dir.name}/"
    if len(found) > 1 and found[0][0] == found[1][0]:
        where = ", ".join(str(p.relative_to(student_dir)) for _, _, p in found[:3])
        return None, f"several copies of {name} in {student_dir.name}/ ({where}); keep one"
    path = found[0][2]
    return path, f"graded {path.relative_to(student_dir)} (not at the top of the folder)"


def grade_task(
    student_dir: str, release: ReleasedNotebook, config: ExecutionConfig, seed: int | None
) -> NotebookResult:
    """Grade one (student, notebook) pair: the task that an executor runs.

    Raises:
        SandboxUnavailable: when the sandbox is asked for and this worker cannot set it up.
    """
    if config.sandbox:
        sandbox.check_available(config.limits)  # once per process; a Dask worker may lack it
    student_path = Path(student_dir)
    path, note = find_submission(student_path, release.name)
    result = grade_notebook(
        path, release, student=student_path.name, config=config, seed=seed, missing_reason=note
    )
    if path is not None and note:
        result.notes.insert(0, note[0].upper() + note[1:] + ".")
    return result


def failed_task(
    student: str,
    release: ReleasedNotebook,
    error: BaseException,
    config: ExecutionConfig,
    seed: int | None,
) -> NotebookResult:
    """Rows for a notebook whose grading itself failed (a bug or a killed worker)."""
    message = f"the grader failed on this notebook: {type(error).__name__}: {error}"
    rows = [
        ExerciseResult(student, release.name, e.id, 0.0, e.points, ExerciseStatus.ERROR, message)
        for e in release.exercises
    ]
    return NotebookResult(student, release.name, rows, seed=seed, sandboxed=config.sandbox)


def progress_line(done: int, total: int, result: NotebookResult) -> str:
    """Return `[12/150] alice 04_lstm.ipynb 8/10 points 14.2 s` (printable: names escaped)."""
    return terminal_text(
        f"[{done}/{total}] {result.student} {result.notebook} "
        f"{result.points:g}/{result.max_points:g} points {result.seconds:.1f} s"
    )


class InProcessExecutor(Executor):
    """Run each task in this process when it is submitted: grading with one worker.

    Example:
        >>> InProcessExecutor().submit(pow, 2, 10).result()
        1024
    """

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:  # the loop turns it into the rows of a failed task
            future.set_exception(error)
        return future


class _DaskExecutor(Executor):
    """Dask's `concurrent.futures` executor, each task named after its student and notebook.

    The names are what the Dask dashboard shows; one retry is added for a task that raised.
    """

    def __init__(self, client):
        self._executor = client.get_executor(pure=False, retries=1)

    def submit(self, fn, student_dir, release, /, *args) -> Future:
        key = f"rnn-course-grade-{Path(student_dir).name}-{release.name}-{uuid.uuid4().hex}"
        return self._executor.submit(fn, student_dir, release, *args, key=key)


@contextlib.contextmanager
def class_executor(workers: int = 1, dask=None) -> Iterator[tuple[Executor, int | None]]:
    """The executor that grades a class, and how many tasks to keep submitted at once.

    Args:
        workers: local worker processes; 1 grades in this process. Ignored with `dask`.
        dask: a Dask scheduler's address (`"tcp://host:8786"`) or a `distributed.Client`.

    Yields:
        `(executor, in_flight)`: `in_flight` is 1 in this process (so that progress is
        reported as each task ends), else None (every task at once).

    Raises:
        RuntimeError: when `dask` is given and Dask's `distributed` is not installed.
    """
    if dask is not None:
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover - depends on the installation
            raise RuntimeError(
                "--dask needs Dask's distributed scheduler: pip install 'rnn-course[cluster]' "
                "(or pip install 'dask[distributed]'); without it, use --workers N"
            ) from None
        if isinstance(dask, str):
            with Client(dask, timeout="30s") as client:
                yield _DaskExecutor(client), None
        else:  # an existing Client (tests, notebooks): the caller closes it
            yield _DaskExecutor(dask), None
    elif workers <= 1:
        yield InProcessExecutor(), 1
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            yield pool, None


def grade_class(
    students: list[Path],
    releases: list[ReleasedNotebook],
    executor: Executor,
    *,
    config: ExecutionConfig,
    seed: int,
    progress: Callable[[str], None] | None = print,
    in_flight: int | None = None,
) -> list[NotebookResult]:
    """Grade every student x released notebook as one task each on `executor`.

    Args:
        students: the students' folders (`student_folders`).
        releases: the released notebooks to grade.
        executor: where the tasks run (`class_executor`).
        config: limits, kernel and sandbox settings.
        seed: the seed of the checks' inputs, recorded in every result.
        progress: called with one line per graded notebook; None for silence.
        in_flight: at most this many tasks submitted and not yet collected; None for all.

    Returns:
        One `NotebookResult` per student x notebook, sorted by student, then in the
        release's order. A task that raised gives the rows of `failed_task`.
    """
    tasks = [(student, release) for student in students for release in releases]
    waiting = iter(tasks)
    pending: dict[Future, tuple[Path, ReleasedNotebook]] = {}
    results: dict[tuple[str, str], NotebookResult] = {}
    limit = len(tasks) if in_flight is None else in_flight
    while len(results) < len(tasks):
        for student, release in waiting:
            future = executor.submit(grade_task, str(student), release, config, seed)
            pending[future] = (student, release)
            if len(pending) >= limit:
                break
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in sorted(done, key=lambda f: tuple(map(str, pending[f]))):
            student, release = pending.pop(future)
            try:
                value = future.result()
            except Exception as error:  # a failed task must not lose the rows
                value = failed_task(student.name, release, error, config, seed)
            results[(student.name, release.name)] = value
            if progress is not None:
                progress(progress_line(len(results), len(tasks), value))
    return [results[(s.name, r.name)] for s in students for r in releases]


def grade_submissions(
    submissions_dir: str | Path,
    release_dir: str | Path,
    *,
    config: ExecutionConfig | None = None,
    workers: int = 1,
    dask=None,
    seed: int | None = None,
    progress: Callable[[str], None] | None = print,
    notebooks: Collection[str] | None = None,
) -> list[NotebookResult]:
    """Grade every student's copy of every released notebook (or of the assignment's).

    Args:
        submissions_dir: folder with one sub-folder per student (with `dask`: on a file
            system every worker sees at the same path).
        release_dir: folder with the released exercise notebooks (`exercises/`), likewise.
        config: limits, kernel and sandbox settings. Defaults to `ExecutionConfig()`
            (sandboxed: on Dask each worker grades in its own sandbox, and a worker where
            it cannot be set up gives its tasks' rows as errors saying why).
        workers: number of local worker processes (each runs one kernel at a time).
            Defaults to 1 (in this process). Ignored with `dask`.
        dask: grade on a Dask cluster: the scheduler's address (`"tcp://host:8786"`) or a
            `distributed.Client`. None (the default) grades on this machine.
        seed: the seed of the checks' inputs; None draws a fresh one (`new_grading_seed`).
            It is recorded in every result.
        progress: called with one line per graded notebook; None for silence.
        notebooks: the released notebooks of the assignment (file names); None for all.

    Returns:
        One `NotebookResult` per student x notebook graded, sorted by student, then in
        the release's order.

    Raises:
        SandboxUnavailable: when `config.sandbox` is set and the sandbox cannot be set up
            here (before anything is graded).
        RuntimeError: when `dask` is given and Dask's `distributed` is not installed.

    Example:
        >>> results = grade_submissions("submissions", "exercises", dask="tcp://10.0.0.5:8786")  # doctest: +SKIP
    """
    config = config or ExecutionConfig()
    if config.sandbox:
        sandbox.check_available(config.limits)
    seed = new_grading_seed() if seed is None else seed
    releases = released_notebooks(release_dir)
    if notebooks is not None:
        releases = [release for release in releases if release.name in notebooks]
    students = student_folders(submissions_dir)
    with class_executor(workers, dask) as (executor, in_flight):
        return grade_class(
            students,
            releases,
            executor,
            config=config,
            seed=seed,
            progress=progress,
            in_flight=in_flight,
        )
