"""Hostile text from students stays text: in the Markdown feedback, the terminal and spreadsheets.

Each attack is shown working on the text as the grader wrote it before (raw in a table
cell, inside a three-backtick fence, printed as is), then held by the escaping helpers.
The Markdown is rendered by markdown-it-py (CommonMark with tables, raw HTML on), the
renderer behind MyST and Jupyter Book.
"""

import pytest

from course_lib.grading.class_grading import progress_line
from course_lib.grading.escaping import (
    markdown_block,
    markdown_inline,
    spreadsheet_cell,
    terminal_text,
)
from course_lib.grading.feedback import results_table, student_feedback
from course_lib.grading.outcomes import ExerciseResult, NotebookResult

markdown_it = pytest.importorskip("markdown_it")
RENDER = markdown_it.MarkdownIt("commonmark").enable("table").render

# A check message quotes what the student's function returned: the student writes it.
FORGED = (
    "got 'x'\n```\n\n**Total: 8 of 8 points**\n\n<img src=x onerror=alert(1)>\n"
    "`````\n<script>steal()</script>"
)
INLINE = "**Total: 8 of 8 points** <b>passed</b> [see](http://evil) | x | `code`"
CLEAR_SCREEN = "eve\x1b[2J\x1b[H\rGraded 50 notebooks of 50 students\n\u202etxt.exe"


def result(student="eve", message=FORGED, note=INLINE):
    notebook = NotebookResult(student, "04_lstm.ipynb", notes=[note])
    notebook.results = [
        ExerciseResult(student, "04_lstm.ipynb", "4.1", 0.0, 8.0, "failed", message),
        ExerciseResult(student, "04_lstm.ipynb", "4.2", 0.0, 0.0, "failed", INLINE),
    ]
    return notebook


def test_a_forged_total_renders_without_escaping_and_not_with_it():
    naive = "\n".join(["```text", FORGED, "```", "", f"| a |\n| - |\n| {INLINE} |"])
    html = RENDER(naive)
    assert "<strong>Total: 8 of 8 points</strong>" in html  # the attack, unescaped
    assert "<script>" in html and "<b>passed</b>" in html
    feedback = student_feedback("eve", [result()])
    html = RENDER(feedback)
    assert html.count("<strong>Total:") == 1  # ours, the real one: 0 of 8 points
    assert "<strong>Total: 0 of 8 points</strong>" in html
    assert "<script>" not in html and "<b>" not in html and "<img" not in html
    assert '<a href="http://evil"' not in html
    assert html.count("<h1>") == 1 and html.count("<table>") == 1
    # The student's text is all there, as typed: in a code block and in table cells.
    assert "&lt;script&gt;steal()&lt;/script&gt;" in html
    assert "**Total: 8 of 8 points** &lt;b&gt;passed&lt;/b&gt;" in html


def test_a_name_cannot_forge_a_heading_or_html():
    html = RENDER(student_feedback("<h1>Admin</h1>\n# All passed", [result(message="x")]))
    assert html.count("<h1>") == 1 and "<h1>Admin" not in html
    assert "&lt;h1&gt;Admin&lt;/h1&gt; # All passed" in html


@pytest.mark.parametrize("fence", [3, 4, 10])
def test_a_fence_of_any_length_inside_a_block_cannot_close_it(fence):
    text = f"line\n{'`' * fence}\n**bold**\n{'~' * fence}"
    lines = markdown_block(text)
    html = RENDER("\n".join(lines))
    assert "<strong>" not in html and html.count("<pre>") == 1
    assert len(lines[0]) - len("text") == fence + 1


def test_control_characters_never_reach_the_terminal():
    assert "\x1b" in CLEAR_SCREEN  # the attack: clears the screen, forges a summary line
    for shown in (
        terminal_text(CLEAR_SCREEN),
        progress_line(1, 2, result(student=CLEAR_SCREEN)),
        results_table([result(message=CLEAR_SCREEN)]),
    ):
        assert not any(ch in shown for ch in "\x1b\r\u202e")
        assert "\\x1b[2J" in shown
    assert "\n" not in terminal_text(CLEAR_SCREEN)
    assert terminal_text("a\nb\x07", keep_newlines=True) == "a\nb\\x07"
    assert markdown_inline("a\x1bb") == "a\\\\x1bb"


def test_spreadsheet_cells_never_start_a_formula():
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert spreadsheet_cell(text) == "'" + text
    assert spreadsheet_cell("alice") == "alice" and spreadsheet_cell(3.5) == 3.5
