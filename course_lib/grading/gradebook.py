"""The grader's own gradebooks, from the same results: long and wide CSV, Gradescope's JSON.

`rnn-course grade` grades a class into a list of `NotebookResult` (one per student x
notebook of the assignment); this module turns that list into files for people and for
Gradescope (the Canvas and Moodle import files have their modules, `canvas` and `moodle`):

- `write_csv`: the long CSV, one row per student x exercise (columns `CSV_COLUMNS`:
  `student, notebook, exercise, points, max_points, status, message, sandbox,
  grading_seed, late`); messages on one line; `sandbox` is `yes`, or `NO (--no-sandbox)`
  when the students' code ran unsandboxed, `grading_seed` the seed the checks' inputs came
  from, and `late` is `late` when the LMS marked the notebook late. The exercise column
  holds the number people read (`1.1`), not the nbgrader grade id.
- `write_wide_csv`: one row per student, one column per notebook (its points), `total`
  and `late` (the notebooks handed in late), for a spreadsheet.
- `write_gradescope`: one `results.json` per submission in Gradescope's autograder format
  (`score`, `execution_time`, `output`, `tests` with `name`, `score`, `max_score`,
  `status`, `output`), so the same checks can run inside a Gradescope autograder (see the
  README's Gradescope section: `setup.sh` and `run_autograder` call `rnn-course`).

All files are UTF-8 (the wide CSV with a byte-order mark, which Excel needs to read
accented names), written with `csv` (minimal quoting) and `json`. No cell starts with
`= + - @` (a spreadsheet formula): such text gets a leading `'` (`escaping.spreadsheet_cell`).

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from course_lib.grading.escaping import spreadsheet_cell
from course_lib.grading.outcomes import ExerciseStatus, NotebookResult
from course_lib.validation import shorten

CSV_COLUMNS = (
    "student",
    "notebook",
    "exercise",
    "points",
    "max_points",
    "status",
    "message",
    "sandbox",
    "grading_seed",
    "late",
)
_MAX_CSV_MESSAGE = 1_000
_ENCODING = "utf-8-sig"


def points_text(value: float) -> str:
    """Points as every gradebook writes them: two decimals (`7.50`)."""
    return f"{value:.2f}"


def open_csv(path: str | Path, encoding: str = _ENCODING):
    """Open a gradebook file for writing (its folder made first), for `csv.writer`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("w", newline="", encoding=encoding)


def safe_row(cells) -> list:
    """A row whose text cells no spreadsheet reads as a formula."""
    return [spreadsheet_cell(cell) for cell in cells]


def _notebooks(results: Sequence[NotebookResult]) -> list[str]:
    return list(dict.fromkeys(r.notebook for r in results))


def by_student(results: Sequence[NotebookResult]) -> dict[str, dict[str, NotebookResult]]:
    """Results as student -> notebook name -> result."""
    table: dict[str, dict[str, NotebookResult]] = {}
    for result in results:
        table.setdefault(result.student, {})[result.notebook] = result
    return table


def name_key(name: str) -> str:
    """A name as compared across LMS files: case, spacing, `_` and "Last, First" ignored.

    Example:
        >>> name_key("Lovelace, Ada") == name_key("ada_lovelace") == "ada lovelace"
        True
    """
    name = unicodedata.normalize("NFKC", name).casefold().strip()
    if "," in name:  # "Last, First" -> "first last"
        last, first = name.split(",", 1)
        name = f"{first} {last}"
    return " ".join(re.split(r"[\s_.]+", name)).strip()


@dataclass
class ImportReport:
    """What an LMS import file (Canvas, Moodle) holds, for the summary the teacher reads.

    Args:
        written: the LMS's students (names or ids) with a grade in the file.
        left_out: the LMS's students who handed nothing in (the LMS keeps their grades).
        unknown: graded students the LMS's file lacks (their grades are not in the file).
    """

    written: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def sandbox_text(result: NotebookResult) -> str:
    """How the gradebooks say whether a notebook ran in the sandbox."""
    return "yes" if result.sandboxed else "NO (--no-sandbox)"


