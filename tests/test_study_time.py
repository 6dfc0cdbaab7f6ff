"""The study-time estimates of the teacher's guide: the heuristic, the generated tables and
the line under each notebook's title (idempotent, tested on a copy of the book)."""

import shutil
from pathlib import Path

import nbformat
import pytest

from course_lib import study_time
from course_lib.study_time import LINE_MARK, Assignment, Heuristic

ROOT = Path(__file__).resolve().parent.parent


def _notebook(path: Path, title: str, words: int, code_cells: int) -> None:
    cells = [nbformat.v4.new_markdown_cell(f"# {title}\n\n" + " ".join(["word"] * words))]
    cells += [nbformat.v4.new_code_cell("x = 1") for _ in range(code_cells)]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)


def test_the_heuristic_turns_counts_into_minutes(tmp_path):
    (tmp_path / "book").mkdir()
    _notebook(tmp_path / "book" / "01_first.ipynb", "First", words=999, code_cells=10)
    (times,) = study_time.estimate(tmp_path / "book", tmp_path / "none")
    # 1000 words (999 and the title) at 100 a minute, 10 code cells at 2 minutes.
    assert (times.words, times.code_cells, times.reading) == (1000, 10, 30)
    assert times.exercises == 0 and times.title == "First"
    slow = Heuristic(words_per_minute=50.0)
    (times,) = study_time.estimate(tmp_path / "book", tmp_path / "none", slow)
    assert times.reading == 40


def test_the_guide_tables_are_up_to_date():
    fresh = study_time.write_guide(
        ROOT / "book" / "teachers_guide.md", study_time.estimate(ROOT / "book", ROOT / "solutions"),
        solutions=ROOT / "solutions", check=True,
    )  # fmt: skip
    assert fresh, "the teacher's guide is out of date: run `python -m course_lib.study_time`"


def test_an_assignment_naming_a_missing_exercise_is_refused():
    with pytest.raises(ValueError, match=r"names exercise\(s\) 99.1"):
        study_time.assignment_table([Assignment("X", "1", ("1.1", "99.1"))], ROOT / "solutions")


def _without_lines(book: Path) -> None:
    """Take the study-time line out of every notebook of a copy of the book."""
    for path in sorted(book.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        title = notebook.cells[0]
        lines = [line for line in title.source.splitlines() if LINE_MARK not in line]
        title.source = "\n".join(
            line for i, line in enumerate(lines) if line or i == 0 or lines[i - 1]
        )
        nbformat.write(notebook, path)


def test_inserting_the_line_twice_changes_nothing_the_second_time(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(ROOT / "book", book, ignore=shutil.ignore_patterns("_build", "_static"))
    _without_lines(book)
    before = study_time.estimate(book, ROOT / "solutions")
    changed = study_time.insert_lines(book)
    assert changed == [t.stem for t in before]
    assert study_time.insert_lines(book) == []
    assert study_time.estimate(book, ROOT / "solutions") == before  # the line is not counted
    for time in before:
        title = nbformat.read(book / f"{time.stem}.ipynb", as_version=4).cells[0]
        lines = title.source.splitlines()
        assert [line for line in lines if LINE_MARK in line] == [lines[2]], time.stem
        assert lines[0].startswith("# ") and lines[1] == "" and lines[3] == ""
        original = nbformat.read(ROOT / "book" / f"{time.stem}.ipynb", as_version=4).cells[0]
        assert title.source == original.source  # the book's notebooks hold exactly this


def test_the_line_says_reading_and_the_chapters_exercises():
    time = study_time.NotebookTime("06b_x", 6, "X", 100, 3, 45, 12.0, 120)
    line = study_time.study_line(time, chapter_notebooks=3)
    assert line == (
        "*Study time: about 45 min to read this notebook and run its code; the chapter's "
        f"exercises: about 2 h.* {LINE_MARK}"
    )


def test_the_command_inserts_once_and_checks_the_guide(tmp_path, capsys):
    book = tmp_path / "book"
    shutil.copytree(ROOT / "book", book, ignore=shutil.ignore_patterns("_build", "_static"))
    args = ["--book", str(book), "--solutions", str(ROOT / "solutions")]
    assert study_time.main([*args, "--insert"]) == 0
    assert study_time.main([*args, "--insert"]) == 0
    assert "written in 0 notebook(s)" in capsys.readouterr().out.splitlines()[-1]
    assert study_time.main([*args, "--check"]) == 0  # the line is not counted
    guide = book / "teachers_guide.md"
    guide.write_text(guide.read_text().replace("| 01_", "| 0_", 1))
    assert study_time.main([*args, "--check"]) == 1
    assert study_time.main(args) == 0 and study_time.main([*args, "--check"]) == 0


def test_every_book_notebook_has_its_current_study_time_line(tmp_path):
    assert study_time.insert_lines(ROOT / "book", check=True) == []
    book = tmp_path / "book"
    shutil.copytree(ROOT / "book", book, ignore=shutil.ignore_patterns("_build", "_static"))
    path = book / "04_lstm.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[0].source = "\n".join(
        line for line in notebook.cells[0].source.splitlines() if LINE_MARK not in line
    )
    nbformat.write(notebook, path)
    assert study_time.insert_lines(book, check=True) == ["04_lstm"]
    assert (
        study_time.main(["--book", str(book), "--solutions", str(ROOT / "solutions"), "--check"])
        == 1
    )
