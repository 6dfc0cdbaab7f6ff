"""The grader's vocabulary: what happened to a cell, to an exercise, to a notebook.

Every layer of `grading` speaks of outcomes with these types, imported by qualified name
(`CellStatus.ERROR` is a cell's, `ExerciseStatus.ERROR` an exercise's; no bare `ERROR`):

- `CellStatus` and `CellRun`: what happened to one executed cell (`execute`);
- `KernelFault`: why the kernel had to be restarted (or the notebook stopped) after a cell;
- `ExerciseStatus`, `score_checks` and `ExerciseResult`: one exercise's grade, its status
  as written in the gradebooks and the points it earns (`grade`);
- `NotebookResult`: the grades of one student's notebook (`grade`, `class_grading`,
  `gradebook`, `feedback`).

It imports nothing else of `grading`, so every module of it can import this one.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from course_lib.checks.contract import is_passed
from course_lib.checks.report import CheckOutcome


class CellStatus(enum.StrEnum):
    """What happened to one executed cell."""

    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    DIED = "died"
    NOT_RUN = "not-run"


class KernelFault(enum.StrEnum):
    """Why a cell's run ended the kernel's: it died, it hung past an interrupt, or the
    notebook's time ran out."""

    DIED = "died"
    STUCK = "stuck"
    DEADLINE = "deadline"


@dataclass
class CellRun:
    """What happened to one cell.

    Args:
        index: the cell's index in the executed notebook.
        status: a `CellStatus`.
        ename: the exception's name, for errors.
        evalue: the exception's message (shortened), for errors.
        stdout: what the cell printed (capped).
        seconds: how long the cell ran.
        detail: why a cell timed out, died or did not run.
    """

    index: int
    status: CellStatus
    ename: str = ""
    evalue: str = ""
    stdout: str = ""
    seconds: float = 0.0
    detail: str = ""


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


def score_checks(points: float, passed: int, total: int) -> tuple[float, ExerciseStatus]:
    """The points and status of an exercise worth `points` whose check held `passed` of `total`.

    Every check held (`course_lib.checks.contract.is_passed`): full points, "passed"; k of
    n: `points * k / n` rounded to 2 decimals, "partial" (or "failed" when k = 0).

    Example:
        >>> score_checks(3, 4, 4), score_checks(3, 1, 4), score_checks(3, 0, 4)
        ((3, <ExerciseStatus.PASSED: 'passed'>), (0.75, <ExerciseStatus.PARTIAL: 'partial'>), (0.0, <ExerciseStatus.FAILED: 'failed'>))
    """
    if is_passed(passed, total):
        return points, ExerciseStatus.PASSED
    earned = round(points * passed / total, 2) if total else 0.0
    return earned, ExerciseStatus.PARTIAL if passed else ExerciseStatus.FAILED


@dataclass(frozen=True)
class ExerciseResult:
    """The grade of one exercise of one student.

    Args:
        student: the student's folder name.
        notebook: the notebook's file name, e.g. `"04_lstm.ipynb"`.
        exercise: the exercise id, e.g. `"4.2"`.
        points: points earned, rounded to 2 decimals.
        max_points: points the exercise is worth.
        status: an `ExerciseStatus`.
        message: why (the check's report, the error, the fault); empty when passed.
        diagnoses: the ids of the typical mistakes the check diagnosed (`"no-tanh"`).
        checks: one `CheckOutcome` per check when the answers were judged (which held, the
            mistake diagnosed and the hint shown), for the class report; else empty.
        solution: the student's solution cells of this exercise as submitted (hostile
            text), for the class report's similarity pass; empty when none was read.
    """

    student: str
    notebook: str
    exercise: str
    points: float
    max_points: float
    status: ExerciseStatus
    message: str = ""
    diagnoses: tuple[str, ...] = ()
    checks: tuple[CheckOutcome, ...] = ()
    solution: str = ""


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
