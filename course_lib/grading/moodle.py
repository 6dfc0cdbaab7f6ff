"""Moodle: the assignment's grading worksheet filled in with this run's grades, by participant id.

A Moodle assignment with the feedback type "Offline grading worksheet" turned on lets the
teacher download its worksheet (*View all submissions > Download grading worksheet*) and
upload it back (*Upload grading worksheet*). Its importer
(`mod/assign/feedback/offline/importgradeslib.php` and `locallib.php` in moodle/moodle)
reads three columns by their names in the teacher's language: the identifier
(`Participant 1234`), the grade, and the grade's last-modified date; and for each row it
skips an empty grade, a grade above the assignment's maximum grade, and (unless the teacher
ticks "Allow updating records that have been modified more recently in Moodle than in the
spreadsheet") a grade changed in Moodle after the worksheet's date. The participant id is
the number in the names of Moodle's "Download all submissions" archive
(`Ada Lovelace_1234_assignsubmission_file/`), so a grade goes to the right participant
without any name matching, blind marking included.

`read_worksheet` reads the worksheet as downloaded: the identifier is its first column and
the maximum grade the column right after the grade (as Moodle writes them, in any
language); the grade column is found by its name (`Grade` in English; another language's
with `--moodle-grade-column`). `write_moodle_worksheet` writes it back with the grade filled
in for the participants graded (points, or scaled to the maximum grade with
`--scale-points`) and every other cell exactly as downloaded: the upload compares the
feedback columns with Moodle's and changes those that differ, so no other cell is touched
(not even a cell starting with `=`: the file is for Moodle, not for a spreadsheet). Rows of
participants who handed nothing in are left out (Moodle keeps what it has) unless the
teacher asks for zeros. A Moodle assignment has one grade: the assignment's notebooks add
up.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from course_lib.grading.gradebook import (
    ImportReport,
    by_student,
    name_key,
    open_csv,
    points_text,
)
from course_lib.grading.outcomes import NotebookResult

_PARTICIPANT = re.compile(r"(\d+)\s*$")


@dataclass(frozen=True)
class Worksheet:
    """A Moodle assignment's grading worksheet, as downloaded.

    Args:
        header: the column names.
        rows: the participants' rows.
        grade_column: the index of the grade column.
        max_grade: the assignment's maximum grade (the column after the grade).
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    grade_column: int
    max_grade: float

    def participant(self, row: Sequence[str]) -> str:
        """The participant id of a row (`"Participant 1234"` -> `"1234"`)."""
        match = _PARTICIPANT.search(row[0])
        return match.group(1) if match else ""


def read_worksheet(path: str | Path, *, grade_column: str = "Grade") -> Worksheet:
    """Read a Moodle assignment's grading worksheet.

    Args:
        path: the CSV Moodle downloads (UTF-8).
        grade_column: the grade column's name in the worksheet's language. Defaults to
            "Grade".

    Returns:
        A `Worksheet`.

    Raises:
        ValueError: when the file is not a grading worksheet of a point-graded assignment.
    """
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        rows = [tuple(row) for row in csv.reader(handle) if row]
    header = rows[0] if rows else ()
    where = (
        f"`--moodle-worksheet` must be the assignment's grading worksheet as Moodle "
        f"downloads it (View all submissions > Download grading worksheet); {Path(path).name}"
    )
    if grade_column not in header:
        raise ValueError(
            f"{where} has no column {grade_column!r} (its columns: "
            f"{', '.join(header) or 'none'}); for a worksheet in another language, name its "
            "grade column with --moodle-grade-column."
        )
    index = header.index(grade_column)
    body = tuple(r + ("",) * (len(header) - len(r)) for r in rows[1:])
    maxima = {r[index + 1].strip() for r in body if index + 1 < len(header)}
    try:
        (max_grade,) = {float(m.replace(",", ".")) for m in maxima}
    except ValueError:
        max_grade = 0.0
    if max_grade <= 0:
        raise ValueError(
            f"{where} lists no maximum grade after its {grade_column!r} column (found "
            f"{', '.join(sorted(maxima)) or 'nothing'}): the assignment must be graded in "
            "points, not a scale."
        )
    if any(not _PARTICIPANT.search(r[0]) for r in body):
        raise ValueError(f"{where}: its first column must hold identifiers like 'Participant 12'.")
    return Worksheet(tuple(header), body, index, max_grade)


def plan_moodle(worth: float, worksheet: Worksheet, *, scale: bool = False) -> list[str]:
    """Check, before grading, that the assignment's points fit the Moodle assignment's.

    Args:
        worth: what the assignment's notebooks are worth together.
        worksheet: from `read_worksheet`.
        scale: points will be scaled to the maximum grade. Defaults to False.

    Returns:
        The lines to print before grading.

    Raises:
        ValueError: when grades could exceed the maximum grade (Moodle would skip them).
    """
    top = worksheet.max_grade
    if scale:
        return [f"Moodle: grades scaled from {worth:g} points to the maximum grade {top:g}"]
    if worth > top + 1e-9:
        raise ValueError(
            f"the notebooks are worth {worth:g} points and the Moodle assignment's maximum "
            f"grade is {top:g}: Moodle skips a grade above its maximum; pass --scale-points "
            "or raise the maximum grade in Moodle."
        )
    note = "" if abs(worth - top) < 1e-9 else f" (--scale-points writes them out of {top:g})"
    return [f"Moodle: grades written as points out of {worth:g}, maximum grade {top:g}{note}"]


def write_moodle_worksheet(
    results: Sequence[NotebookResult],
    worksheet: Worksheet,
    path: str | Path,
    *,
    ids: Mapping[str, str] | None = None,
    zeros: bool = False,
    scale: bool = False,
) -> ImportReport:
    """Write the worksheet to upload to Moodle, grades filled in.

    Args:
        results: from `grade_submissions`, the assignment's notebooks.
        worksheet: from `read_worksheet`.
        path: the CSV to upload (*Upload grading worksheet*).
        ids: student folder -> Moodle participant id (from the archive's names).
        zeros: write 0 for participants who handed nothing in. Defaults to False.
        scale: scale the points to the maximum grade. Defaults to False.

    Returns:
        A `ImportReport`.
    """
    ids = dict(ids or {})
    known = {worksheet.participant(row) for row in worksheet.rows}
    names = {name_key(row[1]): worksheet.participant(row) for row in worksheet.rows}
    by_participant, report = {}, ImportReport()
    for student, graded in by_student(results).items():
        participant = ids[student] if student in ids else names.get(name_key(student), "")
        if participant in known:
            by_participant[participant] = graded
        else:
            report.unknown.append(student)
    with open_csv(path, "utf-8") as handle:  # no byte-order mark: Moodle reads the header
        writer = csv.writer(handle)
        writer.writerow(worksheet.header)
        for row in worksheet.rows:
            participant = worksheet.participant(row)
            handed = [r for r in by_participant.get(participant, {}).values() if r.submitted]
            if not handed and not zeros:
                report.left_out.append(participant)
                continue
            worth = sum(r.max_points for r in by_participant.get(participant, {}).values())
            points = sum(r.points for r in handed)
            if scale and worth:
                points = points / worth * worksheet.max_grade
            cells = list(
                row
            )  # every other cell as Moodle wrote it: the upload changes nothing else
            cells[worksheet.grade_column] = points_text(points)
            writer.writerow(cells)
            report.written.append(participant)
    return report
