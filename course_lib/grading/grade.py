"""Grade one student's copy of one exercise notebook: one result per released exercise.

`grade_notebook` grades one notebook in five stages:

1. `restore`: the release + the student's answers -> the notebook to run;
2. `hand_inputs`: each exercise's cases are drawn here with the run's seed, and only their
   inputs are written into the probe folder (`course_lib.checks.verdicts`);
3. `withheld.write_package`: a copy of `course_lib` without the answer keys of the
   notebook's exercises, shown to the sandbox where `course_lib` is;
4. `execute_job`: the notebook runs in a fresh kernel inside the sandbox; its check cells
   only *probe* (call the student's functions on the inputs, record the answers as data);
5. `judge`: each exercise's answers are compared, in this process, with the cases kept in
   stage 2.

So nothing the student's code does in its kernel can change a verdict, only its own
answers; the seed, the expected values and the answer key never enter the sandbox.

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

import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course_lib.checks import withheld
from course_lib.checks.contract import CHECKS_PACKAGE, PROBE_DIR_ENV
from course_lib.checks.exercise import Case, ExerciseCheck
from course_lib.checks.report import CheckOutcome
from course_lib.checks.verdicts import ProbeError, exercise_of_check_cell, hand_inputs, judge
from course_lib.grading.execute import ExecutionConfig, execute_job
from course_lib.grading.notebook_format import (
    MAX_NOTEBOOK_BYTES,
    Exercise,
    NotebookReadError,
    grade_id,
    parse_notebook,
    read_notebook,
    source_text,
    validate,
)
from course_lib.grading.outcomes import (
    CellRun,
    CellStatus,
    ExerciseResult,
    ExerciseStatus,
    NotebookResult,
    score_checks,
)
from course_lib.grading.restore import Restored, restore
from course_lib.grading.sandbox import SANDBOX_WORKDIR, GradingFolder
from course_lib.grading.untrusted_files import UntrustedFileError, copy_regular_file, read_text
from course_lib.validation import shorten

# The probe folder, in the working copy (see course_lib.checks.contract).
PROBE_DIR = ".rnn-course-probes"


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
        by_grade_id = {grade_id(cell): cell for cell in nb.cells}
        sources = {ex.id: source_text(by_grade_id[ex.check_grade_id]) for ex in exercises}
        return cls(path, nb, exercises, sources)


def _error_text(run: CellRun) -> str:
    return f"{run.ename}: {run.evalue}" if run.evalue else run.ename


@dataclass(frozen=True)
class ExercisePlan:
    """An exercise's check as the grader prepared it: the declaration and its drawn cases.

    Args:
        check: the declared exercise the released check cell calls, or None.
        cases: its cases, drawn with the run's seed in the grader's process.
        error: why the released check cell cannot be judged (when `check` is None).
    """

    check: ExerciseCheck | None
    cases: tuple[Case, ...] = ()
    error: str = ""


def plan_exercise(
    check_source: str,
    exercise: str,
    seed: int | None,
    packages: tuple[str, ...] = (CHECKS_PACKAGE,),
) -> ExercisePlan:
    """Find the released check cell's exercise and draw its cases with `seed` (here).

    Args:
        check_source: the released check cell's source.
        exercise: the exercise id.
        seed: the seed the cases are drawn with (None: the self-check's).
        packages: the modules whose checks the check cells may call.
    """
    try:
        check = exercise_of_check_cell(check_source, exercise, packages)
        return ExercisePlan(check, check.cases(seed))
    except Exception as error:  # a broken release: every student gets the same error
        return ExercisePlan(None, error=f"the released check cell cannot be judged: {error}")


def score_exercise(
    exercise: Exercise,
    restored: Restored,
    runs: list[CellRun],
    plan: ExercisePlan,
    probe_dir: Path,
) -> tuple[float, ExerciseStatus, str, tuple[str, ...], tuple[CheckOutcome, ...]]:
    """Return `(points, status, message, diagnoses, checks)` of one exercise: from the
    cells' outcomes and, when its check cell ran, from judging the answers its probe
    recorded (`checks`: one outcome per check, empty when nothing was judged).

    Args:
        exercise: the released exercise.
        restored: what `restore` built (cell indices, missing solution cells).
        runs: the outcome of every cell, from `execute_job`.
        plan: the exercise's check and cases (`plan_exercise`).
        probe_dir: where the check cells wrote their answers.
    """
    missing = [gid for gid in exercise.solution_grade_ids if gid in restored.missing]
    if missing:
        return (
            0.0,
            ExerciseStatus.MISSING,
            "; ".join(f"solution cell {gid} missing" for gid in missing),
            (),
            (),
        )
    solution_runs = [
        (gid, runs[restored.solution_cells[gid]]) for gid in exercise.solution_grade_ids
    ]
    for gid, run in solution_runs:
        if run.status == CellStatus.DIED:
            why = f"solution cell {gid}: {run.detail} (os._exit, a crash or out of memory?)"
            return 0.0, ExerciseStatus.CRASHED, why, (), ()
        if run.status == CellStatus.TIMEOUT:
            return 0.0, ExerciseStatus.TIMEOUT, f"solution cell {gid}: {run.detail}", (), ()
    check = runs[restored.check_cells[exercise.id]]
    if check.status == CellStatus.TIMEOUT:
        return 0.0, ExerciseStatus.TIMEOUT, f"check cell: {check.detail} (an endless loop?)", (), ()
    if check.status == CellStatus.DIED:
        why = f"check cell: {check.detail} (os._exit, a crash or out of memory?)"
        return 0.0, ExerciseStatus.CRASHED, why, (), ()
    if check.status == CellStatus.NOT_RUN:
        return 0.0, ExerciseStatus.NOT_RUN, check.detail or "not run", (), ()
    if plan.check is None:
        return (
            0.0,
            ExerciseStatus.ERROR,
            shorten(str(plan.error).strip(), _MAX_MESSAGE_CHARS),
            (),
            (),
        )
    try:
        verdict = judge(plan.check, plan.cases, probe_dir)
    except ProbeError as error:
        if check.status == CellStatus.OK:
            return (
                0.0,
                ExerciseStatus.ERROR,
                shorten(f"the check could not be judged: {error}", _MAX_MESSAGE_CHARS),
                (),
                (),
            )
        context = [
            f"solution cell {gid} raised {_error_text(run)}"
            for gid, run in solution_runs
            if run.status == CellStatus.ERROR
        ]
        message = f"the check raised {_error_text(check)}"
        if context:
            message += " (" + "; ".join(context) + ")"
        return 0.0, ExerciseStatus.ERROR, shorten(message.strip(), _MAX_MESSAGE_CHARS), (), ()
    points, status = score_checks(exercise.points, verdict.passed, verdict.total)
    if status == ExerciseStatus.PASSED:
        return points, status, "", (), verdict.checks
    return (
        points,
        status,
        shorten(verdict.message.strip(), _MAX_MESSAGE_CHARS),
        verdict.diagnoses,
        verdict.checks,
    )


def solution_text(restored: Restored, exercise: Exercise) -> str:
    """The student's solution cells of `exercise` as submitted, one after the other ("" when
    every one is missing: the released stub is not the student's)."""
    cells = restored.nb.cells
    return "\n\n".join(
        source_text(cells[restored.solution_cells[gid]])
        for gid in exercise.solution_grade_ids
        if gid in restored.solution_cells and gid not in restored.missing
    )


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
            student, name, exercises, ExerciseStatus.MISSING, missing_reason or f"{name} not found"
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
        result.results = _rows(student, name, exercises, ExerciseStatus.INVALID, message)
        result.seconds = time.monotonic() - start
        return result
    restored = restore(release.nb, submitted)
    result.notes = list(restored.notes)
    plans = {
        ex.id: plan_exercise(release.check_sources[ex.id], ex.id, seed, config.check_modules)
        for ex in exercises
    }
    with GradingFolder() as folder:
        inputs = folder.files / PROBE_DIR  # copied into the working folder, then the answers
        inputs.mkdir()  # come back into folder.returned
        for plan in plans.values():
            if plan.check is not None:
                hand_inputs(plan.check, plan.cases, inputs)
        _copy_data_files(submission.parent, folder.files)
        checks = [plan.check for plan in plans.values() if plan.check is not None]
        package = None
        if config.sandbox:
            package = withheld.write_package(folder.root / "course_lib", checks)
        workdir = SANDBOX_WORKDIR if config.sandbox else str(folder.work)
        runs = execute_job(
            restored.nb,
            folder,
            config,
            refresh_before=restored.check_cells.values(),
            env={PROBE_DIR_ENV: f"{workdir}/{PROBE_DIR}"},
            returned=PROBE_DIR,
            course_package=package,
        )
        for exercise in exercises:
            points, status, message, diagnoses, checks = score_exercise(
                exercise, restored, runs, plans[exercise.id], folder.returned
            )
            solution = solution_text(restored, exercise)
            result.results.append(
                ExerciseResult(
                    student, name, exercise.id, points, exercise.points, status, message,
                    diagnoses, checks, solution,
                )
            )  # fmt: skip
    result.seconds = time.monotonic() - start
    return result
