"""The course's requirements, and whether what is installed here meets them.

Read by `rnn-course doctor` (which reports what is missing) and by the first cell of every
notebook on Colab (`course_lib.colab.install_requirements`, which installs it). Only the
standard library and `packaging`, so both work in a broken set-up.

Introduced in Chapter 0 (Introduction and set-up), whose `rnn-course doctor` compares the
installed packages with these requirements.
"""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

DISTRIBUTION = "rnn-course"


def _checkout_pyproject() -> Path:
    return Path(__file__).resolve().parents[1] / "pyproject.toml"


def course_requirements() -> tuple[list[Requirement], str]:
    """The course's requirements (no extras) and its `requires-python` specifier.

    Read from the pyproject.toml of the checkout `course_lib` was imported from (a
    contributor's clone, an editable install), else from the installed `rnn-course`
    distribution's metadata.

    Returns:
        `(requirements, requires_python)`, e.g. `([Requirement("keras>=3.10,<4"), ...], ">=3.11")`.

    Raises:
        FileNotFoundError: if the package is not installed and there is no pyproject.toml.

    Example:
    >>> requirements, requires_python = course_requirements()
    >>> "tensorflow" in {r.name for r in requirements}
    True
    """
    path = _checkout_pyproject()
    project = {}
    if path.is_file():
        project = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {})
    if project.get("name") == DISTRIBUTION:  # a checkout: its pyproject.toml is the truth
        lines = project.get("dependencies", [])
        requires_python = project.get("requires-python", "")
    else:
        try:
            metadata = importlib.metadata.metadata(DISTRIBUTION)
        except importlib.metadata.PackageNotFoundError:
            raise FileNotFoundError(
                f"the {DISTRIBUTION} package is not installed and {path} does not exist"
            ) from None
        lines = importlib.metadata.requires(DISTRIBUTION) or []
        requires_python = metadata.get("Requires-Python") or ""
    requirements = []
    for line in lines:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            requirements.append(requirement)
    return requirements, requires_python


def installed_version(name: str) -> str | None:
    """The installed version of distribution `name`, or None when it is not installed."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def lower_bound(requirement: Requirement) -> SpecifierSet:
    """The `>=` and `>` clauses of `requirement` (`tensorflow>=2.16,<2.22` -> `>=2.16`).

    A pin `==2.21.*` counts as `>=2.21`.
    """
    clauses = []
    for clause in requirement.specifier:
        if clause.operator in (">=", ">"):
            clauses.append(str(clause))
        elif clause.operator in ("==", "~=") and not clause.version.endswith(".*"):
            clauses.append(f">={clause.version}")
        elif clause.operator == "==":
            clauses.append(f">={clause.version.removesuffix('.*')}")
    return SpecifierSet(",".join(clauses))


def unmet_requirement(
    requirement: Requirement, version: str | None, *, newer_is_enough: bool = False
) -> str | None:
    """None when `version` of the package satisfies `requirement`, else what is wrong.

    Args:
        requirement: one of `course_requirements()`.
        version: the installed version, or None when the package is missing.
        newer_is_enough: accept a version past the requirement's upper bound, as the course
            does for Colab's own TensorFlow. Defaults to False.

    Returns:
        None, or a sentence such as `"keras 2.15.0 is installed; the course needs keras<4,>=3.10."`.

    Example:
    >>> unmet_requirement(Requirement("keras>=3.10,<4"), "3.8.0")
    'keras 3.8.0 is installed; the course needs keras<4,>=3.10.'
    """
    if version is None:
        return f"{requirement.name} is not installed; the course needs {requirement}."
    try:
        parsed = Version(version)
    except InvalidVersion:
        return f"{requirement.name} has an unreadable version {version!r}; the course needs {requirement}."
    wanted = lower_bound(requirement) if newer_is_enough else requirement.specifier
    if not wanted.contains(parsed, prereleases=True):
        return f"{requirement.name} {version} is installed; the course needs {requirement}."
    return None
