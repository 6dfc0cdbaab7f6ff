"""What the class got wrong: the numbers of the class report, from one grading run's record.

`class_report(record)` counts, from what `rnn-course grade` recorded (`run_record`), nothing
re-run:

- the scores per notebook (each student's total) and per exercise, and each exercise's
  statuses (passed, partial, failed, error, timeout, crashed, not-run, missing, invalid);
- for every check, how many of the judged answers passed it; for every exercise, the
  diagnosed mistakes ranked by the number of students who made them, with the hint they
  saw (a student counts once per mistake and exercise);
- the exercises that did not run to a verdict (error, timeout, crashed, not-run, missing,
  invalid) and the files handed in but not graded;
- the grading time of every submission and in total;
- the pairs of submissions that look alike (`course_lib.grading.similarity`).

`write_report_csv` writes the same numbers as one long CSV (`table, notebook, exercise,
item, count, of, value, detail`); `course_lib.grading.report_page` renders the HTML page.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import csv
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from course_lib.grading.escaping import spreadsheet_cell
from course_lib.grading.outcomes import ExerciseStatus
from course_lib.grading.run_record import RunRecord
from course_lib.grading.similarity import SimilarityResult, similar_pairs

#: The statuses of an exercise that never reached a verdict on the student's answers.
UNJUDGED = (
    ExerciseStatus.ERROR,
    ExerciseStatus.TIMEOUT,
    ExerciseStatus.CRASHED,
    ExerciseStatus.NOT_RUN,
    ExerciseStatus.MISSING,
    ExerciseStatus.INVALID,
)

CSV_COLUMNS = ("table", "notebook", "exercise", "item", "count", "of", "value", "detail")


@dataclass
class MistakeCount:
    """A diagnosed mistake of one exercise: how many students made it, and the hint shown."""

    id: str
    students: int
    hint: str


@dataclass
class ExerciseSummary:
    """The numbers of one exercise across the class.

    Args:
        notebook, exercise: where it is.
        max_points: what it is worth.
        scores: the points of every student graded on it.
        statuses: status -> number of students.
        checks: check name -> `[passed, judged]`, in the order of the checks.
        mistakes: the diagnosed mistakes, most frequent first.
        judged: the students whose answers were judged (the share of a mistake is of them).
    """

    notebook: str
    exercise: str
    max_points: float
    scores: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    checks: dict[str, list[int]] = field(default_factory=dict)
    mistakes: list[MistakeCount] = field(default_factory=list)
    judged: int = 0

    @property
    def full_marks(self) -> int:
        """Students with every check passed."""
        return self.statuses[ExerciseStatus.PASSED]


@dataclass
class NotebookSummary:
    """The totals of one notebook: each student's points (a missing notebook counts 0)."""

    notebook: str
    max_points: float
    totals: list[float] = field(default_factory=list)
    handed_in: int = 0


@dataclass
class Problem:
    """An exercise that reached no verdict on the student's answers, and why."""

    student: str
    notebook: str
    exercise: str
    status: ExerciseStatus
    message: str


@dataclass
class ClassReport:
    """Everything the class report shows (see the module's documentation)."""

    students: list[str]
    notebooks: list[NotebookSummary]
    exercises: list[ExerciseSummary]
    problems: list[Problem]
    not_graded: list[tuple[str, str]]
    seconds: list[tuple[str, str, float]]
    similarity: list[SimilarityResult]
    answers: dict[tuple[str, str], dict[str, str]]
    seed: int | None = None

    @property
    def total_seconds(self) -> float:
        """The grading time of all submissions, added up (workers in parallel take less)."""
        return sum(s for _, _, s in self.seconds)

    @property
    def max_points(self) -> float:
        """Points the assignment is worth."""
        return sum(n.max_points for n in self.notebooks)

    def student_totals(self) -> list[float]:
        """Each student's points over the assignment's notebooks."""
        totals: dict[str, float] = defaultdict(float)
        for exercise in self.exercises:
            for student, score in zip(self.students, exercise.scores, strict=True):
                totals[student] += score
        return [round(totals[s], 2) for s in self.students]

    def top_mistakes(self, count: int = 5) -> list[tuple[ExerciseSummary, MistakeCount]]:
        """The diagnosed mistakes of the whole assignment made by most students."""
        ranked = [(e, m) for e in self.exercises for m in e.mistakes]
        ranked.sort(key=lambda em: (-em[1].students, em[0].exercise, em[1].id))
        return ranked[:count]


def _mistakes(diagnosed: dict[str, set[str]], hints: dict[str, Counter]) -> list[MistakeCount]:
    counts = [
        MistakeCount(mistake, len(students), hints[mistake].most_common(1)[0][0])
        for mistake, students in diagnosed.items()
    ]
    return sorted(counts, key=lambda m: (-m.students, m.id))


