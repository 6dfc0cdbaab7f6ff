"""nbgrader 0.9.6 itself accepts the course's notebooks, as a teacher using nbgrader would try.

All six solution notebooks (and the grader's fixture notebooks) go through nbgrader's
`generate_assignment`, which validates every cell's nbgrader metadata against its schema
(grade ids `^[a-zA-Z0-9_\\-]*$`). Executing notebooks is slow, so `validate` and `autograde`
run on the two small fixture notebooks and on one real chapter, 01_sequences_hidden_state
(about a minute on a quiet 2-core machine): `validate` passes the solutions and fails the
release, and `autograde` of the solutions gives full marks.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

nbgrader = pytest.importorskip("nbgrader", reason="nbgrader is a dev dependency")
from nbgrader.api import Gradebook  # noqa: E402
from nbgrader.validator import Validator  # noqa: E402

from course_lib.grading.notebook_format import list_exercises, read_notebook  # noqa: E402

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "grading"
EXECUTED = ["01_basics.ipynb", "02_more.ipynb", "01_sequences_hidden_state.ipynb"]
# The fixture notebook 01_basics shares chapter 1 with the real one: a separate assignment.
ASSIGNMENTS = {
    "course": sorted((ROOT / "solutions").glob("*.ipynb")),
    "fixtures": sorted((FIXTURES / "solutions").glob("*.ipynb")),
}


def nbgrader_cli(course: Path, *args: str) -> subprocess.CompletedProcess:
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        # nbgrader calls `alembic` by name; the kernels need the fixture checks.
        "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")]),
        "PYTHONPATH": os.pathsep.join([str(FIXTURES), str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course}"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course directory where nbgrader generated both assignments."""
    course = tmp_path_factory.mktemp("nbgrader-course")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'rnn-course'\n"
    )
    for assignment, paths in ASSIGNMENTS.items():
        source = course / "source" / assignment
        source.mkdir(parents=True)
        for path in paths:
            shutil.copy(path, source / path.name)
        done = nbgrader_cli(course, "generate_assignment", assignment, "--force")
        assert done.returncode == 0, done.stdout + done.stderr
    return course


def where(course: Path, kind: str, name: str) -> Path:
    assignment = "course" if name == "01_sequences_hidden_state.ipynb" else "fixtures"
    return course / kind / assignment / name


def test_generate_assignment_makes_a_release_of_every_notebook(course):
    for assignment, paths in ASSIGNMENTS.items():
        released = sorted(p.name for p in (course / "release" / assignment).glob("*.ipynb"))
        assert released == [p.name for p in paths]
    release = read_notebook(course / "release" / "fixtures" / "01_basics.ipynb")
    sources = "\n".join(c.source for c in release.cells)
    assert "return a + b" not in sources and "raise NotImplementedError()" in sources


@pytest.fixture
def validator(monkeypatch):
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(FIXTURES), str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    return Validator()


@pytest.mark.parametrize("name", EXECUTED)
def test_validate_passes_the_solution_and_fails_the_release(course, validator, name):
    assert validator.validate(str(where(course, "source", name))) == {}
    results = validator.validate(str(where(course, "release", name)))
    assert set(results) == {"failed"}
    failed = "\n".join(cell["raw_error"] for cell in results["failed"])
    assert "NotImplementedError" in failed or "CheckFailed" in failed


def test_autograde_of_the_solutions_gives_full_marks(course):
    for assignment in ASSIGNMENTS:
        submitted = course / "submitted" / "alice" / assignment
        submitted.mkdir(parents=True)
        for name in EXECUTED:
            if where(course, "source", name).parent.name == assignment:
                shutil.copy(where(course, "source", name), submitted / name)
        done = nbgrader_cli(course, "autograde", assignment, "--create", "--force")
        assert done.returncode == 0, done.stdout + done.stderr
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for name in EXECUTED:
            assignment = where(course, "source", name).parent.name
            graded = gradebook.find_submission_notebook(Path(name).stem, assignment, "alice")
            ours = sum(
                e.points for e in list_exercises(read_notebook(where(course, "source", name)))
            )
            assert graded.max_score == ours > 0
            assert graded.score == graded.max_score, name
