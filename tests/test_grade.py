"""Tests of the grader: one fixture submission per case, honest or not, sound or broken.

The release is tests/fixtures/grading/exercises/ (01_basics: exercises 1.1 worth 2 points
with 3 checks and 1.2 worth 3 points with 4 checks; 02_more: exercise 2.1 worth 1 point).
Submissions are built from it here, one student per case, and graded in one batch.
"""

import csv
import os
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest
from conftest import FIXTURE_CHECK_MODULES, FIXTURE_RELEASE, GRADING_FIXTURES, fixture_pythonpath

from course_lib.grading.class_grading import grade_submissions, progress_line
from course_lib.grading.execute import ExecutionConfig
from course_lib.grading.feedback import results_table, student_feedback, write_feedback
from course_lib.grading.grade import _copy_data_files, grade_notebook
from course_lib.grading.gradebook import write_csv
from course_lib.grading.notebook_format import grade_id, read_notebook, write_notebook
from course_lib.grading.outcomes import ExerciseResult, NotebookResult
from course_lib.grading.restore import restore

pytestmark = pytest.mark.slow

FIXTURES, RELEASE = GRADING_FIXTURES, FIXTURE_RELEASE
BASICS, MORE = "01_basics.ipynb", "02_more.ipynb"

CONFIG = ExecutionConfig(
    cell_timeout=5,
    notebook_timeout=120,
    interrupt_grace=3,
    check_modules=FIXTURE_CHECK_MODULES,
    env={"PYTHONPATH": fixture_pythonpath()},
    read_only_paths=(str(FIXTURES),),
)

ADD = "def add(a, b):\n    return a + b\n"
MEAN = "import numpy as np\n\n\ndef mean(xs):\n    return float(np.mean(xs))\n"
SQUARE = "def square(x):\n    return x * x\n"
SOLVED = {"ex1_1-solution": ADD, "ex1_2-solution": MEAN, "ex2_1-solution": SQUARE}
FAKE_PASS_11 = "lambda f: print('Exercise 1.1: passed 3 of 3 checks')"


def stub(gid: str) -> str:
    """The released (unsolved) source of a solution cell."""
    nb = read_notebook(RELEASE / (MORE if gid.startswith("ex2") else BASICS))
    return next(c.source for c in nb.cells if grade_id(c) == gid)


def copy_of(name: str, answers: dict | None = None, edit=None) -> nbformat.NotebookNode:
    """A student's copy of a released notebook with some answers filled in."""
    nb = read_notebook(RELEASE / name)
    for cell in nb.cells:
        if grade_id(cell) in (answers or {}):
            cell.source = answers[grade_id(cell)]
    if edit:
        edit(nb)
    return nb


def drop(gid: str):
    def edit(nb):
        nb.cells = [c for c in nb.cells if grade_id(c) != gid]

    return edit


def replace_check(nb):
    for cell in nb.cells:
        if grade_id(cell) == "ex1_1":
            cell.source = "print('Exercise 1.1: passed 3 of 3 checks')"


def add_cells(nb):
    nb.cells.insert(2, nbformat.v4.new_code_cell("print('scratch work')"))
    nb.cells.append(nbformat.v4.new_markdown_cell("My notes"))


