"""Show grading results to people: a terminal table and a Markdown file per student.

`results_table` renders results as the plain-text table `rnn-course check` prints
(exercise, points, status, message); `student_feedback` renders one student's results as
Markdown (a summary table per notebook, then the full message of every exercise that did
not pass and the remarks on the notebook); `write_feedback` writes one such file per student.

Everything a student controls (the name, the messages that quote what their functions
returned, the notes that name their files) is inert: escaped for the terminal in the table,
and for Markdown in the feedback (`course_lib.grading.escaping`), so a message cannot forge
a line, a heading, raw HTML or a fake "Total: 8 of 8 points".

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from course_lib.grading.escaping import markdown_block, markdown_inline, terminal_text
from course_lib.grading.outcomes import ExerciseStatus, NotebookResult
from course_lib.grading.submissions import safe_folder_name
from course_lib.validation import shorten


def results_table(results: Sequence[NotebookResult], *, width: int = 100) -> str:
    """Return a plain-text table of exercise, points, status and message (first line).

    Args:
        results: graded notebooks.
        width: longest message shown in the table. Defaults to 100.

    Returns:
        The table, printable: control characters of messages shown as escapes.
    """
    rows = [("notebook", "exercise", "points", "status", "message")]
    for notebook in results:
        for r in notebook.results:
            points = f"{r.points:g}/{r.max_points:g}"
            message = terminal_text(shorten(r.message, width, lines="first"))
            rows.append((notebook.notebook, r.exercise, points, r.status, message))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for number, row in enumerate(rows):
        cells = [row[i].ljust(widths[i]) for i in range(4)] + [row[4]]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths) + "  -------")
    total = sum(n.points for n in results)
    maximum = sum(n.max_points for n in results)
    lines.append(f"Total: {total:g} of {maximum:g} points")
    return "\n".join(lines)


def student_feedback(
    student: str, results: Sequence[NotebookResult], *, title: str | None = None
) -> str:
    """Return one student's feedback as Markdown.

    Args:
        student: the student's name.
        results: that student's graded notebooks.
        title: the first heading. Defaults to "Feedback for <student>".
    """
    total = sum(n.points for n in results)
    maximum = sum(n.max_points for n in results)
    heading = markdown_inline(title or f"Feedback for {student}")
    lines = [f"# {heading}", "", f"**Total: {total:g} of {maximum:g} points**", ""]
    for notebook in results:
        lines += [
            f"## {notebook.notebook}: {notebook.points:g} of {notebook.max_points:g} points",
            "",
        ]
        lines += ["| Exercise | Points | Status | Summary |", "| --- | --- | --- | --- |"]
        for r in notebook.results:
            summary = markdown_inline(shorten(r.message, 120, lines="first")) if r.message else ""
            lines.append(
                f"| {r.exercise} | {r.points:g} / {r.max_points:g} | {r.status} | {summary} |"
            )
        lines.append("")
        for r in notebook.results:
            if r.status != ExerciseStatus.PASSED and r.message and "\n" in r.message.strip():
                lines += [f"**Exercise {r.exercise}** ({r.status}):", ""]
                lines += [*markdown_block(r.message.strip()), ""]
        if notebook.notes:
            lines += ["Notes:", ""] + [f"- {markdown_inline(note)}" for note in notebook.notes]
            lines += [""]
    return "\n".join(lines).rstrip() + "\n"


def write_feedback(results: Sequence[NotebookResult], folder: str | Path) -> list[Path]:
    """Write `<student>.md` for every student in `results` into `folder`; return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    by_student: dict[str, list[NotebookResult]] = {}
    for notebook in results:
        by_student.setdefault(notebook.student, []).append(notebook)
    paths = []
    for student, notebooks in by_student.items():
        path = folder / f"{safe_folder_name(student)}.md"
        path.write_text(student_feedback(student, notebooks), encoding="utf-8")
        paths.append(path)
    return paths
