"""The learning objectives the book states, and what practises each of them.

Each book notebook's first cell lists its objectives under **Learning objectives.**, one
bullet each, ending with a marker `<!-- objective: 4-gates -->` (the notebook's number and
letter, then a slug of one to three lowercase words). Whatever practises an objective, a
"Check your understanding" question of the book or an exercise of `solutions/`, says so in
its Markdown: `<!-- practises: 4-gates 4-forget-bias -->`. `coverage` reads both and says
which objectives nothing practises, which markers name no objective and which bullets carry
no marker; `tests/test_objectives.py` fails on any of them.

    python -m course_lib.objectives      # the counts, and what is practised nowhere

Introduced in the Exercises page of the book (book/exercises.md), whose exercises practise
the objectives the chapters state.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from course_lib.checks.contract import EXERCISE_ID_PATTERN
from course_lib.grading.notebook_format import read_notebook, source_text

__all__ = [
    "Coverage",
    "Objective",
    "Practice",
    "coverage",
    "read_objectives",
    "read_practices",
]

OBJECTIVE_ID = re.compile(r"^(?P<notebook>\d+[a-z]?)-[a-z0-9]+(?:-[a-z0-9]+){0,2}$")
_OBJECTIVE = re.compile(r"<!--\s*objective:\s*(?P<id>\S+?)\s*-->")
_PRACTISES = re.compile(r"<!--\s*practises:(?P<ids>.*?)-->", re.DOTALL)
_OBJECTIVES_LEAD = re.compile(r"\*\*Learning objectives\.?\*\*", re.IGNORECASE)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<text>.+?)\s*#*\s*$")
_BULLET = re.compile(r"^[-*]\s+")
_EXERCISE = re.compile(rf"Exercise\s+(?P<id>{EXERCISE_ID_PATTERN})")


@dataclass(frozen=True)
class Objective:
    """One bullet of a notebook's learning objectives.

    Attributes:
        id: its marker's id, e.g. `"4-gates"`, or None when the bullet has no marker.
        notebook: the notebook's file name, e.g. `"04_lstm.ipynb"`.
        text: the bullet's visible text, on one line.
    """

    id: str | None
    notebook: str
    text: str


@dataclass(frozen=True)
class Practice:
    """One `<!-- practises: ... -->` marker.

    Attributes:
        ids: the objective ids it names.
        notebook: the file name of the notebook that holds it.
        where: the nearest heading above it (an exercise's, or "Check your understanding").
        exercise: the exercise id when the marker sits in a graded exercise's text
            (`"4.2"`), else None (a question of the book).
    """

    ids: tuple[str, ...]
    notebook: str
    where: str
    exercise: str | None


def read_objectives(path: str | Path) -> list[Objective]:
    """The objective bullets in the first Markdown cell of the notebook at `path`."""
    path = Path(path)
    cells = [c for c in read_notebook(path).cells if c.cell_type == "markdown"]
    if not cells:
        return []
    lines = source_text(cells[0]).splitlines()
    start = next((i for i, line in enumerate(lines) if _OBJECTIVES_LEAD.search(line)), None)
    if start is None:
        return []
    bullets: list[list[str]] = []
    for line in lines[start + 1 :]:
        if _BULLET.match(line):
            bullets.append([_BULLET.sub("", line)])
        elif line.startswith((" ", "\t")) and line.strip() and bullets:
            bullets[-1].append(line.strip())
        elif bullets:
            break  # a blank line or a paragraph ends the list
    objectives = []
    for bullet in bullets:
        text = " ".join(bullet)
        marker = _OBJECTIVE.search(text)
        visible = _OBJECTIVE.sub("", text).strip()
        objectives.append(Objective(marker["id"] if marker else None, path.name, visible))
    return objectives


def read_practices(path: str | Path) -> list[Practice]:
    """Every `<!-- practises: ... -->` marker in the Markdown cells of the notebook at `path`."""
    path = Path(path)
    practices = []
    heading = ""
    for cell in read_notebook(path).cells:
        if cell.cell_type != "markdown":
            continue
        text = source_text(cell)
        position = 0
        for match in _PRACTISES.finditer(text):
            for line in text[position : match.start()].splitlines():
                found = _HEADING.match(line)
                if found:
                    heading = found["text"]
            position = match.start()
            exercise = _EXERCISE.match(heading)
            practices.append(
                Practice(
                    tuple(match["ids"].split()),
                    path.name,
                    heading,
                    exercise["id"] if exercise else None,
                )
            )
        for line in text[position:].splitlines():
            found = _HEADING.match(line)
            if found:
                heading = found["text"]
    return practices


def _names_its_notebook(id: str, notebook: str) -> bool:
    """Whether `id` is well formed and starts with its notebook's number and letter."""
    match = OBJECTIVE_ID.match(id)
    if match is None:
        return False
    number = match["notebook"].rstrip("abcdefghijklmnopqrstuvwxyz")
    letter = match["notebook"][len(number) :]
    return notebook.startswith(f"{int(number):02d}{letter}_")


@dataclass(frozen=True)
class Coverage:
    """The objectives of the book and what practises them (see `coverage`)."""

    objectives: tuple[Objective, ...]
    practices: tuple[Practice, ...]

    @property
    def ids(self) -> set[str]:
        return {o.id for o in self.objectives if o.id}

    def practised(self, *, exercises_only: bool = False) -> set[str]:
        """The objective ids practised somewhere (only by graded exercises, if asked)."""
        return {
            i
            for p in self.practices
            if p.exercise is not None or not exercises_only
            for i in p.ids
            if i in self.ids
        }

    @property
    def unpractised(self) -> list[Objective]:
        """Objectives that no question and no exercise practises."""
        practised = self.practised()
        return [o for o in self.objectives if o.id and o.id not in practised]

    @property
    def unknown(self) -> list[tuple[Practice, str]]:
        """`(marker, id)` of every practises marker naming an id no objective has."""
        return [(p, i) for p in self.practices for i in p.ids if i not in self.ids]

    @property
    def unmarked(self) -> list[Objective]:
        """Objective bullets without an `<!-- objective: ID -->` marker."""
        return [o for o in self.objectives if o.id is None]

    @property
    def problems(self) -> list[str]:
        """One sentence per objective without a marker, duplicate or badly formed id,
        objective practised nowhere, and practises marker naming an unknown id."""
        problems = [
            f"{o.notebook}: the objective {o.text[:60]!r}... has no <!-- objective: ID --> marker"
            for o in self.unmarked
        ]
        seen: dict[str, str] = {}
        for o in self.objectives:
            if o.id is None:
                continue
            if not _names_its_notebook(o.id, o.notebook):
                problems.append(
                    f"{o.notebook}: objective id {o.id!r} must be <notebook number and letter>-"
                    "<slug of 1-3 lowercase words> naming this notebook, e.g. 4-gates in "
                    "04_lstm.ipynb"
                )
            if o.id in seen:
                problems.append(f"{o.notebook}: objective id {o.id!r} also used in {seen[o.id]}")
            seen.setdefault(o.id, o.notebook)
        problems += [
            f"{o.notebook}: the objective {o.id} ({o.text[:60]!r}...) is practised nowhere"
            for o in self.unpractised
        ]
        problems += [
            f"{p.notebook} ({p.where or 'before any heading'}): practises {i!r}, which no "
            "objective of the book has"
            for p, i in self.unknown
        ]
        return problems


def coverage(book: str | Path, solutions: Iterable[str | Path] | str | Path) -> Coverage:
    """Read the objectives of `book/*.ipynb` and the practises markers of the book and of
    the solution notebooks.

    Args:
        book: the book's folder.
        solutions: the folder of solution notebooks, or the notebooks themselves.

    Returns:
        The `Coverage`.
    """
    book_notebooks = sorted(Path(book).glob("*.ipynb"))
    if isinstance(solutions, str | Path):
        solutions = sorted(Path(solutions).glob("*.ipynb"))
    objectives = [o for path in book_notebooks for o in read_objectives(path)]
    practices = [p for path in [*book_notebooks, *solutions] for p in read_practices(path)]
    return Coverage(tuple(objectives), tuple(practices))


def main(root: str | Path = ".") -> int:
    """Print the counts of objectives practised, and every problem; 1 when there are any."""
    root = Path(root)
    found = coverage(root / "book", root / "solutions")
    total = len(found.objectives)
    print(f"objectives: {total}")
    print(f"practised by graded exercises: {len(found.practised(exercises_only=True))}")
    print(f"practised by exercises or questions: {len(found.practised())}")
    for problem in found.problems:
        print(problem)
    return 1 if found.problems else 0


if __name__ == "__main__":
    sys.exit(main())