STUDENTS = {
    "solved": {BASICS: copy_of(BASICS, SOLVED), f"work/{MORE}": copy_of(MORE, SOLVED)},
    "unsolved": {BASICS: copy_of(BASICS)},
    "partial": {
        BASICS: copy_of(
            BASICS,
            {
                "ex1_1-solution": "import numpy as np\n\n\ndef add(a, b):\n"
                "    return a + b + (0 if np.isscalar(a) else 1)\n",
                "ex1_2-solution": "def mean(xs):\n    return sum(xs) / 3\n",
            },
        )
    },
    "deleted_check": {BASICS: copy_of(BASICS, SOLVED, drop("ex1_1"))},
    "edited_check": {BASICS: copy_of(BASICS, {}, replace_check)},
    "printed_line": {
        BASICS: copy_of(
            BASICS,
            {
                "ex1_1-solution": stub("ex1_1-solution")
                + "\nprint('Exercise 1.1: passed 3 of 3 checks')"
            },
        )
    },
    "rebinding": {
        BASICS: copy_of(
            BASICS,
            {
                "ex1_1-solution": stub("ex1_1-solution")
                + "\nimport sys\nimport types\n\nfixture_checks = types.ModuleType('fixture_checks')\n"
                f"fixture_checks.check_add = {FAKE_PASS_11}\n"
                "sys.modules['fixture_checks'] = fixture_checks\n"
            },
        )
    },
    "monkeypatch": {
        BASICS: copy_of(
            BASICS,
            {
                "ex1_1-solution": stub("ex1_1-solution")
                + f"\nimport fixture_checks\n\nfixture_checks.check_add = {FAKE_PASS_11}\n",
                "ex1_2-solution": stub("ex1_2-solution") + "\nimport course_lib.checks.report\n\n"
                "course_lib.checks.report.CheckReport.finish = lambda self: print(\n"
                "    f'Exercise {self.exercise}: passed {self.total} of {self.total} checks'\n)\n",
            },
        )
    },
    "invalid_json": {BASICS: "{not json", MORE: "[1, 2]"},
    "missing_solution": {BASICS: copy_of(BASICS, SOLVED, drop("ex1_2-solution"))},
    "extra_cells": {BASICS: copy_of(BASICS, SOLVED, add_cells)},
    "syntax_error": {
        BASICS: copy_of(BASICS, {**SOLVED, "ex1_1-solution": "def add(a, b)\n    return a + b\n"})
    },
    "infinite_loop": {
        BASICS: copy_of(
            BASICS,
            {
                **SOLVED,
                "ex1_1-solution": "import time\n\n\ndef add(a, b):\n    while True:  # sleeps, to spare the CPU\n        time.sleep(0.05)\n",
            },
        )
    },
    "sigint_ignored": {
        BASICS: copy_of(
            BASICS,
            {
                **SOLVED,
                "ex1_1-solution": "import signal\nimport time\n\n\ndef add(a, b):\n"
                "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                "    while True:\n        time.sleep(0.05)\n",
            },
        )
    },
    "os_exit": {
        BASICS: copy_of(
            BASICS, {**SOLVED, "ex1_1-solution": "import os\n\n\ndef add(a, b):\n    os._exit(1)\n"}
        )
    },
    "huge_output": {
        BASICS: copy_of(
            BASICS,
            {
                "ex1_1-solution": "print('x' * 2_000_000)\n\n\n" + ADD,
                "ex1_2-solution": "def mean(xs):\n    raise ValueError('y' * 1_000_000)\n",
            },
        )
    },
    "nan_answer": {
        BASICS: copy_of(
            BASICS, {**SOLVED, "ex1_2-solution": "def mean(xs):\n    return float('nan')\n"}
        )
    },
}


# A package next to the notebook that would shadow the real checks if it were importable:
# the fixture checks import `course_lib.checks`, and the kernel's working directory comes
# before site-packages on `sys.path`.
FAKE_CHECKS = """
class CheckReport:
    def __init__(self, exercise):
        self.exercise, self.total = exercise, 0

    def call(self, function, *args, **kwargs):
        return None

    def __getattr__(self, name):
        def expect(*args, **kwargs):
            self.total += 1
            return True

        return expect

    def finish(self):
        print(f"Exercise {self.exercise}: passed {self.total} of {self.total} checks")
"""
STUDENTS["shadow_package"] = {
    BASICS: copy_of(BASICS),
    "course_lib/__init__.py": "",
    "course_lib/checks/__init__.py": FAKE_CHECKS,
    "course_lib.py": "raise ImportError('a module file is not copied either')",
}


