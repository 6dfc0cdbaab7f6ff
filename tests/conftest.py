"""The shared test harness: what several test files need, in one place.

- The grading fixtures (`tests/fixtures/grading/`): a tiny release with its own check module,
  `fixture_checks`, which the kernels and the judge must both be able to import.
  `fixture_kernel_env()` is the environment of a command or a kernel that grades them;
  the fixture `fixture_checks_importable` makes them importable in this process and in every
  process it starts (a local pool's, a Dask worker's), for one test module.
- Doctests: pytest collects every module's `>>>` examples itself (`--doctest-modules` on
  `course_lib`, see `pyproject.toml`); no test file runs `doctest.testmod`.

Test files import the constants with `from conftest import ...` (the tests folder is on the
path, as for `exercise_solutions`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The fixture notebooks' own check module is imported by their kernels, not collected.
collect_ignore = ["fixtures"]

GRADING_FIXTURES = Path(__file__).parent / "fixtures" / "grading"
FIXTURE_RELEASE = GRADING_FIXTURES / "exercises"
FIXTURE_SOLUTIONS = GRADING_FIXTURES / "solutions"
# The check modules the fixture notebooks' check cells import.
FIXTURE_CHECK_MODULES = ("course_lib.checks", "fixture_checks")


def fixture_pythonpath() -> str:
    """The `PYTHONPATH` under which `fixture_checks` imports, before this process's own."""
    return os.pathsep.join([str(GRADING_FIXTURES), os.environ.get("PYTHONPATH", "")])


def fixture_kernel_env() -> dict[str, str]:
    """The environment of a command (and its kernels) that grades the fixture notebooks."""
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=fixture_pythonpath())


@pytest.fixture(scope="module")
def fixture_checks_importable():
    """`fixture_checks` importable here (the judge of `--workers 1` runs in this process) and
    in the processes this one starts (a local pool's, a Dask LocalCluster's), for one module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", fixture_pythonpath())
        patch.syspath_prepend(str(GRADING_FIXTURES))
        yield
