"""Verdicts computed in the grader's own process, on inputs drawn there.

When the grader runs a notebook, for each exercise it finds the check the released check
cell calls (`exercise_of_check_cell`), draws its cases with the grading run's seed in its
own process and writes only their inputs into the probe folder (`hand_inputs`). Inside the
sandbox the check cell then only probes: it calls the student's function on those inputs
and records the answers (`course_lib.checks.probe`). Back in the grader, `judge` reads the
answers (validated, size-capped, never unpickled) and compares them with the cases it
kept. The seed, the expected values and the references never enter the sandbox, and
nothing the student's code does there (patching NumPy, the check module or the report)
can reach a verdict: only its own answers.

Example:
>>> exercise = exercise_of_check_cell(  # doctest: +SKIP
...     "from course_lib.checks import ch1\\n\\nch1.check_rnn_step(rnn_step)", "1.1")
>>> cases = exercise.cases(seed=20261201)  # doctest: +SKIP
>>> hand_inputs(exercise, cases, Path("probes/alice"))  # doctest: +SKIP
>>> judge(exercise, cases, Path("probes/alice"))  # after the notebook ran  # doctest: +SKIP
Verdict(exercise='1.1', passed=5, total=5, message='', diagnoses=())

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are checked.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from course_lib.checks import records
from course_lib.checks.contract import CHECKS_PACKAGE, result_line
from course_lib.checks.exercise import Case, ExerciseCheck
from course_lib.checks.records import ProbeError
from course_lib.checks.report import CheckFailed, CheckOutcome, format_error

__all__ = [
    "ProbeError",
    "Verdict",
    "exercise_of_check_cell",
    "hand_inputs",
    "judge",
    "parse_check_call",
]


@dataclass(frozen=True)
class Verdict:
    """The grader's verdict on one exercise.

    Attributes:
        exercise: the exercise id, e.g. `"1.1"`.
        passed: number of checks that passed.
        total: number of checks.
        message: the full report the student reads (`"Exercise 1.1: passed 3 of 5
            checks\\n  - ..."`); empty when every check passed.
        diagnoses: the ids of the typical mistakes diagnosed in the failed checks.
        checks: one `CheckOutcome` per check (its name, whether it held, the diagnosis
            and the hint shown), for the class report.
    """

    exercise: str
    passed: int
    total: int
    message: str
    diagnoses: tuple[str, ...] = ()
    checks: tuple[CheckOutcome, ...] = ()

    @property
    def line(self) -> str:
        """The result line, e.g. `"Exercise 1.1: passed 3 of 5 checks"`."""
        return result_line(self.exercise, self.passed, self.total)


class StudentName:
    """Stands for a name of the student's notebook in a parsed check call."""

    def __init__(self, name: str):
        self.__name__ = name

    def __repr__(self) -> str:
        return f"<the student's {self.__name__}>"


def _within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def _module_of(node: ast.stmt, bound: dict[str, Any], packages: tuple[str, ...]) -> None:
    """Bind the names an import statement of a check cell makes (`packages` only)."""
    if isinstance(node, ast.ImportFrom):
        if node.level or not _within(node.module or "", packages):
            raise ValueError(f"a check cell may import only from {', '.join(packages)}.")
        for alias in node.names:
            full = f"{node.module}.{alias.name}"
            try:
                value = importlib.import_module(full)
            except ImportError:
                value = getattr(importlib.import_module(node.module), alias.name)
            bound[alias.asname or alias.name] = value
        return
    for alias in node.names:  # ast.Import
        if not _within(alias.name, packages):
            raise ValueError(f"a check cell may import only from {', '.join(packages)}.")
        module = importlib.import_module(alias.name)
        if alias.asname:
            bound[alias.asname] = module
        else:
            bound[alias.name.split(".")[0]] = importlib.import_module(alias.name.split(".")[0])


def _resolve(node: ast.expr, bound: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name) and node.id in bound:
        return bound[node.id]
    if isinstance(node, ast.Attribute):
        return getattr(_resolve(node.value, bound), node.attr)
    raise ValueError(f"cannot find the check function {ast.unparse(node)!r}.")


