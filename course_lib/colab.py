"""The course on Google Colab: where it runs, and what it installs there.

On Colab the first cell of every notebook installs the course package without its
dependencies (see `course_lib.install_cell`), then calls `install_requirements()`, which
installs only what the course needs and Colab lacks. Colab's own TensorFlow is kept when
it is at least the lowest version the course supports, even past the newest it is tested
with: replacing it would download half a gigabyte and break Colab's other packages.
`rnn-course doctor` applies the same rule there. Only the standard library and `packaging`
at module level, as `course_lib.doctor` needs.

Introduced in Chapter 1 (Sequences and the hidden state), whose first cell, like the first
cell of every chapter and exercise notebook, installs the course where it is missing.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from course_lib.requirements import course_requirements, installed_version, unmet_requirement

KEPT_ON_COLAB = frozenset({"tensorflow"})
"""Colab's own packages that the course keeps when they are new enough (see the module)."""


def running_on_colab() -> bool:
    """Whether this Python runs on Google Colab (a notebook there, or a `!command` in it).

    Colab sets the environment variable `COLAB_RELEASE_TAG`, and only Colab has the
    `google.colab` package.
    """
    return bool(os.environ.get("COLAB_RELEASE_TAG")) or (
        importlib.util.find_spec("google") is not None
        and importlib.util.find_spec("google.colab") is not None
    )


def unmet_on_colab(requirement: Requirement, version: str | None) -> str | None:
    """What is wrong with `version` of a required package by Colab's rule, or None.

    `requirements.unmet_requirement`, except that a package of `KEPT_ON_COLAB` newer than
    the course's range passes.

    Args:
        requirement: one of the course's requirements.
        version: the installed version, or None when the package is missing.

    Example:
    >>> unmet_on_colab(Requirement("tensorflow>=2.16,<2.22"), "2.23.0") is None
    True
    """
    newer = canonicalize_name(requirement.name) in KEPT_ON_COLAB
    return unmet_requirement(requirement, version, newer_is_enough=newer)


def requirements_to_install(
    requirements: Iterable[Requirement],
    version_of: Callable[[str], str | None] = installed_version,
) -> list[str]:
    """The requirements a notebook needs that are missing or too old here, by Colab's rule.

    Args:
        requirements: the course's requirements (`requirements.course_requirements()[0]`).
        version_of: installed version of a distribution, or None when it is missing.
            Defaults to `requirements.installed_version`.

    Returns:
        The requirements to pass to pip, e.g. `["keras<4,>=3.10"]`.

    Example:
    >>> from packaging.requirements import Requirement
    >>> requirements_to_install([Requirement("keras>=3.10,<4")], {"keras": "3.8.0"}.get)
    ['keras<4,>=3.10']
    """
    return [
        str(requirement)
        for requirement in requirements
        if unmet_on_colab(requirement, version_of(requirement.name))
    ]


def install_requirements(
    run: Callable[[Sequence[str]], object] | None = None,
    version_of: Callable[[str], str | None] = installed_version,
) -> list[str]:
    """Install what the course's notebooks need and is missing; return what was installed.

    Called by the install cell of every notebook right after it installed the course
    package without its dependencies. pip runs quietly: its warnings are left out, its
    errors are shown.

    Args:
        run: runs a command. Defaults to `subprocess.run(..., check=True)`.
        version_of: installed version of a distribution, or None when it is missing.
            Defaults to `requirements.installed_version`.

    Returns:
        The requirements that were installed (empty when nothing was missing).

    Example:
    >>> from course_lib.colab import install_requirements
    >>> install_requirements()  # doctest: +SKIP
    Installed the course package and keras<4,>=3.10.
    """
    wanted = requirements_to_install(course_requirements()[0], version_of)
    if wanted:
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--quiet", *wanted]
        (run or (lambda c: subprocess.run(c, check=True)))(command)
        print("Installed the course package and " + ", ".join(wanted) + ".", flush=True)
    else:
        print("Installed the course package; everything else it needs was already here.")
    return wanted
