"""Every gradebook the grader writes, from the same results: one module, the csv and json modules.

`rnn-course grade` grades a class into a list of `NotebookResult` (one per student x
released notebook); this module turns that list into files for people and for learning
management systems:

- `write_csv`: the long CSV, one row per student x exercise (columns `CSV_COLUMNS`:
  `student, notebook, exercise, points, max_points, status, message, sandbox,
  grading_seed`); messages on one line; `sandbox` is `yes`, or `NO (--no-sandbox)` when the
  students' code ran unsandboxed, and `grading_seed` the seed the checks' inputs came from.
  The exercise column holds the number people read (`1.1`), not the nbgrader grade id.
- `write_wide_csv`: one row per student, one column per notebook (its points) and `total`,
  for a spreadsheet or an LMS column import.
- `write_canvas_csv`: the CSV that Canvas's *Gradebook > Import* accepts, built from the
  roster the teacher exported from Canvas (*Gradebook > Export*): columns `Student`, `ID`,
  `SIS User ID`, `SIS Login ID`, `Section`, then one column per assignment (notebook), and a
  `Points Possible` row. Every roster student is in it; a student without a submission gets
  0; graded students the roster lacks are returned so the caller can report them. A roster
  column that already names an assignment (`01_basics (123)`, as Canvas exports it) is
  reused, so the import updates that column instead of creating a new one.
- `write_gradescope`: one `results.json` per submission in Gradescope's autograder format
  (`score`, `execution_time`, `output`, `tests` with `name`, `score`, `max_score`,
  `status`, `output`), so the same checks can run inside a Gradescope autograder (see the
  README's Gradescope section: `setup.sh` and `run_autograder` call `rnn-course`).

Students are matched to roster rows by, in order: the Canvas user id (`ID`, which Canvas puts
in the file names of its "Download submissions" archive), the `SIS Login ID`, the
`SIS User ID`, then the name (case and spacing ignored, "Last, First" read as "First Last").

All files are UTF-8 (the CSVs with a byte-order mark, which Excel needs to read accented
names and LMS importers ignore), written with `csv` (minimal quoting) and `json`.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from course_lib.grading.grade import PASSED, NotebookResult

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
)
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
_MAX_CSV_MESSAGE = 1_000
_ENCODING = "utf-8-sig"


def _one_line(text: str, limit: int = _MAX_CSV_MESSAGE) -> str:
    text = " | ".join(line.strip() for line in str(text).splitlines() if line.strip())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _points(value: float) -> str:
    return f"{value:.2f}"


def _open(path: str | Path, encoding: str = _ENCODING):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("w", newline="", encoding=encoding)


def _notebooks(results: Sequence[NotebookResult]) -> list[str]:
    return list(dict.fromkeys(r.notebook for r in results))


def _by_student(results: Sequence[NotebookResult]) -> dict[str, dict[str, NotebookResult]]:
    table: dict[str, dict[str, NotebookResult]] = {}
    for result in results:
        table.setdefault(result.student, {})[result.notebook] = result
    return table


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
    with _open(path, "utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for notebook in results:
            for r in notebook.results:
                writer.writerow(
                    [
                        r.student,
                        r.notebook,
                        r.exercise,
                        _points(r.points),
                        _points(r.max_points),
                        r.status,
                        _one_line(r.message),
                        sandbox_text(notebook),
                        "" if notebook.seed is None else notebook.seed,
                    ]
                )


def write_wide_csv(results: Sequence[NotebookResult], path: str | Path) -> None:
    """Write one row per student, one column per notebook (points earned) and `total`.

    The header names each notebook by its stem (`01_basics`); the second row,
    `Points Possible`, holds what each column is worth.

    Args:
        results: from `grade_submissions`.
        path: the CSV file.
    """
    notebooks = _notebooks(results)
    table = _by_student(results)
    worth = {}
    for result in results:
        worth.setdefault(result.notebook, result.max_points)
    with _open(path) as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *(Path(n).stem for n in notebooks), "total"])
        writer.writerow(
            [
                "Points Possible",
                *(_points(worth[n]) for n in notebooks),
                _points(sum(worth.values())),
            ]
        )
        for student, graded in table.items():
            points = [graded[n].points if n in graded else 0.0 for n in notebooks]
            writer.writerow([student, *map(_points, points), _points(sum(points))])


# -- rosters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterStudent:
    """One student of an LMS roster (a Canvas gradebook export).

    Args:
        name: `Student` (Canvas writes "Last, First").
        id: `ID`, the LMS's user id.
        sis_user_id: `SIS User ID` (may be empty).
        sis_login_id: `SIS Login ID` (may be empty).
        section: `Section` (may be empty).
    """

    name: str
    id: str
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""


@dataclass(frozen=True)
class Roster:
    """A roster: its students and any assignment columns it already has."""

    students: tuple[RosterStudent, ...]
    assignment_columns: tuple[str, ...] = ()


def read_roster(path: str | Path) -> Roster:
    """Read the CSV an LMS exports (Canvas: *Gradebook > Export*).

    Needs the columns `Student` and `ID`; `SIS User ID`, `SIS Login ID` and `Section` are
    read when present. Rows that are not students (`Points Possible`, the test student) are
    skipped.

    Args:
        path: the roster CSV (UTF-8, with or without a byte-order mark).

    Returns:
        A `Roster`.

    Raises:
        ValueError: when the file lacks the `Student` or `ID` column.
    """
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = [c.strip() for c in reader.fieldnames or []]
        missing = [c for c in ("Student", "ID") if c not in columns]
        if missing:
            raise ValueError(
                f"`roster` must be an LMS export with the columns Student and ID "
                f"(Canvas: Gradebook > Export); {Path(path).name} lacks {', '.join(missing)} "
                f"(its columns: {', '.join(columns) or 'none'})."
            )
        students = []
        for row in reader:
            row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            name, user_id = row.get("Student", ""), row.get("ID", "")
            if not user_id or name.lower() in ("points possible", "student, test", "test student"):
                continue
            students.append(
                RosterStudent(
                    name,
                    user_id,
                    row.get("SIS User ID", ""),
                    row.get("SIS Login ID", ""),
                    row.get("Section", ""),
                )
            )
    extra = tuple(c for c in columns if c not in CANVAS_COLUMNS and c)
    return Roster(tuple(students), extra)


def _name_key(name: str) -> str:
    name = unicodedata.normalize("NFKC", name).casefold().strip()
    if "," in name:  # "Last, First" -> "first last"
        last, first = name.split(",", 1)
        name = f"{first} {last}"
    return " ".join(re.split(r"[\s_.]+", name)).strip()


def match_roster(
    roster: Roster, students: Iterable[str], ids: Mapping[str, str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """Match graded students to roster rows.

    Args:
        roster: from `read_roster`.
        students: the graded students' names (folder names or LMS archive names).
        ids: student -> LMS user id, where known (from an LMS archive's file names).

    Returns:
        `(matched, unknown)`: roster `ID` -> graded student, and the graded students that
        match no roster row, in the order given.
    """
    ids = dict(ids or {})
    keys: dict[str, str] = {}
    for entry in roster.students:
        for key in (entry.id, entry.sis_login_id, entry.sis_user_id):
            if key:
                keys.setdefault(f"id:{key.casefold()}", entry.id)
        keys.setdefault(f"name:{_name_key(entry.name)}", entry.id)
    matched: dict[str, str] = {}
    unknown = []
    for student in students:
        candidates = [f"id:{ids[student].casefold()}"] if student in ids else []
        candidates += [f"id:{student.casefold()}", f"name:{_name_key(student)}"]
        found = next((keys[c] for c in candidates if c in keys), None)
        if found is None or found in matched:
            unknown.append(student)
        else:
            matched[found] = student
    return matched, unknown


def write_canvas_csv(
    results: Sequence[NotebookResult],
    roster: Roster,
    path: str | Path,
    *,
    ids: Mapping[str, str] | None = None,
) -> list[str]:
    """Write the Canvas gradebook-import CSV: every roster student, one column per notebook.

    Args:
        results: from `grade_submissions`.
        roster: from `read_roster`.
        path: the CSV file to import in Canvas (*Gradebook > Import*).
        ids: student -> Canvas user id, where known (from the archive's file names).

    Returns:
        The graded students the roster lacks (their grades are not in the file).
    """
    notebooks = _notebooks(results)
    table = _by_student(results)
    matched, unknown = match_roster(roster, table, ids)
    worth = {}
    for result in results:
        worth.setdefault(result.notebook, result.max_points)
    headers = []
    for notebook in notebooks:
        stem = Path(notebook).stem
        existing = [c for c in roster.assignment_columns if c == stem or c.startswith(stem + " (")]
        headers.append(existing[0] if existing else stem)
    with _open(path) as handle:
        writer = csv.writer(handle)
        writer.writerow([*CANVAS_COLUMNS, *headers])
        writer.writerow(
            ["Points Possible", "", "", "", "", *(_points(worth[n]) for n in notebooks)]
        )
        for entry in roster.students:
            graded = table.get(matched.get(entry.id, ""), {})
            points = [graded[n].points if n in graded else 0.0 for n in notebooks]
            writer.writerow(
                [
                    entry.name,
                    entry.id,
                    entry.sis_user_id,
                    entry.sis_login_id,
                    entry.section,
                    *map(_points, points),
                ]
            )
    return unknown


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
                    "status": "passed" if r.status == PASSED else "failed",
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
    for student, graded in _by_student(results).items():
        path = Path(folder) / student / "results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(gradescope_results(list(graded.values())), indent=2, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")
        paths.append(path)
    return paths