def class_report(record: RunRecord, *, similarity: bool = True) -> ClassReport:
    """Count what the class report shows from a grading run's record.

    Args:
        record: from `read_run_record`.
        similarity: also look for submissions that look alike. Defaults to True.

    Returns:
        A `ClassReport`; students sorted by name, notebooks and exercises in the run's order.
    """
    results = record.results
    students = sorted({r.student for r in results})
    position = {s: i for i, s in enumerate(students)}
    notebooks: dict[str, NotebookSummary] = {}
    exercises: dict[tuple[str, str], ExerciseSummary] = {}
    diagnosed: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    hints: dict[tuple[str, str], dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    answers: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    problems, seconds = [], []
    for notebook in results:
        summary = notebooks.setdefault(
            notebook.notebook,
            NotebookSummary(notebook.notebook, notebook.max_points, [0.0] * len(students)),
        )
        summary.totals[position[notebook.student]] = notebook.points
        summary.handed_in += notebook.submitted
        if notebook.submitted:
            seconds.append((notebook.student, notebook.notebook, notebook.seconds))
        for r in notebook.results:
            key = (r.notebook, r.exercise)
            exercise = exercises.get(key)
            if exercise is None:
                exercise = ExerciseSummary(r.notebook, r.exercise, r.max_points)
                exercise.scores = [0.0] * len(students)
                exercises[key] = exercise
            exercise.scores[position[r.student]] = r.points
            exercise.statuses[r.status] += 1
            if r.status in UNJUDGED:
                problems.append(Problem(r.student, r.notebook, r.exercise, r.status, r.message))
            if r.checks:
                exercise.judged += 1
            for check in r.checks:
                counts = exercise.checks.setdefault(check.name, [0, 0])
                counts[0] += check.passed
                counts[1] += 1
                if check.diagnosis:
                    diagnosed[key][check.diagnosis].add(r.student)
                    hints[key][check.diagnosis][check.hint or ""] += 1
            if not r.checks:
                for mistake in r.diagnoses:  # a record without checks still names them
                    diagnosed[key][mistake].add(r.student)
                    hints[key][mistake][""] += 1
            if r.solution.strip():
                answers[key][r.student] = r.solution
    for key, exercise in exercises.items():
        exercise.mistakes = _mistakes(diagnosed[key], hints[key])
    found = []
    if similarity:
        for key, by_student in answers.items():
            found.append(similar_pairs(key[1], by_student, record.starters.get(key, "")))
    return ClassReport(
        students,
        list(notebooks.values()),
        list(exercises.values()),
        problems,
        list(record.not_graded),
        seconds,
        found,
        dict(answers),
        record.seed,
    )


def score_summary(scores: list[float], worth: float) -> dict[str, float]:
    """Mean, median, share with full marks and with nothing of a list of scores."""
    if not scores:
        return {"mean": 0.0, "median": 0.0, "full": 0.0, "zero": 0.0}
    return {
        "mean": statistics.fmean(scores),
        "median": statistics.median(scores),
        "full": sum(s >= worth > 0 for s in scores) / len(scores),
        "zero": sum(s <= 0 for s in scores) / len(scores),
    }


def report_rows(report: ClassReport) -> list[tuple]:
    """The class report's numbers as rows of `CSV_COLUMNS`."""
    rows: list[tuple] = []
    totals = report.student_totals()
    for student, total in zip(report.students, totals, strict=True):
        rows.append(("total", "", "", student, "", "", total, report.max_points))
    for notebook in report.notebooks:
        for student, total in zip(report.students, notebook.totals, strict=True):
            rows.append(("notebook score", notebook.notebook, "", student, "", "", total,
                         notebook.max_points))  # fmt: skip
    for e in report.exercises:
        for student, score in zip(report.students, e.scores, strict=True):
            rows.append(("exercise score", e.notebook, e.exercise, student, "", "", score,
                         e.max_points))  # fmt: skip
        for status in ExerciseStatus:
            if e.statuses[status]:
                rows.append(("status", e.notebook, e.exercise, str(status), e.statuses[status],
                             len(report.students), "", ""))  # fmt: skip
        for name, (passed, judged) in e.checks.items():
            rows.append(("check", e.notebook, e.exercise, name, passed, judged, "", ""))
        for m in e.mistakes:
            rows.append(("mistake", e.notebook, e.exercise, m.id, m.students, e.judged, "",
                         m.hint))  # fmt: skip
    for p in report.problems:
        rows.append(("not judged", p.notebook, p.exercise, p.student, "", "", str(p.status),
                     p.message))  # fmt: skip
    for what, why in report.not_graded:
        rows.append(("not graded", "", "", what, "", "", "", why))
    for student, notebook, seconds in report.seconds:
        rows.append(("grading seconds", notebook, "", student, "", "", round(seconds, 3), ""))
    rows.append(("grading seconds total", "", "", "", len(report.seconds), "",
                 round(report.total_seconds, 3), ""))  # fmt: skip
    for result in report.similarity:
        notebook = next((e.notebook for e in report.exercises if e.exercise == result.exercise), "")
        for pair in result.pairs:
            rows.append(("similar pair", notebook, result.exercise,
                         f"{pair.first} / {pair.second}", pair.common, "", pair.similarity,
                         "a pointer for a person, never a grade"))  # fmt: skip
    return rows


def write_report_csv(report: ClassReport, path: str | Path) -> None:
    """Write the class report's numbers as one long CSV (columns `CSV_COLUMNS`).

    No cell starts with `= + - @` (a spreadsheet formula): such text gets a leading `'`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for row in report_rows(report):
            writer.writerow([spreadsheet_cell(cell) for cell in row])