def _argument(node: ast.expr) -> Any:
    if isinstance(node, ast.Name):
        return StudentName(node.id)
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise ValueError(
            f"a check call's argument must be a name or a constant; got {ast.unparse(node)!r}."
        ) from None


def parse_check_call(
    check_source: str, packages: tuple[str, ...] = (CHECKS_PACKAGE,)
) -> tuple[Any, list, dict]:
    """The check function, arguments and keyword arguments of a released check cell.

    The cell may hold imports from `course_lib.checks` and one call of a check function
    (`ch1.check_rnn_step(rnn_step)`). Names become `StudentName`s, literals stay as given.

    Args:
        check_source: the check cell's source (trusted: the released notebook's).
        packages: the packages whose checks it may call. Defaults to `course_lib.checks`.

    Returns:
        `(function, args, kwargs)`.

    Raises:
        ValueError: when the source is not of that form.
    """
    tree = ast.parse(check_source)
    bound: dict[str, Any] = {}
    calls = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            _module_of(node, bound, packages)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            calls.append(node.value)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring or a bare string
        else:
            raise ValueError(
                f"a check cell holds imports and one check call; got {ast.dump(node)[:80]}."
            )
    if len(calls) != 1:
        raise ValueError(f"a check cell holds exactly one check call; got {len(calls)}.")
    call = calls[0]
    function = _resolve(call.func, bound)
    module = getattr(function, "__module__", "") or ""
    if not _within(module, packages) or not callable(function):
        raise ValueError(f"{ast.unparse(call.func)!r} is not a check of {', '.join(packages)}.")
    args = [_argument(arg) for arg in call.args]
    kwargs = {}
    for keyword in call.keywords:
        if keyword.arg is None:
            raise ValueError("a check call cannot use **kwargs.")
        kwargs[keyword.arg] = _argument(keyword.value)
    return function, args, kwargs


def exercise_of_check_cell(
    check_source: str, exercise: str, packages: tuple[str, ...] = (CHECKS_PACKAGE,)
) -> ExerciseCheck:
    """The declared `ExerciseCheck` a released check cell calls, for exercise `exercise`.

    Raises:
        ValueError: when the cell is not one call of an exercise's check on one name of
            the student's notebook, or checks another exercise.
    """
    function, args, kwargs = parse_check_call(check_source, packages)
    if not isinstance(function, ExerciseCheck):
        raise ValueError(f"{function!r} is not a declared exercise check (see CONTRIBUTING.md).")
    if len(args) != 1 or not isinstance(args[0], StudentName) or kwargs:
        raise ValueError(f"a check call passes one name of the notebook; got {check_source!r}.")
    if function.id != exercise:
        raise ValueError(f"the check cell of Exercise {exercise} checks Exercise {function.id}.")
    return function


def hand_inputs(exercise: ExerciseCheck, cases: Sequence[Case], probe_dir: Path) -> None:
    """Write only the inputs of `cases` (drawn here: `exercise.cases(seed)`) into `probe_dir`.

    Keep the cases to `judge` the answers with: the expected values stay in this process.
    """
    calls, arrays = records.encode_inputs(exercise.inputs(cases))
    records.write_inputs(probe_dir, exercise.id, calls, arrays)


def judge(exercise: ExerciseCheck, cases: Sequence[Case], probe_dir: Path) -> Verdict:
    """Judge the answers the probe recorded for `cases` (in this process).

    Raises:
        ProbeError: when the answers are missing, damaged or too large, or when the check
            fails on a recorded answer instead of judging it (the message is fit for the
            student's feedback).
    """
    answers = records.load_answers(probe_dir, exercise.id)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            report = exercise.judge(cases, answers)
    except Exception as error:  # a bug in the check: the grader must go on
        raise ProbeError(
            f"the recorded answers of Exercise {exercise.id} could not be judged "
            f"({format_error(error)}); please tell the teacher."
        ) from error
    checks = tuple(report.outcomes)
    if not report.failures:
        return Verdict(exercise.id, report.total, report.total, "", checks=checks)
    failed = CheckFailed(
        exercise.id, report.passed, report.total, report.failures, report.notes[:1]
    )
    return Verdict(exercise.id, failed.passed, failed.total, str(failed), failed.diagnoses, checks)