def write_csv(results: Sequence[NotebookResult], path: str | Path) -> None:
    """Write the long gradebook: one row per student x exercise (columns `CSV_COLUMNS`).

    Args:
        results: from `grade_submissions`.
        path: the CSV file (UTF-8, no byte-order mark, as before).

    Example:
        >>> write_csv(results, "grades.csv")  # doctest: +SKIP
    """
    with open_csv(path, "utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for notebook in results:
            for r in notebook.results:
                row = [
                    r.student,
                    r.notebook,
                    r.exercise,
                    points_text(r.points),
                    points_text(r.max_points),
                    r.status,
                    shorten(r.message, _MAX_CSV_MESSAGE, lines="join"),
                    sandbox_text(notebook),
                    "" if notebook.seed is None else notebook.seed,
                    "late" if notebook.late else "",
                ]
                writer.writerow(safe_row(row))


def write_wide_csv(results: Sequence[NotebookResult], path: str | Path) -> None:
    """Write one row per student, one column per notebook (points earned), `total`, `late`.

    The header names each notebook by its stem (`01_basics`); the second row,
    `Points Possible`, holds what each column is worth; `late` lists the stems of the
    notebooks handed in late.

    Args:
        results: from `grade_submissions`.
        path: the CSV file.
    """
    notebooks = _notebooks(results)
    table = by_student(results)
    worth = {}
    for result in results:
        worth.setdefault(result.notebook, result.max_points)
    with open_csv(path) as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *(Path(n).stem for n in notebooks), "total", "late"])
        writer.writerow(
            [
                "Points Possible",
                *(points_text(worth[n]) for n in notebooks),
                points_text(sum(worth.values())),
                "",
            ]
        )
        for student, graded in table.items():
            points = [graded[n].points if n in graded else 0.0 for n in notebooks]
            late = " ".join(Path(n).stem for n in notebooks if n in graded and graded[n].late)
            writer.writerow(
                safe_row([student, *map(points_text, points), points_text(sum(points)), late])
            )


# -- Gradescope ------------------------------------------------------------------------------


def gradescope_results(results: Sequence[NotebookResult]) -> dict:
    """Return one submission's results in Gradescope's autograder format (`results.json`).

    One test per exercise, named `"01_basics.ipynb: Exercise 1.1"`; `status` is `"passed"`
    for full marks and `"failed"` otherwise (Gradescope knows no other value), and `output`
    says why (status and message).

    Args:
        results: the `NotebookResult`s of one student.

    Returns:
        A dictionary for `json.dump`: `score`, `execution_time` (seconds, an integer),
        `output`, `tests`.
    """
    tests = []
    for notebook in results:
        for r in notebook.results:
            tests.append(
                {
                    "name": f"{r.notebook}: Exercise {r.exercise}",
                    "score": r.points,
                    "max_score": r.max_points,
                    "status": "passed" if r.status == ExerciseStatus.PASSED else "failed",
                    "output": r.status if not r.message else f"{r.status}: {r.message}",
                }
            )
    notes = [f"{n.notebook}: {note}" for n in results for note in n.notes]
    return {
        "score": round(sum(n.points for n in results), 2),
        "execution_time": int(round(sum(n.seconds for n in results))),
        "output": "\n".join(notes) or "Graded by rnn-course.",
        "tests": tests,
    }


def write_gradescope(results: Sequence[NotebookResult], folder: str | Path) -> list[Path]:
    """Write `folder/<student>/results.json` for every student, in Gradescope's format.

    Args:
        results: from `grade_submissions`.
        folder: where to write (created if needed).

    Returns:
        The files written, one per student.
    """
    paths = []
    for student, graded in by_student(results).items():
        path = Path(folder) / student / "results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(gradescope_results(list(graded.values())), indent=2, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")
        paths.append(path)
    return paths
