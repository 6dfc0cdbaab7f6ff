"""The checks behind the course's exercises, one module per chapter (`ch1` ... `ch6`).

A check cell of an exercise notebook imports its chapter's module and calls one check::

    from course_lib.checks import ch4
    ch4.check_gru_step(gru_step)

which prints `Exercise 4.2: passed 5 of 5 checks` or raises `CheckFailed` explaining every
failed check. Check modules build their report with `CheckReport` (see
`course_lib/checks/report.py`); this package imports no chapter module eagerly, so importing
it stays cheap (no TensorFlow).

When the grader runs a notebook, the check cells only probe (`RNN_COURSE_PROBE_DIR`) and
the grader judges the recorded answers in its own process: `course_lib.checks.verdicts`.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are checked.
"""

from course_lib.checks.records import Opaque, ProbeError
from course_lib.checks.report import (
    CallFailed,
    CheckFailed,
    CheckReport,
    parse_result_line,
    result_line,
)

__all__ = [
    "CallFailed",
    "CheckFailed",
    "CheckReport",
    "Opaque",
    "ProbeError",
    "parse_result_line",
    "result_line",
]