def make_submissions(root: Path) -> Path:
    for student, notebooks in STUDENTS.items():
        for name, content in notebooks.items():
            path = root / student / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                path.write_text(content)
            else:
                write_notebook(content, path)
    return root


@pytest.fixture(scope="module")
def graded(tmp_path_factory, fixture_checks_importable):
    """Grade every fixture student once (three workers); return results and progress lines."""
    root = make_submissions(tmp_path_factory.mktemp("submissions"))
    lines = []
    results = grade_submissions(
        root, RELEASE, config=CONFIG, workers=3, seed=7, progress=lines.append
    )
    rows = {(r.student, r.notebook, r.exercise): r for n in results for r in n.results}
    notes = {(n.student, n.notebook): n.notes for n in results}
    return results, rows, notes, lines


def row(graded, student, exercise):
    notebook = MORE if exercise.startswith("2.") else BASICS
    r = graded[1][(student, notebook, exercise)]
    return r.points, r.status, r.message


def test_every_student_gets_one_row_per_released_exercise(graded):
    results, rows, _, lines = graded
    assert len(results) == 2 * len(STUDENTS)
    assert len(rows) == 3 * len(STUDENTS)
    assert {(s, e) for s, _, e in rows} == {(s, e) for s in STUDENTS for e in ("1.1", "1.2", "2.1")}
    assert len(lines) == len(results)
    assert all(
        line.startswith("[") and " points " in line and line.endswith(" s") for line in lines
    )


def test_solved(graded):
    assert row(graded, "solved", "1.1") == (2.0, "passed", "")
    assert row(graded, "solved", "1.2") == (3.0, "passed", "")
    assert row(graded, "solved", "2.1") == (1.0, "passed", "")
    assert (
        "Graded work/02_more.ipynb (not at the top of the folder)." in graded[2][("solved", MORE)]
    )


def test_unsolved_and_missing_notebook(graded):
    points, status, message = row(graded, "unsolved", "1.1")
    assert (points, status) == (0.0, "failed")
    assert message.startswith("Exercise 1.1: passed 0 of 3 checks")
    assert "NotImplementedError: Exercise 1.1: return the sum of a and b." in message
    assert row(graded, "unsolved", "2.1") == (
        0.0,
        "missing",
        "02_more.ipynb not found in unsolved/",
    )


def test_partially_solved_gets_partial_points(graded):
    points, status, message = row(graded, "partial", "1.1")
    assert (points, status) == (1.33, "partial")  # 2 points * 2/3 checks
    assert message.startswith("Exercise 1.1: passed 2 of 3 checks")
    assert "expected [1., 2., 3.], got [2., 3., 4.]" in message
    points, status, message = row(graded, "partial", "1.2")
    assert (points, status) == (1.5, "partial")  # 3 points * 2/4 checks
    assert "`mean([2.5])` is wrong: expected 2.5, got 0.8333" in message


def test_deleted_check_cell_is_restored(graded):
    assert row(graded, "deleted_check", "1.1") == (2.0, "passed", "")
    assert any(
        "restored from the release: ex1_1" in n for n in graded[2][("deleted_check", BASICS)]
    )


def test_edited_check_cell_earns_nothing(graded):
    assert row(graded, "edited_check", "1.1")[:2] == (0.0, "failed")
    assert any(
        "You edited read-only cells" in n and "ex1_1" in n
        for n in graded[2][("edited_check", BASICS)]
    )


def test_printing_the_success_line_earns_nothing(graded):
    points, status, message = row(graded, "printed_line", "1.1")
    assert (points, status) == (0.0, "failed")
    assert "passed 0 of 3 checks" in message


def test_rebinding_the_check_module_earns_nothing(graded):
    assert row(graded, "rebinding", "1.1")[:2] == (0.0, "failed")
    assert "sys.modules; flagged for review" in graded[2][("rebinding", BASICS)][0]


