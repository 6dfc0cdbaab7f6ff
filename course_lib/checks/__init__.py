"""The checks behind the course's exercises, one module per chapter (`ch1` ... `ch9`).

A check cell of an exercise notebook imports its chapter's module and calls one check::

    from course_lib.checks import ch4
    ch4.check_gru_step(gru_step)

which prints `Exercise 4.2: passed 5 of 5 checks` or raises `CheckFailed` explaining every
failed check. Each check is a declaration (`course_lib.checks.exercise`): the exercise, its
reference, its typical mistakes, then its cases. The machinery around it:

- `contract`: what the checks and the grader agree on (result line, probe files);
- `exercise`: the declaration and the judging of answers;
- `probe`: calling the student's function and recording its answers, as data (`records`);
- `report`: the messages a student reads;
- `verdicts`: the grader's side (inputs drawn and answers judged in its own process);
- `withheld`: the answer key, kept out of the student's code.

This package imports no chapter module eagerly, so importing it stays cheap (no TensorFlow).

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are checked.
"""

from course_lib.checks.contract import AnswerWithheld, parse_result_line, result_line
from course_lib.checks.records import Opaque, ProbeError
from course_lib.checks.report import CallFailed, CheckFailed, CheckReport

__all__ = [
    "AnswerWithheld",
    "CallFailed",
    "CheckFailed",
    "CheckReport",
    "Opaque",
    "ProbeError",
    "parse_result_line",
    "result_line",
]
