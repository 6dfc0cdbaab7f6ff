"""The format of the course's exercise notebooks, and how to read, check and write them.

Source of truth: `solutions/NN_topic.ipynb`. `rnn-course assign` generates the students'
`exercises/NN_topic.ipynb` from it. Every cell carries nbgrader-compatible metadata
(`metadata.nbgrader`, `schema_version` 3), so the notebooks also open in nbgrader's tools.
There are three kinds of cells:

**Solution cells** (code) hold the answer between marker lines::

    {"nbgrader": {"solution": true, "grade": false, "locked": false,
                  "grade_id": "ex4_2-solution", "schema_version": 3}}

    def gru_step(x_t, h, kernel, recurrent_kernel, bias):
        \"\"\"One GRU step ...\"\"\"
        ### BEGIN SOLUTION
        # TODO: compute the update and reset gates, then the candidate state.
        z = ...
        ### END SOLUTION

  Rule: a marked region is always inside a function body, so the generated exercise (where
  the region becomes `raise NotImplementedError("Exercise 4.2: ...")`) runs from top to
  bottom without error until a check cell calls the function. The grade_id is
  `ex<chapter>_<number>-solution`; an exercise with several answer cells numbers the others
  `ex4_2-solution-2`, `ex4_2-solution-3`. A `# TODO: ...` comment, first inside the region
  or right above it, becomes the instruction in the stub.

**Check cells** (code) grade one exercise each::

    {"nbgrader": {"grade": true, "solution": false, "locked": true,
                  "grade_id": "ex4_2", "points": 5, "schema_version": 3},
     "tags": ["nbval-check-output"]}

    from course_lib.checks import ch4
    ch4.check_gru_step(gru_step)

  They come after the exercise's solution cells. On success the check prints exactly one
  line, `Exercise 4.2: passed 5 of 5 checks`; on failure it raises
  `course_lib.checks.CheckFailed` whose message starts `Exercise 4.2: passed 3 of 5 checks`
  and lists every failed check. The tag makes `pytest --nbval-lax` compare the cell's
  output with the stored success line (nbval compares only cells with a stored
  `execution_count`, which `assign` sets). Points belong to the check cell.

**Every other cell** (Markdown, set-up code, demonstrations) is read-only::

    {"nbgrader": {"grade": false, "solution": false, "locked": true,
                  "grade_id": "<unique id>", "schema_version": 3}}

Exercise ids, the numbers people read, are `"chapter.number"` (`"4.2"`): gradebooks,
messages and check reports use them. Grade ids are unique within a notebook and use only the
characters nbgrader's schema accepts (`^[a-zA-Z0-9_-]*$`), so the dot becomes an underscore:
exercise `"4.2"` has the check cell `ex4_2` and the solution cell `ex4_2-solution`; other
cells are named freely (`text-4_2`, `demo-4_2`). `check_grade_id`, `solution_grade_id` and
`exercise_of` convert between the two. Notebooks written before this rule used dotted ids
(`ex4.2`, `text-4.2`); `validate` refuses them, naming the old form, and `upgrade_grade_ids`
(command line: `rnn-course upgrade-ids NOTEBOOK...`) converts them.

The builders (`markdown_cell`, `code_cell`, `solution_cell`, `check_cell`, `new_notebook`)
create cells in this format, and `validate` lists everything that breaks it. Notebooks are
written with `dumps`/`write_notebook`, whose output is byte-for-byte deterministic.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises work.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat.warnings import MissingIDFieldWarning

SCHEMA_VERSION = 3
CHECK_OUTPUT_TAG = "nbval-check-output"
# Notebook-level metadata key under which generated notebooks say where they come from.
METADATA_KEY = "course_lib"
# Largest notebook file the tools read (a student's notebook full of plots can be big).
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024

BEGIN_SOLUTION = re.compile(r"^(?P<indent>[ \t]*)#+[ \t]*BEGIN SOLUTION[ \t]*$")
END_SOLUTION = re.compile(r"^[ \t]*#+[ \t]*END SOLUTION[ \t]*$")
TODO_LINE = re.compile(r"^[ \t]*#+[ \t]*TODO:?[ \t]*(?P<text>.+?)[ \t]*$")
EXERCISE_ID = re.compile(r"^\d+\.\d+$")
CHECK_GRADE_ID = re.compile(r"^ex(?P<chapter>\d+)_(?P<number>\d+)$")
SOLUTION_GRADE_ID = re.compile(r"^ex(?P<chapter>\d+)_(?P<number>\d+)-solution(?:-(?P<part>\d+))?$")
# Any grade_id that belongs to an exercise: `ex4_2`, `ex4_2-solution`, `ex4_2b` (not `ex4_21`).
EXERCISE_GRADE_ID = re.compile(r"^ex(?P<chapter>\d+)_(?P<number>\d+)(?![0-9])")
# The locked cell that installs the course where it is missing (course_lib.install_cell). Its
# pinned source differs between a published copy and a teacher's clone: not an edit.
INSTALL_GRADE_ID = "install"
# nbgrader's schema (nbgrader/nbgraderformat/common.py) for grade_id.
NBGRADER_GRADE_ID = re.compile(r"^[a-zA-Z0-9_\-]*$")

SOLUTION, CHECK, LOCKED = "solution", "check", "locked"
# The one table of nbgrader flags per cell role.
FLAGS: Mapping[str, Mapping[str, bool]] = {
    SOLUTION: {"solution": True, "grade": False, "locked": False},
    CHECK: {"solution": False, "grade": True, "locked": True},
    LOCKED: {"solution": False, "grade": False, "locked": True},
}
# The kernel the course's notebooks name (the grader runs them on its own Python anyway).
DEFAULT_KERNELSPEC: Mapping[str, str] = {
    "display_name": "Python 3 (ipykernel)",
    "language": "python",
    "name": "python3",
}


class NotebookFormatError(ValueError):
    """A notebook breaks the exercise-notebook format; the message lists every problem."""


class NotebookReadError(ValueError):
    """A file could not be read as a notebook (missing, too large, not JSON, not a notebook)."""


@dataclass(frozen=True)
class Exercise:
    """One graded exercise of a notebook (the grader's and the book's exercise list's).

    Args:
        id: `"chapter.number"`, e.g. `"4.2"`: the number people read.
        points: the points of its check cell(s).
        check_grade_id: grade_id of its check cell, `"ex4_2"`.
        solution_grade_ids: grade_ids of its solution cells, in notebook order.
        title: what the exercise asks, from the heading above it (may be empty; filled by
            `course_lib.exercise_index`).
        summary: the first sentence under that heading (may be empty).
    """

    id: str
    points: float
    check_grade_id: str = ""
    solution_grade_ids: tuple[str, ...] = ()
    title: str = ""
    summary: str = ""


# -- grade ids -------------------------------------------------------------------------------


def _check_exercise(exercise: str) -> str:
    if not isinstance(exercise, str) or not EXERCISE_ID.match(exercise):
        raise ValueError(f'`exercise` must be "chapter.number" such as "4.2"; got {exercise!r}.')
    return exercise


def check_grade_id(exercise: str) -> str:
    """Return the grade_id of an exercise's check cell: `"4.2"` -> `"ex4_2"`."""
    return "ex" + _check_exercise(exercise).replace(".", "_")


def solution_grade_id(exercise: str, part: int | None = None) -> str:
    """Return the grade_id of a solution cell: `"4.2"` -> `"ex4_2-solution"` (part 2: `-2`)."""
    return check_grade_id(exercise) + "-solution" + (f"-{part}" if part else "")


def upgrade_grade_id(gid: str) -> str:
    """Return the nbgrader-valid form of a grade_id: `"ex4.2-solution"` -> `"ex4_2-solution"`.

    Every character outside `[a-zA-Z0-9_-]` becomes `_`; a valid id is returned unchanged.
    """
    return re.sub(r"[^a-zA-Z0-9_\-]", "_", gid)


def upgrade_grade_ids(nb: Mapping[str, Any]) -> dict[str, str]:
    """Convert a notebook's dotted grade_ids (`ex7.1`, `text-7.1`) to the nbgrader-valid form.

    The notebook is changed in place; nothing else (sources, cell ids, points) is touched.
    The exercise numbers people read (`Exercise 7.1`, `CheckReport("7.1")`) stay as they are.

    Args:
        nb: a notebook, e.g. from `read_notebook`.

    Returns:
        `{old: new}` for every grade_id that changed (empty when nothing had to).

    Raises:
        NotebookFormatError: when two cells would end up with the same grade_id.

    Example:
        >>> nb = new_notebook([code_cell("x = 1", "demo-7.1")])
        >>> upgrade_grade_ids(nb)
        {'demo-7.1': 'demo-7_1'}
    """
    changed: dict[str, str] = {}
    taken = {gid for gid in map(grade_id, nb.get("cells", [])) if gid}
    for cell in nb.get("cells", []):
        gid = grade_id(cell)
        if gid is None or NBGRADER_GRADE_ID.match(gid):
            continue
        new = upgrade_grade_id(gid)
        if new in taken:
            raise NotebookFormatError(
                f"grade_id {gid!r} would become {new!r}, which another cell already uses"
            )
        taken.add(new)
        cell["metadata"]["nbgrader"]["grade_id"] = new
        changed[gid] = new
    return changed


def _old_form_problem(where: str, gid: str) -> str:
    return (
        f"{where}: grade_id {gid!r} has characters nbgrader refuses (it accepts only letters, "
        f"digits, '_' and '-'); the old dotted form {gid!r} is now {upgrade_grade_id(gid)!r}: "
        "run `rnn-course upgrade-ids NOTEBOOK` to convert the notebook"
    )


# -- cell metadata -------------------------------------------------------------------------


def nbgrader_metadata(cell: Mapping[str, Any]) -> dict[str, Any]:
    """Return a cell's `metadata.nbgrader` dictionary (empty when absent or malformed)."""
    metadata = cell.get("metadata")
    value = metadata.get("nbgrader") if isinstance(metadata, Mapping) else None
    return dict(value) if isinstance(value, Mapping) else {}


def grade_id(cell: Mapping[str, Any]) -> str | None:
    """Return a cell's nbgrader `grade_id`, or None."""
    value = nbgrader_metadata(cell).get("grade_id")
    return value if isinstance(value, str) and value else None


def cell_role(cell: Mapping[str, Any]) -> str | None:
    """Return `"solution"`, `"check"` or `"locked"` from a cell's metadata, None if unmarked."""
    meta = nbgrader_metadata(cell)
    if not meta:
        return None
    if meta.get("solution") is True:
        return SOLUTION
    if meta.get("grade") is True:
        return CHECK
    return LOCKED


def exercise_of(grade_id: str | None) -> str | None:
    """Return the exercise id of a check or solution grade_id (`"ex4_2-solution"` -> `"4.2"`)."""
    if not grade_id:
        return None
    match = CHECK_GRADE_ID.match(grade_id) or SOLUTION_GRADE_ID.match(grade_id)
    return f"{match['chapter']}.{match['number']}" if match else None


def source_text(cell: Mapping[str, Any]) -> str:
    """Return a cell's source as one string (notebooks on disk may store a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def list_exercises(nb: Mapping[str, Any]) -> list[Exercise]:
    """Return the exercises of a notebook in the order of their check cells.

    Solution cells are attached to their exercise by grade_id. No validation is done here;
    see `validate`.
    """
    solutions: dict[str, list[str]] = {}
    for cell in nb.get("cells", []):
        gid = grade_id(cell)
        if cell_role(cell) == SOLUTION and SOLUTION_GRADE_ID.match(gid or ""):
            solutions.setdefault(exercise_of(gid), []).append(gid)
    exercises = []
    for cell in nb.get("cells", []):
        gid = grade_id(cell)
        if cell_role(cell) == CHECK and CHECK_GRADE_ID.match(gid or ""):
            exercise = exercise_of(gid)
            points = nbgrader_metadata(cell).get("points", 0)
            exercises.append(
                Exercise(
                    id=exercise,
                    points=float(points) if isinstance(points, int | float) else 0.0,
                    check_grade_id=gid,
                    solution_grade_ids=tuple(solutions.get(exercise, ())),
                )
            )
    return exercises


def solution_regions(source: str) -> list[tuple[int, int]]:
    """Return `(begin, end)` line indices of the `BEGIN SOLUTION`/`END SOLUTION` markers.

    Raises:
        NotebookFormatError: for an unmatched or nested marker.
    """
    regions, begin = [], None
    for number, line in enumerate(source.split("\n")):
        if BEGIN_SOLUTION.match(line):
            if begin is not None:
                raise NotebookFormatError(f"nested BEGIN SOLUTION on line {number + 1}")
            begin = number
        elif END_SOLUTION.match(line):
            if begin is None:
                raise NotebookFormatError(f"END SOLUTION without BEGIN on line {number + 1}")
            regions.append((begin, number))
            begin = None
    if begin is not None:
        raise NotebookFormatError(f"BEGIN SOLUTION on line {begin + 1} is never ended")
    return regions


# -- validation ------------------------------------------------------------------------------


def _cell_problems(cell: Mapping[str, Any], where: str, regions: bool) -> list[str]:
    meta = nbgrader_metadata(cell)
    if not meta:
        return [f"{where} has no nbgrader metadata"]
    problems = []
    if meta.get("schema_version") != SCHEMA_VERSION:
        problems.append(f"{where}: nbgrader schema_version must be {SCHEMA_VERSION}")
    role = cell_role(cell)
    gid = grade_id(cell)
    if gid and not NBGRADER_GRADE_ID.match(gid):
        return [*problems, _old_form_problem(where, gid)]
    flags = {key: meta.get(key) for key in ("solution", "grade", "locked")}
    wanted = dict(FLAGS[role])
    if flags != wanted:
        problems.append(f"{where}: a {role} cell needs nbgrader flags {wanted}; got {flags}")
    if role == SOLUTION:
        if cell.get("cell_type") != "code":
            problems.append(f"{where}: solution cells must be code cells")
        if not SOLUTION_GRADE_ID.match(gid or ""):
            problems.append(f"{where}: solution grade_id must look like 'ex4_2-solution'")
        try:
            if not solution_regions(source_text(cell)) and regions:
                problems.append(f"{where}: no '### BEGIN SOLUTION' / '### END SOLUTION' region")
        except NotebookFormatError as error:
            problems.append(f"{where}: {error}")
    elif role == CHECK:
        if cell.get("cell_type") != "code":
            problems.append(f"{where}: check cells must be code cells")
        if not CHECK_GRADE_ID.match(gid or ""):
            problems.append(f"{where}: check grade_id must look like 'ex4_2'")
        points = meta.get("points")
        if isinstance(points, bool) or not isinstance(points, int | float) or points <= 0:
            problems.append(f"{where}: check cells need positive 'points'; got {points!r}")
        if CHECK_OUTPUT_TAG not in cell.get("metadata", {}).get("tags", []):
            problems.append(f"{where}: check cells need the tag '{CHECK_OUTPUT_TAG}'")
    elif gid and (CHECK_GRADE_ID.match(gid) or SOLUTION_GRADE_ID.match(gid)):
        problems.append(f"{where}: grade_id {gid!r} is reserved for check and solution cells")
    return problems


def validate(
    nb: Mapping[str, Any], name: str = "notebook", *, regions: bool = True
) -> list[Exercise]:
    """Check that `nb` follows the exercise-notebook format and return its exercises.

    Args:
        nb: the notebook.
        name: how to name the notebook in messages, e.g. `"solutions/04_lstm.ipynb"`.
        regions: whether solution cells must hold marked solution regions: True for
            solution notebooks (the default), False for released exercises (stubs).

    Returns:
        The notebook's exercises, as `list_exercises` returns them.

    Raises:
        NotebookFormatError: listing every problem found, one per line.
    """
    problems: list[str] = []
    seen: dict[str, int] = {}
    solved: dict[str, int] = {}
    for index, cell in enumerate(nb.get("cells", [])):
        gid = grade_id(cell)
        where = f"cell {index} ({gid})" if gid else f"cell {index}"
        problems += _cell_problems(cell, where, regions)
        if gid is None:
            if nbgrader_metadata(cell):
                problems.append(f"{where}: missing grade_id")
            continue
        if gid in seen:
            problems.append(f"{where}: grade_id {gid!r} already used by cell {seen[gid]}")
        seen[gid] = index
        if cell_role(cell) == SOLUTION and SOLUTION_GRADE_ID.match(gid):
            solved.setdefault(exercise_of(gid), index)
        if cell_role(cell) == CHECK and CHECK_GRADE_ID.match(gid):
            if exercise_of(gid) not in solved:
                problems.append(
                    f"{where}: no solution cell {solution_grade_id(exercise_of(gid))} above it"
                )
    checked = {exercise_of(grade_id(c)) for c in nb.get("cells", []) if cell_role(c) == CHECK}
    for exercise, index in solved.items():
        if exercise not in checked:
            problems.append(
                f"cell {index}: exercise {exercise} has no check cell {check_grade_id(exercise)!r}"
            )
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        raise NotebookFormatError(f"{name} breaks the exercise-notebook format:\n{listed}")
    return list_exercises(nb)


# -- reading and writing ---------------------------------------------------------------------


@contextlib.contextmanager
def _quiet_nbformat() -> Iterator[None]:
    """Silence nbformat's schema-validation log lines and warnings (a student's notebook may
    be sloppy, e.g. cells without ids, which nbformat then adds): nothing reaches the
    teacher's terminal."""
    logger = logging.getLogger("traitlets")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MissingIDFieldWarning)
            yield
    finally:
        logger.setLevel(level)


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook file as nbformat 4 (a file of the course's; see `parse_notebook`).

    Args:
        path: the `.ipynb` file.

    Returns:
        The notebook.

    Raises:
        NotebookReadError: naming the file and saying what is wrong with it.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            raise NotebookReadError(
                f"{path.name} is {size / 1e6:.0f} MB, larger than the "
                f"{MAX_NOTEBOOK_BYTES / 1e6:.0f} MB limit (clear its outputs)"
            )
        text = path.read_text(encoding="utf-8")
    except NotebookReadError:
        raise
    except FileNotFoundError:
        raise NotebookReadError(f"{path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise NotebookReadError(f"{path.name} cannot be read: {error}") from None
    return parse_notebook(text, path.name)


def parse_notebook(text: str, name: str) -> nbformat.NotebookNode:
    """Parse a notebook's JSON text as nbformat 4; errors say where, never quote the text.

    A student's file may be anything (another file renamed, a link's target read by
    mistake): the messages give a position or a kind of problem, never its content.

    Args:
        text: the file's text.
        name: the file's name, for messages.

    Returns:
        The notebook.

    Raises:
        NotebookReadError: naming the file and saying what is wrong with it.

    Example:
    >>> parse_notebook('{"cells": [ this is not json', "01.ipynb")
    Traceback (most recent call last):
    ...
    course_lib.grading.notebook_format.NotebookReadError: 01.ipynb is not a valid notebook: not JSON (line 1, column 13)
    """
    try:
        with _quiet_nbformat():
            nb = nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat raises many kinds, some quoting the input
        why = f"nbformat cannot read it ({type(error).__name__})"
        try:
            json.loads(text)
        except json.JSONDecodeError as bad:
            why = f"not JSON (line {bad.lineno}, column {bad.colno})"
        except RecursionError:
            why = "nested too deeply"
        raise NotebookReadError(f"{name} is not a valid notebook: {why}") from None
    if not isinstance(nb.get("cells"), list):
        raise NotebookReadError(f"{name} is not a valid notebook: it has no list of cells")
    return nb


def dumps(nb: Mapping[str, Any]) -> str:
    """Return the notebook's JSON text, deterministic: same notebook, same bytes."""
    with _quiet_nbformat():
        text = nbformat.writes(nbformat.from_dict(copy.deepcopy(dict(nb))), version=4)
    return text if text.endswith("\n") else text + "\n"


def write_notebook(nb: Mapping[str, Any], path: str | Path) -> None:
    """Write `nb` to `path` as `dumps` formats it (UTF-8, `\\n` line ends)."""
    Path(path).write_bytes(dumps(nb).encode("utf-8"))


# -- builders --------------------------------------------------------------------------------


def nbgrader_cell_metadata(
    role: str, gid: str, points: float | None = None
) -> dict[str, dict[str, Any]]:
    """Return a cell's `{"nbgrader": {...}}` metadata for `role` (`FLAGS`) and `gid`."""
    meta: dict[str, Any] = {**FLAGS[role], "grade_id": gid, "schema_version": SCHEMA_VERSION}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def markdown_cell(source: str, grade_id: str) -> nbformat.NotebookNode:
    """Return a read-only Markdown cell with the given unique `grade_id`."""
    return nbformat.v4.new_markdown_cell(source, metadata=nbgrader_cell_metadata(LOCKED, grade_id))


def code_cell(source: str, grade_id: str) -> nbformat.NotebookNode:
    """Return a read-only code cell (set-up, demonstration) with the given unique `grade_id`."""
    return nbformat.v4.new_code_cell(source, metadata=nbgrader_cell_metadata(LOCKED, grade_id))


def solution_cell(source: str, exercise: str, part: int | None = None) -> nbformat.NotebookNode:
    """Return a solution cell of `exercise` (its source holds the marked region).

    Args:
        source: code with `### BEGIN SOLUTION` / `### END SOLUTION` inside a function body.
        exercise: the exercise id, e.g. `"4.2"`.
        part: 2, 3, ... for the exercise's further solution cells. Defaults to None.
    """
    gid = solution_grade_id(exercise, part)
    return nbformat.v4.new_code_cell(source, metadata=nbgrader_cell_metadata(SOLUTION, gid))


def check_cell(source: str, exercise: str, points: float) -> nbformat.NotebookNode:
    """Return the check cell of `exercise`, worth `points`, tagged for `pytest --nbval-lax`."""
    gid = check_grade_id(exercise)
    metadata = {**nbgrader_cell_metadata(CHECK, gid, points), "tags": [CHECK_OUTPUT_TAG]}
    return nbformat.v4.new_code_cell(source, metadata=metadata)


def new_notebook(cells: Sequence[Mapping[str, Any]]) -> nbformat.NotebookNode:
    """Return a notebook of `cells` with the course's Python 3 kernel metadata."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.from_dict(dict(c)) for c in cells])
    nb.metadata["kernelspec"] = dict(DEFAULT_KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    return nb
