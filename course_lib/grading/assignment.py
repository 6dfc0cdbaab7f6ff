"""The assignment being graded: which released notebooks make it up, and what lateness costs.

A course releases many notebooks; a term's assignment is a few of them ("Homework 4" is
`04_lstm.ipynb`). `rnn-course grade` grades the assignment's notebooks only, so that the
gradebooks it writes hold those and nothing else (no 0 for the notebooks of other weeks):

- `assignment_notebooks`: the notebooks the teacher names (`--notebooks 04_lstm`), checked
  against the release, or by default those the submissions contain (`handed_in_notebooks`).
- `parse_late_penalty` and `apply_late_rule`: Canvas marks a file handed in after the due
  date (`_late_` in its name); the gradebooks keep that flag in a `late` column, and an
  optional rule (`--late-penalty 10%`) takes that share off every exercise of a late
  notebook, with a note in the student's feedback.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

from course_lib.grading.class_grading import find_submission, student_folders
from course_lib.grading.outcomes import NotebookResult


def _as_name(notebook: str) -> str:
    return notebook if notebook.endswith(".ipynb") else notebook + ".ipynb"


def handed_in_notebooks(submissions_dir: str | Path, released: Iterable[str]) -> list[str]:
    """Return the released notebooks that at least one student's folder holds.

    Args:
        submissions_dir: one folder per student.
        released: the released notebooks' file names, in release order.

    Returns:
        The names found, in release order.
    """
    folders = student_folders(submissions_dir)
    return [
        name
        for name in released
        if any(find_submission(folder, name)[0] is not None for folder in folders)
    ]


def assignment_notebooks(
    requested: Sequence[str], handed_in: Iterable[str], released: Sequence[str]
) -> list[str]:
    """Return the notebooks of the assignment: those requested, else those handed in.

    Args:
        requested: what the teacher named (`04_lstm` or `04_lstm.ipynb`); empty for the
            default.
        handed_in: the released notebooks the submissions contain.
        released: every released notebook's file name.

    Returns:
        File names, in release order.

    Raises:
        ValueError: when a requested notebook is not released, or the assignment would
            have no notebook.

    Example:
        >>> assignment_notebooks(["04_lstm"], [], ["01_basics.ipynb", "04_lstm.ipynb"])
        ['04_lstm.ipynb']
    """
    names = [_as_name(n.strip()) for n in requested if n.strip()]
    unknown = [n for n in names if n not in released]
    if unknown:
        raise ValueError(
            f"`--notebooks` must name released notebooks ({', '.join(released)}); "
            f"got {', '.join(unknown)}."
        )
    chosen = set(names) if names else set(handed_in)
    if not chosen:
        raise ValueError(
            "the submissions contain no released notebook "
            f"({', '.join(released) or 'none released'}); name the assignment's notebooks "
            "with --notebooks, or check the release folder (--release)."
        )
    return [n for n in released if n in chosen]


def parse_late_penalty(text: str) -> float:
    """Parse a late penalty, `"10%"` or `"0.1"`, into the share of points taken off.

    Raises:
        ValueError: unless it is a share from 0 to 1 (0% to 100%).

    Example:
        >>> parse_late_penalty("10%")
        0.1
    """
    raw = str(text).strip()
    try:
        share = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise ValueError(
            f"`--late-penalty` must be a share of the points from 0% to 100% (10% or 0.1); "
            f"got {text!r}."
        )
    return share


def apply_late_rule(
    results: Sequence[NotebookResult], late: Collection[tuple[str, str]], penalty: float = 0.0
) -> list[NotebookResult]:
    """Mark late notebooks and take `penalty` of their points off.

    Args:
        results: graded notebooks.
        late: the (student, notebook) pairs the LMS marked late.
        penalty: the share of each exercise's points taken off a late notebook. Defaults
            to 0 (marked late, points kept).

    Returns:
        The results, late ones replaced by copies with `late=True` and reduced points.
    """
    marked = []
    for result in results:
        if (result.student, result.notebook) not in late:
            marked.append(result)
            continue
        rows, notes = result.results, list(result.notes)
        if penalty:
            rows = [dataclasses.replace(r, points=round(r.points * (1 - penalty), 2)) for r in rows]
            notes.append(
                f"Handed in late: {penalty:.0%} of every exercise's points taken off "
                "(the course's late-penalty rule)."
            )
        else:
            notes.append("Handed in late (no penalty).")
        marked.append(dataclasses.replace(result, results=rows, notes=notes, late=True))
    return marked
