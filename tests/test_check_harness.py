"""Every exercise of every solution notebook: the reference passes, the stub scores nothing.

The exercises are discovered from `solutions/*.ipynb` (a chapter added there joins by
itself): each check cell's stored success line gives the number of checks N. The reference
solution must print that line when self-checking and earn N of N when probed and judged;
the unsolved stub must score 0 of N in both modes. The mistakes each check diagnoses are
tested in `tests/test_checks_chN.py`.
"""

import functools

import pytest
from exercise_solutions import (
    check_cells,
    fails,
    load_solutions,
    passes,
    solution_stems,
    unsolved,
)

CELLS = [cell for stem in solution_stems() for cell in check_cells(stem)]


def _param(cell):
    marks = [pytest.mark.slow] if cell.fixed_by_nature else []
    return pytest.param(cell, id=f"{cell.exercise}-{cell.function.__name__}", marks=marks)


@functools.cache
def _solutions(stem):
    return load_solutions(stem)


def test_every_chapter_has_check_cells():
    stems = {cell.stem for cell in CELLS}
    assert stems == set(solution_stems()) and len(CELLS) >= 25


# The projects (6.9, 8.9) train a whole model for each run: their reference is run by
# `make solutions` (nbval, the self-check) and judged under five grading seeds by
# `test_check_hostile` (probe and verdict), so it is not trained a third time here.
@pytest.mark.parametrize(
    "cell", [_param(cell) for cell in CELLS if not cell.stem.endswith("_project")]
)
def test_reference_solution_passes(cell, capsys):
    namespace = _solutions(cell.stem)
    (name,) = cell.names
    passes(cell.function, getattr(namespace, name), capsys, cell.exercise, cell.total)


@pytest.mark.parametrize("cell", [_param(cell) for cell in CELLS])
def test_unsolved_exercise_scores_nothing(cell):
    message = fails(
        cell.function,
        unsolved,
        "not solved yet",
        "replace the `raise NotImplementedError",
        passed=0,
    )
    assert message.startswith(f"Exercise {cell.exercise}: passed 0 of {cell.total} checks")
