"""The exercise-notebook format's grade ids: nbgrader-valid, converted from the old dotted form."""

import json
import re
from pathlib import Path

import pytest

from course_lib.cli import main
from course_lib.exercise_index import exercise_index
from course_lib.grading.notebook_format import (
    NBGRADER_GRADE_ID,
    NotebookFormatError,
    check_cell,
    check_grade_id,
    code_cell,
    exercise_of,
    grade_id,
    markdown_cell,
    new_notebook,
    read_notebook,
    solution_cell,
    solution_grade_id,
    upgrade_grade_id,
    upgrade_grade_ids,
    validate,
    write_notebook,
)

ROOT = Path(__file__).resolve().parents[1]
SOLVED = "def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION\n"


def old_notebook():
    """A chapter notebook written in the old dotted form (as chapters 7-9 still are)."""
    nb = new_notebook(
        [
            markdown_cell("# Exercises 7", "intro"),
            markdown_cell("## Exercise 7.1: add", "text-7.1"),
            solution_cell(SOLVED, "7.1"),
            check_cell("check(add)", "7.1", 2),
        ]
    )
    nb.cells[2].metadata.nbgrader.grade_id = "ex7.1-solution"
    nb.cells[3].metadata.nbgrader.grade_id = "ex7.1"
    return nb


def test_grade_ids_and_exercise_numbers_convert_both_ways():
    assert check_grade_id("4.2") == "ex4_2"
    assert solution_grade_id("4.2") == "ex4_2-solution"
    assert solution_grade_id("4.12", part=2) == "ex4_12-solution-2"
    assert exercise_of("ex4_12-solution-2") == "4.12"
    assert exercise_of("ex4_2") == "4.2"
    assert exercise_of("ex4.2") is None
    assert [upgrade_grade_id(g) for g in ("ex1.1-solution", "text-1.1", "demo-1.3", "intro")] == [
        "ex1_1-solution",
        "text-1_1",
        "demo-1_3",
        "intro",
    ]
    with pytest.raises(ValueError, match=r'`exercise` must be "chapter.number".*got \'4_2\''):
        check_grade_id("4_2")


def test_old_dotted_ids_are_refused_naming_the_old_form_and_the_fix():
    with pytest.raises(NotebookFormatError) as error:
        validate(old_notebook(), "solutions/07_attention.ipynb")
    message = str(error.value)
    assert "grade_id 'ex7.1' has characters nbgrader refuses" in message
    assert "the old dotted form 'ex7.1-solution' is now 'ex7_1-solution'" in message
    assert "rnn-course upgrade-ids" in message


def test_upgrade_converts_only_the_ids_and_then_validates():
    nb = old_notebook()
    changed = upgrade_grade_ids(nb)
    assert changed == {"text-7.1": "text-7_1", "ex7.1-solution": "ex7_1-solution", "ex7.1": "ex7_1"}
    assert [grade_id(c) for c in nb.cells] == ["intro", "text-7_1", "ex7_1-solution", "ex7_1"]
    assert nb.cells[2].source == SOLVED and nb.cells[3].metadata.nbgrader.points == 2
    (exercise,) = validate(nb)
    assert (exercise.id, exercise.check_grade_id, exercise.points) == ("7.1", "ex7_1", 2)
    assert upgrade_grade_ids(nb) == {}  # idempotent


def test_upgrade_refuses_a_collision():
    nb = new_notebook([code_cell("x = 1", "demo-7.1"), code_cell("y = 2", "demo-7_1")])
    with pytest.raises(NotebookFormatError, match="'demo-7.1' would become 'demo-7_1'"):
        upgrade_grade_ids(nb)


def test_upgrade_ids_command(tmp_path, capsys):
    path = tmp_path / "07_attention.ipynb"
    write_notebook(old_notebook(), path)
    assert main(["upgrade-ids", "--check", str(path)]) == 1
    assert "would change 3 grade ids" in capsys.readouterr().out
    assert grade_id(read_notebook(path).cells[3]) == "ex7.1"  # --check wrote nothing
    assert main(["upgrade-ids", str(path)]) == 0
    assert grade_id(read_notebook(path).cells[3]) == "ex7_1"
    assert main(["upgrade-ids", "--check", str(path)]) == 0
    assert "already valid" in capsys.readouterr().out


@pytest.mark.parametrize("folder", ["solutions", "exercises", "tests/fixtures/grading/solutions"])
def test_every_grade_id_in_the_repository_matches_nbgrader_schema(folder):
    paths = sorted((ROOT / folder).glob("*.ipynb"))
    assert paths
    for path in paths:
        for cell in json.loads(path.read_text())["cells"]:
            gid = cell["metadata"]["nbgrader"]["grade_id"]
            assert NBGRADER_GRADE_ID.match(gid), f"{path.name}: {gid}"
            assert not re.search(r"\d\.\d", gid)


def test_the_exercise_list_keeps_the_human_numbers():
    notebooks = exercise_index(ROOT / "solutions")
    first = notebooks[0].exercises[0]
    assert (first.id, first.check_grade_id, first.solution_grade_ids) == (
        "1.1",
        "ex1_1",
        ("ex1_1-solution",),
    )
    assert first.title


def test_a_submission_with_the_old_dotted_ids_is_restored_by_id():
    """A student who downloaded the exercise before the ids changed still gets graded."""
    from course_lib.grading.restore import restore

    release = read_notebook(ROOT / "tests/fixtures/grading/exercises/01_basics.ipynb")
    submission = read_notebook(ROOT / "tests/fixtures/grading/exercises/01_basics.ipynb")
    for cell in submission.cells:
        gid = grade_id(cell)
        cell.metadata.nbgrader.grade_id = re.sub(r"^ex(\d+)_(\d+)", r"ex\1.\2", gid)
        if gid == "ex1_1-solution":
            cell.source = "def add(a, b):\n    return a + b\n"
    assert grade_id(submission.cells[4]) == "ex1.1-solution"
    restored = restore(release, submission)
    assert restored.missing == []
    assert restored.nb.cells[restored.solution_cells["ex1_1-solution"]].source.endswith("a + b\n")
    assert not any("recognised by the names" in note for note in restored.notes)


def test_cells_without_ids_are_normalized_silently(tmp_path, recwarn, capsys):
    import json

    from course_lib.grading.notebook_format import read_notebook as read

    nb = json.loads(
        (Path(__file__).parent / "fixtures/grading/exercises/01_basics.ipynb").read_text()
    )
    for cell in nb["cells"]:
        cell.pop("id", None)
    path = tmp_path / "no-ids.ipynb"
    path.write_text(json.dumps(nb))
    read_back = read(path)
    assert all(cell.get("id") for cell in read_back.cells)
    assert not [w for w in recwarn if "id" in str(w.message)]
    assert capsys.readouterr().err == ""
