"""Grade one student's copy of one exercise notebook: one result per released exercise.

`grade_notebook` rebuilds the notebook to run from the release (`restore`), runs it in a
fresh kernel inside the grading sandbox (`execute_job`), and then judges each exercise in
the grader's own process: the check cells only *probed* the student's code (recorded what
it returned, as data), and `course_lib.checks.verdicts.judge` compares those records with
the expected values computed here, on inputs drawn from this grading run's seed. So nothing
the student's code does in its kernel can change a verdict, only its own answers.

- every check passed: full points, status "passed";
- k of n checks passed: `points * k / n` rounded to 2 decimals, "partial" (or "failed"
  when k = 0);
- the check cell raised, or left no valid probe record: 0, "error", with the reason;
- the cell (or the exercise's solution cell) ran out of time: 0, "timeout"; the kernel died:
  0, "crashed"; an earlier fault stopped the notebook: 0, "not-run";
- the solution cell is missing from the submission: 0, "missing"; the notebook itself is
  missing: "missing"; it is not a readable notebook, or not a regular file (a link to
  another file, a FIFO...): "invalid", with a message that says what it is, never what it
  holds (`untrusted_files`).

Whatever happens, every released exercise gets exactly one result.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course_lib.checks.verdicts import ProbeError, judge
from course_lib.grading.execute import (
    CellRun,
    CellStatus,
    ExecutionConfig,
    execute_job,
)
from course_lib.grading.notebook_format import (
    MAX_NOTEBOOK_BYTES,
    Exercise,
    NotebookReadError,
    parse_notebook,
    read_notebook,
    source_text,
    validate,
)
from course_lib.grading.restore import Restored, restore
from course_lib.grading.sandbox import SANDBOX_WORKDIR, GradingFolder
from course_lib.grading.untrusted_files import UntrustedFileError, copy_regular_file, read_text

# Environment variables that put the check cells into probing mode (see course_lib.checks).
PROBE_DIR_VARIABLE, SEED_VARIABLE = "RNN_COURSE_PROBE_DIR", "RNN_COURSE_GRADING_SEED"
PROBE_DIR = ".rnn-course-probes"


class ExerciseStatus(enum.StrEnum):
    """The grade's status of one exercise, as written in the gradebooks."""

    PASSED = "passed"
    PARTIAL = "partial"
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    NOT_RUN = "not-run"
    MISSING = "missing"
    INVALID = "invalid"


PASSED, PARTIAL, FAILED, ERROR, TIMEOUT, CRASHED, NOT_RUN, MISSING, INVALID = ExerciseStatus
STATUSES = tuple(ExerciseStatus)

# Files of a student's folder never copied next to the notebook: code that could shadow
# the modules the checks import (a `numpy.py` or a `course_lib/` package).
_CODE_SUFFIXES = {".py", ".pyc", ".pyo", ".pyd", ".so", ".pth", ".dll", ".dylib"}
_MAX_COPIED_FILE_BYTES = 20 * 1024 * 1024
_MAX_MESSAGE_CHARS = 4_000


