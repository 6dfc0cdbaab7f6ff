"""Canvas: the teacher's gradebook export in, an import file that changes this assignment only out.

The teacher exports the gradebook (*Grades > Export > Export Entire Gradebook*): a CSV with
`Student, ID, SIS User ID, SIS Login ID, Section`, then one column per assignment titled
`Title (assignment id)`, computed columns (`Current Score`...), and a `Points Possible` row.
`read_roster` reads it; `plan_canvas_columns` decides, before anything is graded, which
existing Canvas assignment each notebook of this assignment goes to; `write_canvas_csv`
writes the file for *Grades > Import*.

What Canvas's importer does with that file (`app/models/gradebook_importer.rb` and
`ui/features/gradebook_uploads/` in instructure/canvas-lms) decides what is safe to write:

- A column is matched to an assignment by the id in parentheses; a column without one
  creates a new assignment. So every column written names an existing assignment by id,
  mapped explicitly (`--canvas-column 04_lstm="Homework 4: LSTM (5551)"`) or by the
  visible rule below; a new assignment only with `--canvas-new-columns`.
- Only the columns in the file are touched: the file holds the columns of this
  assignment's notebooks and nothing else, so a week-4 import cannot change week 1.
- A number in `Points Possible` becomes the assignment's points: the row is left empty for
  existing assignments (their points stay as set in Canvas); points are written as earned,
  or scaled to the assignment's points possible with `--scale-points`.
- A cell is the new grade, and an empty cell where Canvas holds a grade removes it (the
  import page highlights such a cell as a removal). So a student who handed nothing in
  for the assignment is left out of the file (Canvas keeps what it has), unless the
  teacher asks for zeros (`--missing-as-zero`); a column of a student's row with nothing
  handed in for it holds the value the export had (no change).

**The roster rule**, printed before grading: a notebook goes to the roster's assignment
whose title contains the notebook's name as words, ignoring case, punctuation and leading
zeros (`04_lstm` matches `Homework 4: LSTM (5551)`, not `Homework 14: LSTM (5560)`); it
must match exactly one.

Students are matched to roster rows by, in order: the Canvas user id (`ID`, which Canvas puts
in the file names of its "Download submissions" archive), the `SIS Login ID`, the
`SIS User ID`, then the name (case and spacing ignored, "Last, First" read as "First Last").

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from course_lib.grading.gradebook import (
    ImportReport,
    by_student,
    name_key,
    open_csv,
    points_text,
    safe_row,
)
from course_lib.grading.outcomes import NotebookResult

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
_ASSIGNMENT_HEADER = re.compile(r"^(?P<title>.*?)\s*\((?P<id>\d+)\)$")
_NOT_STUDENTS = ("points possible", "student, test", "test student")


@dataclass(frozen=True)
class RosterStudent:
    """One student of a Canvas gradebook export.

    Args:
        name: `Student` (Canvas writes "Last, First").
        id: `ID`, Canvas's user id.
        sis_user_id: `SIS User ID` (may be empty).
        sis_login_id: `SIS Login ID` (may be empty).
        section: `Section` (may be empty).
        grades: assignment column header -> the grade the export holds ("" for none).
    """

    name: str
    id: str
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    grades: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CanvasAssignment:
    """An assignment column of the gradebook.

    Args:
        header: the column's title as Canvas writes it, `"Homework 4: LSTM (5551)"`.
        id: Canvas's assignment id; "" for a column that would create an assignment.
        points_possible: the `Points Possible` row's value, None when empty.
    """

    header: str
    id: str
    points_possible: float | None = None

    @property
    def title(self) -> str:
        """The title without the id."""
        match = _ASSIGNMENT_HEADER.match(self.header)
        return match["title"] if match else self.header


@dataclass(frozen=True)
class Roster:
    """A Canvas gradebook export: its students and its assignment columns."""

    students: tuple[RosterStudent, ...]
    assignments: tuple[CanvasAssignment, ...] = ()


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def read_roster(path: str | Path) -> Roster:
    """Read the CSV Canvas exports (*Grades > Export*).

    Needs the columns `Student` and `ID`; `SIS User ID`, `SIS Login ID` and `Section` are
    read when present, assignment columns (`Title (id)`) with their `Points Possible` and
    each student's current grades. Rows that are not students (`Points Possible`, a
    "Manual Posting" row, the Test Student) are skipped.

    Args:
        path: the roster CSV (UTF-8, with or without a byte-order mark).

    Returns:
        A `Roster`.

    Raises:
        ValueError: when the file is not a Canvas export (no `Student` or `ID` column).
    """
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        rows = [[cell.strip() for cell in row] for row in csv.reader(handle)]
    columns = rows[0] if rows else []
    missing = [c for c in ("Student", "ID") if c not in columns]
    if missing:
        raise ValueError(
            f"`--roster` must be a Canvas gradebook export with the columns Student and ID "
            f"(Canvas: Grades > Export); {Path(path).name} lacks {', '.join(missing)} "
            f"(its columns: {', '.join(columns) or 'none'})."
        )
    headers = [c for c in columns if _ASSIGNMENT_HEADER.match(c)]
    possible: dict[str, float | None] = {}
    students = []
    for cells in rows[1:]:
        row = dict(zip(columns, cells, strict=False))
        name, user_id = row.get("Student", ""), row.get("ID", "")
        if name.lower() == "points possible":
            possible = {h: _number(row.get(h, "")) for h in headers}
            continue
        if not user_id or name.lower() in _NOT_STUDENTS:
            continue
        students.append(
            RosterStudent(
                name,
                user_id,
                row.get("SIS User ID", ""),
                row.get("SIS Login ID", ""),
                row.get("Section", ""),
                {h: row.get(h, "") for h in headers},
            )
        )
    assignments = tuple(
        CanvasAssignment(h, _ASSIGNMENT_HEADER.match(h)["id"], possible.get(h)) for h in headers
    )
    return Roster(tuple(students), assignments)


def match_roster(
    roster: Roster, students: Iterable[str], ids: Mapping[str, str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """Match graded students to roster rows.

    Args:
        roster: from `read_roster`.
        students: the graded students' names (folder names or LMS archive names).
        ids: student -> Canvas user id, where known (from an LMS archive's file names).

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
        keys.setdefault(f"name:{name_key(entry.name)}", entry.id)
    matched: dict[str, str] = {}
    unknown = []
    for student in students:
        candidates = [f"id:{ids[student].casefold()}"] if student in ids else []
        candidates += [f"id:{student.casefold()}", f"name:{name_key(student)}"]
        found = next((keys[c] for c in candidates if c in keys), None)
        if found is None or found in matched:
            unknown.append(student)
        else:
            matched[found] = student
    return matched, unknown


# -- which column each notebook goes to ------------------------------------------------------


def _words(text: str) -> str:
    """Lower-case words and numbers without leading zeros, space-separated and padded."""
    words = re.findall(r"[^\W_]+", text.casefold())
    return " " + " ".join((w.lstrip("0") or "0") if w.isdigit() else w for w in words) + " "


def rule_matches(notebook: str, roster: Roster) -> list[CanvasAssignment]:
    """The roster's assignments whose title contains the notebook's name as words.

    Example:
        >>> roster = Roster((), (CanvasAssignment("Homework 4: LSTM (5551)", "5551"),
        ...                      CanvasAssignment("Homework 14: LSTM (5560)", "5560")))
        >>> [a.id for a in rule_matches("04_lstm.ipynb", roster)]
        ['5551']
    """
    stem = _words(Path(notebook).stem)
    return [a for a in roster.assignments if stem in _words(a.title)]


@dataclass(frozen=True)
class CanvasColumn:
    """One column of the import file: a Canvas assignment and the notebooks graded into it.

    Args:
        assignment: the Canvas assignment (`id` "" for a new one).
        notebooks: the notebooks whose points add up in this column.
        worth: what those notebooks are worth together.
        how: how the mapping was made, for the plan printed before grading.
    """

    assignment: CanvasAssignment
    notebooks: tuple[str, ...]
    worth: float
    how: str


def _explicit(values: Sequence[str], notebooks: Sequence[str]) -> dict[str, str]:
    mapping = {}
    for value in values:
        key, sep, column = value.partition("=")
        name = key.strip() if key.strip().endswith(".ipynb") else key.strip() + ".ipynb"
        if not sep or not column.strip() or name not in notebooks:
            raise ValueError(
                f"`--canvas-column` must be NOTEBOOK=COLUMN with a notebook of this "
                f"assignment ({', '.join(notebooks)}), e.g. "
                f'04_lstm="Homework 4: LSTM (5551)"; got {value!r}.'
            )
        mapping[name] = column.strip()
    return mapping


def plan_canvas_columns(
    worth: Mapping[str, float],
    roster: Roster,
    explicit: Sequence[str] = (),
    *,
    new_columns: bool = False,
    scale: bool = False,
) -> tuple[list[CanvasColumn], list[str]]:
    """Decide the import file's columns before grading: each notebook -> a Canvas assignment.

    Args:
        worth: the assignment's notebooks -> the points each is worth, in release order.
        roster: from `read_roster`.
        explicit: `--canvas-column` values, `"04_lstm=Homework 4: LSTM (5551)"`; a column
            named by its id alone (`"04_lstm=5551"`) is found in the roster.
        new_columns: allow a column that creates an assignment (`--canvas-new-columns`).
            Defaults to False.
        scale: points will be scaled to each assignment's points possible. Defaults to
            False.

    Returns:
        `(columns, plan)`: the columns in notebook order, and the lines that say where each
        notebook goes and how, to print before grading.

    Raises:
        ValueError: listing every notebook that cannot be placed safely and what to type.
    """
    notebooks = list(worth)
    chosen = _explicit(explicit, notebooks)
    by_id = {a.id: a for a in roster.assignments}
    listed = "; ".join(a.header for a in roster.assignments) or "none"
    problems, placed = [], {}
    for notebook in notebooks:
        if notebook in chosen:
            value = chosen[notebook]
            match = _ASSIGNMENT_HEADER.match(value) or re.fullmatch(r"\(?(?P<id>\d+)\)?", value)
            if match and match["id"] in by_id:
                placed[notebook] = (by_id[match["id"]], "--canvas-column")
            elif match:
                problems.append(
                    f"{notebook}: the roster has no assignment with id {match['id']} "
                    f"(create it in Canvas, then export the gradebook again; the roster's "
                    f"assignments: {listed})"
                )
            elif new_columns:
                placed[notebook] = (CanvasAssignment(value, ""), "new (--canvas-new-columns)")
            else:
                problems.append(
                    f"{notebook}: {value!r} names no assignment id, so Canvas would create "
                    "a new assignment; write the column as Canvas exports it, "
                    f'{Path(notebook).stem}="Title (id)", or pass --canvas-new-columns'
                )
            continue
        found = rule_matches(notebook, roster)
        stem = Path(notebook).stem
        if len(found) == 1:
            placed[notebook] = (found[0], f"the roster rule: the title contains {stem!r}")
        elif not found and new_columns:
            placed[notebook] = (CanvasAssignment(stem, ""), "new (--canvas-new-columns)")
        else:
            which = "; ".join(a.header for a in found) if found else "none"
            problems.append(
                f"{notebook}: the roster rule (a title containing {stem!r}) finds {which}; "
                f'say which with --canvas-column {stem}="Title (id)" (the roster\'s '
                f"assignments: {listed})"
            )
    columns: dict[str, CanvasColumn] = {}
    for notebook, (assignment, how) in placed.items():
        key = assignment.id or assignment.header
        if key in columns:
            old = columns[key]
            columns[key] = CanvasColumn(
                assignment, (*old.notebooks, notebook), old.worth + worth[notebook], old.how
            )
        else:
            columns[key] = CanvasColumn(assignment, (notebook,), worth[notebook], how)
    plan = []
    for column in columns.values():
        possible = column.assignment.points_possible
        target = column.assignment.header + ("" if column.assignment.id else " (a NEW assignment)")
        plan.append(f"Canvas: {' + '.join(column.notebooks)} -> {target} [{column.how}]")
        if scale and column.assignment.id and not possible:
            problems.append(
                f"{column.assignment.header}: --scale-points needs its Points Possible, "
                "which the roster leaves empty"
            )
        elif scale and possible:
            plan.append(f"  points scaled from {column.worth:g} to {possible:g}")
        elif possible is not None and abs(possible - column.worth) > 1e-9:
            plan.append(
                f"  note: the notebooks are worth {column.worth:g} and the assignment "
                f"{possible:g} points; grades are written as points out of {column.worth:g} "
                f"(--scale-points writes them out of {possible:g})"
            )
    if problems:
        raise ValueError(
            "the Canvas import file cannot be written safely:\n  " + "\n  ".join(problems)
        )
    return list(columns.values()), plan


# -- the import file -------------------------------------------------------------------------


def _cell(column: CanvasColumn, graded: Mapping[str, NotebookResult], scale: bool) -> str | None:
    handed = [graded[n] for n in column.notebooks if n in graded and graded[n].submitted]
    if not handed:
        return None
    points = sum(r.points for r in handed)
    possible = column.assignment.points_possible
    if scale and possible and column.worth:
        points = points / column.worth * possible
    return points_text(points)


def write_canvas_csv(
    results: Sequence[NotebookResult],
    roster: Roster,
    columns: Sequence[CanvasColumn],
    path: str | Path,
    *,
    ids: Mapping[str, str] | None = None,
    zeros: bool = False,
    scale: bool = False,
) -> ImportReport:
    """Write the Canvas import file: this assignment's columns, rows of students who handed in.

    Args:
        results: from `grade_submissions`, the assignment's notebooks.
        roster: from `read_roster`.
        columns: from `plan_canvas_columns`.
        path: the CSV file to import in Canvas (*Grades > Import*).
        ids: student -> Canvas user id, where known (from the archive's file names).
        zeros: write 0 for roster students who handed nothing in (`--missing-as-zero`);
            otherwise they are left out. Defaults to False.
        scale: scale points to each assignment's points possible. Defaults to False.

    Returns:
        A `ImportReport`.
    """
    table = by_student(results)
    matched, unknown = match_roster(roster, table, ids)
    report = ImportReport(unknown=unknown)
    with open_csv(path) as handle:
        writer = csv.writer(handle)
        writer.writerow([*CANVAS_COLUMNS, *(c.assignment.header for c in columns)])
        writer.writerow(
            [
                "Points Possible",
                "",
                "",
                "",
                "",
                *("" if c.assignment.id else points_text(c.worth) for c in columns),
            ]
        )
        for entry in roster.students:
            graded = table.get(matched.get(entry.id, ""), {})
            cells = [_cell(c, graded, scale) for c in columns]
            if all(cell is None for cell in cells) and not zeros:
                report.left_out.append(entry.name)
                continue
            cells = [
                ("0.00" if zeros else entry.grades.get(c.assignment.header, ""))
                if cell is None
                else cell
                for c, cell in zip(columns, cells, strict=True)
            ]
            student = [entry.name, entry.id, entry.sis_user_id, entry.sis_login_id, entry.section]
            writer.writerow(safe_row([*student, *cells]))
            report.written.append(entry.name)
    return report
