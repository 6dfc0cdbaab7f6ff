"""Tests of the `rnn-course` command (`python -m course_lib`), on the grading fixtures."""

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURE_RELEASE, FIXTURE_SOLUTIONS, GRADING_FIXTURES, fixture_kernel_env

from course_lib.cli import main
from course_lib.grading.notebook_format import grade_id, read_notebook, write_notebook

FIXTURES, SOLUTIONS, RELEASE = GRADING_FIXTURES, FIXTURE_SOLUTIONS, FIXTURE_RELEASE
KERNEL_OPTIONS = ["--check-module", "fixture_checks", "--cell-timeout", "30"]


def rnn_course(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "course_lib", *args],
        cwd=cwd,
        env=fixture_kernel_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def solved_copy(path: Path) -> None:
    """Write the solution of 01_basics as a student's answer (the check cells' outputs kept)."""
    nb = read_notebook(RELEASE / "01_basics.ipynb")
    solution = {grade_id(c): c.source for c in read_notebook(SOLUTIONS / "01_basics.ipynb").cells}
    for cell in nb.cells:
        if (grade_id(cell) or "").endswith("-solution"):
            cell.source = solution[grade_id(cell)]
    path.parent.mkdir(parents=True, exist_ok=True)
    write_notebook(nb, path)


def test_assign_check_up_to_date(capsys):
    assert (
        main(["assign", "--check", "--solutions", str(SOLUTIONS), "--exercises", str(RELEASE)]) == 0
    )
    assert "2 exercise notebooks are up to date." in capsys.readouterr().out


def test_assign_writes_then_check_detects_drift(tmp_path, capsys, monkeypatch):
    shutil.copytree(SOLUTIONS, tmp_path / "solutions")
    monkeypatch.chdir(tmp_path)  # the default folders: solutions/ and exercises/
    assert main(["assign"]) == 0
    assert "2 written, 0 unchanged." in capsys.readouterr().out
    nb = read_notebook(tmp_path / "solutions" / "01_basics.ipynb")
    nb.cells[0].source += "\n\nA new sentence."
    write_notebook(nb, tmp_path / "solutions" / "01_basics.ipynb")
    assert main(["assign", "--check"]) == 1
    out = capsys.readouterr().out
    assert f"{Path('exercises') / '01_basics.ipynb'} is out of date" in out
    assert "02_more" not in out
    assert "Run `rnn-course assign`" in out


def test_assign_reports_missing_folder_and_broken_solution(tmp_path, capsys):
    assert main(["assign", "--solutions", str(tmp_path / "nope")]) == 2
    shutil.copytree(SOLUTIONS, tmp_path / "solutions")
    nb = read_notebook(tmp_path / "solutions" / "02_more.ipynb")
    nb.cells[2].outputs = []
    write_notebook(nb, tmp_path / "solutions" / "02_more.ipynb")
    code = main(
        ["assign", "--solutions", str(tmp_path / "solutions"), "--exercises", str(tmp_path / "ex")]
    )
    assert code == 2
    assert "02_more.ipynb, cell 2 (ex2_1): no stored output" in capsys.readouterr().err


@pytest.mark.slow
def test_check_prints_a_table_and_exit_code(tmp_path, capsys, fixture_checks_importable):
    solved_copy(tmp_path / "01_basics.ipynb")
    summary = tmp_path / "summary.md"
    args = ["check", str(tmp_path / "01_basics.ipynb"), "--release", str(RELEASE), *KERNEL_OPTIONS]
    assert main([*args, "--summary", str(summary)]) == 0
    out = capsys.readouterr().out
    assert "notebook         exercise  points  status  message" in out
    assert "01_basics.ipynb  1.1       2/2     passed" in out
    assert "Total: 5 of 5 points" in out
    assert "# Exercise check" in summary.read_text()

    shutil.copy(RELEASE / "02_more.ipynb", tmp_path / "02_more.ipynb")
    code = main(
        ["check", str(tmp_path / "02_more.ipynb"), "--release", str(RELEASE), *KERNEL_OPTIONS]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "02_more.ipynb  2.1       0/1     failed  Exercise 2.1: passed 0 of 2 checks" in out
    assert "Exercise 2.1 (failed):\nExercise 2.1: passed 0 of 2 checks\n  - `square(3)`" in out


def test_check_rejects_unknown_notebooks(tmp_path, capsys):
    (tmp_path / "99_other.ipynb").write_text("{}")
    assert main(["check", str(tmp_path / "99_other.ipynb"), "--release", str(RELEASE)]) == 2
    assert "99_other.ipynb is not a released exercise" in capsys.readouterr().err
    assert main(["check", "x.ipynb", "--release", str(tmp_path / "none")]) == 2


def test_grade_rejects_bad_arguments(tmp_path, capsys):
    assert (
        main(
            [
                "grade",
                str(tmp_path / "none"),
                "--out",
                str(tmp_path / "g.csv"),
                "--release",
                str(RELEASE),
            ]
        )
        == 2
    )
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["grade", str(tmp_path), "--out", "g.csv", "--workers", "0"])
    with pytest.raises(SystemExit):
        main(["grade", str(tmp_path), "--out", "g.csv", "--cell-timeout", "-1"])


