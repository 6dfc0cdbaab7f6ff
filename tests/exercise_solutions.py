"""The reference solutions of the exercise notebooks, for the tests of the checks.

`load_solutions("04_lstm")` runs the first code cell (imports and `course_lib.setup()`) and
every solution cell of `solutions/04_lstm.ipynb` in a fresh namespace and returns it, so the
tests check the very functions the notebooks hold. `passes` and `fails` run a check and
assert on what it prints or raises.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from course_lib.checks import CheckFailed
from course_lib.grading.notebook_format import SOLUTION, cell_role, read_notebook, source_text

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"


def load_solutions(stem: str) -> SimpleNamespace:
    """Run the set-up cell and the solution cells of `solutions/<stem>.ipynb`; return them."""
    nb = read_notebook(SOLUTIONS / f"{stem}.ipynb")
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    namespace: dict = {"__name__": f"solutions_{stem}"}
    sources = [source_text(code_cells[0])]
    sources += [source_text(cell) for cell in code_cells if cell_role(cell) == SOLUTION]
    for number, source in enumerate(sources):
        exec(compile(source, f"{stem}.ipynb[solution {number}]", "exec"), namespace)
    return SimpleNamespace(**namespace)


def passes(check, function, capsys, exercise: str, total: int, **kwargs) -> None:
    """Assert that `check(function)` prints exactly the success line with `total` checks."""
    check(function, **kwargs)
    assert capsys.readouterr().out == f"Exercise {exercise}: passed {total} of {total} checks\n"


def fails(check, function, *substrings: str, passed: int | None = None, **kwargs) -> str:
    """Assert that `check(function)` raises `CheckFailed` whose message has every substring.

    Args:
        check: the check function.
        function: the wrong answer.
        *substrings: texts the message must contain.
        passed: if given, the number of checks that must still pass.

    Returns:
        The message.
    """
    with pytest.raises(CheckFailed) as info:
        check(function, **kwargs)
    message = str(info.value)
    for text in substrings:
        assert text in message, f"{text!r} not in the message:\n{message}"
    match = re.match(r"Exercise (\d+\.\d+): passed (\d+) of (\d+) checks", message)
    assert match, message
    if passed is not None:
        assert int(match[2]) == passed, message
    return message


def unsolved(*args, **kwargs):
    """What an exercise's stub does: the function of an unsolved exercise."""
    raise NotImplementedError("Exercise 0.0: write your solution here")
