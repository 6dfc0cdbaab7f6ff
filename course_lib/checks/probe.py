"""Calling the student's function on a check's inputs and recording its answers, as data.

This is the part of a check that runs next to the student's code: in their notebook when
they self-check, and inside the grading sandbox when the grader runs the notebook. Each
call gets fresh copies of its inputs and is made safely: an exception (even `SystemExit`),
warnings and printed output are caught (only `KeyboardInterrupt` passes, so that a time
limit can stop an endless loop); once the function raises `NotImplementedError` (the
unsolved stub) it is not called again. The answers are encoded as data
(`course_lib.checks.records`): what comes back to the judge is the same whether the check
ran in one process or across the sandbox.

When graded, the inputs come from the grader (`<probe dir>/<exercise>.inputs.json`) and the
answers go back next to them (`.answers.json`), with the line `Exercise 1.1: answers
recorded for grading`; nothing here knows the grading seed or the expected values.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are checked.
"""

from __future__ import annotations

import contextlib
import io
import sys
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from course_lib.checks import records, withheld
from course_lib.checks.contract import probe_line
from course_lib.checks.records import Encoder, ProbeData
from course_lib.checks.report import describe, format_error
from course_lib.validation import shorten

if TYPE_CHECKING:
    from course_lib.checks.exercise import Case, ExerciseCheck

__all__ = ["call_safely", "record_answers", "self_check_answers"]

# How much of what the student's function prints is kept (the rest is counted, not stored).
_MAX_CAPTURED_CHARS = 2_000


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


def call_safely(function: Any, args: tuple, kwargs: dict, name: str, call=None):
    """Call the student's `function` on `args`, `kwargs`; never raise but `KeyboardInterrupt`.

    Args:
        function: the student's function (or, with a `call`, any object of theirs).
        args: positional arguments (the call may change them: pass copies).
        kwargs: keyword arguments.
        name: the function's name in messages.
        call: the exercise's `call(function, *args, **kwargs)`. Defaults to a plain call.

    Returns:
        `(result, printed)`: the answer or a `records.FailedCall`, and `(characters, first
        text)` of what the call printed, or None.

    Example:
    >>> call_safely(lambda x: 1 / x, (0,), {}, "inverse")[0].error
    'ZeroDivisionError: division by zero'
    """
    __tracebackhide__ = True
    if call is None and not callable(function):  # a `call` may take a value (an answer)
        return records.FailedCall(
            f"{name} is not a function; got {describe(function)}", False
        ), None
    output = _BoundedText(_MAX_CAPTURED_CHARS)
    try:
        with (
            contextlib.redirect_stdout(output),
            warnings.catch_warnings(),
            np.errstate(all="ignore"),
        ):
            warnings.simplefilter("ignore")
            if call is None:
                result = function(*args, **kwargs)
            else:
                result = call(function, *args, **kwargs)
    except BaseException as error:  # the student's code may raise anything
        if type(error) is KeyboardInterrupt:
            raise
        if isinstance(error, NotImplementedError):
            result = records.FailedCall(
                f"{format_error(error)} (the exercise is not solved yet)", True
            )
        else:
            result = records.FailedCall(format_error(error), False)
    printed = (
        (output.total, shorten(output.getvalue(), 80, lines="words")) if output.total else None
    )
    return result, printed


def _array_arguments(args: tuple, kwargs: dict):
    """`(key, array)` for every NumPy array among the arguments of a call."""
    for index, arg in enumerate(args):
        if isinstance(arg, np.ndarray):
            yield str(index), arg
    for key, arg in kwargs.items():
        if isinstance(arg, np.ndarray):
            yield f"kw:{key}", arg


def _probe(exercise: ExerciseCheck, function: Any, calls: Sequence, arrays: dict):
    """Call `function` once per encoded input; return `(encoded answers, their arrays)`."""
    encoder = Encoder()
    answers: list[dict] = []
    unsolved = None
    for encoded in calls:
        if unsolved is not None:  # the stub raises again: do not run it once per case
            answers.append({**unsolved, "printed": None, "after": {}})
            continue
        args, kwargs = records.decode_arguments(encoded, arrays)
        result, printed = call_safely(function, args, kwargs, exercise.student, exercise.call)
        after = {key: encoder.encode(arg) for key, arg in _array_arguments(args, kwargs)}
        if isinstance(result, records.FailedCall):
            record = {
                "name": exercise.student,
                "result": encoder.failed(result.error, result.unsolved),
            }
            if result.unsolved:
                unsolved = record
        else:
            record = {"name": exercise.student, "result": encoder.encode(result)}
        record["printed"] = list(printed) if printed else None
        record["after"] = {k: v for k, v in after.items() if v.get("t") == "array"}
        answers.append(record)
    return answers, encoder.arrays


def record_answers(exercise: ExerciseCheck, function: Any, probe_dir: str) -> None:
    """The check cell's work when graded: answer the grader's inputs, write the answers.

    Prints `Exercise 1.1: answers recorded for grading`, or why no answers were recorded
    (the grader then reports them missing).
    """
    try:
        calls, arrays = records.load_inputs(probe_dir, exercise.id)
        answers, answer_arrays = _probe(exercise, function, calls, arrays)
        records.write_answers(probe_dir, exercise.id, answers, answer_arrays)
    except Exception as error:
        print(f"Exercise {exercise.id}: answers could not be recorded ({format_error(error)})")
    else:
        print(probe_line(exercise.id))
    sys.stdout.flush()


def self_check_answers(exercise: ExerciseCheck, function: Any, cases: Sequence[Case]) -> ProbeData:
    """The answers of `function` to `cases`, recorded as the sandbox records them.

    The inputs and the answers go through the same encoding as when graded, and the
    course functions that answer the chapter's exercises raise `AnswerWithheld` during
    the calls, as they do in the grading sandbox (`course_lib.checks.withheld`).
    """
    calls, arrays = records.encode_inputs(exercise.inputs(cases))
    with withheld.tripwire(exercise):
        answers, answer_arrays = _probe(exercise, function, calls, arrays)
    return records.decode_answers(exercise.id, answers, answer_arrays)
