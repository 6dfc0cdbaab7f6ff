"""The list of the course's exercises, read from the nbgrader metadata of the solution notebooks.

The book's Exercises page (`book/exercises.md`) renders this list as a table when the book is
built, so the page can never drift from the notebooks. An exercise is the set of cells whose
`metadata.nbgrader.grade_id` starts with `ex<chapter>_<number>` ("ex4_2", "ex4_2-solution");
its points are those of its graded cells, and what it asks is read from the nearest Markdown
heading above its first cell and the first sentence under that heading.

A thin user of `course_lib.grading.notebook_format`, which owns the notebook format and the
one exercise list (`list_exercises`, also the grader's): this module adds the titles and
summaries, and refuses what the book cannot show.

Introduced in the Exercises page of the book (book/exercises.md).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from course_lib.checks.contract import EXERCISE_ID_PATTERN
from course_lib.grading.notebook_format import (
    EXERCISE_GRADE_ID,
    NBGRADER_GRADE_ID,
    Exercise,
    grade_id,
    list_exercises,
    nbgrader_metadata,
    read_notebook,
    source_text,
    upgrade_grade_id,
)

_STEM = re.compile(r"^(?P<chapter>\d+)_")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<text>.+?)\s*#*\s*$")
#: The level and points after an exercise's number in its heading: "(core, 3 points)",
#: "(stretch, 1 point)" (tests/test_exercise_notebooks.py keeps the points in step).
LEVEL = re.compile(r"\((?P<level>core|stretch),\s*(?P<points>\d+(?:\.\d+)?)\s*points?\)")
# "Exercise 4.2:", "Exercise 4.2 (core, 3 points):", "4.2." at the start of a heading: the
# table shows the number (and the points) in columns of their own.
_EXERCISE_PREFIX = re.compile(
    rf"^(?:exercise\s*)?{EXERCISE_ID_PATTERN}\s*(?:{LEVEL.pattern}\s*)?[:.\-\u2013\u2014]?\s*",
    re.IGNORECASE,
)
# "Exercises 4: LSTM" -> "LSTM" when the notebook's title stands in for the chapter's.
_NOTEBOOK_PREFIX = re.compile(r"^exercises?\s*\d+\s*[:.\-\u2013\u2014]\s*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`$(*_\[])")


@dataclass(frozen=True)
class ExerciseNotebook:
    """The exercises of one chapter's notebook (`solutions/04_lstm.ipynb`).

    Args:
        stem: the file name without suffix, shared with the chapter (`"04_lstm"`).
        chapter: the chapter number (`4`).
        title: the notebook's first heading.
        exercises: its exercises (`notebook_format.Exercise`, with `title` and `summary`),
            in the order of the notebook.
    """

    stem: str
    chapter: int
    title: str
    exercises: tuple[Exercise, ...]

    @property
    def points(self) -> float:
        """Total points of the notebook."""
        return sum(exercise.points for exercise in self.exercises)


def _exercise_number(cell: Mapping) -> str | None:
    match = EXERCISE_GRADE_ID.match(grade_id(cell) or "")
    return f"{match['chapter']}.{match['number']}" if match else None


def _first_sentence(lines: Iterable[str]) -> str:
    """The first sentence of the first paragraph in `lines`, on one line."""
    paragraph: list[str] = []
    for line in lines:
        if not line.strip():
            if paragraph:
                break
            continue
        if _HEADING.match(line) or line.lstrip().startswith(("```", ":::", "<")):
            if paragraph:
                break
            continue
        paragraph.append(line.strip())
    text = " ".join(paragraph)
    return _SENTENCE_END.split(text, maxsplit=1)[0] if text else ""


def _heading_above(cells: list, index: int, number: str) -> tuple[str, str]:
    """The nearest heading above cell `index` (and the sentence under it), staying inside
    the exercise: the search stops at a cell that belongs to another exercise."""
    for cell in reversed(cells[:index]):
        other = _exercise_number(cell)
        if other is not None and other != number:
            break
        if cell.get("cell_type") != "markdown":
            continue
        lines = source_text(cell).splitlines()
        for position in range(len(lines) - 1, -1, -1):
            heading = _HEADING.match(lines[position])
            if heading:
                title = _EXERCISE_PREFIX.sub("", heading["text"]).strip()
                return title, _first_sentence(lines[position + 1 :])
    return "", ""


def read_exercise_notebook(path: str | Path) -> ExerciseNotebook:
    """Read the exercises of one solution (or exercise) notebook.

    Args:
        path: a notebook named `NN_topic.ipynb`, whose graded cells carry nbgrader metadata
            with `grade_id` `"exN_M"` and `points`.

    Returns:
        An `ExerciseNotebook`; its `exercises` is empty when no cell carries an exercise id.

    Example:
        >>> notebook = read_exercise_notebook("solutions/04_lstm.ipynb")  # doctest: +SKIP
        >>> [(e.id, e.points) for e in notebook.exercises]  # doctest: +SKIP
        [('4.1', 2.0), ('4.2', 3.0)]
    """
    path = Path(path)
    stem = _STEM.match(path.stem)
    if stem is None:
        raise ValueError(
            f"`path` must name a chapter notebook `NN_topic.ipynb` (e.g. 04_lstm.ipynb); "
            f"got {path.name!r}."
        )
    chapter = int(stem["chapter"])
    cells = read_notebook(path).cells

    title = ""
    for cell in cells:
        if cell.cell_type == "markdown":
            for line in source_text(cell).splitlines():
                heading = _HEADING.match(line)
                if heading:
                    title = heading["text"]
                    break
        if title:
            break

    first_cell: dict[str, int] = {}
    for index, cell in enumerate(cells):
        gid = grade_id(cell)
        if gid and not NBGRADER_GRADE_ID.match(gid):
            raise ValueError(
                f"{path.name}: grade_id {gid!r} is the old dotted form, which nbgrader "
                f"refuses; expected {upgrade_grade_id(gid)!r} (run `rnn-course upgrade-ids "
                f"{path.name}` to convert the notebook)."
            )
        number = _exercise_number(cell)
        meta = nbgrader_metadata(cell)
        if number is None:
            if meta.get("grade") or meta.get("task"):
                raise ValueError(
                    f"{path.name}: a graded cell has nbgrader grade_id "
                    f"{meta.get('grade_id')!r}; expected 'ex<chapter>_<number>', "
                    f"e.g. 'ex{chapter}_1'."
                )
            continue
        if int(number.split(".")[0]) != chapter:
            raise ValueError(
                f"{path.name}: exercise id {gid!r} belongs to chapter "
                f"{number.split('.')[0]}, but the notebook is chapter {chapter}; expected "
                f"'ex{chapter}_<number>'."
            )
        first_cell.setdefault(number, index)

    exercises = []
    for exercise in list_exercises({"cells": cells}):
        heading, summary = _heading_above(cells, first_cell[exercise.id], exercise.id)
        exercises.append(dataclasses.replace(exercise, title=heading, summary=summary))
    return ExerciseNotebook(path.stem, chapter, title, tuple(exercises))


def exercise_index(folder: str | Path = "solutions") -> list[ExerciseNotebook]:
    """Read every chapter notebook of `folder`, in chapter order.

    Args:
        folder: the folder of the solution notebooks (default `"solutions"`). A missing or
            empty folder gives an empty list.

    Returns:
        One `ExerciseNotebook` per `NN_topic.ipynb` file, sorted by file name.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return [read_exercise_notebook(path) for path in sorted(folder.glob("[0-9]*_*.ipynb"))]


