"""What the checks and the grader agree on is written once, in `course_lib.checks.contract`.

Both sides import it; this test fails when one of them spells a part of the contract again
(an environment variable, the checks package, the result line, the "passed" rule, the
exercise-id pattern, the probe files), so that a change to one side cannot silently miss
the other.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from course_lib.checks import contract

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "course_lib" / "checks" / "contract.py"
# Pieces of text that only the contract may hold (string constants, docstrings aside).
MARKERS = [
    contract.PROBE_DIR_ENV,
    "RNN_COURSE_GRADING_SEED",  # the seed stays in the grader: no side names it any more
    ": passed ",
    "answers recorded for grading",
    r"\d+\.\d+",
    ".inputs.",
    ".answers.",
]
EXACT = [contract.CHECKS_PACKAGE]
# The "passed" rule written out instead of `contract.is_passed`.
PASSED_RULE = re.compile(r"passed\s*==\s*[\w.]*total|\[1\]\s*==\s*\w*\[2\]\s*>\s*0")


def _sources() -> list[Path]:
    files = sorted((ROOT / "course_lib").rglob("*.py")) + sorted((ROOT / "bench").rglob("*.py"))
    return [path for path in files if path != CONTRACT]


def _strings(tree: ast.AST) -> list[str]:
    """The string constants of a module, without its docstrings."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and id(node) not in docstrings
    ]  # fmt: skip


def test_the_contract_is_spelled_only_in_its_module():
    found = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        for string in _strings(ast.parse(text)):
            for marker in MARKERS:
                if marker in string:
                    found.append(f"{path.relative_to(ROOT)}: {marker!r} in {string[:60]!r}")
            if string in EXACT:
                found.append(f"{path.relative_to(ROOT)}: {string!r}")
        for match in PASSED_RULE.finditer(text):
            found.append(f"{path.relative_to(ROOT)}: the passed rule {match.group()!r}")
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("spelled", "expected"),
    [
        ('PROBE = "RNN_COURSE_PROBE_DIR"\n', "RNN_COURSE_PROBE_DIR"),
        ('modules = ("course_lib.checks",)\n', "course_lib.checks"),
        ('line = f"Exercise {x}: passed {p} of {t} checks"\n', ": passed "),
    ],
)
def test_the_scan_finds_a_contract_written_twice(spelled, expected):
    """The test above can fail: a module that spells the contract again is found."""
    strings = _strings(ast.parse(spelled))
    assert any(m in s for s in strings for m in MARKERS) or expected in strings


def test_the_contract_round_trips():
    line = contract.result_line("4.2", 3, 5)
    assert contract.parse_result_line(line + "\n  - more") == ("4.2", 3, 5)
    assert contract.is_passed(5, 5) and not contract.is_passed(3, 5)
    assert not contract.is_passed(0, 0)
    json_path, npz_path = contract.probe_files("probes", "4.2", "inputs")
    assert (json_path.name, npz_path.name) == ("4.2.inputs.json", "4.2.inputs.npz")
    with pytest.raises(ValueError, match="`kind` must be one of"):
        contract.probe_files("probes", "4.2", "seed")
    assert contract.EXERCISE_ID.match("10.3") and not contract.EXERCISE_ID.match("4.2.1")
    assert contract.parse_result_line(contract.probe_line("4.2")) is None
