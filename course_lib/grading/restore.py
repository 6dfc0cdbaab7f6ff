"""Build the notebook the grader executes: the released exercise with the student's answers.

The released exercise notebook is the template. For each of its cells, in its order:

- a solution cell takes its source from the student's cell with the same `grade_id`
  (only the source: metadata, outputs and cell type come from the release);
- every other cell (check cells, set-up code, text) is the released cell, unchanged.

So deleting or editing a check or set-up cell changes nothing, cells the student added are
dropped (and listed in the feedback), and moving cells around does not matter. A solution
cell whose `grade_id` is missing in the submission (an editor may strip cell metadata) is
looked for among the student's unmatched code cells by the names it defines (`def gru_step`);
when none is found the released stub stays and the exercise is reported as missing.

Restoring is one layer of three. The notebook then runs in the grading sandbox
(`course_lib.grading.sandbox`), which keeps the student's code away from the teacher's files,
the network and other students; and the check cells only probe the student's functions,
while the verdicts are computed in the grader's own process (`course_lib.checks.verdicts`),
so patching NumPy, builtins or the checks inside the kernel changes only what the student's
own functions returned. Solution cells that reach for tampering tools (`sys.modules`,
`importlib`, `inspect`, `builtins`, `__path__`, `signal`, `ctypes`, ...) are still listed in
the notes so that a person can review them.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import nbformat

from course_lib.grading.notebook_format import (
    CHECK,
    INSTALL_GRADE_ID,
    SOLUTION,
    cell_role,
    exercise_of,
    grade_id,
    source_text,
    upgrade_grade_id,
)
from course_lib.validation import shorten

_DEF_LINE = re.compile(r"^(?:async\s+)?(?:def|class)\s+(\w+)", re.MULTILINE)
# Tools a solution cell hardly needs but tampering does; their use is noted for review.
_SUSPICIOUS = re.compile(
    r"\b(sys\.modules|importlib|inspect|builtins|__builtins__|__path__|sys\.meta_path|"
    r"signal|ctypes|gc\.get_objects|sys\._getframe|course_lib\.checks)\b"
    r"|(\.check_\w+\s*=(?!=))"
)


@dataclass
class Restored:
    """The notebook to execute and what restoring it found.

    Args:
        nb: the notebook to execute (no outputs).
        check_cells: exercise id -> index of its check cell in `nb`.
        solution_cells: solution grade_id -> index of the cell in `nb`.
        missing: solution grade_ids that the submission lacks.
        notes: remarks for the student's feedback (edited, deleted or added cells).
    """

    nb: nbformat.NotebookNode
    check_cells: dict[str, int] = field(default_factory=dict)
    solution_cells: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def defined_names(source: str) -> set[str]:
    """Return the names of the functions and classes a cell defines at its top level."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(_DEF_LINE.findall(source))
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {node.name for node in tree.body if isinstance(node, kinds)}


def _clean_copy(cell: Mapping[str, Any]) -> nbformat.NotebookNode:
    cell = nbformat.from_dict(copy.deepcopy(dict(cell)))
    if cell.get("cell_type") == "code":
        cell["outputs"] = []
        cell["execution_count"] = None
    return cell


def restore(release: Mapping[str, Any], submission: Mapping[str, Any]) -> Restored:
    """Build the notebook to grade from the released exercise and a student's notebook.

    Args:
        release: the released exercise notebook (the template).
        submission: the student's copy of it.

    Returns:
        A `Restored` with the notebook to execute and the notes for the feedback.
    """
    student_cells = list(submission.get("cells", []))
    by_id: dict[str, int] = {}
    duplicates: set[str] = set()
    for index, cell in enumerate(student_cells):
        gid = grade_id(cell)
        if gid is None:
            continue
        gid = upgrade_grade_id(gid)  # a copy downloaded before ids were nbgrader-valid: ex1.1
        if gid in by_id:
            duplicates.add(gid)
        else:
            by_id[gid] = index
    release_ids = {grade_id(cell) for cell in release.get("cells", [])} - {None}
    used: set[int] = {index for gid, index in by_id.items() if gid in release_ids}

    nb = nbformat.from_dict(copy.deepcopy({k: v for k, v in release.items() if k != "cells"}))
    nb["cells"] = []
    restored = Restored(nb=nb)
    edited, deleted = [], []
    for cell in release.get("cells", []):
        gid = grade_id(cell)
        role = cell_role(cell)
        new = _clean_copy(cell)
        index = len(nb.cells)
        if role == SOLUTION:
            restored.solution_cells[gid] = index
            found = by_id.get(gid)
            theirs = student_cells[found] if found is not None else None
            if theirs is None or theirs.get("cell_type") != "code":
                found = _match_by_names(cell, student_cells, used)
                if found is not None:
                    theirs = student_cells[found]
                    used.add(found)
                    restored.notes.append(
                        f"Your answer for {gid} was recognised by the names it defines "
                        f"(its cell metadata was missing)."
                    )
            if theirs is None or theirs.get("cell_type") != "code":
                restored.missing.append(gid)
            else:
                new["source"] = source_text(theirs)
                tools = sorted(
                    {
                        a or "an assignment to a check function"
                        for a, b in _SUSPICIOUS.findall(new["source"])
                    }
                )
                if tools:
                    restored.notes.append(
                        f"Solution cell {gid} uses {', '.join(tools)}; flagged for review."
                    )
        else:
            if role == CHECK:
                restored.check_cells[exercise_of(gid)] = index
            found = by_id.get(gid) if gid else None
            if found is None:
                deleted.append(gid or f"cell {index}")
            elif source_text(student_cells[found]) != source_text(cell) and gid != INSTALL_GRADE_ID:
                edited.append(gid)
        nb.cells.append(new)

    extra = [
        f"cell {index} (`{shorten(source_text(cell), 50, lines='first')}`)"
        if source_text(cell).strip()
        else f"cell {index} (empty)"
        for index, cell in enumerate(student_cells)
        if index not in used
    ]
    if edited:
        restored.notes.append(
            "You edited read-only cells; the released versions were used: "
            + ", ".join(edited)
            + "."
        )
    if deleted:
        restored.notes.append(
            "Cells missing from your notebook were restored from the release: "
            + ", ".join(deleted)
            + "."
        )
    if duplicates:
        restored.notes.append(
            "Several cells share a grade_id (copied cells?); the first of each was used: "
            + ", ".join(sorted(duplicates))
            + "."
        )
    if extra:
        shown = ", ".join(extra[:5]) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
        restored.notes.append(
            f"{len(extra)} cell(s) you added were not graded (only solution cells count; "
            f"put helper code inside a solution cell): {shown}."
        )
    return restored


def _match_by_names(
    release_cell: Mapping[str, Any], student_cells: list[Any], used: set[int]
) -> int | None:
    """Find an unused student code cell without metadata defining the same names."""
    names = defined_names(source_text(release_cell))
    if not names:
        return None
    for index, cell in enumerate(student_cells):
        if index in used or cell.get("cell_type") != "code" or grade_id(cell) is not None:
            continue
        if names <= defined_names(source_text(cell)):
            return index
    return None