def _points(value: float) -> str:
    text = f"{value:g}"
    return f"{text} point" if text == "1" else f"{text} points"


def exercise_table(
    notebooks: Iterable[ExerciseNotebook],
    *,
    chapter_docs: Iterable[str] = (),
    download_paths: Mapping[str, str] | None = None,
    launch_urls: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """Render the exercise list as a MyST `list-table`, one row per notebook.

    Args:
        notebooks: from `exercise_index`.
        chapter_docs: names of the book's documents; a notebook whose stem is one of them
            links to its chapter (default: none, plain titles).
        download_paths: stem -> path of the student notebook relative to the page, offered
            as a download (default: none).
        launch_urls: stem -> {service: URL that opens the student notebook there}, e.g.
            `{"04_lstm": {"Colab": "https://colab...", "Binder": "https://mybinder..."}}`
            (default: none).

    Returns:
        MyST Markdown text; an empty string when there are no notebooks.
    """
    notebooks = list(notebooks)
    if not notebooks:
        return ""
    chapter_docs = set(chapter_docs)
    download_paths = download_paths or {}
    launch_urls = launch_urls or {}
    lines = [
        "```{list-table}",
        ":header-rows: 1",
        ":widths: 24 68 8",
        ":width: 100%",
        ":class: exercise-list",
        "",
        "* - Chapter and notebook",
        "  - Exercises",
        "  - Points",
    ]
    for notebook in notebooks:
        # A backslash before the dot keeps Markdown from reading "4. ..." as a numbered list.
        if notebook.stem in chapter_docs:
            chapter = f"{notebook.chapter}\\. {{doc}}`{notebook.stem}`"
        else:
            title = _NOTEBOOK_PREFIX.sub("", notebook.title) or notebook.stem
            chapter = f"{notebook.chapter}\\. {title}"
        links = []
        if notebook.stem in download_paths:
            path = download_paths[notebook.stem]
            links.append(f"[exercise notebook](path:{path})")  # a download link
        for service, url in launch_urls.get(notebook.stem, {}).items():
            links.append(f"[{service}]({url})")
        lines += [f"* - {chapter}", "", f"    {' · '.join(links) or notebook.stem + '.ipynb'}"]
        if notebook.exercises:
            lines.append("  - ")
            for exercise in notebook.exercises:
                text = f"**{exercise.id}"
                if exercise.title:
                    ending = "" if exercise.title[-1] in ".?!" else "."
                    text += f" {exercise.title}{ending}"
                text += "**"
                if exercise.summary:
                    text += f" {exercise.summary}"
                lines.append(f"    - {text} ({_points(exercise.points)})")
        else:
            lines.append("  - (no exercises yet)")
        lines.append(f"  - {notebook.points:g}")
    lines.append("```")
    return "\n".join(lines) + "\n"
