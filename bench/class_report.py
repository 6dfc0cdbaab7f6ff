"""The class report at scale: `rnn-course report` for a generated class, from the run's files.

A class of `size` students (500 by default) is generated as a grading run's record
(`course_lib.grading.run_record`) for every exercise of one released notebook: statuses,
checks with diagnosed mistakes (the exercises' own mistake ids), grading times, and for each
exercise an answer per student made of lines drawn from a large pool of plausible code with
its own names, so that answers differ as honest ones do; every 100th student hands in a
renamed copy of the one before (the pairs the report must find). The record is written to
a file, then `rnn-course report` reads it and writes the page and the CSV, timed per stage
in one process (read, count, similarity, page, CSV) and as a whole command (a fresh
interpreter, imports included). The similarity pass records how many pairs it compared
against all the pairs of the class.

This is `bench/class_report.py`; `bench/report.py` renders `results.md`.
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.timing import ROOT

EXERCISES = ROOT / "exercises"
NOTEBOOK = "04_lstm.ipynb"
STATUSES = ("passed", "partial", "failed", "error", "timeout", "missing")
_NAMES = ("h", "c", "state", "gates", "z", "out", "acc", "tmp", "prev", "step", "w", "u", "b")
_FUNCTIONS = ("np.tanh", "np.exp", "np.abs", "np.sqrt", "np.log1p", "np.square", "np.sign",
              "np.cumsum", "np.mean", "np.max", "np.sum", "np.transpose", "np.ravel")  # fmt: skip
_BINARY = ("np.maximum", "np.minimum", "np.dot", "np.matmul", "np.outer", "np.hypot")
_METHODS = (".T", ".sum()", ".mean(axis=0)", ".copy()", ".reshape(-1)", ".astype(float)",
            ".max(axis=-1)", ".cumsum(axis=1)", "[:, None]", "[::-1]")  # fmt: skip
_OPERATORS = ("+", "-", "*", "@", "/", "**")


def _expression(rng: random.Random, names: list[str], depth: int) -> str:
    """A random NumPy expression over the student's names (shapes are not the point)."""
    if depth == 0 or rng.random() < 0.25:
        leaf = rng.choice(names) if rng.random() < 0.8 else str(rng.randrange(1, 9))
        return leaf + (rng.choice(_METHODS) if rng.random() < 0.3 else "")
    kind = rng.randrange(4)
    a = _expression(rng, names, depth - 1)
    if kind == 0:
        return f"{rng.choice(_FUNCTIONS)}({a})"
    b = _expression(rng, names, depth - 1)
    if kind == 1:
        return f"{rng.choice(_BINARY)}({a}, {b})"
    if kind == 2:
        return f"({a} {rng.choice(_OPERATORS)} {b})"
    return f"np.where({a} > {b}, {a}, {b})"


def _line(rng: random.Random, names: list[str]) -> str:
    """One plausible line of NumPy code with the student's own names."""
    target = rng.choice(names)
    if rng.random() < 0.15:
        return f"for {target} in range({rng.randrange(2, 9)}):\n        acc = {_expression(rng, names, 2)}"
    return f"{target} = {_expression(rng, names, 3)}"


def _answer(rng: random.Random, signature: str) -> str:
    names = [f"{rng.choice(_NAMES)}{rng.randrange(100)}" for _ in range(6)]
    body = [_line(rng, names) for _ in range(rng.randrange(6, 14))]
    return (
        signature + "\n" + "\n".join(f"    {line}" for line in body) + f"\n    return {names[0]}\n"
    )


def _renamed(answer: str, rng: random.Random) -> str:
    lines = answer.splitlines()
    head, body, tail = lines[:1], lines[1:-1], lines[-1:]
    rng.shuffle(body)  # reordered lines
    text = "\n".join(head + [f"    # my step {i}\n{line}" for i, line in enumerate(body)] + tail)
    for name in _NAMES:  # renamed variables
        text = text.replace(f" {name}", f" my_{name}").replace(f"({name}", f"(my_{name}")
    return text + "\n"


