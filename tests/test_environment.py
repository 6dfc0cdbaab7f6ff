"""The conda environment (environment.yml) and pyproject.toml name the same packages."""

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def normalise(requirement: str) -> str:
    """Lower-case the name, unify `-`/`_`/`.` in it and drop spaces, keep the version spec."""
    requirement = requirement.replace(" ", "")
    match = re.match(r"([A-Za-z0-9_.\-]+)(.*)", requirement)
    name, spec = match.group(1), match.group(2)
    return re.sub(r"[-_.]+", "-", name).lower() + spec


def pyproject_requirements() -> list[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return [normalise(r) for r in data["project"]["dependencies"]]


def conda_pip_requirements() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "environment.yml must have exactly one `pip:` section"
    return [normalise(r) for r in pip_sections[0]]


def test_environment_yml_matches_pyproject():
    conda = conda_pip_requirements()
    project = pyproject_requirements()
    assert sorted(conda) == sorted(project), (
        "environment.yml and pyproject.toml drifted apart:\n"
        f"  only in environment.yml: {sorted(set(conda) - set(project))}\n"
        f"  only in pyproject.toml:  {sorted(set(project) - set(conda))}"
    )


def test_environment_yml_pins_python_311_from_conda_forge():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    assert "python=3.11" in env["dependencies"]
    assert "pip" in env["dependencies"]


def test_jupyter_book_stays_on_1x():
    # Jupyter Book 2 downloads its theme at build time and cannot build offline.
    assert "jupyter-book==1.0.4.post1" in pyproject_requirements()


@pytest.mark.parametrize("name", ["tensorflow==2.21.*", "nbval>=0.11", "pytest>=8"])
def test_core_requirements_present(name):
    assert normalise(name) in pyproject_requirements()


def test_normalise_detects_a_drift():
    # The comparison is not vacuous: a renamed or re-pinned package shows up as a difference.
    assert normalise("Scikit_Learn >= 1.4") == "scikit-learn>=1.4"
    assert normalise("tensorflow==2.20.*") != normalise("tensorflow==2.21.*")
