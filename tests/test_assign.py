"""Tests of `rnn-course assign`: exercise notebooks generated from solution notebooks.

They use the fixture notebooks in tests/fixtures/grading/, never the course's own
solutions/ and exercises/ folders.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import (
    FIXTURE_CHECK_MODULES,
    FIXTURE_RELEASE,
    FIXTURE_SOLUTIONS,
    GRADING_FIXTURES,
    fixture_pythonpath,
)

from course_lib.grading.assign import (
    AssignError,
    assign,
    make_exercise,
    refresh_outputs,
    stub_source,
)
from course_lib.grading.execute import ExecutionConfig
from course_lib.grading.notebook_format import (
    CHECK,
    SOLUTION,
    NotebookFormatError,
    cell_role,
    check_cell,
    code_cell,
    exercise_of,
    grade_id,
    markdown_cell,
    new_notebook,
    read_notebook,
    solution_cell,
    validate,
    write_notebook,
)

FIXTURES, SOLUTIONS, EXERCISES = GRADING_FIXTURES, FIXTURE_SOLUTIONS, FIXTURE_RELEASE


def copy_solutions(tmp_path: Path) -> Path:
    target = tmp_path / "solutions"
    shutil.copytree(SOLUTIONS, target)
    return target


# -- stubs -----------------------------------------------------------------------------------


def test_stub_replaces_region_keeping_indentation_and_todo():
    source = (
        "def gru_step(x, h):\n"
        '    """One step."""\n'
        "    ### BEGIN SOLUTION\n"
        "    # TODO: compute the gates.\n"
        "    z = x + h\n"
        "    return z\n"
        "    ### END SOLUTION\n"
    )
    assert stub_source(source, "4.2") == (
        "def gru_step(x, h):\n"
        '    """One step."""\n'
        "    # TODO: compute the gates.\n"
        '    raise NotImplementedError("Exercise 4.2: compute the gates.")\n'
    )


def test_stub_uses_todo_above_region_and_default_message():
    above = "def f(x):\n    # TODO: square x.\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION"
    assert stub_source(above, "1.1") == (
        'def f(x):\n    # TODO: square x.\n    raise NotImplementedError("Exercise 1.1: square x.")'
    )
    plain = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"
    assert 'raise NotImplementedError("Exercise 1.1: write your solution here")' in stub_source(
        plain, "1.1"
    )


def test_stub_handles_several_regions_and_methods():
    source = (
        "class Cell:\n"
        "    def step(self, x):\n"
        "        if x:\n"
        "            ### BEGIN SOLUTION\n"
        "            return 1\n"
        "            ### END SOLUTION\n"
        "        ## BEGIN SOLUTION\n"
        "        return 0\n"
        "        ## END SOLUTION\n"
    )
    stubbed = stub_source(source, "3.1")
    assert "return 1" not in stubbed and "return 0" not in stubbed
    assert "            raise NotImplementedError(" in stubbed
    assert "        raise NotImplementedError(" in stubbed
    compile(stubbed, "<stub>", "exec")


@pytest.mark.parametrize(
    "source, message",
    [
        ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "not inside a function body"),
        (
            "for i in range(3):\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION",
            "not inside",
        ),
        ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "never ended"),
        ("def f(:\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", "invalid syntax"),
    ],
)
def test_stub_rejects_misplaced_regions(source, message):
    with pytest.raises(AssignError, match=message):
        stub_source(source, "1.1", "cell ex1_1-solution")


# -- one notebook ----------------------------------------------------------------------------


def test_exercise_has_stubs_note_and_only_check_outputs():
    solution = read_notebook(SOLUTIONS / "01_basics.ipynb")
    exercise = make_exercise(solution, "solutions/01_basics.ipynb")
    text = json.dumps(exercise)
    assert "return a + b" not in text and "xs.sum()" not in text  # no answer leaks
    assert exercise.metadata["course_lib"] == {
        "generated_from": "solutions/01_basics.ipynb",
        "generator": "rnn-course assign",
    }
    note = exercise.cells[0]
    assert note.cell_type == "markdown"
    assert "Generated from `solutions/01_basics.ipynb` by `rnn-course assign`" in note.source
    assert "do not edit" in note.source
    roles = [cell_role(c) for c in exercise.cells[1:]]
    assert roles == [cell_role(c) for c in solution.cells]
    for cell in exercise.cells:
        assert cell.metadata["nbgrader"]["schema_version"] == 3
        if cell.cell_type != "code":
            continue
        if cell_role(cell) == CHECK:
            assert isinstance(cell.execution_count, int)
            assert cell.outputs == [
                {
                    "output_type": "stream",
                    "name": "stdout",
                    "text": f"Exercise {exercise_of(grade_id(cell))}: passed "
                    + {"ex1_1": "3 of 3", "ex1_2": "4 of 4"}[grade_id(cell)]
                    + " checks\n",
                }
            ]
            assert "nbval-check-output" in cell.metadata["tags"]
        else:
            assert cell.outputs == [] and cell.execution_count is None
        if cell_role(cell) == SOLUTION:
            assert "raise NotImplementedError(" in cell.source
    validate(exercise, "exercise", regions=False)


def test_missing_check_output_is_an_error_naming_notebook_and_cell():
    solution = read_notebook(SOLUTIONS / "01_basics.ipynb")
    solution.cells[4].outputs = []
    with pytest.raises(AssignError) as info:
        make_exercise(solution, "solutions/01_basics.ipynb")
    message = str(info.value)
    assert "solutions/01_basics.ipynb, cell 4 (ex1_1)" in message
    assert "--refresh-outputs" in message


def test_failing_stored_output_is_an_error():
    solution = read_notebook(SOLUTIONS / "01_basics.ipynb")
    solution.cells[4].outputs[0]["text"] = "Exercise 1.1: passed 2 of 3 checks\n"
    with pytest.raises(AssignError, match="does not pass its own check"):
        make_exercise(solution, "solutions/01_basics.ipynb")


def test_validate_lists_every_format_problem():
    nb = new_notebook(
        [
            markdown_cell("# Title", "title"),
            nbformat.v4.new_code_cell("x = 1"),  # no metadata
            code_cell("y = 2", "title"),  # duplicate id
            solution_cell("def f():\n    return 1", "1.1"),  # no region, no check
            check_cell("check(g)", "1.2", 0),  # no solution, no points
        ]
    )
    del nb.cells[4].metadata["tags"]
    with pytest.raises(NotebookFormatError) as info:
        validate(nb, "solutions/99_bad.ipynb")
    message = str(info.value)
    for expected in [
        "solutions/99_bad.ipynb breaks the exercise-notebook format",
        "cell 1 has no nbgrader metadata",
        "grade_id 'title' already used by cell 0",
        "no '### BEGIN SOLUTION' / '### END SOLUTION' region",
        "check cells need positive 'points'; got 0",
        "check cells need the tag 'nbval-check-output'",
        "no solution cell ex1_2-solution above it",
        "exercise 1.1 has no check cell 'ex1_1'",
    ]:
        assert expected in message


# -- the folders -----------------------------------------------------------------------------


def test_fixture_exercises_are_up_to_date():
    """The stored fixture exercises are what assign generates (a golden-file test)."""
    report = assign(SOLUTIONS, EXERCISES, check=True)
    assert report.errors == [] and report.written == [] and report.removed == []
    assert len(report.unchanged) == 2


def test_assign_is_deterministic_and_idempotent(tmp_path):
    solutions = copy_solutions(tmp_path)
    first = assign(solutions, tmp_path / "a")
    assert len(first.written) == 2 and not first.errors
    assign(solutions, tmp_path / "b")
    for name in ("01_basics.ipynb", "02_more.ipynb"):
        a = (tmp_path / "a" / name).read_bytes()
        assert a == (tmp_path / "b" / name).read_bytes()
        assert a == (EXERCISES / name).read_bytes()
        assert a.endswith(b"}\n")
    again = assign(solutions, tmp_path / "a")
    assert again.written == [] and len(again.unchanged) == 2


def test_check_detects_drift_and_writes_nothing(tmp_path):
    solutions = copy_solutions(tmp_path)
    exercises = tmp_path / "exercises"
    assign(solutions, exercises)
    (exercises / "README.md").write_text("not a notebook")
    nb = read_notebook(solutions / "02_more.ipynb")
    nb.cells[0].source = "# More, with a new title"
    write_notebook(nb, solutions / "02_more.ipynb")
    before = (exercises / "02_more.ipynb").read_bytes()
    report = assign(solutions, exercises, check=True)
    assert report.written == [str(exercises / "02_more.ipynb")]
    assert report.unchanged == [str(exercises / "01_basics.ipynb")]
    assert (exercises / "02_more.ipynb").read_bytes() == before
    assign(solutions, exercises)
    assert assign(solutions, exercises, check=True).written == []
    assert (exercises / "README.md").read_text() == "not a notebook"


def test_stale_generated_exercises_are_reported_and_removed(tmp_path):
    solutions = copy_solutions(tmp_path)
    exercises = tmp_path / "exercises"
    assign(solutions, exercises)
    (solutions / "02_more.ipynb").unlink()
    shutil.copy(exercises / "01_basics.ipynb", exercises / "hand_made.ipynb")
    nb = read_notebook(exercises / "hand_made.ipynb")
    del nb.metadata["course_lib"]
    write_notebook(nb, exercises / "hand_made.ipynb")
    assert assign(solutions, exercises, check=True).removed == [str(exercises / "02_more.ipynb")]
    assign(solutions, exercises)
    assert not (exercises / "02_more.ipynb").exists()
    assert (exercises / "hand_made.ipynb").exists()  # not generated: never deleted


def test_broken_solution_is_reported_and_others_still_generated(tmp_path):
    solutions = copy_solutions(tmp_path)
    nb = read_notebook(solutions / "02_more.ipynb")
    nb.cells[2].outputs = []
    write_notebook(nb, solutions / "02_more.ipynb")
    report = assign(solutions, tmp_path / "exercises")
    assert report.written == [str(tmp_path / "exercises" / "01_basics.ipynb")]
    assert len(report.errors) == 1 and "solutions/02_more.ipynb, cell 2 (ex2_1)" in report.errors[0]


@pytest.mark.slow
def test_refresh_outputs_stores_check_outputs_only(tmp_path):
    solutions = copy_solutions(tmp_path)
    for path in solutions.glob("*.ipynb"):
        nb = read_notebook(path)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="stale\n")]
                cell.execution_count = 9
        write_notebook(nb, path)
    broken = read_notebook(solutions / "02_more.ipynb")
    broken.cells[1].source = broken.cells[1].source.replace("return x * x", "return x + x")
    write_notebook(broken, solutions / "02_more.ipynb")
    broken_bytes = (solutions / "02_more.ipynb").read_bytes()
    config = ExecutionConfig(
        cell_timeout=60,
        check_modules=FIXTURE_CHECK_MODULES,
        env={"PYTHONPATH": fixture_pythonpath()},
    )
    problems = refresh_outputs(solutions, config=config, progress=None)
    assert len(problems) == 1
    assert "02_more.ipynb: exercise 2.1 does not pass its check" in problems[0]
    assert "passed 0 of 2 checks" in problems[0]
    assert (solutions / "02_more.ipynb").read_bytes() == broken_bytes  # left untouched
    # The refreshed notebook is byte-identical to the stored fixture.
    assert (solutions / "01_basics.ipynb").read_bytes() == (
        SOLUTIONS / "01_basics.ipynb"
    ).read_bytes()


@pytest.mark.parametrize(
    "todo",
    [
        "square x.",
        'say "hi".',
        "compute the update gate z, the reset gate r and the candidate state, in Keras's order.",
        "a" * 120,
    ],
)
def test_stubs_are_already_ruff_formatted(tmp_path, todo):
    """`ruff format --check .` must accept the generated exercises as they are."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed")
    source = f"def f(x):\n    if x:\n        ### BEGIN SOLUTION\n        # TODO: {todo}\n        return x\n        ### END SOLUTION\n"
    path = tmp_path / "stub.py"
    path.write_text(stub_source(source, "4.2"))
    done = subprocess.run(
        [ruff, "format", "--isolated", "--line-length", "100", "--diff", str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout
