"""The report an exercise check fills in: one line on success, every gap on failure.

A check function (in `course_lib/checks/chN.py`) creates a `CheckReport` for its exercise,
calls the student's function through `report.call` (which never lets an exception, a
`sys.exit` or a flood of prints escape), records expectations with `report.expect_*`, and
ends with `report.finish()`. `finish` prints exactly one line when every expectation holds::

    Exercise 4.2: passed 5 of 5 checks

and otherwise raises `CheckFailed`, whose message starts with the same kind of line and
lists one line per failed expectation, each saying what was expected, what was received
and a hint::

    Exercise 4.2: passed 3 of 5 checks
      - `h` has the wrong shape: expected (2, 4) (batch, units), got (2, 3). Hint: ...
      - `h` values differ: expected [[0.1, ...]], got [[nan, ...]]; ... Hint: ...

The first line is the contract with the grader (`course_lib.grading`), which reads the
number of passed checks from it; `result_line` and `parse_result_line` are its one copy.

A check has two modes, one definition: in a student's notebook it probes and judges in
one go; when the grader runs the notebook (`RNN_COURSE_PROBE_DIR` set) the check only
*probes*, recording what the student's code returned, and the grader *judges* in its own
process (`course_lib.checks.verdicts.judge`), replaying the records. So a check calls the
student's code only through `report.call`, draws its inputs from `report.rng(n)` /
`report.seed(n)` (fresh at grading time), and computes expected values and calls
`expect_*` only under `if report.judging:`.

Example:
>>> def check_add(add):
...     report = CheckReport("0.1")
...     a, b = report.rng(1).integers(0, 10, size=2)
...     got = report.call(add, int(a), int(b), name="add")
...     if report.judging:
...         report.expect_close(f"add({a}, {b})", got, a + b)
...     report.finish()
>>> check_add(lambda a, b: a + b)
Exercise 0.1: passed 1 of 1 checks

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are checked.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import io
import os
import re
import sys
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from course_lib.checks import records
from course_lib.checks.records import FailedCall, Opaque
from course_lib.validation import describe as _describe

#: The environment variable that switches checks to probing (the folder for the records).
PROBE_DIR_ENV = "RNN_COURSE_PROBE_DIR"
#: The environment variable with the grading run's seed (probing only).
GRADING_SEED_ENV = "RNN_COURSE_GRADING_SEED"

_EXERCISE_ID = re.compile(r"^\d+\.\d+$")
_RESULT_LINE = re.compile(
    r"^Exercise (?P<exercise>\d+\.\d+): passed (?P<passed>\d+) of (?P<total>\d+) checks$"
)
# Longest text of one value or error inside a failure line; student answers can be huge.
_MAX_VALUE_CHARS = 160
_MAX_ERROR_CHARS = 300
# How much of what the student's function prints is kept (the rest is counted, not stored).
_MAX_CAPTURED_CHARS = 2_000


def result_line(exercise: str, passed: int, total: int) -> str:
    """Return the first line of a check's result, e.g. `"Exercise 4.2: passed 3 of 5 checks"`.

    Args:
        exercise: the exercise id, `"chapter.number"`.
        passed: number of checks that passed.
        total: number of checks.
    """
    return f"Exercise {exercise}: passed {passed} of {total} checks"


def parse_result_line(text: str) -> tuple[str, int, int] | None:
    """Find a result line at the start of `text` and return `(exercise, passed, total)`.

    Returns `None` when the first line of `text` is not a result line.

    Example:
    >>> parse_result_line("Exercise 4.2: passed 3 of 5 checks\\n  - ...")
    ('4.2', 3, 5)
    """
    first = str(text).strip().split("\n", 1)[0].strip()
    match = _RESULT_LINE.match(first)
    if match is None:
        return None
    return match["exercise"], int(match["passed"]), int(match["total"])


class CheckFailed(AssertionError):
    """Raised by `CheckReport.finish` when at least one check of an exercise failed.

    Attributes:
        exercise: the exercise id, e.g. `"4.2"`.
        passed: number of checks that passed.
        total: number of checks.
        failures: one message per failed check.
        notes: extra remarks shown after the failures (e.g. what the function printed).
    """

    def __init__(
        self,
        exercise: str,
        passed: int,
        total: int,
        failures: Sequence[str],
        notes: Sequence[str] = (),
    ):
        self.exercise = exercise
        self.passed = passed
        self.total = total
        self.failures = tuple(failures)
        self.notes = tuple(notes)
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
    """What `CheckReport.call` returns when the student's function raised.

    It is falsy, and every `expect_*` that receives it records a failure that points at
    the failed call instead of comparing values (`CheckReport.not_checked` records one
    such failure for a check that cannot even start).

    Attributes:
        call: the call, e.g. `"rnn_step(...)"`.
        error: the exception's type and message.
        hint: what to try. Defaults to None.
        unsolved: whether the function raised `NotImplementedError` (the stub).
    """

    def __init__(self, call: str, error: str, hint: str | None = None):
        self.call = call
        self.error = error
        self.hint = hint
        self.unsolved = False
        self.reported = False

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"<{self.call} raised {self.error}>"


class _BoundedText(io.TextIOBase):
    """A text stream that keeps the first characters written and counts the rest."""

    def __init__(self, limit: int):
        self.limit = limit
        self.parts: list[str] = []
        self.kept = 0
        self.total = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        text = str(text)
        self.total += len(text)
        if self.kept < self.limit:
            piece = text[: self.limit - self.kept]
            self.parts.append(piece)
            self.kept += len(piece)
        return len(text)

    def getvalue(self) -> str:
        return "".join(self.parts)


def describe(value: Any) -> str:
    """`course_lib.validation.describe`, safe for objects whose `repr` or `shape` raises."""
    if isinstance(value, Opaque):
        return value.description
    try:
        return _describe(value)
    except Exception:
        return f"<{type(value).__name__} object>"


def _shorten(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
            return _shorten(text, _MAX_VALUE_CHARS)
        return _shorten(repr(value), _MAX_VALUE_CHARS)
    except Exception:  # a broken __repr__ or __array__ must not break the check
        return f"<{type(value).__name__} object>"


def _format_error(error: BaseException) -> str:
    try:
        message = str(error)
    except Exception:
        message = "<unprintable message>"
    name = type(error).__name__
    return f"{name}: {_shorten(message, _MAX_ERROR_CHARS)}" if message else name


def _unsolved_hint(name: str) -> str:
    return f"replace the `raise NotImplementedError(...)` line of {name} with your code."


def _copy(value: Any) -> Any:
    """A copy of a decoded value (replayed results must not share arrays between calls)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if type(value) is list:
        return [_copy(item) for item in value]
    if type(value) is tuple:
        return tuple(_copy(item) for item in value)
    if type(value) is dict:
        return {key: _copy(item) for key, item in value.items()}
    return value


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
        self._only_when_judging(method.__name__)
        recorded = self.total
        try:
            return method(self, name, *args, **kwargs)
        except Exception as error:  # e.g. a `shape` property that raises
            if self.total > recorded:
                return False
            message = f"`{name}` could not be checked: {_format_error(error)}."
            return self._record(False, message, kwargs.get("hint"))

    return wrapper


