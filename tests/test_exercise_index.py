"""The exercise list of the book, read from nbgrader metadata (course_lib.exercise_index)."""

from __future__ import annotations

import nbformat
import pytest

from course_lib.exercise_index import (
    exercise_index,
    exercise_table,
    read_exercise_notebook,
)


def _markdown(text):
    return nbformat.v4.new_markdown_cell(text)


def _cell(grade_id, *, points=None, grade=False, solution=False, task=False):
    cell = nbformat.v4.new_code_cell("pass")
    meta = {"grade_id": grade_id, "grade": grade, "solution": solution, "schema_version": 3}
    if task:
        cell = nbformat.v4.new_markdown_cell("Explain.")
        meta["task"] = True
    if points is not None:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


def _write(folder, name, cells):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = cells
    path = folder / name
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def lstm_notebook(tmp_path):
    return _write(
        tmp_path,
        "04_lstm.ipynb",
        [
            _markdown("# Exercises 4: LSTM\n\nWork through them in order."),
            nbformat.v4.new_code_cell("import course_lib\ncourse_lib.setup()"),
            _markdown(
                "## Exercise 4.1: One LSTM step\n\nWrite `lstm_step` for one time step. "
                "It returns `(h, c)`.\n\nMore text."
            ),
            _cell("ex4_1-solution", solution=True),
            _cell("ex4_1", points=2, grade=True),
            _cell("ex4_1b", points=1, grade=True),  # a second check of the same exercise
            _markdown("### 4.2 (stretch, 1.5 points) — Forget gate bias\nWhy is it one?"),
            _cell("ex4_2", points=1.5, task=True),
            _cell("ex4_3", points=1, grade=True),  # no heading of its own
        ],
    )


def test_reads_numbers_points_titles_and_summaries(lstm_notebook):
    notebook = read_exercise_notebook(lstm_notebook)
    assert (notebook.stem, notebook.chapter) == ("04_lstm", 4)
    assert notebook.title == "Exercises 4: LSTM"
    numbers = [(e.id, e.title, e.points) for e in notebook.exercises]
    assert numbers == [
        ("4.1", "One LSTM step", 3.0),
        ("4.2", "Forget gate bias", 1.5),
        ("4.3", "", 1.0),  # the search for a heading stops at exercise 4.2's cells
    ]
    assert notebook.exercises[0].summary == "Write `lstm_step` for one time step."
    assert notebook.exercises[1].summary == "Why is it one?"
    assert notebook.points == pytest.approx(5.5)


def test_index_is_sorted_and_tolerates_missing_or_empty_folders(tmp_path, lstm_notebook):
    assert exercise_index(tmp_path / "missing") == []
    (tmp_path / "empty").mkdir()
    assert exercise_index(tmp_path / "empty") == []
    _write(tmp_path, "01_sequences.ipynb", [_cell("ex1_1", points=1, grade=True)])
    (tmp_path / "notes.ipynb").write_text("not a chapter notebook")
    assert [n.stem for n in exercise_index(tmp_path)] == ["01_sequences", "04_lstm"]


def test_graded_cell_without_exercise_id_is_an_error(tmp_path):
    path = _write(tmp_path, "03_simple_rnn.ipynb", [_cell("cell-8f2a", points=1, grade=True)])
    with pytest.raises(ValueError, match=r"grade_id 'cell-8f2a'.*expected 'ex<chapter>_<number>'"):
        read_exercise_notebook(path)


def test_exercise_id_of_another_chapter_is_an_error(tmp_path):
    path = _write(tmp_path, "05_gru.ipynb", [_cell("ex4_1", points=1, grade=True)])
    with pytest.raises(ValueError, match=r"belongs to chapter 4.*chapter 5; expected 'ex5_"):
        read_exercise_notebook(path)


def test_file_name_must_carry_the_chapter_number(tmp_path):
    path = _write(tmp_path, "lstm.ipynb", [])
    with pytest.raises(ValueError, match=r"`path` must name a chapter notebook.*'lstm.ipynb'"):
        read_exercise_notebook(path)


def test_table_links_chapters_downloads_and_binder(lstm_notebook, tmp_path):
    notebooks = [
        read_exercise_notebook(lstm_notebook),
        read_exercise_notebook(_write(tmp_path, "05_gru.ipynb", [_markdown("# Exercises 5: GRU")])),
    ]
    text = exercise_table(
        notebooks,
        chapter_docs={"04_lstm"},
        download_paths={"04_lstm": "../exercises/04_lstm.ipynb"},
        launch_urls={
            "04_lstm": {
                "Colab": "https://colab.research.google.com/github/o/r/blob/main/x",
                "Binder": "https://mybinder.org/v2/gh/o/r/main?urlpath=x",
            }
        },
    )
    lines = text.splitlines()
    assert lines[0] == "```{list-table}" and lines[-1] == "```"
    assert "* - 4\\. {doc}`04_lstm`" in lines  # escaped: not a numbered list
    assert (
        "    [exercise notebook](path:../exercises/04_lstm.ipynb)"
        " · [Colab](https://colab.research.google.com/github/o/r/blob/main/x)"
        " · [Binder](https://mybinder.org/v2/gh/o/r/main?urlpath=x)"
    ) in lines
    assert "    - **4.1 One LSTM step.** Write `lstm_step` for one time step. (3 points)" in lines
    assert "    - **4.3** (1 point)" in lines
    assert "* - 5\\. GRU" in lines  # not in the book: the notebook's title, no link
    assert "  - (no exercises yet)" in lines
    assert "  - 0" in lines  # the GRU row's total
    assert "  - 5.5" in lines  # the LSTM row's total


def test_table_of_nothing_is_empty():
    assert exercise_table([]) == ""


def test_old_dotted_grade_ids_are_refused_naming_the_new_form(tmp_path):
    path = _write(tmp_path, "07_attention.ipynb", [_cell("ex7.1", points=1, grade=True)])
    with pytest.raises(ValueError, match=r"grade_id 'ex7\.1' is the old dotted form.*'ex7_1'"):
        read_exercise_notebook(path)


def test_exercises_open_where_the_chapters_open():
    """The exercise page's Colab and Binder links have the addresses of the chapters' launch
    buttons (tests/test_site_browser.py checks those on the built site)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "book" / "_ext" / "exercise_list.py"
    spec = importlib.util.spec_from_file_location("exercise_list", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    options = {
        "repository_url": "https://github.com/someone/fork",
        "repository_branch": "published",
        "launch_buttons": {
            "colab_url": "https://colab.research.google.com",
            "binderhub_url": "https://mybinder.org/",
        },
    }
    bases = module.launch_bases(options)
    notebook = "exercises/04_lstm.ipynb"
    assert bases["Colab"] + notebook == (
        "https://colab.research.google.com/github/someone/fork/blob/published/" + notebook
    )
    binder = bases["Binder"] + notebook
    assert binder.startswith("https://mybinder.org/v2/gh/someone/fork/published?")
    assert binder.endswith("/tree/" + notebook)
    del options["launch_buttons"]["colab_url"]
    assert list(module.launch_bases(options)) == ["Binder"]
    assert module.launch_bases({**options, "repository_url": "https://gitlab.com/o/r"}) == {}
