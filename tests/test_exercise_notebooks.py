"""The students' exercise notebooks: generated from the solutions, and failing only where graded.

1. `exercises/` is exactly what `rnn-course assign` makes of `solutions/` (no hand edits,
   nothing stale).
2. Run as they are shipped, with their `raise NotImplementedError(...)` stubs, the exercise
   notebooks fail at their check cells and nowhere else: every scaffolding cell runs, and
   every check can fail. (The solution notebooks themselves run in `make solutions`,
   `pytest --nbval-lax solutions/`.)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from course_lib.exercise_index import LEVEL
from course_lib.grading.assign import assign
from course_lib.grading.notebook_format import (
    CHECK,
    cell_role,
    list_exercises,
    read_notebook,
    source_text,
)

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"
_CELL_NAME = re.compile(r"Cell (\d+)")


def _strip_colours(text: str) -> str:
    return re.sub(r"(\x1b|#x1B)\[[0-9;]*m", "", text)


def _check_cells(path: Path) -> set[int]:
    """nbval's numbers (counting code cells only) of the notebook's check cells."""
    code_cells = [c for c in read_notebook(path).cells if c.cell_type == "code"]
    return {number for number, cell in enumerate(code_cells) if cell_role(cell) == CHECK}


def test_every_chapter_has_an_exercise_notebook():
    stems = sorted(p.stem for p in SOLUTIONS.glob("*.ipynb"))
    assert stems == [
        "01_sequences_hidden_state",
        "02_bptt_vanishing_gradients",
        "03_simple_rnn",
        "04_lstm",
        "05_gru",
        "06_applications",
        "06_applications_project",
        "07_variable_length",
        "08_seq2seq",
        "08_seq2seq_project",
        "09_linear_recurrences",
        "10_speech_recognition",
    ]
    for stem in stems:
        # A chapter has several exercises; a project is one exercise, graded by its outcome.
        fewest = 1 if stem.endswith("_project") else 3
        assert len(_check_cells(SOLUTIONS / f"{stem}.ipynb")) >= fewest, stem


def test_the_exercises_readme_lists_every_notebook_of_the_folder():
    readme = (EXERCISES / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `(\d\d\w*\.ipynb)` \|", readme, flags=re.MULTILINE))
    present = {path.name for path in EXERCISES.glob("*.ipynb")}
    assert listed == present, (
        "exercises/README.md's table and the folder disagree:\n"
        f"  not listed: {sorted(present - listed)}\n  listed, no such file: {sorted(listed - present)}"
    )


_EXERCISE_HEADING = re.compile(r"^#{2,3} Exercise (?P<id>\d+\.\d+)(?P<rest>.*)$", re.MULTILINE)


def test_every_exercise_heading_says_its_level_and_the_points_of_its_check():
    for path in sorted(SOLUTIONS.glob("*.ipynb")):
        nb = read_notebook(path)
        points = {exercise.id: exercise.points for exercise in list_exercises(nb)}
        headings = {}
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                for match in _EXERCISE_HEADING.finditer(source_text(cell)):
                    headings[match["id"]] = match["rest"]
        assert set(headings) == set(points), f"{path.name}: headings {sorted(headings)}"
        for exercise, rest in headings.items():
            level = LEVEL.match(rest.strip())
            assert level, (
                f"{path.name}: the heading of Exercise {exercise} must start with "
                f"(core, N points) or (stretch, N points); got {rest!r}"
            )
            assert float(level["points"]) == points[exercise], (
                f"{path.name}: Exercise {exercise}'s heading says {level['points']} points, "
                f"its check cell {points[exercise]:g}"
            )


def test_the_exercises_readme_gives_each_notebook_s_points():
    readme = (EXERCISES / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\d\d\w*)\.ipynb` \|.*\| (\d+(?:\.\d+)?) \|$", readme, re.MULTILINE)
    assert rows, "no points column in exercises/README.md's table"
    for stem, listed in rows:
        exercises = list_exercises(read_notebook(SOLUTIONS / f"{stem}.ipynb"))
        total = sum(exercise.points for exercise in exercises)
        assert float(listed) == total, f"README: {stem} has {listed} points; its notebook {total:g}"


def test_exercises_are_up_to_date_with_the_solutions():
    report = assign(SOLUTIONS, EXERCISES, check=True)
    assert not report.errors, "\n".join(report.errors)
    assert not report.written, (
        f"out of date: {report.written}; run `python -m course_lib assign` to regenerate them"
    )
    assert not report.removed, f"exercises without a solution notebook: {report.removed}"
    assert len(report.unchanged) == len(list(SOLUTIONS.glob("*.ipynb")))


@pytest.mark.slow
def test_unsolved_exercises_fail_exactly_at_their_check_cells(tmp_path):
    junit = tmp_path / "nbval.xml"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg"}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--nbval-lax",
        "--nbval-cell-timeout=300",
        "-p",
        "no:cacheprovider",
        "-q",
        f"--junitxml={junit}",
        str(EXERCISES),
    ]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert junit.is_file(), f"pytest did not run:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"

    failed: dict[str, set[int]] = {}
    ran: dict[str, set[int]] = {}
    messages: dict[tuple[str, int], str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        # nbval's items: classname "exercises.05_gru.ipynb", name "Cell 4" (code cells only)
        stem = case.get("classname", "").removesuffix(".ipynb").rsplit(".", 1)[-1]
        match = _CELL_NAME.fullmatch(case.get("name", ""))
        assert match, f"unexpected test case {case.attrib}"
        number = int(match[1])
        ran.setdefault(stem, set()).add(number)
        problems = [*case.iter("failure"), *case.iter("error")]
        if problems:
            failed.setdefault(stem, set()).add(number)
            messages[stem, number] = " ".join(
                (p.get("message") or "") + (p.text or "") for p in problems
            )

    notebooks = sorted(EXERCISES.glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        stem = path.stem
        expected = _check_cells(path)
        assert ran.get(stem), f"{path.name} was not run:\n{run.stdout[-3000:]}"
        unexpected = {
            number: _strip_colours(messages[stem, number])[-1500:]
            for number in sorted(failed.get(stem, set()) - expected)
        }
        assert failed.get(stem, set()) == expected, (
            f"{path.name}: failing cells {sorted(failed.get(stem, set()))}, "
            f"check cells {sorted(expected)}; unexpected failures: {unexpected}"
        )
        for number in expected:
            text = messages[stem, number]
            # A failed check shows its report, not a traceback (CheckFailed._render_traceback_).
            assert re.search(r"Exercise \d+\.\d+: passed 0 of \d+ checks", text), text[:2000]
            assert "not solved yet" in text, (
                f"{path.name} cell {number} failed for another reason:\n{text[:2000]}"
            )