def test_monkeypatching_checks_earns_nothing(graded):
    assert row(graded, "monkeypatch", "1.1")[:2] == (0.0, "failed")
    assert row(graded, "monkeypatch", "1.2")[:2] == (0.0, "failed")
    notes = graded[2][("monkeypatch", BASICS)]
    assert (
        "Solution cell ex1_1-solution uses an assignment to a check function; flagged" in notes[0]
    )
    assert "Solution cell ex1_2-solution uses course_lib.checks; flagged for review." in notes[1]


def test_packages_next_to_the_notebook_cannot_shadow_the_checks(graded):
    assert row(graded, "shadow_package", "1.1")[:2] == (0.0, "failed")
    assert row(graded, "shadow_package", "1.2")[:2] == (0.0, "failed")


def test_only_data_files_are_copied_next_to_the_notebook(tmp_path):
    folder, workdir = tmp_path / "student", tmp_path / "work"
    (folder / "course_lib").mkdir(parents=True)
    workdir.mkdir()
    for name in ("weights.npz", "notes.txt", "numpy.py", "hook.pth", "ext.so"):
        (folder / name).write_text("x")
    (tmp_path / "teacher.csv").write_text("the teacher's file")
    (folder / "linked.csv").symlink_to(tmp_path / "teacher.csv")  # read with the grader's rights
    os.mkfifo(folder / "pipe.csv")  # would block a plain copy for ever
    _copy_data_files(folder, workdir)
    assert sorted(p.name for p in workdir.iterdir()) == ["notes.txt", "weights.npz"]


def test_invalid_notebooks(graded):
    points, status, message = row(graded, "invalid_json", "1.1")
    assert (points, status) == (0.0, "invalid")
    assert "01_basics.ipynb is not a valid notebook" in message
    assert row(graded, "invalid_json", "1.2")[1] == "invalid"
    assert row(graded, "invalid_json", "2.1")[:2] == (0.0, "invalid")


def test_missing_solution_cell(graded):
    assert row(graded, "missing_solution", "1.1") == (2.0, "passed", "")
    assert row(graded, "missing_solution", "1.2") == (
        0.0,
        "missing",
        "solution cell ex1_2-solution missing",
    )


def test_extra_cells_are_dropped_and_reported(graded):
    assert row(graded, "extra_cells", "1.1") == (2.0, "passed", "")
    assert row(graded, "extra_cells", "1.2") == (3.0, "passed", "")
    notes = " ".join(graded[2][("extra_cells", BASICS)])
    assert "2 cell(s) you added were not graded" in notes and "print('scratch work')" in notes


def test_syntax_error_in_a_solution_is_explained(graded):
    points, status, message = row(graded, "syntax_error", "1.1")
    assert (points, status) == (0.0, "error")
    assert "the check raised NameError: name 'add' is not defined" in message
    assert "solution cell ex1_1-solution raised SyntaxError" in message
    assert row(graded, "syntax_error", "1.2") == (3.0, "passed", "")


def test_infinite_loop_times_out_and_later_exercises_still_count(graded):
    points, status, message = row(graded, "infinite_loop", "1.1")
    assert (points, status) == (0.0, "timeout")
    assert "ran longer than the 5 s limit" in message
    assert row(graded, "infinite_loop", "1.2") == (3.0, "passed", "")


def test_uninterruptible_loop_kills_the_kernel_and_grading_goes_on(graded):
    points, status, message = row(graded, "sigint_ignored", "1.1")
    assert (points, status) == (0.0, "timeout")
    assert "did not respond to the interrupt" in message
    assert row(graded, "sigint_ignored", "1.2") == (3.0, "passed", "")


def test_kernel_death_gives_zero_and_grading_goes_on(graded):
    points, status, message = row(graded, "os_exit", "1.1")
    assert (points, status) == (0.0, "crashed")
    assert "the kernel died" in message
    assert row(graded, "os_exit", "1.2") == (3.0, "passed", "")


