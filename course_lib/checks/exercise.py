"""An exercise's check, declared: the exercise, its reference, its mistakes, then its cases.

A chapter's check module declares each exercise with the `exercise` decorator; the
decorated function draws the cases (the inputs the student's function gets, and what to
check about its answer) and becomes the check that the exercise notebook calls::

    @exercise(
        "1.1",
        student="rnn_step(x_t, h, kernel, recurrent_kernel, bias)",
        reference=cells.simple_rnn_step,
        mistakes=[Mistake("bias-after-tanh", "the bias goes inside the tanh.", bias_after_tanh)],
        atol=1e-5,
        rtol=1e-4,
        layout="(batch, units)",
    )
    def check_rnn_step(ex):
        rng = ex.rng(12)
        ex.case("h_t for a random batch", *random_batch(rng), shape=(3, 5), unchanged=True)

    check_rnn_step(rnn_step)  # in the notebook: "Exercise 1.1: passed 2 of 2 checks"

Everything else happens here, the same way in the three places a check runs:

- **self-check** (the student's notebook): the cases are drawn with the fixed self-check
  seeds, the student's function is called on fresh copies of their inputs
  (`course_lib.checks.probe`), and the answers are judged against the reference;
- **grading**: the grader draws the cases with its secret seed in its own process and hands
  the sandbox only their inputs; the check cell, run inside the sandbox, only *probes*
  (calls the student's function and records the answers, as data); the grader judges the
  answers with the cases it kept (`course_lib.checks.verdicts`).

The words of a declaration:

- a **case** is one call of the student's function: its inputs, and a list of checks on its
  answer (`ex.case`); every check is one point;
- a **check** (`Shape`, `Values`, `Finite`, `Unchanged`, `Structure`, `Expect`) looks at
  the answer, or at a part of it (`of=`: a name declared in `returns`, or a function);
- the **reference** is a function of the case's inputs that returns the right answer; a
  `Values` check compares with it unless given `expected`;
- a **mistake** is a wrong version of the student's function, with a stable id and a hint:
  when a check fails and the answer matches a mistake's answer, the failure gives that
  mistake's hint and records its id (the diagnosis);
- the **call** (optional) says how the student's function is called on the inputs, when it
  is more than `f(*args, **kwargs)` (build a Keras model from weights first, train then
  forecast); it runs in the student's notebook and is marked `@runs_in_notebook`. Inputs
  are always data (arrays, numbers, strings, lists, dicts): they cross into the sandbox.

The reference (and any course function listed in `withhold`) is the exercise's *answer key*:
while a notebook is graded it raises `AnswerWithheld` inside the sandbox, and the self-check
says so when the student's function uses it (`course_lib.checks.withheld`).

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are checked.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from course_lib.checks.contract import EXERCISE_ID, PROBE_DIR_ENV
from course_lib.checks.records import FailedCall, Opaque, ProbeData
from course_lib.checks.report import (
    CallFailed,
    CheckOutcome,
    CheckReport,
    describe,
    format_error,
    unsolved_hint,
)

__all__ = [
    "Case",
    "Check",
    "Draw",
    "ExerciseCheck",
    "Expect",
    "Finite",
    "Keys",
    "Mistake",
    "Shape",
    "Structure",
    "Unchanged",
    "Values",
    "exercise",
    "matches",
    "runs_in_notebook",
]

_MARK = "__runs_in_notebook__"


def runs_in_notebook(function: Callable) -> Callable:
    """Mark a function of a check module that runs in the student's notebook too.

    Everything else in a check module runs only where the check judges (the grader, or the
    student's self-check) and is withheld from the student's code while a notebook is
    graded. Mark an exercise's `call`, what it uses, and the helpers an exercise text
    offers the student (such as `ch3.task_data`).
    """
    setattr(function, _MARK, True)
    return function


@dataclass(frozen=True)
class Mistake:
    """A typical mistake: a wrong version of the student's function, named and explained.

    Args:
        id: a stable short name, e.g. `"bias-after-tanh"` (class reports count them).
        hint: what to do instead, shown when an answer matches this mistake.
        answer: a function of the case's inputs (the student's arguments) that returns what
            a function with this mistake returns. It may raise (it is then skipped).
    """

    id: str
    hint: str
    answer: Callable[..., Any]


@dataclass(frozen=True)
class Keys:
    """`returns=Keys("X_train", "y_train", ...)`: the answer is a dict with these keys."""

    names: tuple[str, ...]

    def __init__(self, *names: str):
        object.__setattr__(self, "names", tuple(names))


# -- comparing -------------------------------------------------------------------------------


def matches(got: Any, expected: Any, *, atol: float = 1e-5, rtol: float = 1e-4) -> bool:
    """Whether `got` has the structure and shape of `expected` and is close to it.

    Dicts match key by key, lists and tuples item by item, the rest as arrays of numbers.
    Never raises.
    """
    if isinstance(got, CallFailed | Opaque):
        return False
    try:
        if isinstance(expected, dict):
            return (
                isinstance(got, dict)
                and set(got) == set(expected)
                and all(matches(got[k], expected[k], atol=atol, rtol=rtol) for k in expected)
            )
        got, expected = np.asarray(got), np.asarray(expected)
        kind = np.complex128 if "c" in (got.dtype.kind, expected.dtype.kind) else np.float64
        got, expected = got.astype(kind), expected.astype(kind)
        return got.shape == expected.shape and bool(
            np.allclose(got, expected, atol=atol, rtol=rtol, equal_nan=False)
        )
    except Exception:
        if isinstance(expected, list | tuple) and isinstance(got, list | tuple):
            return len(got) == len(expected) and all(
                matches(g, e, atol=atol, rtol=rtol) for g, e in zip(got, expected, strict=True)
            )
        return False


def _has_shape(got: Any, shape: tuple) -> bool:
    try:
        actual = np.shape(got)
    except Exception:
        return False
    return len(actual) == len(shape) and all(
        e is None or e == a for e, a in zip(shape, actual, strict=False)
    )


def _equal(got: Any, expected: Any) -> bool:
    try:
        if isinstance(got, np.ndarray) or isinstance(expected, np.ndarray):
            return bool(np.array_equal(got, expected))
        return bool(got == expected)
    except Exception:
        return False


class _Unusable:
    """A part of the answer that cannot be checked, and why (falsy, like a failed call)."""

    def __init__(self, message: str, hint: str | None = None):
        self.message = message
        self.hint = hint

    def __bool__(self) -> bool:
        return False


# -- checks ----------------------------------------------------------------------------------


class Check:
    """One point of a case: a rule applied to the answer, or to a part of it.

    Args:
        of: what is checked: None (the answer), a name from the exercise's `returns`, or a
            function of the answer (run where the check judges). Defaults to None.
        name: how the check is named in messages. Defaults to the part and the case's name.
        hint: what to try when it fails (a diagnosed mistake's hint comes first).
    """

    def __init__(self, *, of: str | Callable | None = None, name: str | None = None, hint=None):
        self.of = of
        self.name = name
        self.hint = hint

    def label(self, case: Case) -> str:
        if self.name:
            return self.name
        if isinstance(self.of, str):
            return f"{self.of} for {case.name}"
        return case.name

    def judge(self, judging: _Judging, case: Case, got: Any) -> None:
        """Record exactly one check into `judging.report`."""
        raise NotImplementedError


class Shape(Check):
    """The answer (or its part) is an array of this shape; `None` matches any length.

    Args:
        shape: the expected shape.
        layout: how the axes are named, e.g. `"(batch, units)"`. Defaults to the exercise's.
        mistakes: the mistakes that may explain a wrong shape. Defaults to the exercise's.
        **options: `of`, `name`, `hint` (see `Check`).
    """

    def __init__(
        self,
        shape: Sequence[int | None],
        *,
        layout: str | None = None,
        mistakes: Sequence[Mistake] | None = None,
        **options,
    ):
        super().__init__(**options)
        self.shape = tuple(shape)
        self.layout = layout
        self.mistakes = mistakes

    def judge(self, judging, case, got):
        mistake = None if _has_shape(got, self.shape) else judging.diagnose(self, case, got)
        judging.report.expect_shape(
            self.label(case),
            got,
            self.shape,
            layout=self.layout or judging.exercise.layout,
            hint=mistake.hint if mistake else self.hint or case.shape_hint,
            diagnosis=mistake.id if mistake else None,
        )


_REFERENCE = object()


class Values(Check):
    """The answer (or its part) is close to the expected values (exactly, with `exact`).

    Args:
        expected: the right value of what is checked. Defaults to the same part of the
            reference's answer on the case's inputs.
        atol: absolute tolerance. Defaults to the case's, then the exercise's.
        rtol: relative tolerance. Defaults to the case's, then the exercise's.
        exact: compare with `==` (ids, counts, strings) instead of within tolerances.
            Defaults to False.
        mistakes: the mistakes to diagnose. Defaults to the exercise's.
        **options: `of`, `name`, `hint` (see `Check`).
    """

    def __init__(
        self,
        expected: Any = _REFERENCE,
        *,
        atol: float | None = None,
        rtol: float | None = None,
        exact: bool = False,
        mistakes: Sequence[Mistake] | None = None,
        **options,
    ):
        super().__init__(**options)
        self.expected = expected
        self.atol, self.rtol = atol, rtol
        self.exact = exact
        self.mistakes = mistakes

    def judge(self, judging, case, got):
        expected = self.expected
        if expected is _REFERENCE:
            expected = judging.view(self, case.reference_answer(judging.exercise))
        atol, rtol = judging.tolerances(self, case)
        same = _equal(got, expected) if self.exact else matches(got, expected, atol=atol, rtol=rtol)
        mistake = None if same else judging.diagnose(self, case, got)
        hint = mistake.hint if mistake else self.hint or case.hint or judging.exercise.hint
        diagnosis = mistake.id if mistake else None
        if self.exact:
            judging.report.expect_equal(
                self.label(case), got, expected, hint=hint, diagnosis=diagnosis
            )
        else:
            judging.report.expect_close(
                self.label(case), got, expected, atol=atol, rtol=rtol, hint=hint,
                diagnosis=diagnosis,
            )  # fmt: skip


class Finite(Check):
    """The answer (or its part) holds only finite numbers."""

    def judge(self, judging, case, got):
        judging.report.expect_finite(self.label(case), got, hint=self.hint)


class Unchanged(Check):
    """The student's function left its array arguments as they were."""

    def judge(self, judging, case, got):
        report = judging.report
        if isinstance(got, CallFailed):
            report.not_checked(f"inputs unchanged for {case.name}", got)
            return
        after = judging.after
        changed = [
            judging.exercise.argument_name(key)
            for key, original in case.array_arguments()
            if key in after and not np.array_equal(after[key], original, equal_nan=True)
        ]
        listed = ", ".join(f"`{name}`" for name in changed)
        report.expect(
            not changed,
            f"{judging.exercise.signature} changed its input {listed} in place; the caller's "
            "arrays must stay as they were.",
            hint=self.hint
            or "build new arrays (`a = a + b`, `np.stack`) instead of `a += b` or "
            "`a[...] = ...` on an argument.",
        )


class Structure(Check):
    """The answer has the structure the exercise's `returns` declares (a pair, a dict...)."""

    def judge(self, judging, case, got):
        problem = judging.exercise.structure_problem(got)
        report = judging.report
        if isinstance(got, CallFailed):
            report.not_checked(f"the answer for {case.name}", got)
        elif problem is None:
            report.expect(True, "")
        else:
            judging.explained.add(id(case))
            report.expect(False, problem.message, hint=self.hint or problem.hint)


class Expect(Check):
    """A check of its own: `rule(got)` returns None when it holds, else the failure message.

    Args:
        rule: a function of the answer (or its part); it runs where the check judges, so it
            may use the case's data and the references. An exception counts as a failure.
        name: how the check is named when it cannot run (a failed call).
        **options: `of`, `hint` (see `Check`).
    """

    def __init__(self, rule: Callable[[Any], str | None], *, name: str, **options):
        super().__init__(name=name, **options)
        self.rule = rule

    def judge(self, judging, case, got):
        report = judging.report
        if isinstance(got, CallFailed):
            report.not_checked(self.label(case), got)
            return
        try:
            message = self.rule(got)
        except Exception as error:
            message = f"`{self.label(case)}` could not be checked: {format_error(error)}."
        mistake = judging.diagnose(self, case, got) if message else None
        report.expect(
            message is None,
            message or "",
            hint=mistake.hint if mistake else self.hint,
            diagnosis=mistake.id if mistake else None,
        )


# -- cases -----------------------------------------------------------------------------------


@dataclass
class Case:
    """One call of the student's function and the checks of its answer (see `Draw.case`).

    Attributes:
        name: how the case is named in messages, e.g. `"h_t for a random batch"`.
        args: the positional inputs (data).
        kwargs: the keyword inputs (data).
        checks: one `Check` per point.
        hint: what to try when its values are wrong and no mistake matches.
        shape_hint: what to try when its shape is wrong.
        atol, rtol: tolerances of its `Values` checks (None: the exercise's).
    """

    name: str
    args: tuple
    kwargs: dict
    checks: list[Check]
    hint: str | None = None
    shape_hint: str | None = None
    atol: float | None = None
    rtol: float | None = None
    _answers: dict = field(default_factory=dict, repr=False)

    def array_arguments(self) -> Iterable[tuple[str, np.ndarray]]:
        """`(key, array)` of every array input: `"0"`, `"1"`, ... or `"kw:name"`."""
        for index, arg in enumerate(self.args):
            if isinstance(arg, np.ndarray):
                yield str(index), arg
        for key, arg in self.kwargs.items():
            if isinstance(arg, np.ndarray):
                yield f"kw:{key}", arg

    def fresh_inputs(self) -> tuple[tuple, dict]:
        """Copies of the inputs (arrays copied), for a reference or a mistake to use."""
        import copy

        return copy.deepcopy(self.args), copy.deepcopy(self.kwargs)

    def reference_answer(self, exercise: ExerciseCheck) -> Any:
        """The reference's answer on this case's inputs (computed once)."""
        if "reference" not in self._answers:
            if exercise.reference is None:
                raise ValueError(
                    f"Exercise {exercise.id}: case {self.name!r} checks values, but the "
                    "exercise has no reference and the case gives no `expected`."
                )
            args, kwargs = self.fresh_inputs()
            self._answers["reference"] = exercise.reference(*args, **kwargs)
        return self._answers["reference"]

    def mistake_answer(self, mistake: Mistake) -> Any:
        """What `mistake` answers on this case's inputs; `_FAILED` when it raises."""
        key = ("mistake", mistake.id, id(mistake))
        if key not in self._answers:
            args, kwargs = self.fresh_inputs()
            try:
                with np.errstate(all="ignore"):
                    self._answers[key] = mistake.answer(*args, **kwargs)
            except Exception:
                self._answers[key] = _FAILED
        return self._answers[key]


_FAILED = object()


class Draw:
    """What the body of an exercise declaration gets: seeds and `case`.

    Args:
        exercise: the exercise.
        seed: the grading run's seed, or None for the fixed self-check inputs.
    """

    def __init__(self, exercise: ExerciseCheck, seed: int | None):
        self.exercise = exercise
        self.grading_seed = seed
        self.cases: list[Case] = []

    def seed(self, n: int) -> int:
        """A seed for the case's inputs: `n` when self-checking, fresh when graded.

        Graded, it is a hash of the grading run's seed, the exercise and `n` (63 bits), so
        inputs cannot be told from one another or traced back to the run's seed.

        Args:
            n: the check's own fixed seed, a non-negative int.
        """
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise ValueError(f"`n` must be a non-negative int; got {describe(n)}.")
        if self.grading_seed is None:
            return int(n)
        text = f"rnn-course/{int(self.grading_seed)}/{self.exercise.id}/{int(n)}".encode()
        return int.from_bytes(hashlib.sha256(text).digest()[:8], "little") >> 1

    def rng(self, n: int) -> np.random.Generator:
        """A random generator for the case's inputs, seeded with `self.seed(n)`."""
        return np.random.default_rng(self.seed(n))

    def case(
        self,
        name: str,
        *args: Any,
        kwargs: dict | None = None,
        structure: bool = False,
        shape: Sequence[int | None] | None = None,
        values: bool | None = None,
        expected: Any = _REFERENCE,
        exact: bool = False,
        finite: bool = False,
        unchanged: bool = False,
        checks: Sequence[Check] = (),
        hint: str | None = None,
        shape_hint: str | None = None,
        mistakes: Sequence[Mistake] | None = None,
        atol: float | None = None,
        rtol: float | None = None,
    ) -> Case:
        """Declare one call of the student's function and what to check about its answer.

        The checks run in this order, one point each: `structure`, `shape`, `values`,
        `finite`, `checks`, then `unchanged`.

        Args:
            name: how the case is named in messages, e.g. `"h_t for a random batch"`.
            *args: the student's function's positional arguments (data).
            kwargs: its keyword arguments (data). Defaults to none.
            structure: check that the answer has the structure of the exercise's `returns`.
            shape: check the answer's shape. Defaults to no shape check.
            values: check the answer's values (against `expected`, or the reference).
                Defaults to True when the exercise has a reference or `expected` is given.
            expected: the right answer. Defaults to the reference's answer.
            exact: compare the values with `==` instead of within tolerances.
            finite: check that the answer holds only finite numbers.
            unchanged: check that the array arguments are left as they were.
            checks: more checks (`Values(of=...)`, `Expect(...)`, ...).
            hint: what to try when the values are wrong and no mistake matches.
            shape_hint: what to try when the shape is wrong.
            mistakes: the mistakes the `shape` and `values` checks diagnose. Defaults to
                the exercise's.
            atol: absolute tolerance of the values. Defaults to the exercise's.
            rtol: relative tolerance of the values. Defaults to the exercise's.

        Returns:
            The `Case`.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"`name` must be a non-empty string; got {describe(name)}.")
        built: list[Check] = []
        if structure:
            built.append(Structure())
        if shape is not None:
            built.append(Shape(shape, mistakes=mistakes))
        if values is None:
            values = expected is not _REFERENCE or self.exercise.reference is not None
        if values:
            built.append(Values(expected, exact=exact, mistakes=mistakes))
        if finite:
            built.append(Finite())
        built += list(checks)
        if unchanged:
            built.append(Unchanged())
        if not built:
            raise ValueError(f"case {name!r} of Exercise {self.exercise.id} checks nothing.")
        case = Case(
            name, tuple(args), dict(kwargs or {}), built, hint, shape_hint, atol, rtol
        )  # fmt: skip
        self.cases.append(case)
        return case


# -- judging ---------------------------------------------------------------------------------


class _Judging:
    """The state of judging one case: the report, the call's after-state, the views."""

    def __init__(self, exercise: ExerciseCheck, report: CheckReport):
        self.exercise = exercise
        self.report = report
        self.after: dict[str, np.ndarray] = {}
        self.explained: set[int] = set()

    def tolerances(self, check: Check, case: Case) -> tuple[float, float]:
        """The tolerances of a check: its own, else its case's, else the exercise's."""
        atol = getattr(check, "atol", None)
        rtol = getattr(check, "rtol", None)
        atol = next(t for t in (atol, case.atol, self.exercise.atol) if t is not None)
        rtol = next(t for t in (rtol, case.rtol, self.exercise.rtol) if t is not None)
        return atol, rtol

    def view(self, check: Check, answer: Any) -> Any:
        """The part of `answer` a check looks at (raises when there is no such part)."""
        if check.of is None:
            return answer
        if isinstance(check.of, str):
            return self.exercise.part(answer, check.of)
        return check.of(answer)

    def got(self, check: Check, case: Case, answer: Any) -> Any:
        """What the student's answer shows the check: the part, or why there is none."""
        if isinstance(answer, CallFailed) or check.of is None or isinstance(check, Structure):
            return answer
        if isinstance(check.of, str):
            problem = self.exercise.part_problem(answer, check.of)
            if problem is not None:
                if id(case) in self.explained:
                    return _Unusable(f"`{check.label(case)}` not checked: {problem.short}.")
                self.explained.add(id(case))
                return _Unusable(problem.message, problem.hint)
        try:
            return self.view(check, answer)
        except Exception as error:
            return _Unusable(
                f"`{check.label(case)}` could not be checked: {format_error(error)}.", check.hint
            )

    def diagnose(self, check: Check, case: Case, got: Any) -> Mistake | None:
        """The first mistake whose answer, seen through the check's part, matches `got`."""
        if isinstance(got, CallFailed | _Unusable | Opaque):
            return None
        mistakes = getattr(check, "mistakes", None)
        mistakes = self.exercise.mistakes if mistakes is None else mistakes
        atol, rtol = self.tolerances(check, case)
        for mistake in mistakes:
            wrong = case.mistake_answer(mistake)
            if wrong is _FAILED:
                continue
            try:
                wrong = self.view(check, wrong)
            except Exception:
                continue
            exact = getattr(check, "exact", False)
            if _equal(got, wrong) if exact else matches(got, wrong, atol=atol, rtol=rtol):
                return mistake
        return None

    def judge_case(self, case: Case, answer: Any) -> None:
        report = self.report
        for check in case.checks:
            passed_before = report.passed
            got = self.got(check, case, answer)
            if isinstance(got, _Unusable):
                report.expect(False, got.message, hint=got.hint)
            else:
                check.judge(self, case, got)
            name = f"{type(check).__name__.lower()}: {check.label(case)}"
            if report.passed > passed_before:
                report.outcomes.append(CheckOutcome(name, True))
            else:
                failure = report.failures[-1]
                report.outcomes.append(CheckOutcome(name, False, failure.diagnosis, failure.hint))


@dataclass(frozen=True)
class _Problem:
    message: str
    short: str
    hint: str


# -- the exercise ----------------------------------------------------------------------------


class ExerciseCheck:
    """An exercise's check: its declaration, and the check cell's call (`check(function)`).

    Made by the `exercise` decorator; see the module's documentation.

    Attributes:
        id: the exercise id, e.g. `"1.1"`.
        student: the name of the student's function, e.g. `"rnn_step"`.
        signature: how its call is written in messages, e.g. `"rnn_step(x_t, h, ...)"`.
        reference, mistakes, hint, atol, rtol, layout, returns, call, withhold: as declared.
    """

    def __init__(
        self,
        draw: Callable[[Draw], None],
        id: str,
        *,
        student: str,
        reference: Callable | None = None,
        mistakes: Sequence[Mistake] = (),
        hint: str | None = None,
        atol: float = 1e-6,
        rtol: float = 1e-5,
        layout: str | None = None,
        returns: tuple[str, ...] | Keys | None = None,
        call: Callable | None = None,
        withhold: Sequence[Callable] = (),
    ):
        if not isinstance(id, str) or not EXERCISE_ID.match(id):
            raise ValueError(f'`id` must be an exercise id such as "4.2"; got {describe(id)}.')
        self.id = id
        self.student, self.parameters = _parse_student(student)
        self.signature = student if "(" in student else f"{student}(...)"
        if reference is not None and not callable(reference):
            raise ValueError(f"`reference` must be a function; got {describe(reference)}.")
        self.reference = reference
        self.mistakes = tuple(mistakes)
        for mistake in self.mistakes:
            if not isinstance(mistake, Mistake):
                raise ValueError(f"`mistakes` must hold Mistake objects; got {describe(mistake)}.")
        ids = [m.id for m in self.mistakes]
        if len(set(ids)) != len(ids):
            raise ValueError(f"`mistakes` of Exercise {id} must have distinct ids; got {ids}.")
        self.hint = hint
        self.atol, self.rtol = float(atol), float(rtol)
        self.layout = layout
        if returns is not None and not isinstance(returns, Keys | tuple):
            raise ValueError(
                f"`returns` must be a tuple of names or Keys; got {describe(returns)}."
            )
        self.returns = returns
        if call is not None and not getattr(call, _MARK, False):
            raise ValueError(
                f"`call` of Exercise {id} must be marked @runs_in_notebook (it runs in the "
                f"student's notebook); got {describe(call)}."
            )
        self.call = call
        self.withhold = tuple(withhold)
        self._draw = draw
        functools.update_wrapper(self, draw)

    def __repr__(self) -> str:
        return f"<check of Exercise {self.id}: {self.__name__}({self.student})>"

    # -- what the check cell calls ---------------------------------------------------------------

    def __call__(self, function: Any) -> None:
        """Check the student's `function`: print the success line or raise `CheckFailed`.

        When the grader runs the notebook (`RNN_COURSE_PROBE_DIR` set), only record the
        function's answers to the grader's inputs instead (see `course_lib.checks.probe`).
        """
        __tracebackhide__ = True
        from course_lib.checks import probe

        probe_dir = os.environ.get(PROBE_DIR_ENV)
        if probe_dir:
            probe.record_answers(self, function, probe_dir)
            return
        cases = self.cases(None)
        answers = probe.self_check_answers(self, function, cases)
        self.judge(cases, answers).finish()

    # -- cases and answers -----------------------------------------------------------------------

    def cases(self, seed: int | None) -> tuple[Case, ...]:
        """The cases, drawn with the grading run's `seed` (None: the self-check's inputs).

        Drawn once per seed and process; do not change what they hold.
        """
        return _cases(self, seed)

    def inputs(self, cases: Sequence[Case]) -> list[tuple[tuple, dict]]:
        """What the student's function may see of `cases`: the inputs of each call."""
        return [(case.args, case.kwargs) for case in cases]

    def judge(self, cases: Sequence[Case], answers: ProbeData) -> CheckReport:
        """Judge the recorded answers of `cases`; return the filled report."""
        report = CheckReport(self.id, atol=self.atol, rtol=self.rtol)
        judging = _Judging(self, report)
        for index, case in enumerate(cases):
            answer, judging.after = self._answer(answers, index, report)
            judging.judge_case(case, answer)
        return report

    def _answer(self, answers: ProbeData, index: int, report: CheckReport):
        call_text = f"{self.student}(...)"
        calls = answers.calls
        if index >= len(calls):
            failed = CallFailed(
                call_text,
                "no answer was recorded for this call (the check cell stopped before it, or "
                "the notebook's check cell was changed)",
            )
            return failed, {}
        record = calls[index]
        if record["name"] != self.student:
            message = (
                f"the recorded answers do not match this check (call {index + 1} was "
                f"recorded for {record['name'][:60]!r})"
            )
            return CallFailed(call_text, message), {}
        if record["printed"] is not None:
            total, first = record["printed"]
            report.note(
                f"{self.student} printed {total} characters while being checked; first: {first!r}"
            )
        result = record["result"]
        if isinstance(result, FailedCall):
            hint = unsolved_hint(self.student) if result.unsolved else None
            return CallFailed(call_text, result.error, hint, result.unsolved), record["after"]
        return result, record["after"]

    # -- the answer's parts ----------------------------------------------------------------------

    def argument_name(self, key: str) -> str:
        """The name of an argument of the student's function, from its key (`"1"`, `"kw:h0"`)."""
        if key.startswith("kw:"):
            return key[3:]
        index = int(key)
        if index < len(self.parameters):
            return self.parameters[index]
        return f"argument {index + 1}"

    def structure_problem(self, answer: Any) -> _Problem | None:
        """Why `answer` lacks the structure `returns` declares, or None."""
        returns = self.returns
        if returns is None:
            return None
        if isinstance(returns, Keys):
            keys = ", ".join(returns.names)
            hint = "return {" + ", ".join(f'"{k}": {k}' for k in returns.names[:2]) + ", ...}."
            if not isinstance(answer, dict):
                message = (
                    f"{self.student} should return a dict with the keys {keys}; got "
                    f"{describe(answer) if isinstance(answer, Opaque) else type(answer).__name__}."
                )
                return _Problem(message, "no dict returned", hint)
            missing = [k for k in returns.names if k not in answer]
            if missing:
                message = (
                    f"{self.student} should return a dict with the keys {keys}; missing: "
                    f"{', '.join(missing)}."
                )
                return _Problem(message, f"missing: {', '.join(missing)}", hint)
            return None
        names = ", ".join(returns)
        if isinstance(answer, tuple | list) and len(answer) == len(returns):
            return None
        kind = "a pair " if len(returns) == 2 else ""
        length = f" of length {len(answer)}" if isinstance(answer, tuple | list) else ""
        received = describe(answer) if isinstance(answer, Opaque) else type(answer).__name__
        message = f"{self.signature} should return {kind}({names}); got {received}{length}."
        return _Problem(message, f"no {kind}({names}) returned", f"end with `return {names}`.")

    def part_problem(self, answer: Any, name: str) -> _Problem | None:
        """Why `answer` has no part `name`, or None."""
        if isinstance(self.returns, Keys) and isinstance(answer, dict):
            if name in answer:
                return None
            message = f"{self.student} should return a dict with the key {name!r}; it has none."
            return _Problem(message, f"no key {name!r}", self.structure_problem(answer).hint)
        return self.structure_problem(answer)

    def part(self, answer: Any, name: str) -> Any:
        """The part `name` of an answer with the declared structure."""
        if isinstance(self.returns, Keys):
            return answer[name]
        if isinstance(self.returns, tuple) and name in self.returns:
            return answer[self.returns.index(name)]
        raise ValueError(f"Exercise {self.id} declares no part {name!r} in `returns`.")

    # -- the answer key --------------------------------------------------------------------------

    @property
    def answer_key(self) -> tuple[Callable, ...]:
        """The functions that answer this exercise: its reference and `withhold`."""
        key = [self.reference] if self.reference is not None else []
        return tuple(dict.fromkeys([*key, *self.withhold]))


@functools.lru_cache(maxsize=64)
def _cases(exercise: ExerciseCheck, seed: int | None) -> tuple[Case, ...]:
    draw = Draw(exercise, seed)
    exercise._draw(draw)
    if not draw.cases:
        raise ValueError(f"the declaration of Exercise {exercise.id} draws no case.")
    return tuple(draw.cases)


def _parse_student(student: str) -> tuple[str, tuple[str, ...]]:
    """`"rnn_step(x_t, h, kernel)"` -> `("rnn_step", ("x_t", "h", "kernel"))`."""
    if not isinstance(student, str):
        raise ValueError(f"`student` must be a function's name or signature; got {student!r}.")
    try:
        tree = ast.parse(f"def {student if '(' in student else student + '()'}: pass")
        function = tree.body[0]
    except SyntaxError:
        raise ValueError(
            f"`student` must be a name or a signature such as 'rnn_step(x_t, h)'; got {student!r}."
        ) from None
    params = [a.arg for a in function.args.posonlyargs + function.args.args]
    return function.name, tuple(params)


def exercise(id: str, **declaration: Any) -> Callable[[Callable[[Draw], None]], ExerciseCheck]:
    """Declare an exercise's check; the decorated function draws its cases.

    Args:
        id: the exercise id, e.g. `"1.1"`.
        student: the student's function as the exercise names it, with its parameters:
            `"rnn_step(x_t, h, kernel, recurrent_kernel, bias)"` (or only its name).
        reference: a function of a case's inputs returning the right answer. Defaults to
            None (every case then gives `expected` or checks of its own).
        mistakes: the typical `Mistake`s, tried in order. Defaults to none.
        hint: what to try when values are wrong and no mistake matches. Defaults to None.
        atol: absolute tolerance of `Values`. Defaults to 1e-6.
        rtol: relative tolerance of `Values`. Defaults to 1e-5.
        layout: how the answer's axes are named, e.g. `"(batch, units)"`. Defaults to None.
        returns: the answer's parts: a tuple of names for a tuple (`("h", "c")`), or
            `Keys(...)` for a dict. Defaults to None (one value).
        call: how the student's function is called on a case's inputs,
            `call(function, *args, **kwargs) -> answer`, marked `@runs_in_notebook`.
            Defaults to `function(*args, **kwargs)`.
        withhold: more course functions that answer the exercise, withheld while graded
            (the reference always is). Defaults to none.

    Returns:
        A decorator turning `def check_x(ex): ...` into the `ExerciseCheck`.

    Example:
    >>> @exercise("0.1", student="double(x)", reference=lambda x: 2 * x)
    ... def check_double(ex):
    ...     ex.case("double(x) for a random x", ex.rng(3).standard_normal(4), unchanged=True)
    >>> check_double(lambda x: x + x)
    Exercise 0.1: passed 2 of 2 checks
    """

    def decorate(draw: Callable[[Draw], None]) -> ExerciseCheck:
        return ExerciseCheck(draw, id, **declaration)

    return decorate