def derive_seed(grading_seed: int, exercise: str, n: int) -> int:
    """The seed of a check's inputs in a grading run: a hash of the run's seed, `exercise`, `n`.

    Args:
        grading_seed: the grading run's seed (`RNN_COURSE_GRADING_SEED`).
        exercise: the exercise id, e.g. `"1.1"`.
        n: the check's own fixed seed (what `CheckReport.seed(n)` gets).

    Returns:
        An int in [0, 2**31), so that it also seeds `np.random.seed` and Keras.
    """
    text = f"rnn-course/{int(grading_seed)}/{exercise}/{int(n)}".encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:4], "little") >> 1


def _grading_seed_from_env() -> int | None:
    text = os.environ.get(GRADING_SEED_ENV, "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(
            f"`{GRADING_SEED_ENV}` must be an integer; got {describe(text)}."
        ) from None


class Replay:
    """What a report replays when the grader judges (see `course_lib.checks.verdicts`).

    Args:
        data: the validated record of the exercise (`records.ProbeData`).
        seed: the grading run's seed, or None for the fixed self-check inputs.

    Attributes:
        report: the `CheckReport` that replayed, once the check has created it.
    """

    def __init__(self, data: records.ProbeData, seed: int | None):
        self.data = data
        self.exercise = data.exercise
        self.seed = seed
        self.report: CheckReport | None = None