def test_grade_stops_before_grading_when_the_sandbox_is_unavailable(tmp_path, capsys, monkeypatch):
    from course_lib.grading import sandbox

    def unavailable(limits=None):
        raise sandbox.SandboxUnavailable("the grading sandbox needs Linux (bubblewrap); ...")

    monkeypatch.setattr(sandbox, "check_available", unavailable)
    solved_copy(tmp_path / "submissions" / "alice" / "01_basics.ipynb")
    out = tmp_path / "grades.csv"
    args = ["grade", str(tmp_path / "submissions"), "--out", str(out), "--release", str(RELEASE)]
    assert main(args) == 2
    assert "nothing was graded: the grading sandbox needs Linux" in capsys.readouterr().err
    assert not out.exists()
    assert main([*args, "--check-module", "no_such_module_here"]) == 2
    assert "`--check-module` 'no_such_module_here' cannot be imported" in capsys.readouterr().err


@pytest.mark.slow
def test_no_sandbox_is_explicit_printed_and_recorded(tmp_path):
    solved_copy(tmp_path / "submissions" / "alice" / "01_basics.ipynb")
    done = rnn_course(
        "grade", "submissions", "--out", "grades.csv", "--release", str(RELEASE),
        "--no-sandbox", "--seed", "11", *KERNEL_OPTIONS, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "WITHOUT the sandbox (--no-sandbox" in done.stdout
    assert "inputs from seed 11" in done.stdout
    with (tmp_path / "grades.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["sandbox"], r["grading_seed"]) for r in rows} == {("NO (--no-sandbox)", "11")}
    assert [r["status"] for r in rows if r["notebook"] == "01_basics.ipynb"] == ["passed"] * 2


@pytest.mark.slow
def test_python_m_grade_writes_csv_feedback_and_progress(tmp_path):
    submissions = tmp_path / "submissions"
    solved_copy(submissions / "alice" / "01_basics.ipynb")
    (submissions / "bob").mkdir()
    shutil.copy(RELEASE / "01_basics.ipynb", submissions / "bob" / "01_basics.ipynb")
    (submissions / ".git").mkdir()  # hidden folders are not students
    done = rnn_course(
        "grade",
        "submissions",
        "--out",
        "grades.csv",
        "--release",
        str(RELEASE),
        "--workers",
        "1",
        "--feedback",
        "feedback",
        "--notebooks",  # the assignment: both, so that 02_more is graded as missing
        "01_basics,02_more",
        *KERNEL_OPTIONS,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    progress = [line for line in done.stdout.splitlines() if line.startswith("[")]
    assert len(progress) == 4
    assert any(
        line.startswith("[") and "alice 01_basics.ipynb 5/5 points" in line for line in progress
    )
    assert "Graded 4 notebooks of 2 students in the bubblewrap sandbox" in done.stdout
    assert "(memory and processes capped in total by " in done.stdout
    with (tmp_path / "grades.csv").open() as handle:
        rows = [
            (r["student"], r["exercise"], r["points"], r["status"]) for r in csv.DictReader(handle)
        ]
    assert rows == [
        ("alice", "1.1", "2.00", "passed"),
        ("alice", "1.2", "3.00", "passed"),
        ("alice", "2.1", "0.00", "missing"),
        ("bob", "1.1", "0.00", "failed"),
        ("bob", "1.2", "0.00", "failed"),
        ("bob", "2.1", "0.00", "missing"),
    ]
    assert sorted(p.name for p in (tmp_path / "feedback").iterdir()) == ["alice.md", "bob.md"]
    assert "**Total: 5 of 6 points**" in (tmp_path / "feedback" / "alice.md").read_text()
    # the run's record for the class report: every check, and the solutions handed in
    assert "Wrote grades-run.json" in done.stdout
    record = json.loads((tmp_path / "grades-run.json").read_text())
    alice, _, bob, _ = record["submissions"]
    assert alice["student"] == "alice" and alice["seconds"] > 0
    checks = [c for e in alice["exercises"] for c in e["checks"]]
    assert checks and all(c["passed"] for c in checks)
    assert [bool(e["solution"]) for e in alice["exercises"]] == [True, True]
    assert not any(c["passed"] for e in bob["exercises"] for c in e["checks"])
    assert set(record["starters"]["01_basics.ipynb"]) == {"1.1", "1.2"}
    done = rnn_course("report", ".", "--out", "report.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "2 students" in (tmp_path / "report.html").read_text()
    assert (tmp_path / "report.csv").is_file()


def test_student_workflow_runs_the_check_against_the_course_release():
    yaml = pytest.importorskip("yaml")
    path = (
        Path(__file__).parent.parent / "exercises" / ".github" / "workflows" / "check-exercises.yml"
    )
    workflow = yaml.safe_load(path.read_text())
    steps = workflow["jobs"]["check"]["steps"]
    script = "\n".join(step.get("run", "") for step in steps)
    assert "python -m pip install ./course" in script
    assert 'rnn-course check "${notebooks[@]}" --release ../course/exercises' in script
    assert workflow["env"]["TF_CPP_MIN_LOG_LEVEL"] == "3"
    assert {step.get("with", {}).get("path") for step in steps} >= {"work", "course"}
