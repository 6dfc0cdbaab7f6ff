"""The record of one grading run, for the class report: one JSON file beside the gradebook.

`rnn-course grade` writes it (`OUT-run.json` next to `--out`) from the verdicts it computed
in its own process; nothing in it comes from the sandbox except what grading already
validated (the answers, judged into `CheckOutcome`s). It holds, per student x notebook x
exercise: the status, the points, every check with whether it held, the diagnosed mistake's
id and the hint shown, and the student's solution cells as submitted (hostile text, for the
similarity pass); per notebook the grading time; the released starter code of every
exercise (what the similarity pass ignores); and every file handed in but not graded, with
why. `rnn-course report` reads it back (`read_run_record`): nothing is re-run.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from course_lib.checks.report import CheckOutcome
from course_lib.grading.grade import ReleasedNotebook
from course_lib.grading.notebook_format import source_text
from course_lib.grading.outcomes import ExerciseResult, ExerciseStatus, NotebookResult

FORMAT = "rnn-course grading run"
VERSION = 1


@dataclass
class RunRecord:
    """What one grading run recorded for the class report.

    Args:
        results: one `NotebookResult` per student x notebook graded.
        starters: `(notebook, exercise)` -> the released solution cells (the starter code).
        not_graded: `(what, why)` for every file handed in but not graded.
        seed: the run's grading seed (None: the self-check's inputs).
    """

    results: list[NotebookResult]
    starters: dict[tuple[str, str], str] = field(default_factory=dict)
    not_graded: list[tuple[str, str]] = field(default_factory=list)
    seed: int | None = None


def starter_code(releases: Sequence[ReleasedNotebook]) -> dict[str, dict[str, str]]:
    """Notebook -> exercise id -> its released solution cells (the stub students got)."""
    starters = {}
    for release in releases:
        cells = {
            cell.get("metadata", {}).get("nbgrader", {}).get("grade_id"): cell
            for cell in release.nb.cells
        }
        starters[release.name] = {
            ex.id: "\n\n".join(
                source_text(cells[gid]) for gid in ex.solution_grade_ids if gid in cells
            )
            for ex in release.exercises
        }
    return starters


def _exercise_json(r: ExerciseResult) -> dict:
    return {
        "exercise": r.exercise,
        "points": r.points,
        "max_points": r.max_points,
        "status": str(r.status),
        "message": r.message,
        "diagnoses": list(r.diagnoses),
        "checks": [
            {"name": c.name, "passed": c.passed, "diagnosis": c.diagnosis, "hint": c.hint}
            for c in r.checks
        ],
        "solution": r.solution,
    }


def run_record_json(
    results: Sequence[NotebookResult],
    starters: Mapping[str, Mapping[str, str]] | None = None,
    not_graded: Sequence[tuple[str, str]] = (),
) -> dict:
    """The run record as a dictionary for `json.dump` (see the module's documentation).

    Args:
        results: from grading the class.
        starters: notebook -> exercise -> the released solution cells (`starter_code`).
            Defaults to none.
        not_graded: `(what, why)` of every file handed in but not graded.
    """
    names = {r.notebook for r in results}
    return {
        "format": FORMAT,
        "version": VERSION,
        "grading_seed": next((r.seed for r in results), None),
        "starters": {
            name: dict(by_exercise)
            for name, by_exercise in (starters or {}).items()
            if name in names
        },
        "submissions": [
            {
                "student": n.student,
                "notebook": n.notebook,
                "seconds": round(n.seconds, 3),
                "submitted": n.submitted,
                "sandboxed": n.sandboxed,
                "late": n.late,
                "notes": list(n.notes),
                "exercises": [_exercise_json(r) for r in n.results],
            }
            for n in results
        ],
        "not_graded": [{"what": what, "why": why} for what, why in not_graded],
    }


def write_run_record(
    results: Sequence[NotebookResult],
    path: str | Path,
    *,
    starters: Mapping[str, Mapping[str, str]] | None = None,
    not_graded: Sequence[tuple[str, str]] = (),
) -> None:
    """Write the run record (UTF-8 JSON) to `path`; see `run_record_json`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(run_record_json(results, starters, not_graded), ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def _outcome(item: dict) -> CheckOutcome:
    return CheckOutcome(
        str(item["name"]), bool(item["passed"]), item.get("diagnosis"), item.get("hint")
    )


def _exercise(student: str, notebook: str, item: dict) -> ExerciseResult:
    return ExerciseResult(
        student,
        notebook,
        str(item["exercise"]),
        float(item["points"]),
        float(item["max_points"]),
        ExerciseStatus(item["status"]),
        str(item.get("message", "")),
        tuple(map(str, item.get("diagnoses", ()))),
        tuple(_outcome(c) for c in item.get("checks", ())),
        str(item.get("solution", "")),
    )


def read_run_record(path: str | Path) -> RunRecord:
    """Read a run record written by `rnn-course grade`.

    Args:
        path: the `-run.json` file.

    Raises:
        ValueError: when the file is not a grading run's record (naming the file and what
            it holds instead).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(
            f"`{path}` must be a grading run's JSON record; cannot read it: {error}"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(
            f"`{path}` must be a grading run's record (written by `rnn-course grade` next to "
            f'its CSV, OUT-run.json); got JSON without "format": {FORMAT!r}.'
        )
    if data.get("version") != VERSION:
        raise ValueError(
            f"`{path}` is a grading run's record of version {data.get('version')!r}; this "
            f"course reads version {VERSION}: grade again with this version."
        )
    try:
        results = [
            NotebookResult(
                str(s["student"]),
                str(s["notebook"]),
                [_exercise(s["student"], s["notebook"], item) for item in s["exercises"]],
                notes=list(map(str, s.get("notes", ()))),
                seconds=float(s["seconds"]),
                seed=data.get("grading_seed"),
                sandboxed=bool(s.get("sandboxed", True)),
                submitted=bool(s.get("submitted", True)),
                late=bool(s.get("late", False)),
            )
            for s in data["submissions"]
        ]
        starters = {
            (notebook, exercise): str(text)
            for notebook, by_exercise in data.get("starters", {}).items()
            for exercise, text in by_exercise.items()
        }
        not_graded = [(str(i["what"]), str(i["why"])) for i in data.get("not_graded", ())]
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ValueError(f"`{path}`: a damaged grading run's record ({error!r})") from None
    return RunRecord(results, starters, not_graded, data.get("grading_seed"))
