"""Verdicts computed in the grader's own process, from answers recorded in the student's.

When the grader runs a notebook it sets `RNN_COURSE_PROBE_DIR` (and
`RNN_COURSE_GRADING_SEED`) in the student's kernel: each check cell then only *probes*,
writing what the student's functions returned to `<probe dir>/<exercise>.json` (+ `.npz`).
The grader then calls `judge` in a clean process: it reads the released check cell's
source (trusted text), finds the check function in `course_lib.checks.chN`, and runs it
with a replaying report: `report.call` returns the recorded answers, and the expected
values, the comparisons and the messages are computed here, where nothing the student's
code did (patching NumPy, the check module or the report class) can reach them. The
inputs are derived from the grading seed, the same way as in the probe, so answers
hard-coded for the self-check's inputs do not help.

Example:
>>> verdict = judge(  # doctest: +SKIP
...     "from course_lib.checks import ch1\\n\\nch1.check_rnn_step(rnn_step)",
...     "1.1", Path("probes/alice"), seed=20261201)
>>> verdict  # doctest: +SKIP
Verdict(exercise='1.1', passed=5, total=5, message='')

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are checked.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from course_lib.checks.records import ProbeError, load_probe
from course_lib.checks.report import (
    GRADING_SEED_ENV,
    PROBE_DIR_ENV,
    REPLAY,
    CheckFailed,
    Replay,
    derive_seed,
    result_line,
)

__all__ = [
    "GRADING_SEED_ENV",
    "PROBE_DIR_ENV",
    "ProbeError",
    "StudentName",
    "Verdict",
    "derive_seed",
    "judge",
    "parse_check_call",
]

_CHECKS_PACKAGE = "course_lib.checks"


@dataclass(frozen=True)
class Verdict:
    """The grader's verdict on one exercise.

    Attributes:
        exercise: the exercise id, e.g. `"1.1"`.
        passed: number of checks that passed.
        total: number of checks.
        message: the full report the student reads (`"Exercise 1.1: passed 3 of 5
            checks\\n  - ..."`); empty when every check passed.
    """

    exercise: str
    passed: int
    total: int
    message: str

    @property
    def line(self) -> str:
        """The result line, e.g. `"Exercise 1.1: passed 3 of 5 checks"`."""
        return result_line(self.exercise, self.passed, self.total)


class StudentName:
    """Stands for a name of the student's notebook while judging (its value is not here).

    The judge passes one for every name of the check call (`ch1.check_rnn_step(rnn_step)`
    gets `StudentName("rnn_step")`); a replaying report never calls it.
    """

    def __init__(self, name: str):
        self.__name__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            f"judging never runs the student's code, but the check called {self.__name__} "
            "directly: call it through report.call."
        )

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
    check_source: str, packages: tuple[str, ...] = (_CHECKS_PACKAGE,)
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


def judge(
    check_source: str,
    exercise: str,
    probe_dir: Path,
    seed: int | None,
    packages: tuple[str, ...] = (_CHECKS_PACKAGE,),
) -> Verdict:
    """Judge one exercise from the answers its probe recorded, in this (clean) process.

    Args:
        check_source: the released check cell's source, e.g.
            `"from course_lib.checks import ch1\\n\\nch1.check_rnn_step(rnn_step)"`.
        exercise: the exercise id, e.g. `"1.1"`.
        probe_dir: the folder the student's kernel wrote its records into
            (`RNN_COURSE_PROBE_DIR` of that run).
        seed: the grading run's seed (`RNN_COURSE_GRADING_SEED` of that run), or None when
            the probe ran with the fixed self-check inputs.
        packages: the packages whose checks a check cell may call (a course's own check
            modules besides `course_lib.checks`). Defaults to `course_lib.checks`.

    Returns:
        The `Verdict`.

    Raises:
        ProbeError: when the record is missing, damaged, too large, or was made with
            another seed, or when the check fails on a recorded answer instead of judging
            it (the message is fit for the student's feedback).
        ValueError: when `check_source` is not a check cell, or checks another exercise.
    """
    function, args, kwargs = parse_check_call(check_source, packages)
    data = load_probe(Path(probe_dir), exercise)
    if data.seed != seed:
        raise ProbeError(
            f"the answers of Exercise {exercise} were recorded for other inputs than this "
            "grading run's."
        )
    replay = Replay(data, seed)
    token = REPLAY.set(replay)
    saved = {name: os.environ.pop(name, None) for name in (PROBE_DIR_ENV, GRADING_SEED_ENV)}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            function(*args, **kwargs)
    except CheckFailed as failed:
        _same_exercise(replay, exercise)
        return Verdict(exercise, failed.passed, failed.total, str(failed))
    except (ValueError, TypeError, ArithmeticError, IndexError, KeyError, AttributeError) as error:
        # The check could not digest an answer (a bug to fix in the check, but the grader
        # must go on): the student's feedback says so, the grader counts no points.
        if replay.report is None:
            raise
        raise ProbeError(
            f"the recorded answers of Exercise {exercise} could not be judged "
            f"({type(error).__name__}: {str(error)[:200]}); please tell the teacher."
        ) from error
    finally:
        REPLAY.reset(token)
        for name, value in saved.items():
            if value is not None:
                os.environ[name] = value
    _same_exercise(replay, exercise)
    return Verdict(exercise, replay.report.total, replay.report.total, "")


def _same_exercise(replay: Replay, exercise: str) -> None:
    if replay.report is None:
        raise ValueError(f"the check call made no report for Exercise {exercise}.")
