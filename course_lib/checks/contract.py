"""What the checks and the grader agree on, written once: both sides import it from here.

- **Exercise ids** are `"chapter.number"` (`"4.2"`): `EXERCISE_ID`.
- **The result line**, the first line of a check's output, `Exercise 4.2: passed 3 of 5
  checks` (`result_line`, `parse_result_line`), and the rule that an exercise passed:
  every check held and there was at least one (`is_passed`).
- **The checks package**, `course_lib.checks` (`CHECKS_PACKAGE`): the modules a check cell
  may import, reloaded before each check cell when the grader runs a notebook.
- **The probe protocol.** When the grader runs a notebook it writes, for every exercise, the
  inputs its student function may see into a folder and names that folder in the kernel's
  environment (`PROBE_DIR_ENV`). A check cell then only *probes*: it calls the student's
  function on those inputs and writes the answers next to them (`probe_files`), printing
  `probe_line`. The grader judges the answers in its own process, where the seed of the
  inputs and the expected values stay.
- **The answer key is withheld** while a notebook is graded: the course functions that
  answer its exercises raise `AnswerWithheld`, naming the exercise (see
  `course_lib.grading.answer_key`).

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are checked.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NoReturn

__all__ = [
    "CHECKS_PACKAGE",
    "EXERCISE_ID",
    "EXERCISE_ID_PATTERN",
    "PROBE_DIR_ENV",
    "AnswerWithheld",
    "is_passed",
    "parse_result_line",
    "probe_files",
    "probe_line",
    "result_line",
    "withhold",
]

#: The package of the course's check modules (`from course_lib.checks import ch4`).
CHECKS_PACKAGE = "course_lib.checks"
#: The environment variable that names the probe folder: set, check cells only probe.
PROBE_DIR_ENV = "RNN_COURSE_PROBE_DIR"

#: The pattern of an exercise id inside a longer text (a heading, the result line).
EXERCISE_ID_PATTERN = r"\d+\.\d+"
#: An exercise id, `"chapter.number"`.
EXERCISE_ID = re.compile(rf"^{EXERCISE_ID_PATTERN}$")
_RESULT_LINE = re.compile(
    rf"^Exercise (?P<exercise>{EXERCISE_ID_PATTERN}): passed (?P<passed>\d+) of "
    r"(?P<total>\d+) checks$"
)
# The two kinds of probe files: what the grader hands in, what the probe hands back.
_PROBE_KINDS = ("inputs", "answers")


class AnswerWithheld(RuntimeError):
    """Raised by a course function that answers an exercise of the notebook being graded.

    The message names the function and the exercise, e.g. "course_lib.cells.simple_rnn_step
    answers Exercise 1.1: it is withheld while your notebook is graded; write your own."
    """


def withhold(message: str) -> NoReturn:
    """Raise `AnswerWithheld(message)`: the body of a withheld function while graded."""
    raise AnswerWithheld(message)


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


def is_passed(passed: int, total: int) -> bool:
    """Whether an exercise passed: every one of its checks held, and it had at least one.

    Example:
    >>> is_passed(5, 5), is_passed(4, 5), is_passed(0, 0)
    (True, False, False)
    """
    return passed == total > 0


def probe_files(probe_dir: str | Path, exercise: str, kind: str) -> tuple[Path, Path]:
    """The two files of one exercise's probe record: `(<exercise>.<kind>.json, ... .npz)`.

    Args:
        probe_dir: the probe folder (`PROBE_DIR_ENV`).
        exercise: the exercise id, e.g. `"1.1"`.
        kind: `"inputs"` (written by the grader) or `"answers"` (written by the probe).

    Example:
    >>> [p.name for p in probe_files("probes", "1.1", "answers")]
    ['1.1.answers.json', '1.1.answers.npz']
    """
    if kind not in _PROBE_KINDS:
        raise ValueError(f"`kind` must be one of {_PROBE_KINDS}; got {kind!r}.")
    if not isinstance(exercise, str) or not EXERCISE_ID.match(exercise):
        raise ValueError(f"`exercise` must be an id like '4.2'; got {exercise!r}.")
    folder = Path(probe_dir)
    return folder / f"{exercise}.{kind}.json", folder / f"{exercise}.{kind}.npz"


def probe_line(exercise: str) -> str:
    """What a check cell prints when it has probed: `"Exercise 1.1: answers recorded for grading"`."""
    return f"Exercise {exercise}: answers recorded for grading"
