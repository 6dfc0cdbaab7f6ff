"""Grade one student's copy of one exercise notebook: one result per released exercise.

`grade_notebook` reads the release and the submission, rebuilds the notebook to run from
the release (`restore`), executes it in a fresh kernel inside a temporary folder
(`run_notebook`), and scores each exercise from its check cell's own outcome:

- the check printed `Exercise 4.2: passed n of n checks`: full points, status "passed";
- it raised `CheckFailed` "passed k of n": `points * k / n` rounded to 2 decimals,
  status "partial" (or "failed" when k = 0);
- any other error: 0, status "error", with the error;
- the cell (or the exercise's solution cell) ran out of time: 0, "timeout"; the kernel died:
  0, "crashed"; an earlier fault stopped the notebook: 0, "not-run";
- the solution cell is missing from the submission: 0, "missing"; the notebook itself is
  missing: "missing"; it is not a readable notebook: "invalid".

Whatever happens, every released exercise gets exactly one result.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from course_lib.checks.report import parse_result_line
from course_lib.grading.execute import (
    DIED,
    ERROR,
    NOT_RUN,
    OK,
    TIMEOUT,
    CellRun,
    ExecutionConfig,
    run_notebook,
)
from course_lib.grading.notebook_format import (
    Exercise,
    NotebookReadError,
    read_notebook,
    validate,
)
from course_lib.grading.restore import Restored, restore

PASSED, PARTIAL, FAILED = "passed", "partial", "failed"
CRASHED, MISSING, INVALID = "crashed", "missing", "invalid"
# ERROR ("error"), TIMEOUT ("timeout") and NOT_RUN ("not-run") come from `execute`.
STATUSES = (PASSED, PARTIAL, FAILED, ERROR, TIMEOUT, CRASHED, NOT_RUN, MISSING, INVALID)

# Files of a student's folder never copied next to the notebook: code that could shadow
# the modules the checks import (a `numpy.py` or a `course_lib/` package).
_CODE_SUFFIXES = {".py", ".pyc", ".pyo", ".pyd", ".so", ".pth", ".dll", ".dylib"}
_MAX_COPIED_FILE_BYTES = 20 * 1024 * 1024
_MAX_MESSAGE_CHARS = 4_000


@dataclass(frozen=True)
class ExerciseResult:
    """The grade of one exercise of one student.

    Args:
        student: the student's folder name.
        notebook: the notebook's file name, e.g. `"04_lstm.ipynb"`.
        exercise: the exercise id, e.g. `"4.2"`.
        points: points earned, rounded to 2 decimals.
        max_points: points the exercise is worth.
        status: one of `STATUSES`.
        message: why (the check's report, the error, the fault); empty when passed.
    """

    student: str
    notebook: str
    exercise: str
    points: float
    max_points: float
    status: str
    message: str = ""


@dataclass
class NotebookResult:
    """The grades of one student's notebook, with remarks and timing.

    Args:
        student: the student's folder name.
        notebook: the released notebook's file name.
        results: one `ExerciseResult` per released exercise, in notebook order.
        notes: remarks for the feedback (added cells dropped, edited cells restored...).
        seconds: wall-clock time the grading took.
    """

    student: str
    notebook: str
    results: list[ExerciseResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def points(self) -> float:
        """Points earned in this notebook."""
        return round(sum(r.points for r in self.results), 2)

    @property
    def max_points(self) -> float:
        """Points this notebook is worth."""
        return round(sum(r.max_points for r in self.results), 2)


def _shorten(text: str, limit: int = _MAX_MESSAGE_CHARS) -> str:
    text = str(text).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _error_text(run: CellRun) -> str:
    return f"{run.ename}: {run.evalue}" if run.evalue else run.ename


def score_exercise(exercise: Exercise, restored: Restored, runs: list[CellRun]) -> tuple:
    """Return `(points, status, message)` of one exercise from the executed cells.

    Args:
        exercise: the released exercise.
        restored: what `restore` built (cell indices, missing solution cells).
        runs: the outcome of every cell, from `run_notebook`.
    """
    missing = [gid for gid in exercise.solution_grade_ids if gid in restored.missing]
    if missing:
        return 0.0, MISSING, "; ".join(f"solution cell {gid} missing" for gid in missing)
    solution_runs = [
        (gid, runs[restored.solution_cells[gid]]) for gid in exercise.solution_grade_ids
    ]
    for gid, run in solution_runs:
        if run.status == DIED:
            return (
                0.0,
                CRASHED,
                f"solution cell {gid}: {run.detail} (os._exit, a crash or out of memory?)",
            )
        if run.status == TIMEOUT:
            return 0.0, TIMEOUT, f"solution cell {gid}: {run.detail}"
    check = runs[restored.check_cells[exercise.id]]
    if check.status == OK:
        for line in check.stdout.splitlines():
            parsed = parse_result_line(line)
            if parsed and parsed[0] == exercise.id and parsed[1] == parsed[2] > 0:
                return exercise.points, PASSED, ""
        return 0.0, ERROR, "the check cell ran but printed no result line for this exercise"
    if check.status == ERROR:
        parsed = parse_result_line(check.evalue) if check.ename == "CheckFailed" else None
        if parsed and parsed[0] == exercise.id and 0 <= parsed[1] < parsed[2]:
            passed, total = parsed[1], parsed[2]
            points = round(exercise.points * passed / total, 2)
            return points, PARTIAL if passed else FAILED, _shorten(check.evalue)
        context = [
            f"solution cell {gid} raised {_error_text(run)}"
            for gid, run in solution_runs
            if run.status == ERROR
        ]
        message = f"the check raised {_error_text(check)}"
        if context:
            message += " (" + "; ".join(context) + ")"
        return 0.0, ERROR, _shorten(message)
    if check.status == TIMEOUT:
        return 0.0, TIMEOUT, f"check cell: {check.detail} (an endless loop?)"
    if check.status == DIED:
        return 0.0, CRASHED, f"check cell: {check.detail} (os._exit, a crash or out of memory?)"
    return 0.0, NOT_RUN, check.detail or "not run"


def _copy_data_files(folder: Path, workdir: Path) -> None:
    """Copy the regular, non-code files of `folder` (not its subfolders) into `workdir`."""
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        try:
            if (
                entry.is_file()
                and not entry.is_symlink()
                and entry.suffix.lower() not in _CODE_SUFFIXES
                and entry.stat().st_size <= _MAX_COPIED_FILE_BYTES
            ):
                shutil.copy2(entry, workdir / entry.name)
        except OSError:
            continue


def _rows(student, notebook, exercises, status, message) -> list[ExerciseResult]:
    return [
        ExerciseResult(student, notebook, ex.id, 0.0, ex.points, status, message)
        for ex in exercises
    ]


def grade_notebook(
    submission: str | Path | None,
    release: str | Path,
    *,
    student: str = "",
    config: ExecutionConfig | None = None,
    missing_reason: str | None = None,
) -> NotebookResult:
    """Grade one submitted notebook against its released exercise notebook.

    Args:
        submission: the student's notebook, or None when it is missing.
        release: the released exercise notebook of the same name.
        student: the student's name, copied into the results. Defaults to "".
        config: limits and kernel settings. Defaults to `ExecutionConfig()`.
        missing_reason: the message when `submission` is None. Defaults to
            "<name> not found".

    Returns:
        A `NotebookResult` with one `ExerciseResult` per released exercise.

    Raises:
        NotebookReadError, NotebookFormatError: when the release itself is broken.
    """
    start = time.monotonic()
    release = Path(release)
    name = release.name
    release_nb = read_notebook(release)
    exercises = validate(release_nb, str(release), regions=False)
    result = NotebookResult(student, name)
    if submission is None:
        result.results = _rows(
            student, name, exercises, MISSING, missing_reason or f"{name} not found"
        )
        return result
    submission = Path(submission)
    try:
        submitted = read_notebook(submission)
    except NotebookReadError as error:
        result.results = _rows(student, name, exercises, INVALID, str(error))
        result.seconds = time.monotonic() - start
        return result
    restored = restore(release_nb, submitted)
    result.notes = list(restored.notes)
    workdir = Path(tempfile.mkdtemp(prefix="rnn-course-grade-"))
    try:
        _copy_data_files(submission.parent, workdir)
        runs = run_notebook(
            restored.nb,
            workdir,
            config,
            refresh_before=restored.check_cells.values(),
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for exercise in exercises:
        points, status, message = score_exercise(exercise, restored, runs)
        result.results.append(
            ExerciseResult(student, name, exercise.id, points, exercise.points, status, message)
        )
    result.seconds = time.monotonic() - start
    return result
