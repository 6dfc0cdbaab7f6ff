"""Notebooks opened where course_lib is missing (Colab) install it in their first cell.

The block at the top of every first code cell comes from book/_config.yml's repository
(`python -m course_lib.colab` writes it); the slow test runs a chapter's first cell in a
fresh virtual environment without course_lib, with the install source pointed at this
checkout, and checks that it installed the package and kept the TensorFlow it found.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement

from course_lib import colab

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "book" / "_config.yml"
SOURCE = colab.install_source(CONFIG)


def test_the_source_is_book_config_repository():
    assert SOURCE == "rnn-course @ git+https://github.com/rnn-course/rnn-course@main"


@pytest.mark.parametrize(
    "path",
    colab.course_notebooks(REPO, ("book", "solutions", "exercises")),
    ids=lambda path: f"{path.parent.name}/{path.stem}",
)
def test_every_first_cell_installs_the_course_package_from_the_config(path):
    notebook = nbformat.read(path, as_version=4)
    cell = colab.first_code_cell(notebook)
    assert cell.source.startswith(colab.install_block(SOURCE)), (
        f"{path.relative_to(REPO)}: its first code cell does not start with the install block "
        "of book/_config.yml's repository; run `python -m course_lib.colab` and then "
        "`rnn-course assign`"
    )
    rest = colab.without_block(cell.source)
    assert rest.startswith("import course_lib\n"), "then the usual imports and setup()"
    assert "course_lib.setup()" in rest


def test_the_check_notices_a_stale_block_and_the_writer_fixes_it(tmp_path):
    (tmp_path / "book").mkdir()
    other = CONFIG.read_text(encoding="utf-8").replace(
        "https://github.com/rnn-course/rnn-course", "https://github.com/someone/fork"
    )
    (tmp_path / "book" / "_config.yml").write_text(other, encoding="utf-8")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# A chapter"),
        nbformat.v4.new_code_cell(colab.install_block(SOURCE) + "import course_lib\n"),
    ]
    path = tmp_path / "book" / "01_x.ipynb"
    nbformat.write(notebook, path)
    assert colab.main(["--root", str(tmp_path), "--check"]) == 1
    assert colab.main(["--root", str(tmp_path)]) == 0
    assert colab.main(["--root", str(tmp_path), "--check"]) == 0
    source = colab.first_code_cell(nbformat.read(path, as_version=4)).source
    assert source.count(colab.FIRST_LINE) == 1, "the old block is replaced, not stacked"
    assert "git+https://github.com/someone/fork@main" in source
    assert source.endswith("install_requirements()\n\nimport course_lib\n")


def test_a_config_without_repository_url_is_a_value_error(tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text("title: x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="config_path: expected `repository: url"):
        colab.install_source(config)


COURSE = [
    Requirement("tensorflow==2.21.*"),
    Requirement("keras>=3.10,<4"),
    Requirement("numpy>=1.26"),
    Requirement("jupyter-book==1.0.4.post1"),
    Requirement("pytest>=8"),
]


def test_colab_keeps_a_recent_tensorflow_and_skips_the_book_tools():
    colab_versions = {"tensorflow": "2.19.0", "keras": "3.8.0", "numpy": "2.0.2"}
    assert colab.requirements_to_install(COURSE, colab_versions.get) == ["keras<4,>=3.10"]


@pytest.mark.parametrize("tensorflow", [None, "2.15.1"])
def test_a_missing_or_old_tensorflow_is_installed_at_the_course_pin(tensorflow):
    versions = {"tensorflow": tensorflow, "keras": "3.11.0", "numpy": "2.0.2"}
    assert colab.requirements_to_install(COURSE, versions.get) == ["tensorflow==2.21.*"]


def test_install_requirements_runs_pip_only_for_what_is_missing(monkeypatch, capsys):
    monkeypatch.setattr(colab, "course_requirements", lambda: (COURSE, ">=3.11"))
    installed = {"numpy": "2.0.2", "tensorflow": "2.20.0"}
    commands = []
    wanted = colab.install_requirements(run=commands.append, version_of=installed.get)
    assert wanted == ["keras<4,>=3.10"]
    assert commands == [[sys.executable, "-m", "pip", "install", "--quiet", "keras<4,>=3.10"]]
    assert "keras<4,>=3.10" in capsys.readouterr().out
    installed["keras"] = "3.11.0"
    assert colab.install_requirements(run=commands.append, version_of=installed.get) == []
    assert len(commands) == 1, "nothing missing: pip is not run"


# -- the first cell in a fresh environment -------------------------------------------------


def fresh_venv(path: Path) -> Path:
    """A new venv that sees this environment's packages but not course_lib.

    A .pth line adds this environment's site-packages to sys.path without running the .pth
    files in it, among them the editable install's hook that makes course_lib importable.
    """
    venv.EnvBuilder(with_pip=True, symlinks=os.name != "nt").create(path)
    python = path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "course-test-parent.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n", encoding="utf-8"
    )
    return python


@pytest.mark.slow
def test_first_cell_installs_course_lib_in_a_fresh_environment(tmp_path, monkeypatch):
    from nbclient import NotebookClient

    python = fresh_venv(tmp_path / "venv")
    probe = [str(python), "-c", "import course_lib"]
    clean_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    missing = subprocess.run(probe, capture_output=True, env=clean_env, cwd=tmp_path)
    assert missing.returncode != 0, "the fresh environment must not see course_lib yet"

    # A kernel running the fresh environment's Python.
    kernels = tmp_path / "jupyter" / "kernels" / "fresh"
    kernels.mkdir(parents=True)
    argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec = {"argv": argv, "display_name": "fresh", "language": "python"}
    (kernels / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.delenv("PYTHONPATH", raising=False)

    chapter = nbformat.read(REPO / "book" / "01_sequences_hidden_state.ipynb", as_version=4)
    first = colab.first_code_cell(chapter)
    # The install source: this checkout (copied, as pip builds inside the source tree).
    checkout = tmp_path / "checkout"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(REPO / "course_lib", checkout / "course_lib", ignore=ignore)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, checkout / name)
    local = colab.install_block(str(checkout))
    source = colab.with_block(first.source, local)
    assert source != first.source and SOURCE in first.source
    report = (
        "import json, os, course_lib, tensorflow\n"
        "print(json.dumps({'course_lib': os.path.realpath(course_lib.__file__),"
        " 'tensorflow': os.path.realpath(tensorflow.__file__),"
        " 'tensorflow_version': tensorflow.__version__}))"
    )
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source), nbformat.v4.new_code_cell(report)]
    client = NotebookClient(
        notebook,
        kernel_name="fresh",
        timeout=600,
        resources={"metadata": {"path": str(tmp_path)}},  # not the repository
    )
    client.execute()

    printed = "".join(o.get("text", "") for o in notebook.cells[0].outputs)
    assert "everything else it needs was already here" in printed, printed
    found = json.loads(notebook.cells[1].outputs[-1]["text"])
    assert Path(found["course_lib"]).is_relative_to(tmp_path / "venv"), found
    import tensorflow

    assert found["tensorflow"] == os.path.realpath(tensorflow.__file__), "TensorFlow kept"
    assert found["tensorflow_version"] == tensorflow.__version__