def test_huge_outputs_are_capped(graded):
    assert row(graded, "huge_output", "1.1") == (2.0, "passed", "")
    points, status, message = row(graded, "huge_output", "1.2")
    assert (points, status) == (0.0, "failed")
    assert "raised ValueError: yyyy" in message and len(message) < 2_000


def test_nan_answer_is_reported(graded):
    points, status, message = row(graded, "nan_answer", "1.2")
    assert (points, status) == (0.75, "partial")  # only the shape check passes
    assert "`mean([1, 2, 3])` contains NaN in 1 of 1 values" in message


def test_csv_and_feedback(graded, tmp_path):
    results = graded[0]
    write_csv(results, tmp_path / "grades.csv")
    with (tmp_path / "grades.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3 * len(STUDENTS)
    assert list(rows[0]) == [
        "student",
        "notebook",
        "exercise",
        "points",
        "max_points",
        "status",
        "message",
        "sandbox",
        "grading_seed",
        "late",
    ]
    assert {(r["sandbox"], r["grading_seed"], r["late"]) for r in rows} == {("yes", "7", "")}
    assert all("\n" not in r["message"] and len(r["message"]) <= 1_000 for r in rows)
    partial = next(r for r in rows if r["student"] == "partial" and r["exercise"] == "1.1")
    assert (partial["points"], partial["max_points"], partial["status"]) == (
        "1.33",
        "2.00",
        "partial",
    )
    paths = write_feedback(results, tmp_path / "feedback")
    assert sorted(p.name for p in paths) == sorted(f"{s}.md" for s in STUDENTS)
    text = (tmp_path / "feedback" / "partial.md").read_text()
    assert "**Total: 2.83 of 6 points**" in text
    assert "| 1.1 | 1.33 / 2 | partial | Exercise 1.1: passed 2 of 3 checks |" in text
    table = results_table([n for n in results if n.student == "partial"])
    assert "01_basics.ipynb  1.1       1.33/2  partial" in table
    assert table.endswith("Total: 2.83 of 6 points")
    assert student_feedback("x", []).startswith("# Feedback for x")
    alice = NotebookResult("alice", "04_lstm.ipynb", seconds=14.24)
    alice.results = [
        ExerciseResult("alice", "04_lstm.ipynb", "4.1", 5.0, 5.0, "passed"),
        ExerciseResult("alice", "04_lstm.ipynb", "4.2", 3.0, 5.0, "partial", "..."),
    ]
    assert progress_line(12, 150, alice) == "[12/150] alice 04_lstm.ipynb 8/10 points 14.2 s"


def test_notebook_time_limit_kills_the_kernel(tmp_path):
    nb = copy_of(BASICS, {**SOLVED, "ex1_1-solution": "import time\n\ntime.sleep(60)\n" + ADD})
    write_notebook(nb, tmp_path / BASICS)
    config = replace(CONFIG, cell_timeout=60, notebook_timeout=8)
    result = grade_notebook(tmp_path / BASICS, RELEASE / BASICS, student="slow", config=config)
    (first, second) = result.results
    assert (first.points, first.status) == (0.0, "timeout")
    assert "the notebook ran longer than its 8 s limit" in first.message
    assert (second.points, second.status) == (0.0, "not-run")
    assert result.seconds < 30


def test_answers_without_metadata_are_found_by_the_names_they_define():
    release = read_notebook(RELEASE / BASICS)
    submission = copy_of(BASICS, SOLVED)
    for cell in submission.cells:
        cell.metadata = {}  # an editor that drops cell metadata
    restored = restore(release, submission)
    assert restored.missing == []
    sources = [restored.nb.cells[i].source for i in restored.solution_cells.values()]
    assert sources == [ADD, MEAN]
    assert (
        "Your answer for ex1_1-solution was recognised by the names it defines" in restored.notes[0]
    )
    assert any(
        "restored from the release: generated-note, basics-title" in n for n in restored.notes
    )
