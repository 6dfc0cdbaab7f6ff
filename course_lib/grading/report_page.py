"""The class report as one self-contained, accessible HTML page (`rnn-course report`).

`report_html(report)` renders a `ClassReport` (`course_lib.grading.class_report`) as one
HTML file that needs nothing else: the style is inline, the figures are PNG images inside
the page (base64), each with alt text that says what it shows, and no address outside the
page is named. The page reads top to bottom as a teacher asks:

1. **At a glance**: the class's totals, the mistakes most students made (with the hint
   they saw), the exercises fewest students solved, what did not run, what was not
   graded, how many pairs look alike, the grading time;
2. **Scores** per notebook and per exercise (histograms, and a table of the same numbers);
3. **Checks and mistakes** per exercise: how many passed each check, and the diagnosed
   mistakes ranked by how many students made them, with the hint;
4. **Not judged, not graded**: exercises that crashed, timed out, raised or were missing,
   and files handed in but not graded, with why;
5. **Grading time** per submission and in total;
6. **Submissions that look alike**: per exercise, ranked, side by side (a pointer for a
   person, never a grade).

Everything a student wrote or named (names, messages, solutions) is escaped
(`escaping.html_text`). Headings, captions and table headers with `scope` make it
navigable with a screen reader; the browser test runs axe-core's WCAG 2.1 AA rules on it.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Sequence

import numpy as np

from course_lib.grading.class_report import (
    UNJUDGED,
    ClassReport,
    ExerciseSummary,
    score_summary,
)
from course_lib.grading.escaping import html_text
from course_lib.grading.similarity import COMMON_MAX, MIN_TOKENS, THRESHOLD

#: Pairs shown side by side per exercise (all pairs are in the tables and the CSV).
SIDE_BY_SIDE = 10
#: Submissions listed by grading time (the slowest first; all are in the CSV).
SLOWEST = 20

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1a1a1a;
  background: #ffffff; margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem; line-height: 1.5; }
h1, h2, h3 { line-height: 1.25; }
h2 { border-bottom: 2px solid #0b4f8a; padding-bottom: .2rem; margin-top: 2.5rem; }
a { color: #0b4f8a; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border: 1px solid #8a8a8a; padding: .25rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #e8eef5; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.note { background: #fff6d6; border-left: 4px solid #8a6100; padding: .5rem .8rem; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f4f4f4; color: #1a1a1a;
  border: 1px solid #8a8a8a; padding: .5rem; font-size: .85rem; margin: 0; }
figure { margin: 1rem 0; }
figcaption { font-style: italic; }
img { max-width: 100%; height: auto; }
"""


def _percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "-"


def _count(number: int, word: str, plural: str | None = None) -> str:
    """`"1 file"`, `"3 files"`."""
    return f"{number} {word if number == 1 else plural or word + 's'}"


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value)}"


