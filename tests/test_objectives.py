"""Every learning objective the book states is practised somewhere (issue 29).

`course_lib.objectives` reads the `<!-- objective: ID -->` markers of the book's objective
bullets and the `<!-- practises: ID ... -->` markers of the book's questions and of the
exercises in `solutions/`. The first test fails naming each objective practised nowhere,
each marker naming an unknown id and each objective bullet without a marker; the others
feed the reader small notebooks to show that each of those problems is caught.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from course_lib import objectives

ROOT = Path(__file__).resolve().parent.parent


def test_every_objective_of_the_book_is_marked_and_practised():
    found = objectives.coverage(ROOT / "book", ROOT / "solutions")
    assert len(found.objectives) >= 70, "the book's objective bullets were not found"
    assert not found.problems, "\n".join(found.problems)


def _notebook(path: Path, *markdown: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(m) for m in markdown])
    nbformat.write(nb, path)
    return path


_INTRO = """# LSTM

**Learning objectives.** After this chapter you can

- write the equations of the gates,
  and say what each decides; <!-- objective: 4-gates -->
- explain why the forget bias starts at one. <!-- objective: 4-forget-bias -->
- read the gates of a trained LSTM.

The next notebook does more.
"""


@pytest.fixture
def folders(tmp_path):
    book, solutions = tmp_path / "book", tmp_path / "solutions"
    book.mkdir()
    solutions.mkdir()
    _notebook(
        book / "04_lstm.ipynb",
        _INTRO,
        "## Check your understanding\n\n1. Why? <!-- practises: 4-gates -->",
    )
    return book, solutions


def test_objectives_are_read_with_their_ids_and_text(folders):
    book, _ = folders
    read = objectives.read_objectives(book / "04_lstm.ipynb")
    assert [o.id for o in read] == ["4-gates", "4-forget-bias", None]
    assert read[0].text == "write the equations of the gates, and say what each decides;"


def test_unpractised_unknown_and_unmarked_objectives_are_named(folders):
    book, solutions = folders
    _notebook(
        solutions / "04_lstm.ipynb",
        "## Exercise 4.1 (core, 2 points): Gates\n\nWrite it. <!-- practises: 4-gates 4-gaets -->",
    )
    found = objectives.coverage(book, solutions)
    problems = "\n".join(found.problems)
    assert "objective 4-forget-bias" in problems and "practised nowhere" in problems
    assert "practises '4-gaets', which no objective of the book has" in problems
    assert "'read the gates of a trained LSTM.'... has no <!-- objective: ID --> marker" in problems
    assert "4-gates" not in problems.replace("4-gates 4-gaets", "")
    assert found.practised(exercises_only=True) == {"4-gates"}
    assert [p.exercise for p in found.practices] == [None, "4.1"]


def test_an_id_that_names_another_notebook_is_refused(tmp_path):
    _notebook(tmp_path / "05_gru.ipynb", _INTRO.replace("4-forget-bias", "5-forget-bias"))
    found = objectives.coverage(tmp_path, [])
    assert any("'4-gates' must be" in p for p in found.problems), found.problems
    assert not any("'5-forget-bias' must be" in p for p in found.problems), found.problems
