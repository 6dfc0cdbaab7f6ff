"""The reference solutions of the exercise notebooks, for the tests of the checks.

`load_solutions("04_lstm")` runs the set-up cell (imports and `course_lib.setup()`) and
every solution cell of `solutions/04_lstm.ipynb` in a fresh namespace and returns it, so the
tests check the very functions the notebooks hold. `passes` and `fails` run a check and
assert on what it prints or raises, both ways a check runs: as a self-check, and graded
(`judged`): inputs handed over by `course_lib.checks.verdicts.hand_inputs`, the check cell
probing (`RNN_COURSE_PROBE_DIR`), the answers judged by `verdicts.judge`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from course_lib.checks import CheckFailed
from course_lib.checks.contract import PROBE_DIR_ENV, parse_result_line, probe_line
from course_lib.checks.verdicts import StudentName, Verdict, hand_inputs, judge, parse_check_call
from course_lib.grading.notebook_format import (
    CHECK,
    SOLUTION,
    cell_role,
    read_notebook,
    source_text,
)
from course_lib.install_cell import is_install_cell

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"


def load_solutions(stem: str) -> SimpleNamespace:
    """Run the set-up cell and the solution cells of `solutions/<stem>.ipynb`; return them."""
    nb = read_notebook(SOLUTIONS / f"{stem}.ipynb")
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    namespace: dict = {"__name__": f"solutions_{stem}"}
    setup = next(cell for cell in code_cells if not is_install_cell(cell))
    sources = [source_text(setup)]
    sources += [source_text(cell) for cell in code_cells if cell_role(cell) == SOLUTION]
    for number, source in enumerate(sources):
        exec(compile(source, f"{stem}.ipynb[solution {number}]", "exec"), namespace)
    return SimpleNamespace(**namespace)


def probe(check, function, folder: str | os.PathLike, seed: int | None = None) -> str:
    """Hand `check`'s inputs (drawn with `seed`) into `folder`, run the check cell as the
    grader's kernel does (probing); return what it printed and the cases."""
    cases = check.cases(seed)
    hand_inputs(check, cases, Path(folder))
    saved = os.environ.get(PROBE_DIR_ENV)
    os.environ[PROBE_DIR_ENV] = str(folder)
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output):
            check(function)
    finally:
        os.environ.pop(PROBE_DIR_ENV, None)
        if saved is not None:
            os.environ[PROBE_DIR_ENV] = saved
    return output.getvalue(), cases


def judged(check, function, seed: int | None = None) -> Verdict:
    """Probe `check(function)` on inputs drawn with `seed`, then judge; return the verdict."""
    with tempfile.TemporaryDirectory() as folder:
        out, cases = probe(check, function, folder, seed)
        assert out == probe_line(check.id) + "\n", out
        return judge(check, cases, Path(folder))


def passes(check, function, capsys, exercise: str, total: int) -> None:
    """Assert that `check(function)` prints exactly the success line with `total` checks.

    Also when probed and judged: the verdict is full marks, one passed outcome per check.
    """
    check(function)
    assert capsys.readouterr().out == f"Exercise {exercise}: passed {total} of {total} checks\n"
    verdict = judged(check, function)
    assert dataclasses.replace(verdict, checks=()) == Verdict(exercise, total, total, "")
    assert [c.passed for c in verdict.checks] == [True] * total, verdict.checks


def fails(check, function, *substrings: str, passed: int | None = None) -> str:
    """Assert that `check(function)` raises `CheckFailed` whose message has every substring.

    Args:
        check: the check function.
        function: the wrong answer.
        *substrings: texts the message must contain.
        passed: if given, the number of checks that must still pass.

    Returns:
        The message.

    The same holds when the check is probed and judged (`judged`): the same number of
    checks passes and the message has every substring.
    """
    with pytest.raises(CheckFailed) as info:
        check(function)
    message = str(info.value)
    for text in substrings:
        assert text in message, f"{text!r} not in the message:\n{message}"
    match = re.match(r"Exercise (\d+\.\d+): passed (\d+) of (\d+) checks", message)
    assert match, message
    if passed is not None:
        assert int(match[2]) == passed, message
    verdict = judged(check, function)
    assert (verdict.passed, verdict.total) == (int(match[2]), int(match[3])), verdict.message
    outcomes = (sum(c.passed for c in verdict.checks), len(verdict.checks))
    assert outcomes == (verdict.passed, verdict.total), verdict.checks  # one per check
    for text in substrings:
        assert text in verdict.message, f"{text!r} not in the judged message:\n{verdict.message}"
    return message


def unsolved(*args, **kwargs):
    """What an exercise's stub does: the function of an unsolved exercise."""
    raise NotImplementedError("Exercise 0.0: write your solution here")


@dataclass(frozen=True)
class CheckCell:
    """One check cell of a solution notebook.

    Attributes:
        stem: the notebook's name without `.ipynb`, e.g. `"04_lstm"`.
        exercise: the exercise id, e.g. `"4.2"`.
        total: the number of checks, from the success line stored in the cell's output.
        source: the cell's source, e.g. `"from course_lib.checks import ch4\\n\\n..."`.
        function: the check function the cell calls.
        names: the names of the student's objects the cell passes, e.g. `("lstm_step",)`.
        fixed_by_nature: whether the check says its inputs are fixed by nature (it trains
            a model on the course's data, or it is a question without inputs).
    """

    stem: str
    exercise: str
    total: int
    source: str
    function: object
    names: tuple[str, ...]

    @property
    def fixed_by_nature(self) -> bool:
        return "Inputs fixed by nature" in (self.function.__doc__ or "")


def solution_stems() -> list[str]:
    """Every solution notebook, as stems; chapters added later join by themselves."""
    return sorted(path.stem for path in SOLUTIONS.glob("*.ipynb"))


def check_cells(stem: str) -> list[CheckCell]:
    """The check cells of `solutions/<stem>.ipynb` with their stored success lines."""
    cells = []
    for cell in read_notebook(SOLUTIONS / f"{stem}.ipynb").cells:
        if cell.cell_type != "code" or cell_role(cell) != CHECK:
            continue
        source = source_text(cell)
        text = "".join(out.get("text", "") for out in cell.get("outputs", []))
        parsed = parse_result_line(text)
        assert parsed and parsed[1] == parsed[2], f"{stem}: no success line stored for {source!r}"
        function, args, _ = parse_check_call(source)
        names = tuple(arg.__name__ for arg in args if isinstance(arg, StudentName))
        cells.append(CheckCell(stem, parsed[0], parsed[2], source, function, names))
    return cells