def _table(
    caption: str, header: Sequence[str], rows: Iterable[Sequence[str]], *, numeric=()
) -> str:
    """A table: `caption`, `header` cells (scope=col), rows whose first cell is a row header.

    Every cell given is already HTML (escape student text before).
    """
    head = "".join(
        f'<th scope="col"{" class=n" if i in numeric else ""}>{cell}</th>'
        for i, cell in enumerate(header)
    )
    body = []
    for row in rows:
        cells = [f'<th scope="row">{row[0]}</th>']
        cells += [
            f"<td{' class=n' if i in numeric else ''}>{cell}</td>"
            for i, cell in enumerate(row[1:], start=1)
        ]
        body.append(f"<tr>{''.join(cells)}</tr>")
    if not body:
        return ""
    return (
        f"<table><caption>{caption}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


# -- figures ---------------------------------------------------------------------------------


def _histogram_alt(name: str, scores: list[float], worth: float) -> str:
    s = score_summary(scores, worth)
    return (
        f"{name}: {len(scores)} students, mean {_num(round(s['mean'], 2))} of {_num(worth)} "
        f"points, median {_num(round(s['median'], 2))}, {_percent(s['full'], 1)} with full "
        f"points, {_percent(s['zero'], 1)} with none"
    )


def score_figure(panels: Sequence[tuple[str, list[float], float]]) -> tuple[str, str]:
    """Histograms of scores, one panel per `(title, scores, worth)`; `(data URL, alt text)`.

    Scores are drawn as shares of the points (0 to 100 %) in ten bins.
    """
    import matplotlib as mpl
    from matplotlib.figure import Figure

    from course_lib.plotting import COLORS, STYLE

    columns = min(4, len(panels))
    rows = -(-len(panels) // columns)
    # The course's style, but laid out by hand: a tight layout costs seconds per figure.
    with mpl.rc_context({**STYLE, "savefig.bbox": None}):
        figure = Figure(figsize=(3.2 * columns, 2.5 * rows), dpi=80)
        figure.subplots_adjust(left=0.08, right=0.98, bottom=0.16, top=0.9, wspace=0.35)
        figure.subplots_adjust(hspace=0.6)
        axes = figure.subplots(rows, columns, squeeze=False)
        for ax, (title, scores, worth) in zip(axes.flat, panels, strict=False):
            shares = 100 * np.asarray(scores, dtype=float) / worth if worth else np.zeros(0)
            ax.hist(np.clip(shares, 0, 100), bins=np.linspace(0, 100, 11), color=COLORS[0])
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("% of the points")
            ax.set_ylabel("students")
        for ax in list(axes.flat)[len(panels) :]:
            ax.set_visible(False)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    alt = "Histograms of scores. " + "; ".join(_histogram_alt(*panel) for panel in panels) + "."
    return f"data:image/png;base64,{data}", alt


def _figure(panels, caption: str) -> str:
    url, alt = score_figure(panels)
    return (
        f'<figure><img src="{url}" alt="{html_text(alt)}">'
        f"<figcaption>{html_text(caption)}</figcaption></figure>"
    )


# -- sections --------------------------------------------------------------------------------


def _hardest(report: ClassReport, count: int = 3) -> list[ExerciseSummary]:
    ranked = sorted(report.exercises, key=lambda e: (e.full_marks, e.notebook, e.exercise))
    return ranked[:count]


def _glance(report: ClassReport) -> str:
    students = len(report.students)
    totals = report.student_totals()
    s = score_summary(totals, report.max_points)
    problems = len(report.problems)
    pairs = sum(len(r.pairs) for r in report.similarity)
    facts = [
        f"{_count(students, 'student')}, {_count(len(report.notebooks), 'notebook')} "
        f"({', '.join(html_text(n.notebook) for n in report.notebooks)}), "
        f"{_count(len(report.exercises), 'exercise')}.",
        f"Total: mean {_num(round(s['mean'], 2))} of {_num(report.max_points)} points, median "
        f"{_num(round(s['median'], 2))}; {_percent(s['full'], 1)} of the students have every "
        f"point, {_percent(s['zero'], 1)} have none.",
        f'<a href="#not-judged">{_count(problems, "exercise result")} reached no verdict</a> '
        f"(error, timeout, crash, missing); {_count(len(report.not_graded), 'file')} handed in "
        "not graded.",
        f'<a href="#similar">{_count(pairs, "pair")} of submissions look alike</a> (a pointer '
        "to look at, never a grade).",
        f'<a href="#time">Grading took {report.total_seconds:.0f} s</a> over '
        f"{_count(len(report.seconds), 'submission')} (added up; parallel workers take less).",
    ]
    parts = ["<ul>", *(f"<li>{fact}</li>" for fact in facts), "</ul>"]
    rows = [
        (
            f"Exercise {html_text(e.exercise)}",
            f"<code>{html_text(m.id)}</code>",
            str(m.students),
            _percent(m.students, e.judged),
            html_text(m.hint),
        )
        for e, m in report.top_mistakes()
    ]
    parts.append(
        _table(
            "The mistakes most students made (share of the students whose answers were judged)",
            ["Exercise", "Mistake", "Students", "Share", "Hint they saw"],
            rows,
            numeric=(2, 3),
        )
        or "<p>No mistake was diagnosed.</p>"
    )
    rows = [
        (
            f"Exercise {html_text(e.exercise)}",
            html_text(e.notebook),
            f"{e.full_marks} of {students}",
            _num(round(score_summary(e.scores, e.max_points)["mean"], 2)),
            _num(e.max_points),
        )
        for e in _hardest(report)
    ]
    parts.append(
        _table(
            "The exercises fewest students solved",
            ["Exercise", "Notebook", "Every check passed", "Mean points", "Worth"],
            rows,
            numeric=(3, 4),
        )
    )
    return "".join(parts)


def _scores(report: ClassReport) -> str:
    parts = []
    students = len(report.students)
    for notebook in report.notebooks:
        exercises = [e for e in report.exercises if e.notebook == notebook.notebook]
        name = html_text(notebook.notebook)
        parts.append(f"<h3>{name}</h3>")
        panels = [(f"{notebook.notebook} (total)", notebook.totals, notebook.max_points)]
        panels += [(f"Exercise {e.exercise}", e.scores, e.max_points) for e in exercises]
        parts.append(
            _figure(
                panels,
                f"Scores in {notebook.notebook}: the total, then each exercise "
                f"({notebook.handed_in} of {students} students handed it in).",
            )
        )
        rows = []
        for e in exercises:
            s = score_summary(e.scores, e.max_points)
            statuses = ", ".join(
                f"{html_text(status)} {count}" for status, count in sorted(e.statuses.items())
            )
            rows.append(
                (
                    f"Exercise {html_text(e.exercise)}",
                    _num(e.max_points),
                    _num(round(s["mean"], 2)),
                    _num(round(s["median"], 2)),
                    _percent(s["full"], 1),
                    _percent(s["zero"], 1),
                    statuses,
                )
            )
        parts.append(
            _table(
                f"Scores per exercise of {name} ({students} students)",
                ["Exercise", "Worth", "Mean", "Median", "Full points", "No points", "Statuses"],
                rows,
                numeric=(1, 2, 3, 4, 5),
            )
        )
    return "".join(parts)


def _checks(report: ClassReport) -> str:
    parts = []
    for e in report.exercises:
        parts.append(f"<h3>Exercise {html_text(e.exercise)} ({html_text(e.notebook)})</h3>")
        if not e.checks:
            parts.append("<p>No answer of this exercise was judged.</p>")
            continue
        rows = [
            (html_text(name), str(passed), str(judged), _percent(passed, judged))
            for name, (passed, judged) in e.checks.items()
        ]
        parts.append(
            _table(
                f"Checks of Exercise {html_text(e.exercise)}: how many judged answers passed",
                ["Check", "Passed", "Judged", "Share"],
                rows,
                numeric=(1, 2, 3),
            )
        )
        rows = [
            (f"<code>{html_text(m.id)}</code>", str(m.students), _percent(m.students, e.judged),
             html_text(m.hint))
            for m in e.mistakes
        ]  # fmt: skip
        parts.append(
            _table(
                f"Diagnosed mistakes of Exercise {html_text(e.exercise)}, most frequent first",
                ["Mistake", "Students", "Share", "Hint they saw"],
                rows,
                numeric=(1, 2),
            )
            or "<p>No mistake was diagnosed in this exercise.</p>"
        )
    return "".join(parts)


def _problems(report: ClassReport) -> str:
    parts = []
    counts = {s: sum(p.status == s for p in report.problems) for s in UNJUDGED}
    summary = ", ".join(f"{html_text(s)} {n}" for s, n in counts.items() if n) or "none"
    parts.append(f"<p>Exercise results without a verdict: {summary}.</p>")
    rows = [
        (html_text(p.student), html_text(p.notebook), html_text(p.exercise), html_text(p.status),
         html_text(p.message.splitlines()[0] if p.message.strip() else ""))
        for p in report.problems
    ]  # fmt: skip
    parts.append(
        _table(
            "Exercise results that reached no verdict, and why",
            ["Student", "Notebook", "Exercise", "Status", "Why"],
            rows,
        )
    )
    rows = [(html_text(what), html_text(why)) for what, why in report.not_graded]
    parts.append(
        _table("Files handed in but not graded, and why", ["File", "Why"], rows)
        or "<p>Every file handed in was graded.</p>"
    )
    return "".join(parts)


def _time(report: ClassReport) -> str:
    seconds = [s for _, _, s in report.seconds]
    if not seconds:
        return "<p>No submission was graded.</p>"
    text = (
        f"<p>{len(seconds)} submissions took {report.total_seconds:.1f} s of grading in total "
        f"(added up over the workers): {float(np.median(seconds)):.1f} s each at the median, "
        f"{max(seconds):.1f} s at most.</p>"
    )
    slowest = sorted(report.seconds, key=lambda item: -item[2])[:SLOWEST]
    rows = [(html_text(s), html_text(n), f"{t:.1f}") for s, n, t in slowest]
    table = _table(
        f"The {len(rows)} slowest submissions (every one is in the CSV)",
        ["Student", "Notebook", "Seconds"],
        rows,
        numeric=(2,),
    )
    return text + table


def _similar(report: ClassReport) -> str:
    parts = [
        '<p class="note"><strong>A pointer for a person, never a grade.</strong> Two answers '
        "listed here are the same once names, comments and formatting are set aside; short "
        "right answers often are, and so are answers written together with permission. Read "
        "them side by side before you conclude anything.</p>",
        "<p>How: each answer's solution cells become tokens with names, numbers and strings "
        "replaced, comments, blank lines and indentation dropped; their 5-token runs are "
        "hashed and winnowed (the fingerprints of MOSS). Lines of the released starter code "
        f"are ignored. Answers with fewer than {MIN_TOKENS} tokens besides the starter code "
        "(about three lines) are too short to say anything and are not compared. A pair is "
        f"listed when at least {THRESHOLD:.0%} of the fingerprints of both answers are "
        f"common (shared / all); a fingerprint more than {COMMON_MAX} answers have "
        "(what everybody writes) makes no pair on its own.</p>",
    ]
    for result in report.similarity:
        key = next(
            ((e.notebook, e.exercise) for e in report.exercises if e.exercise == result.exercise),
            None,
        )
        parts.append(f"<h3>Exercise {html_text(result.exercise)}</h3>")
        parts.append(
            f"<p>{result.compared} answers compared, {result.too_short} too short to say "
            f"anything; {result.candidates} pairs shared a rare fingerprint; "
            f"{len(result.pairs)} listed.</p>"
        )
        rows = [
            (str(rank), html_text(p.first), html_text(p.second), f"{p.similarity:.0%}",
             str(p.common))
            for rank, p in enumerate(result.pairs, start=1)
        ]  # fmt: skip
        parts.append(
            _table(
                f"Pairs of Exercise {html_text(result.exercise)} that look alike, most alike first",
                ["Rank", "Student", "Student", "Common fingerprints", "Number in common"],
                rows,
                numeric=(3, 4),
            )
        )
        answers = report.answers.get(key, {}) if key else {}
        for rank, pair in enumerate(result.pairs[:SIDE_BY_SIDE], start=1):
            first, second = html_text(pair.first), html_text(pair.second)
            parts.append(
                f"<details><summary>Rank {rank}: {first} and {second}, side by side "
                f"({pair.similarity:.0%})</summary><div class=pair>"
                f"<div><h4>{first}</h4><pre>"
                f"{html_text(answers.get(pair.first, ''), keep_newlines=True)}</pre></div>"
                f"<div><h4>{second}</h4><pre>"
                f"{html_text(answers.get(pair.second, ''), keep_newlines=True)}</pre></div>"
                "</div></details>"
            )
    return "".join(parts)


SECTIONS = (
    ("glance", "At a glance", _glance),
    ("scores", "Scores per notebook and per exercise", _scores),
    ("checks", "Checks and diagnosed mistakes", _checks),
    ("not-judged", "Not judged, not graded", _problems),
    ("time", "Grading time", _time),
    ("similar", "Submissions that look alike", _similar),
)


def report_html(report: ClassReport, *, title: str = "Class report") -> str:
    """Return the class report as one self-contained HTML page (see the module's documentation).

    Args:
        report: from `class_report`.
        title: the page's title and first heading. Defaults to "Class report".
    """
    seed = "" if report.seed is None else f", grading seed {report.seed}"
    nav = "".join(f'<li><a href="#{key}">{html_text(name)}</a></li>' for key, name, _ in SECTIONS)
    body = "".join(
        f'<section aria-labelledby="{key}"><h2 id="{key}">{html_text(name)}</h2>'
        f"{render(report)}</section>"
        for key, name, render in SECTIONS
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html_text(title)}</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>{html_text(title)}</h1><p>From one grading run of <code>rnn-course grade</code>"
        f"{seed}; generated by <code>rnn-course report</code>.</p>"
        f'<nav aria-label="Sections of the report"><ul>{nav}</ul></nav></header>'
        f"<main>{body}</main></body></html>\n"
    )