def make_class_record(size: int, path: Path, seed: int = 0) -> dict[str, int]:
    """Write the run record of a generated class of `size` students to `path`.

    Returns:
        counts: students, exercises, planted copies.
    """
    from course_lib.checks.report import CheckOutcome
    from course_lib.checks.verdicts import exercise_of_check_cell
    from course_lib.grading.grade import ReleasedNotebook
    from course_lib.grading.outcomes import ExerciseResult, ExerciseStatus, NotebookResult
    from course_lib.grading.run_record import starter_code, write_run_record

    rng = random.Random(seed)
    release = ReleasedNotebook.read(EXERCISES / NOTEBOOK)
    starters = starter_code([release])
    mistakes = {}
    for ex in release.exercises:
        check = exercise_of_check_cell(release.check_sources[ex.id], ex.id)
        mistakes[ex.id] = [(m.id, m.hint) for m in check.mistakes] or [("none", "")]
    signatures = {ex.id: starters[NOTEBOOK][ex.id].split("\n", 1)[0] for ex in release.exercises}
    results, previous, planted = [], {}, 0
    for number in range(size):
        student = f"student{number:03d}"
        copying = number % 100 == 99
        planted += copying
        rows = []
        for ex in release.exercises:
            status = rng.choices(STATUSES, weights=(50, 25, 10, 5, 2, 3))[0]
            checks, diagnoses = (), ()
            if status in ("passed", "partial", "failed"):
                mistake, hint = rng.choice(mistakes[ex.id])
                wrong = 0 if status == "passed" else rng.randrange(1, 5)
                checks = tuple(
                    CheckOutcome(f"values: case {k}", k >= wrong, None if k >= wrong else
                                 mistake, None if k >= wrong else hint)
                    for k in range(5)
                )  # fmt: skip
                diagnoses = tuple(c.diagnosis for c in checks if c.diagnosis)
            points = ex.points * sum(c.passed for c in checks) / 5 if checks else 0.0
            answer = "" if status == "missing" else _answer(rng, signatures[ex.id])
            if copying and previous.get(ex.id):
                answer = _renamed(previous[ex.id], rng)
            previous[ex.id] = answer
            rows.append(
                ExerciseResult(
                    student,
                    NOTEBOOK,
                    ex.id,
                    round(points, 2),
                    ex.points,
                    ExerciseStatus(status),
                    "" if status == "passed" else f"{status}: generated",
                    diagnoses,
                    checks,
                    answer,
                )  # fmt: skip
            )
        results.append(
            NotebookResult(student, NOTEBOOK, rows, seconds=rng.uniform(5, 40), seed=seed)
        )
    not_graded = [(f"student{n:03d}/notes.txt", "not a released notebook") for n in range(5)]
    write_run_record(results, path, starters=starters, not_graded=not_graded)
    return {"students": size, "exercises": len(release.exercises), "planted_copies": planted}


def measure(size: int = 500, repeats: int = 3) -> dict[str, Any]:
    """Generate the class, then time building its report (medians of `repeats` runs)."""
    from course_lib.grading.class_report import class_report, write_report_csv
    from course_lib.grading.report_page import report_html
    from course_lib.grading.run_record import read_run_record

    with tempfile.TemporaryDirectory(prefix="rnn-class-report-") as scratch:
        folder = Path(scratch)
        record_path = folder / "grades-run.json"
        counts = make_class_record(size, record_path)
        stages: dict[str, list[float]] = {
            k: [] for k in ("read", "count", "similarity", "page", "csv", "in_process")
        }
        for _ in range(repeats):
            start = time.perf_counter()
            record = read_run_record(record_path)
            t_read = time.perf_counter()
            report = class_report(record, similarity=False)
            t_count = time.perf_counter()
            report = class_report(record)
            t_similar = time.perf_counter()
            page = report_html(report)
            t_page = time.perf_counter()
            write_report_csv(report, folder / "report.csv")
            t_csv = time.perf_counter()
            stages["read"].append(t_read - start)
            stages["count"].append(t_count - t_read)
            stages["similarity"].append(max(0.0, (t_similar - t_count) - (t_count - t_read)))
            stages["page"].append(t_page - t_similar)
            stages["csv"].append(t_csv - t_page)
            stages["in_process"].append(t_csv - start)
        commands = []
        for _ in range(repeats):
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "course_lib", "report", str(record_path),
                 "--out", str(folder / "report.html")],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            commands.append(time.perf_counter() - start)
            if done.returncode != 0:
                raise RuntimeError(f"rnn-course report failed: {done.stderr}")
        pairs = sum(len(r.pairs) for r in report.similarity)
        candidates = sum(r.candidates for r in report.similarity)
        compared = [r.compared for r in report.similarity]
        return {
            "class": counts,
            "notebook": NOTEBOOK,
            "record_mb": round(record_path.stat().st_size / 1e6, 1),
            "page_mb": round(len(page.encode()) / 1e6, 2),
            "seconds": {k: round(sorted(v)[len(v) // 2], 2) for k, v in stages.items()},
            "command_s": round(sorted(commands)[len(commands) // 2], 2),
            "repeats": repeats,
            "similar_pairs_listed": pairs,
            "candidate_pairs": candidates,
            "all_pairs": sum(n * (n - 1) // 2 for n in compared),
        }


def render(section: dict[str, Any], when: str) -> str:
    """The Markdown of the section in `results.md`."""
    s = section["seconds"]
    c = section["class"]
    rows = [
        ["read the run record", s["read"]],
        ["count scores, checks, mistakes", s["count"]],
        ["similarity pass", s["similarity"]],
        ["render the HTML page (figures included)", s["page"]],
        ["write the CSV", s["csv"]],
        ["all of the above, in one process", s["in_process"]],
        ["`rnn-course report` as a command (imports included)", section["command_s"]],
    ]
    table = ["| stage | seconds |", "| --- | --- |"]
    table += [f"| {name} | {value} s |" for name, value in rows]
    return (
        f"\n## The class report at scale\n\n{when} `rnn-course report` on the run record of "
        f"a generated class of {c['students']} students, {c['exercises']} exercises of "
        f"`{section['notebook']}` ({section['record_mb']} MB of JSON; a page of "
        f"{section['page_mb']} MB), median of {section['repeats']} runs.\n\n"
        + "\n".join(table)
        + f"\n\nThe similarity pass compared {section['candidate_pairs']} candidate pairs "
        f"(students sharing a rare fingerprint) of the {section['all_pairs']} pairs of "
        f"answers, and listed {section['similar_pairs_listed']} (the class holds "
        f"{c['planted_copies']} planted copies, one per exercise each).\n"
    )
