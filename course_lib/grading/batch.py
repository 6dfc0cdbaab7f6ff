"""Grade a class: every student's folder against every released notebook, in parallel.

`grade_submissions` takes a folder with one sub-folder per student (named after the
student) holding that student's copies of the exercise notebooks, named as in the release
(a copy further down, e.g. `alice/exercises/04_lstm.ipynb` in a cloned repository, is found
too). Each (student, notebook) pair is graded by `grade_notebook` in its own kernel and
temporary folder, in `workers` processes; a line per graded notebook reports progress::

    [12/150] alice 04_lstm.ipynb 8/10 points 14.2 s

The result is one CSV row per student x released notebook x exercise, always (columns
`student, notebook, exercise, points, max_points, status, message`), and optionally a
Markdown feedback file per student.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import multiprocessing
import secrets
from collections.abc import Callable, Collection
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path

from course_lib.grading import sandbox
from course_lib.grading.escaping import terminal_text
from course_lib.grading.execute import ExecutionConfig
from course_lib.grading.grade import (
    ERROR,
    ExerciseResult,
    NotebookResult,
    ReleasedNotebook,
    grade_notebook,
)


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
    """A fresh seed for the checks' inputs of one grading run (recorded in the gradebook)."""
    return secrets.randbelow(2**31)


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
    """Grade one (student, notebook) pair; runs in a worker process (local or Dask).

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
        ExerciseResult(student, release.name, e.id, 0.0, e.points, ERROR, message)
        for e in release.exercises
    ]
    return NotebookResult(student, release.name, rows, seed=seed, sandboxed=config.sandbox)


def progress_line(done: int, total: int, result: NotebookResult) -> str:
    """Return `[12/150] alice 04_lstm.ipynb 8/10 points 14.2 s` (printable: names escaped)."""
    return terminal_text(
        f"[{done}/{total}] {result.student} {result.notebook} "
        f"{result.points:g}/{result.max_points:g} points {result.seconds:.1f} s"
    )


def grade_submissions(
    submissions_dir: str | Path,
    release_dir: str | Path,
    *,
    config: ExecutionConfig | None = None,
    workers: int = 1,
    seed: int | None = None,
    progress: Callable[[str], None] | None = print,
    notebooks: Collection[str] | None = None,
) -> list[NotebookResult]:
    """Grade every student's copy of every released notebook (or of the assignment's).

    Args:
        submissions_dir: folder with one sub-folder per student.
        release_dir: folder with the released exercise notebooks (`exercises/`).
        config: limits, kernel and sandbox settings. Defaults to `ExecutionConfig()`.
        workers: number of worker processes (each runs one kernel at a time). Defaults to 1.
        seed: the seed of the checks' inputs; None draws a fresh one (`new_grading_seed`).
            It is recorded in every result.
        progress: called with one line per graded notebook; None for silence.
        notebooks: the released notebooks of the assignment (file names); None for all.

    Returns:
        One `NotebookResult` per student x notebook graded, sorted by student, then in
        the release's order.

    Raises:
        SandboxUnavailable: when `config.sandbox` is set and the sandbox cannot be set up
            (before anything is graded).
    """
    config = config or ExecutionConfig()
    if config.sandbox:
        sandbox.check_available(config.limits)
    seed = new_grading_seed() if seed is None else seed
    releases = released_notebooks(release_dir)
    if notebooks is not None:
        releases = [release for release in releases if release.name in notebooks]
    students = student_folders(submissions_dir)
    tasks = [(student, release) for student in students for release in releases]
    results: dict[tuple[str, str], NotebookResult] = {}

    def collect(student: Path, release: ReleasedNotebook, outcome: Future | None, value=None):
        if outcome is not None:
            try:
                value = outcome.result()
            except BaseException as error:  # a killed worker must not lose the rows
                value = failed_task(student.name, release, error, config, seed)
        results[(student.name, release.name)] = value
        if progress is not None:
            progress(progress_line(len(results), len(tasks), value))

    if workers <= 1:
        for student, release in tasks:
            try:
                value = grade_task(str(student), release, config, seed)
            except Exception as error:
                value = failed_task(student.name, release, error, config, seed)
            collect(student, release, None, value)
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {
                pool.submit(grade_task, str(student), release, config, seed): (student, release)
                for student, release in tasks
            }
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: tuple(map(str, futures[f]))):
                    collect(*futures[future], future)
    return [results[(s.name, r.name)] for s in students for r in releases]