#: The replay of the exercise being judged in this thread (None: probe or self-check).
REPLAY: contextvars.ContextVar[Replay | None] = contextvars.ContextVar(
    "course_lib_check_replay", default=None
)


def _array_arguments(args: tuple, kwargs: dict):
    """`(key, array)` for every NumPy array among the arguments of a call."""
    for index, arg in enumerate(args):
        if isinstance(arg, np.ndarray):
            yield str(index), arg
    for key, arg in kwargs.items():
        if isinstance(arg, np.ndarray):
            yield f"kw:{key}", arg


class CheckReport:
    """Collects the results of an exercise's checks and reports them in one place.

    Every `expect_*` method counts as one check, records a failure message when it does
    not hold, returns whether it held, and never raises, whatever it is given.

    A report works in one of three modes (see `judging`): *self-check* (a student's own
    notebook: call, compare and report in one go), *probe* (the grader runs the notebook
    with `RNN_COURSE_PROBE_DIR` set: calls are recorded into that folder, nothing is
    compared) and *judge* (the grader's own process, `course_lib.checks.verdicts.judge`:
    calls return the recorded answers and the comparisons run).

    Args:
        exercise: the exercise id, `"chapter.number"`, e.g. `"4.2"`.
        atol: default absolute tolerance of `expect_close`. Defaults to 1e-6.
        rtol: default relative tolerance of `expect_close`. Defaults to 1e-5.

    Example:
    >>> report = CheckReport("4.2")
    >>> h = report.call(lambda x: x * 2, np.ones((2, 3)), name="double")
    >>> report.expect_shape("h", h, (2, 3), layout="(batch, units)")
    True
    >>> report.finish()
    Exercise 4.2: passed 1 of 1 checks
    """

    def __init__(self, exercise: str, *, atol: float = 1e-6, rtol: float = 1e-5):
        if not isinstance(exercise, str) or not _EXERCISE_ID.match(exercise):
            raise ValueError(
                f'`exercise` must be an id "chapter.number" such as "4.2"; got {describe(exercise)}.'
            )
        self.exercise = exercise
        self.atol = float(atol)
        self.rtol = float(rtol)
        self.total = 0
        self.passed = 0
        self.failures: list[str] = []
        self.printed: list[str] = []
        self._call_errors: set[tuple[str, str]] = set()
        self._encoder = records.Encoder()
        self._records: list[dict] = []
        self._calls = 0
        self._replay = REPLAY.get()
        self._probe_dir: str | None = None
        if self._replay is not None:
            if self._replay.exercise != exercise:
                raise ValueError(
                    f"judging exercise {self._replay.exercise}, but the check reports "
                    f"exercise {exercise}."
                )
            self._replay.report = self
            self.mode = "judge"
            self._grading_seed = self._replay.seed
        elif os.environ.get(PROBE_DIR_ENV):
            self.mode = "probe"
            self._probe_dir = os.environ[PROBE_DIR_ENV]
            self._grading_seed = _grading_seed_from_env()
        else:
            self.mode = "self-check"
            self._grading_seed = None

    # -- the two modes ----------------------------------------------------------------------

    @property
    def judging(self) -> bool:
        """Whether this report judges (compares with expected values) or only probes.

        A check computes expected values and calls `expect_*` only under
        `if report.judging:`. In a student's own notebook a report probes and judges in one
        go; when the grader runs a notebook the check cell only probes (calls the student's
        code and records what came back) and the grader judges in its own process.
        """
        return self.mode != "probe"

    def seed(self, n: int) -> int:
        """The seed of a check's random inputs: `n` when self-checking, fresh when graded.

        When probing with `RNN_COURSE_GRADING_SEED` set, and when judging a run made with a
        grading seed, the seed is `derive_seed(grading seed, exercise, n)`.

        Args:
            n: the check's own fixed seed.

        Returns:
            A seed for `np.random.default_rng`, a non-negative int.
        """
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise ValueError(f"`n` must be a non-negative int; got {describe(n)}.")
        if self._grading_seed is None:
            return int(n)
        return derive_seed(self._grading_seed, self.exercise, int(n))

    def rng(self, n: int) -> np.random.Generator:
        """A random generator for a check's inputs, seeded with `self.seed(n)`."""
        return np.random.default_rng(self.seed(n))

    # -- calling the student's code ---------------------------------------------------------

    def call(self, function: Any, *args: Any, name: str | None = None, **kwargs: Any) -> Any:
        """Call the student's `function` safely and return its result, as data.

        Exceptions (including `SystemExit`), warnings and printed output of the call are
        caught: on an exception the result is a falsy `CallFailed` that later `expect_*`
        calls report as "calling f(...) raised TypeError: ...". Only `KeyboardInterrupt`
        passes through, so the grader can still stop an endless loop.

        The result is returned as the data it holds (a copy; see
        `course_lib.checks.records`): arrays keep dtype and shape, tuples stay tuples. A
        result that is not data (a Keras model) is returned as it is, so that it can be
        passed on to further calls (`report.call(lambda: model.predict(X), name=...)`);
        when judging, such a result is an `Opaque` description. When probing, the call and
        the content of its array arguments after it are recorded; when judging, the
        recorded result is returned and the array arguments are given their recorded
        content (so a check can see that a function changed its inputs).

        Args:
            function: the student's function.
            *args: positional arguments for it.
            name: how to name the function in messages. Defaults to its `__name__`.
            **kwargs: keyword arguments for it.

        Returns:
            The function's return value, or a `CallFailed`.
        """
        __tracebackhide__ = True
        if not isinstance(name, str) or not name:
            name = getattr(function, "__name__", None)
            name = name if isinstance(name, str) and name else "your function"
        call_text = f"{name}(...)" if args or kwargs else f"{name}()"
        if self.mode == "judge":
            return self._replayed(name, call_text, args, kwargs)
        result, printed = self._run(function, name, call_text, args, kwargs)
        if printed is not None:
            self._note_printed(name, *printed)
        record: dict[str, Any] = {"name": name, "printed": list(printed) if printed else None}
        if isinstance(result, CallFailed):
            record["result"] = self._encoder.failed(result.error, result.unsolved)
            value = result
        else:
            record["result"] = encoded = self._encoder.encode(result)
            if isinstance(encoded, dict) and encoded.get("t") == "opaque":
                value = result  # not data: only further calls may use it
            else:
                value = records.decode(encoded, self._encoder.arrays)
        if self.mode == "probe":
            after = {key: self._encoder.encode(arg) for key, arg in _array_arguments(args, kwargs)}
            record["after"] = {k: v for k, v in after.items() if v.get("t") == "array"}
            self._records.append(record)
        else:
            self._encoder.arrays.clear()  # self-check: the values live on in the check only
        return value

    def _run(self, function, name, call_text, args, kwargs):
        """Call `function`; return `(result or CallFailed, (printed chars, first) or None)`."""
        __tracebackhide__ = True
        if not callable(function):
            failed = CallFailed(call_text, f"{name} is not a function; got {describe(function)}")
            return failed, None
        output = _BoundedText(_MAX_CAPTURED_CHARS)
        try:
            with (
                contextlib.redirect_stdout(output),
                warnings.catch_warnings(),
                np.errstate(all="ignore"),
            ):
                warnings.simplefilter("ignore")
                result = function(*args, **kwargs)
        except BaseException as error:  # the student's code may raise anything
            if type(error) is KeyboardInterrupt:
                raise
            if isinstance(error, NotImplementedError):
                detail = _format_error(error)
                result = CallFailed(
                    call_text, f"{detail} (the exercise is not solved yet)", _unsolved_hint(name)
                )
                result.unsolved = True
            else:
                result = CallFailed(call_text, _format_error(error))
        printed = (output.total, _shorten(output.getvalue(), 80)) if output.total else None
        return result, printed

    def _note_printed(self, name: str, total: int, first: str) -> None:
        self.printed.append(
            f"{name} printed {total} characters while being checked; first: {first!r}"
        )

    def _replayed(self, name, call_text, args, kwargs):
        """The recorded answer of the next call (judge mode)."""
        index = self._calls
        self._calls += 1
        calls = self._replay.data.calls
        if index >= len(calls):
            return CallFailed(
                call_text,
                "no answer was recorded for this call (the check cell stopped before it, or "
                "the notebook's check cell was changed)",
            )
        record = calls[index]
        if record["name"] != name:
            return CallFailed(
                call_text,
                f"the recorded answers do not match this check (call {index + 1} was recorded "
                f"for {_shorten(record['name'], 60)!r})",
            )
        for key, arg in _array_arguments(args, kwargs):
            after = record["after"].get(key)
            if after is not None and after.shape == arg.shape and arg.flags.writeable:
                with contextlib.suppress(Exception):
                    np.copyto(arg, after, casting="unsafe")
        if record["printed"] is not None:
            self._note_printed(name, *record["printed"])
        result = record["result"]
        if isinstance(result, FailedCall):
            failed = CallFailed(
                call_text, result.error, _unsolved_hint(name) if result.unsolved else None
            )
            failed.unsolved = result.unsolved
            return failed
        return _copy(result)

    # -- expectations ------------------------------------------------------------------------

    def _only_when_judging(self, method: str) -> None:
        if self.mode == "probe":
            raise RuntimeError(
                f"CheckReport.{method} was called while probing (exercise {self.exercise}): "
                "expected values and every expect_* call belong under `if report.judging:` "
                "in the check function."
            )

    def _record(self, ok: bool, message: str, hint: str | None) -> bool:
        self.total += 1
        if ok:
            self.passed += 1
        else:
            self.failures.append(f"{message} Hint: {hint}" if hint else message)
        return ok

    def _call_failure(self, name: str, got: CallFailed, hint: str | None) -> bool:
        key = (got.call, got.error)
        if got.reported or key in self._call_errors:
            message = f"`{name}` not checked: calling {got.call} raised the same error (see above)."
            return self._record(False, message, None)
        got.reported = True
        self._call_errors.add(key)
        message = f"`{name}`: expected a result, but calling {got.call} raised {got.error}."
        # An unsolved exercise needs its stub replaced before any other hint helps.
        first = (got.hint, hint) if got.unsolved else (hint, got.hint)
        hint = first[0] or first[1] or "call the function yourself on a small input."
        return self._record(False, message, hint)

    def expect(self, condition: Any, message: str, *, hint: str | None = None) -> bool:
        """Record a check that holds when `condition` is true.

        Args:
            condition: a truth value, or a function of no arguments returning one (it is
                called safely; an exception counts as a failure).
            message: what was expected against what was received, shown on failure.
            hint: what to try, shown on failure. Defaults to None.

        Returns:
            Whether the check held.
        """
        self._only_when_judging("expect")
        try:
            ok = bool(condition() if callable(condition) else condition)
        except Exception as error:
            return self._record(
                False, f"{message} (checking it raised {_format_error(error)})", hint
            )
        return self._record(ok, message, hint)

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
        self._only_when_judging("not_checked")
        if isinstance(got, CallFailed):
            return self._call_failure(name, got, hint)
        return self._record(False, f"`{name}` not checked: got {describe(got)}.", hint)

    @_guarded
    def expect_equal(self, name: str, got: Any, expected: Any, *, hint: str | None = None) -> bool:
        """Record a check that `got == expected` exactly (integers, strings, tuples).

        Args:
            name: what is compared, e.g. `"n_windows"`.
            got: the student's value.
            expected: the correct value.
            hint: what to try, shown on failure. Defaults to None.
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
        return self._record(ok, message, hint)

    @_guarded
    def expect_shape(
        self,
        name: str,
        got: Any,
        expected: Sequence[int | None],
        *,
        layout: str | None = None,
        hint: str | None = None,
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
            return self._record(False, message, hint)
        ok = len(shape) == len(expected) and all(
            e is None or e == s for e, s in zip(expected, shape, strict=False)
        )
        received = _shape_text(shape) if hasattr(got, "shape") else describe(got)
        if not hasattr(got, "shape") and ok:
            received = f"{_shape_text(shape)} ({type(got).__name__})"
        message = f"`{name}` has the wrong shape: expected {wanted}, got {received}."
        return self._record(ok, message, hint)

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
            return self._record(False, message, hint)
        if array.shape != want.shape:
            message = (
                f"`{name}` has shape {_shape_text(array.shape)} but the expected values have "
                f"shape {_shape_text(want.shape)}; expected {_format_value(want)}, "
                f"got {_format_value(array)}."
            )
            return self._record(False, message, hint or "fix the shape first.")
        bad = ~np.isfinite(array) & np.isfinite(want)
        if bad.any():
            kinds = "NaN" if np.isnan(array[bad]).all() else "NaN or infinite values"
            message = (
                f"`{name}` contains {kinds} in {int(bad.sum())} of {array.size} values "
                f"(first at index {_first_bad_index(bad)}); expected {_format_value(want)}, "
                f"got {_format_value(array)}."
            )
            return self._record(
                False, message, hint or "look for a division by zero, log(0) or an overflow."
            )
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
            return self._record(False, message, hint)
        worst = np.where(wrong, diff, -np.inf)
        at = _first_bad_index(worst == worst.max())
        message = (
            f"`{name}` values differ: expected {_format_value(want)}, got {_format_value(array)}; "
            f"{int(wrong.sum())} of {array.size} values are off, the largest difference is "
            f"{float(worst.max()):.3g} at index {at} {allowance}."
        )
        return self._record(False, message, hint)

    @_guarded
    def expect_finite(self, name: str, got: Any, *, hint: str | None = None) -> bool:
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
            return self._record(False, message, hint)
        bad = ~np.isfinite(array)
        message = (
            f"`{name}` should hold finite numbers; got {int(bad.sum())} NaN or infinite values "
            f"of {array.size} (first at index {_first_bad_index(bad)}): {_format_value(array)}."
        )
        return self._record(not bad.any(), message, hint)

    # -- the end -------------------------------------------------------------------------------

    def finish(self) -> None:
        """Print the success line, or raise `CheckFailed` listing every failed check.

        When probing, write the recorded calls to `<RNN_COURSE_PROBE_DIR>/<exercise>.json`
        (and `.npz`) instead and print `Exercise 4.2: answers recorded for grading`.

        Raises:
            CheckFailed: when any check failed.
            RuntimeError: when no check was recorded (a bug in the check itself).
        """
        __tracebackhide__ = True
        if self.mode == "probe":
            try:
                records.write_probe(
                    self._probe_dir,
                    self.exercise,
                    self._grading_seed,
                    self._records,
                    self._encoder.arrays,
                )
                print(f"Exercise {self.exercise}: answers recorded for grading")
            except Exception as error:  # the grader then reports the record as missing
                print(f"Exercise {self.exercise}: answers could not be recorded ({error})")
            sys.stdout.flush()
            return
        if self.total == 0:
            raise RuntimeError(f"The check of exercise {self.exercise} recorded no checks.")
        if self.failures:
            notes = self.printed[:1]
            raise CheckFailed(self.exercise, self.passed, self.total, self.failures, notes)
        print(result_line(self.exercise, self.total, self.total))
        sys.stdout.flush()
