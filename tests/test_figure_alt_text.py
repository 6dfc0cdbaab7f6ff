"""Every figure of the book carries alternative text that says what it shows.

matplotlib has no alt-text API; myst-nb gives a cell's image outputs the `alt` of the
cell's metadata `{"mystnb": {"image": {"alt": "..."}}}` (myst_nb/core/render.py,
`render_image`: the `render_image_options` setting, cell key `image`). Without it the
image's alt is its file name, a content hash that a screen reader reads out. This test reads
every book notebook (chapters written later included); tests/test_site_browser.py checks
the `alt` of every image on the built pages as well.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from alt_text import PLOTTING_CODE, alt_text_problem, cell_alt_text

BOOK = Path(__file__).resolve().parents[1] / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))


def figure_cells(path: Path) -> list[tuple[int, dict]]:
    notebook = nbformat.read(path, as_version=4)
    return [
        (index, cell)
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and PLOTTING_CODE.search(cell.source)
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_every_figure_cell_has_alt_text(path):
    problems = [
        f"cell {index} (id {cell.get('id')}, {cell.source.strip().splitlines()[0][:50]!r}): "
        f"alt text {problem}"
        for index, cell in figure_cells(path)
        if (problem := alt_text_problem(cell_alt_text(cell)))
    ]
    assert not problems, (
        f"{path.name}: figure cells need alt text saying what the figure shows, in the cell "
        'metadata {"mystnb": {"image": {"alt": "..."}}}:\n  ' + "\n  ".join(problems)
    )


def test_the_book_has_figure_cells():
    # The test above is not vacuous: the chapters draw figures and the regex finds them.
    assert sum(len(figure_cells(path)) for path in NOTEBOOKS) >= 30


@pytest.mark.parametrize(
    "alt, problem",
    [
        (None, "missing"),
        ("  ", "missing"),
        ("3f1c0e9a5b7d2e4f6a8c0b1d3e5f7a9c.png", "file name"),
        ("_images/plot.png", "file name"),
        ("a4c1f09e8d7b6a5c4e3f2a1b0c9d8e7f", "file name"),
        ("Figure", "placeholder"),
        ("learning curves", "too short"),
    ],
)
def test_alt_text_problem_rejects_file_names_and_placeholders(alt, problem):
    assert problem in alt_text_problem(alt)


def test_alt_text_problem_accepts_a_description():
    description = "Learning curves of the GRU: training and validation loss against the epoch."
    assert alt_text_problem(description) is None


def test_a_figure_cell_without_alt_text_fails(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("plt.plot([1, 2]);\nplt.show()")]
    path = tmp_path / "99_example.ipynb"
    nbformat.write(notebook, path)
    with pytest.raises(AssertionError, match="cell 0"):
        test_every_figure_cell_has_alt_text(path)
    notebook.cells[0].metadata["mystnb"] = {"image": {"alt": "a.png"}}
    nbformat.write(notebook, path)
    with pytest.raises(AssertionError, match="file name"):
        test_every_figure_cell_has_alt_text(path)
