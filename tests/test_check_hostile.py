"""Verdicts that the student's code cannot forge, on inputs it has not seen (issue 10).

For every solution notebook, this process draws every exercise's cases with the grading
seeds and writes their inputs (`course_lib.checks.verdicts.hand_inputs`); a kernel-like
subprocess (`tests/hostile_kernel.py`) that imports the grader's copy of `course_lib`, with
the answer key withheld (`course_lib.checks.withheld.write_package`), runs the check cells
with `RNN_COURSE_PROBE_DIR` set, on the reference solutions and on hostile submissions; this
process judges the answers (`course_lib.checks.verdicts.judge`), as the grader does. So the
check modules probe without their references, and the reference solutions need none:

(a) wrong answers (every number moved) earn no more when the solution cell also patches
    `numpy.abs`, `numpy.isfinite` and `numpy.allclose` for the checks' callers; the same
    patch does raise the score of a plain self-check, where the comparisons run in the
    student's process (today's design). Measured (self-check, wrong -> wrong + patch):
    chapter 1: 6 -> 15 of 20, 2: 7 -> 23 of 28, 3: 11 -> 22 of 22, 4: 9 -> 25 of 25,
    5: 3 -> 7 of 17, 6: 3 -> 23 of 24 (printed by the test with `-s`, asserted to rise);
    judged, wrong and wrong + patch score the same in every exercise;
(b) functions that only look up the answers the reference gave on the self-check's inputs
    (and raise otherwise) earn points in a self-check (all of them, except where the answer
    is random: 6.1 draws), yet no more than the unsolved stub (nothing) when graded with a
    fresh seed; inputs that are plain numbers are drawn from ranges wide enough that a
    grading seed rarely meets the self-check's value;
(c) the reference solutions earn full marks under 5 grading seeds.

Checks whose inputs are fixed by nature take part in (c) only: 3.4 and 6.3 train a model
on the course's data (their answer is a trained model, evaluated on fresh test windows), and
the questions (2.7, 4.5, ...) have no inputs at all (their answer is one letter).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from exercise_solutions import ROOT, check_cells, solution_stems

from course_lib.checks import withheld
from course_lib.checks.contract import PROBE_DIR_ENV
from course_lib.checks.verdicts import hand_inputs, judge

SEEDS = [101, 202, 303, 404, 505]
KERNEL = Path(__file__).resolve().parent / "hostile_kernel.py"


def run_kernel(stem: str, out: Path, mode: str, seeds: list[int], package: Path | None) -> dict:
    """Run the kernel-like process; with `package`, on the grader's copy of `course_lib`."""
    path = [str(package.parent)] if package is not None else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*path, str(ROOT)])}
    env.pop(PROBE_DIR_ENV, None)
    done = subprocess.run(
        [sys.executable, str(KERNEL), stem, str(out), mode, *map(str, seeds)],
        capture_output=True,
        text=True,
        env=env,
        cwd=out,
        timeout=1500,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads(lines[-1].removeprefix("RESULT "))["selfcheck"]


@pytest.mark.slow
@pytest.mark.parametrize("stem", solution_stems())
def test_grading_verdicts_cannot_be_forged(stem, tmp_path):
    cells = check_cells(stem)
    drawn = {}
    for cell in cells:
        folders = [("reference", seed) for seed in SEEDS]
        if not cell.fixed_by_nature:
            folders += [(name, SEEDS[0]) for name in ("stub", "wrong", "lookup", "patched")]
            folders.append(("selfcheck", None))
        for submission, seed in folders:
            cases = drawn.setdefault((cell.exercise, seed), cell.function.cases(seed))
            folder = tmp_path / submission / ("" if seed is None else str(seed))
            hand_inputs(cell.function, cases, folder)
    package = withheld.write_package(
        tmp_path / "grader" / "course_lib", [c.function for c in cells]
    )
    run_kernel(stem, tmp_path, "probe", SEEDS, package)
    if all(cell.fixed_by_nature for cell in cells):  # a project: (c) is all there is, and
        selfcheck = {}  # each kernel would train the notebook's models again for nothing
    else:
        run_kernel(stem, tmp_path, "patched", SEEDS[:1], package)
        selfcheck = run_kernel(stem, tmp_path, "selfcheck", [], None)

    def score(submission: str, cell, seed: int) -> int:
        folder = tmp_path / submission / str(seed)
        return judge(cell.function, drawn[(cell.exercise, seed)], folder).passed

    table = []
    for cell in cells:
        for seed in SEEDS:  # (c)
            assert score("reference", cell, seed) == cell.total, (cell.exercise, seed)
        if cell.fixed_by_nature:
            continue
        seed = SEEDS[0]
        stub = score("stub", cell, seed)
        assert stub == 0, cell.exercise
        wrong, wrong_patched = score("wrong", cell, seed), score("patched", cell, seed)
        assert wrong_patched <= wrong, cell.exercise  # (a) graded: the patch does not help
        lookup = score("lookup", cell, seed)
        assert lookup <= stub, cell.exercise  # (b) graded: the lookup earns nothing
        table.append(
            (
                cell.exercise,
                cell.total,
                selfcheck["wrong"][cell.exercise],
                selfcheck["patched"][cell.exercise],
                wrong,
                wrong_patched,
                selfcheck["lookup"][cell.exercise],
                lookup,
            )
        )
    if not table:
        return
    self_wrong = sum(row[2] for row in table)
    self_patched = sum(row[3] for row in table)
    self_lookup = sum(row[6] for row in table)
    print(
        f"\n{stem}: exercise, checks, self-check wrong / + patch, graded wrong / + patch, "
        "self-check lookup, graded lookup"
    )
    for row in table:
        print("  ", *row)
    print(
        f"  self-check: wrong {self_wrong} -> with the patch {self_patched}; lookup "
        f"{self_lookup} (graded: 0) of {sum(row[1] for row in table)}"
    )
    assert self_patched > self_wrong  # (a) self-check: the patch raises the score (today)
    assert self_lookup > 0  # (b) self-check: the lookup earns points (today's design)