@dataclass(frozen=True)
class ReleasedNotebook:
    """A released exercise notebook, read and validated once per grading run.

    Args:
        path: where it was read from.
        nb: the notebook.
        exercises: its exercises, in notebook order.
        check_sources: exercise id -> the source of its (released, trusted) check cell.
    """

    path: Path
    nb: nbformat.NotebookNode
    exercises: tuple[Exercise, ...]
    check_sources: dict[str, str]

    @property
    def name(self) -> str:
        """The file name, e.g. `"04_lstm.ipynb"`."""
        return self.path.name

    @classmethod
    def read(cls, path: str | Path) -> ReleasedNotebook:
        """Read and validate a released notebook.

        Raises:
            NotebookReadError, NotebookFormatError: when the release itself is broken.
        """
        path = Path(path)
        nb = read_notebook(path)
        exercises = tuple(validate(nb, str(path), regions=False))
        by_grade_id = {
            cell.get("metadata", {}).get("nbgrader", {}).get("grade_id"): cell for cell in nb.cells
        }
        sources = {ex.id: source_text(by_grade_id[ex.check_grade_id]) for ex in exercises}
        return cls(path, nb, exercises, sources)


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
    status: ExerciseStatus
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
        seed: the grading run's seed of the checks' inputs (None: the self-check's).
        sandboxed: whether the notebook ran in the grading sandbox.
        submitted: whether the student handed the notebook in (False: no file at all).
        late: whether the LMS marked it late (`course_lib.grading.assignment`).
    """

    student: str
    notebook: str
    results: list[ExerciseResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    seed: int | None = None
    sandboxed: bool = True
    submitted: bool = True
    late: bool = False

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


def score_exercise(
    exercise: Exercise,
    restored: Restored,
    runs: list[CellRun],
    check_source: str,
    probe_dir: Path,
    seed: int | None,
    packages: tuple[str, ...] = ("course_lib.checks",),
) -> tuple[float, ExerciseStatus, str]:
    """Return `(points, status, message)` of one exercise: from the cells' outcomes and,
    when its check cell ran, from judging the check's probe records.

    Args:
        exercise: the released exercise.
        restored: what `restore` built (cell indices, missing solution cells).
        runs: the outcome of every cell, from `execute_job`.
        check_source: the released check cell's source.
        probe_dir: where the check cells wrote their probe records.
        seed: the seed the checks drew their inputs from (None: the self-check's).
        packages: the modules whose checks the check cells may call.
    """
    missing = [gid for gid in exercise.solution_grade_ids if gid in restored.missing]
    if missing:
        return 0.0, MISSING, "; ".join(f"solution cell {gid} missing" for gid in missing)
    solution_runs = [
        (gid, runs[restored.solution_cells[gid]]) for gid in exercise.solution_grade_ids
    ]
    for gid, run in solution_runs:
        if run.status == CellStatus.DIED:
            return (
                0.0,
                CRASHED,
                f"solution cell {gid}: {run.detail} (os._exit, a crash or out of memory?)",
            )
        if run.status == CellStatus.TIMEOUT:
            return 0.0, TIMEOUT, f"solution cell {gid}: {run.detail}"
    check = runs[restored.check_cells[exercise.id]]
    if check.status == CellStatus.TIMEOUT:
        return 0.0, TIMEOUT, f"check cell: {check.detail} (an endless loop?)"
    if check.status == CellStatus.DIED:
        return 0.0, CRASHED, f"check cell: {check.detail} (os._exit, a crash or out of memory?)"
    if check.status == CellStatus.NOT_RUN:
        return 0.0, NOT_RUN, check.detail or "not run"
    try:
        verdict = judge(check_source, exercise.id, probe_dir, seed, packages)
    except ValueError as error:  # the released check cell is not a check call
        return 0.0, ERROR, _shorten(f"the released check cell cannot be judged: {error}")
    except ProbeError as error:
        if check.status == CellStatus.OK:
            return 0.0, ERROR, _shorten(f"the check could not be judged: {error}")
        context = [
            f"solution cell {gid} raised {_error_text(run)}"
            for gid, run in solution_runs
            if run.status == CellStatus.ERROR
        ]
        message = f"the check raised {_error_text(check)}"
        if context:
            message += " (" + "; ".join(context) + ")"
        return 0.0, ERROR, _shorten(message)
    if verdict.total > 0 and verdict.passed == verdict.total:
        return exercise.points, PASSED, ""
    points = round(exercise.points * verdict.passed / verdict.total, 2) if verdict.total else 0.0
    return points, PARTIAL if verdict.passed else FAILED, _shorten(verdict.message)


def _copy_data_files(folder: Path, target: Path) -> None:
    """Copy the regular, non-code files of `folder` (not its subfolders, not links) into `target`."""
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.suffix.lower() in _CODE_SUFFIXES:
            continue
        try:
            copy_regular_file(entry, target / entry.name, _MAX_COPIED_FILE_BYTES)
        except (OSError, UntrustedFileError):
            continue  # a link, a FIFO, a folder, too large: not the student's data


def _rows(student, notebook, exercises, status, message) -> list[ExerciseResult]:
    return [
        ExerciseResult(student, notebook, ex.id, 0.0, ex.points, status, message)
        for ex in exercises
    ]


def grade_notebook(
    submission: str | Path | None,
    release: ReleasedNotebook | str | Path,
    *,
    student: str = "",
    config: ExecutionConfig | None = None,
    seed: int | None = None,
    missing_reason: str | None = None,
) -> NotebookResult:
    """Grade one submitted notebook against its released exercise notebook.

    Args:
        submission: the student's notebook, or None when it is missing.
        release: the released exercise notebook of the same name (read once per run by
            the caller, or a path).
        student: the student's name, copied into the results. Defaults to "".
        config: limits, kernel and sandbox settings. Defaults to `ExecutionConfig()`
            (sandboxed: call `sandbox.check_available()` first).
        seed: the seed of the checks' inputs for this grading run; None uses the inputs of
            the students' self-check. Defaults to None.
        missing_reason: the message when `submission` is None. Defaults to
            "<name> not found".

    Returns:
        A `NotebookResult` with one `ExerciseResult` per released exercise.

    Raises:
        NotebookReadError, NotebookFormatError: when the release itself is broken.
    """
    start = time.monotonic()
    config = config or ExecutionConfig()
    if not isinstance(release, ReleasedNotebook):
        release = ReleasedNotebook.read(release)
    name, exercises = release.name, release.exercises
    result = NotebookResult(
        student, name, seed=seed, sandboxed=config.sandbox, submitted=submission is not None
    )
    if submission is None:
        result.results = _rows(
            student, name, exercises, MISSING, missing_reason or f"{name} not found"
        )
        return result
    submission = Path(submission)
    try:
        submitted = parse_notebook(read_text(submission, MAX_NOTEBOOK_BYTES), submission.name)
    except FileNotFoundError:
        submitted = None
        message = f"{submission.name} does not exist"
    except UntrustedFileError as error:
        submitted, message = None, f"not graded: {error}"
    except NotebookReadError as error:
        submitted, message = None, str(error)
    if submitted is None:
        result.results = _rows(student, name, exercises, INVALID, message)
        result.seconds = time.monotonic() - start
        return result
    restored = restore(release.nb, submitted)
    result.notes = list(restored.notes)
    with GradingFolder() as folder:
        _copy_data_files(submission.parent, folder.files)
        workdir = SANDBOX_WORKDIR if config.sandbox else str(folder.work)
        env = {PROBE_DIR_VARIABLE: f"{workdir}/{PROBE_DIR}"}
        if seed is not None:
            env[SEED_VARIABLE] = str(seed)
        runs = execute_job(
            restored.nb,
            folder,
            config,
            refresh_before=restored.check_cells.values(),
            env=env,
            returned=PROBE_DIR,
        )
        for exercise in exercises:
            points, status, message = score_exercise(
                exercise,
                restored,
                runs,
                release.check_sources[exercise.id],
                folder.returned,
                seed,
                config.check_modules,
            )
            result.results.append(
                ExerciseResult(student, name, exercise.id, points, exercise.points, status, message)
            )
    result.seconds = time.monotonic() - start
    return result
