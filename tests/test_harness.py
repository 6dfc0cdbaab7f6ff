"""The test harness stays one harness: pytest collects every module's doctests itself.

A test file that runs `doctest.testmod` on a module is a second copy of what
`--doctest-modules` (in `pyproject.toml`) already does for all of `course_lib`; chapter 10's
first test files brought five such copies back. These tests keep them out.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

TESTS = Path(__file__).parent
ROOT = TESTS.parent

# A call of the doctest module's runners, however it was imported.
_DOCTEST_RUNNER = re.compile(r"\b(testmod|run_docstring_examples|DocTestSuite|DocTestRunner)\s*\(")


def test_pytest_collects_the_doctests_of_course_lib():
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
    assert "--doctest-modules" in options["ini_options"]["addopts"].split()
    assert "course_lib" in options["ini_options"]["testpaths"]


def test_no_test_file_runs_the_doctests_itself():
    copies = [
        f"{path.name}:{number}"
        for path in sorted(TESTS.rglob("*.py"))
        if "fixtures" not in path.relative_to(TESTS).parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _DOCTEST_RUNNER.search(line) and not line.lstrip().startswith("#")
    ]
    assert not copies, (
        "pytest runs every module's doctests (--doctest-modules); remove the copies at "
        + ", ".join(copies)
    )
