"""Grading timings: one class of submissions, graded several ways in the same run.

The class is made of copies of one solution notebook under its released name, with some
broken variants mixed in, as a real class would hand in: unsolved copies (the released
exercise itself), notebooks that are not valid JSON, and notebooks whose kernel dies.

It is graded with 1 and 2 workers in the sandbox, with 1 worker `--no-sandbox` (the
sandbox's overhead), with the grader as it was before the sandbox and the split verdicts
(`BEFORE`, unpacked from git with its own release; the cost of both), and executed with
plain nbconvert.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from bench.timing import ROOT, run_command

# The last commit whose grader ran students' code unsandboxed and judged in the kernel.
BEFORE = "eeb92aa"

SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"


def make_class(
    folder: Path, notebook: str, size: int, solutions: Path = SOLUTIONS, exercises: Path = EXERCISES
) -> dict[str, int]:
    """Write `size` student folders into `folder`, each holding one copy of `notebook`.

    Every 10th student hands in the unsolved exercise, every 25th a file that is not
    JSON, every 50th a notebook whose first solution cell kills the kernel; the others
    hand in the solution.

    Returns:
        counts of each kind of submission.
    """
    solution = json.loads((solutions / notebook).read_text())
    exercise = (exercises / notebook).read_text()
    counts = {"solved": 0, "unsolved": 0, "invalid_json": 0, "kernel_dies": 0}
    for i in range(1, size + 1):
        student = folder / f"student{i:03d}"
        student.mkdir(parents=True)
        target = student / notebook
        if i % 50 == 0:
            dying = json.loads(json.dumps(solution))
            for cell in dying["cells"]:
                if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
                    cell["source"] = "import os\nos._exit(1)\n"
                    break
            target.write_text(json.dumps(dying))
            counts["kernel_dies"] += 1
        elif i % 25 == 0:
            target.write_text('{"cells": [ this is not json')
            counts["invalid_json"] += 1
        elif i % 10 == 0:
            target.write_text(exercise)
            counts["unsolved"] += 1
        else:
            target.write_text(json.dumps(solution))
            counts["solved"] += 1
    return counts


def grade_command(
    submissions: Path, out: Path, workers: int, *extra: str, release: Path = EXERCISES
) -> list[str]:
    return [
        sys.executable, "-m", "course_lib", "grade", str(submissions),
        "--out", str(out), "--release", str(release), "--workers", str(workers), *extra,
    ]  # fmt: skip


def unpack_before(folder: Path) -> Path:
    """Unpack `course_lib`, `solutions` and `exercises` of commit `BEFORE` into `folder`."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", BEFORE, "course_lib", "solutions", "exercises"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def nbconvert_command(notebook: Path, out_dir: Path) -> list[str]:
    return [
        sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
        "--allow-errors", "--output-dir", str(out_dir), str(notebook),
    ]  # fmt: skip


def measure(notebook: str = "01_sequences_hidden_state.ipynb", size: int = 50) -> dict[str, Any]:
    """Grade a class of `size` with 1 and 2 workers and execute it with nbconvert.

    Returns:
        seconds for each way, seconds per submission, the overhead ratio of the grader
        (1 worker) over plain nbconvert execution, and the class's make-up.
    """
    with tempfile.TemporaryDirectory(prefix="rnn-bench-") as tmp:
        tmp = Path(tmp)
        submissions = tmp / "class"
        counts = make_class(submissions, notebook, size)
        one = run_command(grade_command(submissions, tmp / "grades1.csv", 1))
        two = run_command(grade_command(submissions, tmp / "grades2.csv", 2))
        bare = run_command(grade_command(submissions, tmp / "bare.csv", 1, "--no-sandbox"))
        rows = (tmp / "grades1.csv").read_text().splitlines()
        old = unpack_before(tmp / "before")
        old_class = tmp / "class-before"
        make_class(old_class, notebook, size, old / "solutions", old / "exercises")
        env = {**os.environ, "PYTHONPATH": str(old)}
        command = grade_command(old_class, tmp / "before.csv", 1, release=old / "exercises")
        before = run_command(command, cwd=old, env=env)
        start_nbconvert = []
        for student in sorted(submissions.iterdir()):
            out_dir = tmp / "nbconvert" / student.name
            out_dir.mkdir(parents=True)
            try:
                start_nbconvert.append(run_command(nbconvert_command(student / notebook, out_dir)))
            except RuntimeError:  # invalid JSON or a dead kernel: nbconvert gives up
                start_nbconvert.append(None)
        nbconvert_total = sum(s for s in start_nbconvert if s is not None)
        shutil.rmtree(tmp / "nbconvert", ignore_errors=True)
    return {
        "notebook": notebook,
        "class_size": size,
        "class": counts,
        "csv_rows": len(rows) - 1,
        "grade_1_worker_s": round(one, 1),
        "grade_2_workers_s": round(two, 1),
        "per_submission_1_worker_s": round(one / size, 2),
        "per_submission_2_workers_s": round(two / size, 2),
        "nbconvert_s": round(nbconvert_total, 1),
        "nbconvert_failed": sum(s is None for s in start_nbconvert),
        "overhead_ratio": round(one / nbconvert_total, 2) if nbconvert_total else None,
        "speedup_2_workers": round(one / two, 2),
        "no_sandbox_1_worker_s": round(bare, 1),
        "sandbox_overhead_ratio": round(one / bare, 2),
        "before_commit": BEFORE,
        "before_1_worker_s": round(before, 1),
        "after_over_before_ratio": round(one / before, 2),
    }
