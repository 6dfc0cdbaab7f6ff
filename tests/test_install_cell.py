"""The install cell: one rule for the first code cell of every chapter, solution and exercise.

Every notebook, chapter 10's and any later one included, must have it, written by
`python -m course_lib.install_cell write` from book/_config.yml (and carried into exercises/
by `rnn-course assign`); publishing pins it to a commit; the grader does not call a
published copy's cell an edit. The cell running on a Colab-like machine is in
tests/test_colab.py.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import nbformat
import pytest

from course_lib import install_cell
from course_lib.grading.notebook_format import INSTALL_GRADE_ID, nbgrader_metadata
from course_lib.grading.restore import restore

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "book" / "_config.yml"
SOURCE = install_cell.install_source(CONFIG)
OLD_BLOCK = (
    "# On Colab, or wherever the course package is missing, install it first:\n"
    "# from the course repository; a recent TensorFlow already there is kept.\n"
    "import importlib.util\n\n"
    'if importlib.util.find_spec("course_lib") is None:\n'
    "    from course_lib.colab import install_requirements\n\n"
    "    install_requirements()\n\n"
)


def test_the_source_is_book_config_repository():
    assert SOURCE == f"rnn-course @ git+{install_cell.PLACEHOLDER_URL}@main"


def code_cells(path: Path) -> list:
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


@pytest.mark.parametrize(
    "path",
    install_cell.course_notebooks(REPO),
    ids=lambda path: f"{path.parent.name}/{path.stem}",
)
def test_every_notebook_starts_with_the_install_cell_then_the_setup_cell(path):
    install, setup = code_cells(path)[:2]
    assert install.source == install_cell.install_cell_source(SOURCE), (
        f"{path.relative_to(REPO)}: its first code cell is not the install cell of "
        "book/_config.yml; run `python -m course_lib.install_cell write`, then `rnn-course assign`"
    )
    # Collapsed in JupyterLab and Colab, left out of the website.
    assert install.metadata["jupyter"] == {"source_hidden": True}
    assert install.metadata["cellView"] == "form"
    assert install.metadata["tags"] == ["remove-cell"]
    if path.parent.name in ("solutions", "exercises"):  # locked: the grader keeps its own
        meta = nbgrader_metadata(install)
        assert meta["grade_id"] == INSTALL_GRADE_ID and meta["locked"] and not meta["solution"]
    assert setup.source.startswith("import course_lib\n"), "then the usual imports and setup()"
    assert "course_lib.setup()" in setup.source


def test_the_repository_is_up_to_date():
    assert install_cell.main(["--root", str(REPO), "check"]) == 0


def notebook(tmp_path: Path, folder: str, name: str, first: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A chapter"), nbformat.v4.new_code_cell(first)]
    (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    path = tmp_path / folder / name
    nbformat.write(nb, path)
    return path


@pytest.fixture
def course(tmp_path):
    """A course of one chapter and one solution notebook, written before the install cell
    had a cell of its own (the block at the top of the set-up cell)."""
    (tmp_path / "book").mkdir()
    shutil.copy(CONFIG, tmp_path / "book" / "_config.yml")
    notebook(tmp_path, "book", "01_x.ipynb", OLD_BLOCK + "import course_lib\n")
    solution = notebook(tmp_path, "solutions", "01_x.ipynb", "import course_lib\n")
    nb = nbformat.read(solution, as_version=4)
    nb.cells[0].metadata["nbgrader"] = {"grade_id": "intro", "locked": True}
    nbformat.write(nb, solution)
    return tmp_path


def test_check_notices_and_write_adds_the_cell_once_moving_an_old_block_out(course):
    root = ["--root", str(course)]
    assert install_cell.main([*root, "check"]) == 1
    assert install_cell.main([*root, "write"]) == 0
    assert install_cell.main([*root, "check"]) == 0
    before = (course / "book" / "01_x.ipynb").read_bytes()
    assert install_cell.main([*root, "write"]) == 0
    assert (course / "book" / "01_x.ipynb").read_bytes() == before, "writing twice: no change"
    install, setup = code_cells(course / "book" / "01_x.ipynb")
    assert install_cell.is_install_cell(install) and install.id == "install"
    assert setup.source == "import course_lib\n", "the old block left the set-up cell"
    assert "nbgrader" not in install.metadata, "a chapter has no nbgrader metadata"
    solution_install, _ = code_cells(course / "solutions" / "01_x.ipynb")
    assert nbgrader_metadata(solution_install)["grade_id"] == INSTALL_GRADE_ID


def test_a_stale_cell_is_brought_up_to_date_in_place(course):
    install_cell.main(["--root", str(course), "write"])
    path = course / "book" / "01_x.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace("@main", "@an-old-tag")
    nb.cells[1].metadata = {}
    nbformat.write(nb, path)
    assert install_cell.sync_notebooks([path], SOURCE) == [path]
    cells = nbformat.read(path, as_version=4).cells
    assert len(cells) == 3 and cells[1].source == install_cell.install_cell_source(SOURCE)
    assert cells[1].metadata["tags"] == ["remove-cell"]


def test_publish_fills_in_the_repository_and_pins_every_install_cell(course):
    install_cell.main(["--root", str(course), "write"])
    commit = "0123456789abcdef0123456789abcdef01234567"
    url = "https://github.com/someone/fork"
    args = ["--root", str(course), "publish", "--url", url + "/", "--commit", commit]
    assert install_cell.main(args) == 0
    config = (course / "book" / "_config.yml").read_text(encoding="utf-8")
    assert f"  url: {url}\n  branch: {install_cell.PUBLISHED_BRANCH}\n" in config
    assert "# Where the book lives online" in config, "the comments stay"
    for path in install_cell.course_notebooks(course):
        (first, *_) = code_cells(path)
        assert f'course = "rnn-course @ git+{url}@{commit}"' in first.source, path


@pytest.mark.parametrize(
    ("url", "commit", "message"),
    [
        (install_cell.PLACEHOLDER_URL, "0123abc", "got the placeholder"),
        ("git@github.com:o/r.git", "0123abc", r"`url` must be an https:// \(or file://\)"),
        ("https://github.com/o/r", "main", "`commit` must be 7 to 40 hexadecimal digits"),
    ],
)
def test_publish_refuses_the_placeholder_and_what_pip_cannot_pin(course, url, commit, message):
    with pytest.raises(ValueError, match=message):
        install_cell.publish(course, url, commit)
    args = ["--root", str(course), "publish", "--url", url, "--commit", commit]
    assert install_cell.main(args) == 2


def test_check_site_fails_while_a_page_names_the_placeholder(tmp_path, capsys):
    site = tmp_path / "html"
    (site / "sub").mkdir(parents=True)
    (site / "index.html").write_text('<a href="https://github.com/someone/fork">repo</a>')
    page = site / "sub" / "01_x.html"
    page.write_text(f'<a href="{install_cell.PLACEHOLDER_URL}/issues">issues</a>')
    assert install_cell.main(["check-site", str(site)]) == 1
    assert str(page) in capsys.readouterr().out
    page.write_text('<a href="https://github.com/someone/fork/issues">issues</a>')
    assert install_cell.main(["check-site", str(site)]) == 0
    assert install_cell.main(["check-site", str(tmp_path / "empty")]) == 2


def test_a_published_copy_of_the_install_cell_is_not_an_edit():
    release = nbformat.read(REPO / "exercises" / "01_sequences_hidden_state.ipynb", as_version=4)
    student = copy.deepcopy(release)
    pinned = install_cell.install_source(CONFIG, ref="0123abc")
    assert install_cell.with_install_cell(student, pinned)
    assert not restore(release, student).notes
    setup = next(c for c in student.cells if nbgrader_metadata(c).get("grade_id") == "setup")
    setup.source += "\nprint('mine')"
    assert "read-only cells" in " ".join(restore(release, student).notes), "a real edit is"


def test_a_config_without_repository_entry_is_a_value_error(tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text("title: x\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"`repository: url of .*` must be an https://"):
        install_cell.install_source(config)
    with pytest.raises(ValueError, match="config_path: expected `repository:` with `url:`"):
        install_cell.set_repository(config, "https://github.com/o/r", "published")
