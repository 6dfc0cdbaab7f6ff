"""Who installs what: the package, its extras, environment.yml and the Makefile's targets.

The package itself needs only what the notebooks import (the student's set); the tools of
the book, the tests and the teacher are extras. environment.yml (conda, Binder) is the
student's set plus JupyterLab, the set `make lab` installs.
"""

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def normalise(requirement: str) -> str:
    """Lower-case the name, unify `-`/`_`/`.` in it and drop spaces, keep the version spec."""
    requirement = requirement.replace(" ", "")
    match = re.match(r"([A-Za-z0-9_.\-]+)(.*)", requirement)
    name, spec = match.group(1), match.group(2)
    return re.sub(r"[-_.]+", "-", name).lower() + spec


def names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~;\[ ]", normalise(r))[0] for r in requirements}


def dependencies() -> list[str]:
    return [normalise(r) for r in PROJECT["dependencies"]]


def extra(name: str) -> list[str]:
    return [normalise(r) for r in PROJECT["optional-dependencies"][name]]


def conda_pip_requirements() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "environment.yml must have exactly one `pip:` section"
    return [normalise(r) for r in pip_sections[0]]


def test_environment_yml_is_the_students_set_and_jupyterlab():
    conda = conda_pip_requirements()
    expected = dependencies() + extra("lab")
    assert sorted(conda) == sorted(expected), (
        "environment.yml and pyproject.toml (dependencies + the lab extra) drifted apart:\n"
        f"  only in environment.yml: {sorted(set(conda) - set(expected))}\n"
        f"  only in pyproject.toml:  {sorted(set(expected) - set(conda))}"
    )


def test_environment_yml_pins_python_311_from_conda_forge():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    assert "python=3.11" in env["dependencies"]
    assert "pip" in env["dependencies"]


def test_the_tools_are_extras_not_dependencies():
    tools = {
        "jupyter-book": "book",
        "jupyterlab": "lab",
        "nbgrader": "teach",
        "pytest": "test",
        "nbval": "test",
        "ruff": "dev",
        "playwright": "dev",
    }
    assert not names(PROJECT["dependencies"]) & set(tools)
    for tool, where in tools.items():
        assert tool in names(PROJECT["optional-dependencies"][where]), (tool, where)
    assert "dask" in names(extra("cluster")) and "rnn-course[cluster]" in extra("teach")


def test_dev_is_everything():
    dev = extra("dev")
    (itself,) = [r for r in dev if r.startswith("rnn-course[")]
    included = set(itself.removeprefix("rnn-course[").removesuffix("]").split(","))
    assert included == set(PROJECT["optional-dependencies"]) - {"dev", "cluster"}


def test_jupyter_book_stays_on_1x():
    # Jupyter Book 2 downloads its theme at build time and cannot build offline.
    assert "jupyter-book==1.0.4.post1" in extra("book")


@pytest.mark.parametrize(
    ("target", "extra_name"),
    [("lab", "lab"), ("book", "book"), ("unit", "dev"), ("book-strict", "dev"), ("site", "dev")],
)
def test_each_make_target_installs_its_extra(target, extra_name):
    line = re.search(rf"^{re.escape(target)}:(.*)$", MAKEFILE, flags=re.MULTILINE)[1]
    stamps = re.findall(r"\$\(VENV\)/\.installed-([\w-]+)|\$\(STAMP\)", line)
    stamp = re.search(r"^STAMP\s*:=\s*\$\(VENV\)/\.installed-(\S+)", MAKEFILE, re.MULTILINE)[1]
    assert [s or stamp for s in stamps] == [extra_name], line
    assert extra_name in PROJECT["optional-dependencies"]
    rule = re.search(r"^\$\(VENV\)/\.installed-%:.*\n((?:\t.*\n)+)", MAKEFILE, re.MULTILINE)[1]
    assert 'pip install --quiet -e ".[$*]"' in rule, "the stamp installs the extra it names"


@pytest.mark.parametrize("name", ["tensorflow", "keras", "numpy", "sphinx", "nbclient"])
def test_core_requirements_present(name):
    assert name in names(PROJECT["dependencies"])


def test_normalise_detects_a_drift():
    # The comparison is not vacuous: a renamed or re-pinned package shows up as a difference.
    assert normalise("Scikit_Learn >= 1.4") == "scikit-learn>=1.4"
    assert normalise("tensorflow==2.20.*") != normalise("tensorflow==2.21.*")
