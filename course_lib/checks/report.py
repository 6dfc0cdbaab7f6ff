"""The report of one exercise's check: one line on success, every gap on failure.

A check judges the answers of the student's function (see `course_lib.checks.exercise`)
into a `CheckReport`: every `expect_*` method counts as one check, records a failure
message when it does not hold, and never raises, whatever it is given. `finish` prints
exactly one line when every expectation holds::

    Exercise 4.2: passed 5 of 5 checks

and otherwise raises `CheckFailed`, whose message starts with the same kind of line and
lists one line per failed expectation, each saying what was expected, what was received
and a hint::

    Exercise 4.2: passed 3 of 5 checks
      - `h` has the wrong shape: expected (2, 4) (batch, units), got (2, 3). Hint: ...
      - `h` values differ: expected [[0.1, ...]], got [[nan, ...]]; ... Hint: ...

A failure may carry a *diagnosis*, the id of the typical mistake the answer matched
(`"bias-after-tanh"`), so that a class report can count them. The first line is the
contract with the grader (`course_lib.checks.contract.result_line`).

Example:
>>> report = CheckReport("4.2")
>>> report.expect_shape("h", np.ones((2, 3)), (2, 3), layout="(batch, units)")
True
>>> report.finish()
Exercise 4.2: passed 1 of 1 checks

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are checked.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from course_lib.checks.contract import EXERCISE_ID, result_line
from course_lib.checks.records import Opaque
from course_lib.validation import describe as _describe
from course_lib.validation import shorten

__all__ = [
    "CallFailed",
    "CheckFailed",
    "CheckOutcome",
    "CheckReport",
    "Failure",
    "describe",
    "format_error",
    "shorten",
    "unsolved_hint",
]

# Longest text of one value or error inside a failure line; student answers can be huge.
_MAX_VALUE_CHARS = 160
_MAX_ERROR_CHARS = 300


@dataclass(frozen=True)
class Failure:
    """One failed check.

    Attributes:
        message: what was expected against what was received.
        hint: what to try, or None.
        diagnosis: the id of the typical mistake the answer matched (`"bias-after-tanh"`),
            or None.
    """

    message: str
    hint: str | None = None
    diagnosis: str | None = None

    def __str__(self) -> str:
        return f"{self.message} Hint: {self.hint}" if self.hint else self.message


@dataclass(frozen=True)
class CheckOutcome:
    """One check of a judged exercise, as a class report counts it.

    Attributes:
        name: the kind of check and what it looks at, e.g. `"values: h_t for a random batch"`.
        passed: whether it held.
        diagnosis: the id of the typical mistake the answer matched, or None.
        hint: the hint the student was shown when it failed, or None.
    """

    name: str
    passed: bool
    diagnosis: str | None = None
    hint: str | None = None


class CheckFailed(AssertionError):
    """Raised by `CheckReport.finish` when at least one check of an exercise failed.

    Attributes:
        exercise: the exercise id, e.g. `"4.2"`.
        passed: number of checks that passed.
        total: number of checks.
        failures: one message per failed check (with its hint).
        notes: extra remarks shown after the failures (e.g. what the function printed).
        diagnoses: the ids of the typical mistakes diagnosed, one per diagnosed failure.
    """

    def __init__(
        self,
        exercise: str,
        passed: int,
        total: int,
        failures: Sequence[str | Failure],
        notes: Sequence[str] = (),
    ):
        self.exercise = exercise
        self.passed = passed
        self.total = total
        self.failures = tuple(str(failure) for failure in failures)
        self.notes = tuple(notes)
        self.diagnoses = tuple(
            f.diagnosis for f in failures if isinstance(f, Failure) and f.diagnosis
        )
        lines = [result_line(exercise, passed, total)]
        lines += [f"  - {failure}" for failure in self.failures]
        lines += [f"  ({note})" for note in self.notes]
        super().__init__("\n".join(lines))

    def _render_traceback_(self) -> list[str]:
        """How IPython and Jupyter show a failed check: the report, no traceback.

        IPython calls this instead of formatting the traceback through `course_lib`'s
        internals; the cell still ends in an error (`ename` "CheckFailed", `evalue` the
        report), so nbval fails it and "Run All" stops there.
        """
        red, bold, reset = "\x1b[1;31m", "\x1b[1m", "\x1b[0m"
        lines = [f"{red}{result_line(self.exercise, self.passed, self.total)}{reset}"]
        for failure in self.failures:
            message, hint = failure, ""
            if " Hint: " in failure:
                message, _, hint = failure.rpartition(" Hint: ")
            lines.append(f"  - {message}")
            if hint:
                lines.append(f"    {bold}Hint:{reset} {hint}")
        lines += [f"  ({note})" for note in self.notes]
        return lines


class CallFailed:
    """The answer of a call of the student's function that raised (or could not be made).

    It is falsy, and every `expect_*` that receives it records a failure that points at
    the failed call instead of comparing values, explaining the error once.

    Attributes:
        call: the call, e.g. `"rnn_step(...)"`.
        error: the exception's type and message.
        hint: what to try. Defaults to None.
        unsolved: whether the function raised `NotImplementedError` (the stub).
    """

    def __init__(self, call: str, error: str, hint: str | None = None, unsolved: bool = False):
        self.call = call
        self.error = error
        self.hint = hint
        self.unsolved = unsolved
        self.reported = False

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"<{self.call} raised {self.error}>"


def describe(value: Any) -> str:
    """`course_lib.validation.describe`, safe for objects whose `repr` or `shape` raises."""
    if isinstance(value, Opaque):
        return value.description
    try:
        return _describe(value)
    except Exception:
        return f"<{type(value).__name__} object>"


def _format_value(value: Any) -> str:
    """One-line description of a value: arrays by their first numbers, others by repr."""
    if isinstance(value, CallFailed):
        return repr(value)
    try:
        if isinstance(value, np.ndarray | np.generic) or (
            isinstance(value, list | tuple) and value and np.asarray(value).dtype.kind in "biuf"
        ):
            array = np.asarray(value)
            with np.printoptions(precision=4, threshold=12, edgeitems=2, suppress=True):
                text = np.array2string(array, separator=", ", max_line_width=10**6)
            return shorten(text, _MAX_VALUE_CHARS, lines="words")
        return shorten(repr(value), _MAX_VALUE_CHARS, lines="words")
    except Exception:  # a broken __repr__ or __array__ must not break the check
        return f"<{type(value).__name__} object>"


def unsolved_hint(name: str) -> str:
    """The hint for an exercise whose function still raises `NotImplementedError`."""
    return f"replace the `raise NotImplementedError(...)` line of {name} with your code."


def format_error(error: BaseException) -> str:
    """`TypeError: message` of an exception, shortened, safe for any exception."""
    try:
        message = str(error)
    except Exception:
        message = "<unprintable message>"
    name = type(error).__name__
    return f"{name}: {shorten(message, _MAX_ERROR_CHARS, lines='words')}" if message else name


def _shape_text(shape: Sequence[int | None], layout: str | None = None) -> str:
    dims = ", ".join("any" if d is None else str(d) for d in shape)
    text = f"({dims},)" if len(shape) == 1 else f"({dims})"
    return f"{text} {layout}" if layout else text


def _first_bad_index(mask: np.ndarray) -> str:
    index = np.unravel_index(int(np.argmax(mask)), mask.shape) if mask.ndim else ()
    return str(tuple(int(i) for i in index))


def _guarded(method):
    """Make an `expect_*` method record a failure instead of raising, whatever it is given."""

    @functools.wraps(method)
    def wrapper(self, name, *args, **kwargs):
        __tracebackhide__ = True
        recorded = self.total
        try:
            return method(self, name, *args, **kwargs)
        except Exception as error:  # e.g. a `shape` property that raises
            if self.total > recorded:
                return False
            message = f"`{name}` could not be checked: {format_error(error)}."
            return self._record(False, message, kwargs.get("hint"), kwargs.get("diagnosis"))

    return wrapper


class CheckReport:
    """Collects the results of an exercise's checks and reports them in one place.

    Every `expect_*` method counts as one check, records a failure message when it does
    not hold, returns whether it held, and never raises, whatever it is given. Each takes
    a `hint` (what to try) and a `diagnosis` (the id of the typical mistake the answer
    matched), both shown or kept only on failure.

    Args:
        exercise: the exercise id, `"chapter.number"`, e.g. `"4.2"`.
        atol: default absolute tolerance of `expect_close`. Defaults to 1e-6.
        rtol: default relative tolerance of `expect_close`. Defaults to 1e-5.

    Attributes:
        passed: number of checks that held so far.
        total: number of checks so far.
        failures: the `Failure`s, in order.
        outcomes: one `CheckOutcome` per check, when the checks are named by the exercise
            that judges them (`course_lib.checks.exercise`); else empty.
        notes: remarks shown after the failures (e.g. what the student's function printed).

    Example:
    >>> report = CheckReport("4.2")
    >>> report.expect_close("h", [0.5, 1.0], [0.5, 1.5], hint="add the bias.")
    False
    >>> print(report.failures[0].hint)
    add the bias.
    """

    def __init__(self, exercise: str, *, atol: float = 1e-6, rtol: float = 1e-5):
        if not isinstance(exercise, str) or not EXERCISE_ID.match(exercise):
            raise ValueError(
                f'`exercise` must be an id "chapter.number" such as "4.2"; got {describe(exercise)}.'
            )
        self.exercise = exercise
        self.atol = float(atol)
        self.rtol = float(rtol)
        self.total = 0
        self.passed = 0
        self.failures: list[Failure] = []
        self.outcomes: list[CheckOutcome] = []
        self.notes: list[str] = []
        self._call_errors: set[tuple[str, str]] = set()

    def _record(
        self, ok: bool, message: str, hint: str | None, diagnosis: str | None = None
    ) -> bool:
        self.total += 1
        if ok:
            self.passed += 1
        else:
            self.failures.append(Failure(message, hint, diagnosis))
        return ok

    def _call_failure(self, name: str, got: CallFailed, hint: str | None) -> bool:
        key = (got.call, got.error)
        if got.reported or key in self._call_errors:
            message = f"`{name}` not checked: calling {got.call} raised the same error (see above)."
            return self._record(False, message, None)
        got.reported = True
        self._call_errors.add(key)
        error = got.error.rstrip(".")
        message = f"`{name}`: expected a result, but calling {got.call} raised {error}."
        # An unsolved exercise needs its stub replaced before any other hint helps.
        first = (got.hint, hint) if got.unsolved else (hint, got.hint)
        hint = first[0] or first[1] or "call the function yourself on a small input."
        return self._record(False, message, hint)

    def expect(
        self,
        condition: Any,
        message: str,
        *,
        hint: str | None = None,
        diagnosis: str | None = None,
    ) -> bool:
        """Record a check that holds when `condition` is true.

        Args:
            condition: a truth value, or a function of no arguments returning one (it is
                called safely; an exception counts as a failure).
            message: what was expected against what was received, shown on failure.
            hint: what to try, shown on failure. Defaults to None.
            diagnosis: the id of the mistake diagnosed, kept on failure. Defaults to None.

        Returns:
            Whether the check held.
        """
        try:
            ok = bool(condition() if callable(condition) else condition)
        except Exception as error:
            message = f"{message} (checking it raised {format_error(error)})"
            return self._record(False, message, hint, diagnosis)
        return self._record(ok, message, hint, diagnosis)

    def not_checked(self, name: str, got: Any, *, hint: str | None = None) -> bool:
        """Record one failed check for `name`, which cannot be checked because of `got`.

        Use it where a check cannot even start: `got` is a failed call (the failure then
        explains the call's error, once) or an answer of the wrong kind (an `Opaque`).

        Args:
            name: what could not be checked, e.g. `"the returned dict"`.
            got: the failed call (`CallFailed`) or the unusable answer.
            hint: what to try, shown on failure. Defaults to the failed call's own hint.

        Returns:
            False.
        """
        if isinstance(got, CallFailed):
            return self._call_failure(name, got, hint)
        return self._record(False, f"`{name}` not checked: got {describe(got)}.", hint)

    @_guarded
    def expect_equal(
        self,
        name: str,
        got: Any,
        expected: Any,
        *,
        hint: str | None = None,
        diagnosis: str | None = None,
    ) -> bool:
        """Record a check that `got == expected` exactly (integers, strings, tuples).

        Args:
            name: what is compared, e.g. `"n_windows"`.
            got: the student's value.
            expected: the correct value.
            hint: what to try, shown on failure. Defaults to None.
            diagnosis: the id of the mistake diagnosed, kept on failure. Defaults to None.
        """
        if isinstance(got, CallFailed):
            return self._call_failure(name, got, hint)
        try:
            if isinstance(got, np.ndarray) or isinstance(expected, np.ndarray):
                ok = bool(np.array_equal(got, expected))
            else:
                ok = bool(got == expected)
        except Exception:  # a comparison that raises is a mismatch
            ok = False
        message = f"`{name}`: expected {_format_value(expected)}, got {_format_value(got)}."
        return self._record(ok, message, hint, diagnosis)

    @_guarded
    def expect_shape(
        self,
        name: str,
        got: Any,
        expected: Sequence[int | None],
        *,
        layout: str | None = None,
        hint: str | None = None,
        diagnosis: str | None = None,
    ) -> bool:
        """Record a check that `got` is an array of shape `expected` (`None` matches any length).

        Args:
            name: what is checked, e.g. `"h"`.
            got: the student's array.
            expected: the expected shape, e.g. `(2, 4)`.
            layout: how the axes are named, e.g. `"(batch, units)"`. Defaults to None.
            hint: what to try, shown on failure. Defaults to a hint about shapes.
        """
        if isinstance(got, CallFailed):
            return self._call_failure(name, got, hint)
        expected = tuple(expected)
        wanted = _shape_text(expected, layout)
        hint = hint or f"print `{name}.shape` and compare each axis with the docstring."
        try:
            shape = tuple(int(d) for d in np.shape(got))
        except Exception:
            message = f"`{name}` should be an array of shape {wanted}; got {describe(got)}."
            return self._record(False, message, hint, diagnosis)
        ok = len(shape) == len(expected) and all(
            e is None or e == s for e, s in zip(expected, shape, strict=False)
        )
        received = _shape_text(shape) if hasattr(got, "shape") else describe(got)
        if not hasattr(got, "shape") and ok:
            received = f"{_shape_text(shape)} ({type(got).__name__})"
        message = f"`{name}` has the wrong shape: expected {wanted}, got {received}."
        return self._record(ok, message, hint, diagnosis)

    @_guarded
    def expect_close(
        self,
        name: str,
        got: Any,
        expected: Any,
        *,
        atol: float | None = None,
        rtol: float | None = None,
        hint: str | None = None,
        diagnosis: str | None = None,
    ) -> bool:
        """Record a check that `got` matches `expected` within `atol + rtol * |expected|`.

        NaN or infinite values where finite values were expected fail with their own
        message, and so does a shape that does not match.

        Args:
            name: what is compared, e.g. `"h"`.
            got: the student's value (number or array).
            expected: the correct value (number or array).
            atol: absolute tolerance. Defaults to the report's `atol`.
            rtol: relative tolerance. Defaults to the report's `rtol`.
            hint: what to try, shown on failure. Defaults to None.
            diagnosis: the id of the mistake diagnosed, kept on failure. Defaults to None.
        """
        if isinstance(got, CallFailed):
            return self._call_failure(name, got, hint)
        atol = self.atol if atol is None else atol
        rtol = self.rtol if rtol is None else rtol
        want = np.asarray(expected, dtype=np.float64)
        try:
            array = np.asarray(got, dtype=np.float64)
        except Exception:
            message = (
                f"`{name}` should be numbers like {_format_value(want)} "
                f"(shape {_shape_text(want.shape)}); got {describe(got)}."
            )
            return self._record(False, message, hint, diagnosis)
        if array.shape != want.shape:
            message = (
                f"`{name}` has shape {_shape_text(array.shape)} but the expected values have "
                f"shape {_shape_text(want.shape)}; expected {_format_value(want)}, "
                f"got {_format_value(array)}."
            )
            return self._record(False, message, hint or "fix the shape first.", diagnosis)
        bad = ~np.isfinite(array) & np.isfinite(want)
        if bad.any():
            kinds = "NaN" if np.isnan(array[bad]).all() else "NaN or infinite values"
            message = (
                f"`{name}` contains {kinds} in {int(bad.sum())} of {array.size} values "
                f"(first at index {_first_bad_index(bad)}); expected {_format_value(want)}, "
                f"got {_format_value(array)}."
            )
            hint = hint or "look for a division by zero, log(0) or an overflow."
            return self._record(False, message, hint, diagnosis)
        with np.errstate(all="ignore"):
            diff = np.abs(array - want)
            allowed = atol + rtol * np.abs(want)
            wrong = ~(diff <= allowed) & ~(array == want)
        ok = not wrong.any()
        if ok:
            return self._record(True, "", None)
        allowance = f"(allowed: atol={atol:g}, rtol={rtol:g})"
        if array.ndim == 0:
            message = (
                f"`{name}` is wrong: expected {_format_value(want)}, got {_format_value(array)}; "
                f"the difference is {float(diff):.3g} {allowance}."
            )
            return self._record(False, message, hint, diagnosis)
        worst = np.where(wrong, diff, -np.inf)
        at = _first_bad_index(worst == worst.max())
        message = (
            f"`{name}` values differ: expected {_format_value(want)}, got {_format_value(array)}; "
            f"{int(wrong.sum())} of {array.size} values are off, the largest difference is "
            f"{float(worst.max()):.3g} at index {at} {allowance}."
        )
        return self._record(False, message, hint, diagnosis)

    @_guarded
    def expect_finite(
        self, name: str, got: Any, *, hint: str | None = None, diagnosis: str | None = None
    ) -> bool:
        """Record a check that `got` holds only finite numbers (no NaN, no infinity).

        Args:
            name: what is checked, e.g. `"loss"`.
            got: the student's value (number or array).
            hint: what to try, shown on failure. Defaults to a hint about NaN sources.
        """
        if isinstance(got, CallFailed):
            return self._call_failure(name, got, hint)
        hint = hint or "look for a division by zero, log(0), an overflow or a too large lr."
        try:
            array = np.asarray(got, dtype=np.float64)
        except Exception:
            message = f"`{name}` should be finite numbers; got {describe(got)}."
            return self._record(False, message, hint, diagnosis)
        bad = ~np.isfinite(array)
        message = (
            f"`{name}` should hold finite numbers; got {int(bad.sum())} NaN or infinite values "
            f"of {array.size} (first at index {_first_bad_index(bad)}): {_format_value(array)}."
        )
        return self._record(not bad.any(), message, hint, diagnosis)

    def note(self, text: str) -> None:
        """Add a remark shown after the failures (e.g. what the student's function printed)."""
        self.notes.append(str(text))

    def finish(self) -> None:
        """Print the success line, or raise `CheckFailed` listing every failed check.

        Raises:
            CheckFailed: when any check failed.
            RuntimeError: when no check was recorded (a bug in the check itself).
        """
        __tracebackhide__ = True
        if self.total == 0:
            raise RuntimeError(f"The check of exercise {self.exercise} recorded no checks.")
        if self.failures:
            raise CheckFailed(self.exercise, self.passed, self.total, self.failures, self.notes[:1])
        print(result_line(self.exercise, self.total, self.total))
        sys.stdout.flush()
