"""The grader's own gradebooks, from hand-made results: long and wide CSV, Gradescope."""

import csv
import json

import pytest

from course_lib.grading.gradebook import (
    CSV_COLUMNS,
    gradescope_results,
    write_csv,
    write_gradescope,
    write_wide_csv,
)
from course_lib.grading.outcomes import ExerciseResult, NotebookResult

# A name with a comma, a quote and non-ASCII letters: quoting and UTF-8 must hold.
ZOE = 'Zoë "Z" Müller, Łukasik'


def notebook(student, name, rows, seconds=1.5, notes=(), late=False):
    result = NotebookResult(student, name, seconds=seconds, notes=list(notes), late=late)
    result.results = [ExerciseResult(student, name, *row) for row in rows]
    return result


@pytest.fixture
def results():
    return [
        notebook(
            "alice",
            "01_basics.ipynb",
            [("1.1", 2.0, 2.0, "passed"), ("1.2", 1.5, 3.0, "partial", "Exercise 1.2: 2 of 4\nx")],
            notes=["Graded work/01_basics.ipynb."],
        ),
        notebook("alice", "02_more.ipynb", [("2.1", 1.0, 1.0, "passed")], late=True),
        notebook(
            ZOE, "01_basics.ipynb", [("1.1", 0.0, 2.0, "missing"), ("1.2", 0.0, 3.0, "missing")]
        ),
        notebook(ZOE, "02_more.ipynb", [("2.1", 1.0, 1.0, "passed")]),
        notebook(
            "stranger_999",
            "01_basics.ipynb",
            [("1.1", 2.0, 2.0, "passed"), ("1.2", 3, 3, "passed")],
        ),
        notebook("stranger_999", "02_more.ipynb", [("2.1", 0.0, 1.0, "error", 'boom, "quoted"')]),
        notebook(
            "=HYPERLINK(1)",
            "01_basics.ipynb",
            [("1.1", 0, 2, "error", "-2+3"), ("1.2", 0, 3, "error", "@x")],
        ),
        notebook("=HYPERLINK(1)", "02_more.ipynb", [("2.1", 0.0, 1.0, "missing")]),
    ]


def read(path):
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


def test_long_csv_quotes_and_keeps_utf8(results, tmp_path):
    write_csv(results, tmp_path / "grades.csv")
    rows = read(tmp_path / "grades.csv")
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == 1 + 12
    assert rows[2] == [
        "alice",
        "01_basics.ipynb",
        "1.2",
        "1.50",
        "3.00",
        "partial",
        "Exercise 1.2: 2 of 4 | x",
        "yes",
        "",
        "",
    ]
    assert rows[3][-1] == "late"  # the LMS's late flag is kept
    assert rows[4][0] == ZOE  # the comma and quotes survive the round trip
    assert '"Zoë ""Z"" Müller, Łukasik"' in (tmp_path / "grades.csv").read_text(encoding="utf-8")
    assert rows[9][-4] == 'boom, "quoted"'
    # No cell starts a spreadsheet formula: = + - @ get a leading apostrophe.
    assert rows[10][0] == "'=HYPERLINK(1)" and rows[10][6] == "'-2+3" and rows[11][6] == "'@x"
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]


def test_wide_csv_one_row_per_student(results, tmp_path):
    write_wide_csv(results, tmp_path / "wide.csv")
    rows = read(tmp_path / "wide.csv")
    assert rows[0] == ["student", "01_basics", "02_more", "total", "late"]
    assert rows[1] == ["Points Possible", "5.00", "1.00", "6.00", ""]
    assert rows[2] == ["alice", "3.50", "1.00", "4.50", "02_more"]
    assert rows[3] == [ZOE, "0.00", "1.00", "1.00", ""]
    assert rows[4] == ["stranger_999", "5.00", "0.00", "5.00", ""]
    assert rows[5][0] == "'=HYPERLINK(1)"
    assert (tmp_path / "wide.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8


def test_gradescope_results_follow_the_autograder_format(results, tmp_path):
    paths = write_gradescope(results, tmp_path / "gs")
    assert len(paths) == 4
    data = json.loads((tmp_path / "gs" / "alice" / "results.json").read_text(encoding="utf-8"))
    assert set(data) == {"score", "execution_time", "output", "tests"}
    assert data["score"] == 4.5 and data["execution_time"] == 3
    assert "Graded work/01_basics.ipynb." in data["output"]
    assert data["tests"][1] == {
        "name": "01_basics.ipynb: Exercise 1.2",
        "score": 1.5,
        "max_score": 3.0,
        "status": "failed",
        "output": "partial: Exercise 1.2: 2 of 4\nx",
    }
    assert {t["status"] for t in data["tests"]} == {"passed", "failed"}
    for test in data["tests"]:
        assert set(test) == {"name", "score", "max_score", "status", "output"}
    zoe = json.loads((tmp_path / "gs" / ZOE / "results.json").read_text(encoding="utf-8"))
    assert zoe["score"] == 1.0 and zoe["tests"][0]["output"] == "missing"
    note = [notebook("zoë", "02_more.ipynb", [("2.1", 1, 1, "passed")], notes=["Müller's déjà vu"])]
    write_gradescope(note, tmp_path / "gs")
    text = (tmp_path / "gs" / "zoë" / "results.json").read_text(encoding="utf-8")
    assert "Müller's déjà vu" in text and json.loads(text)["output"].endswith("déjà vu")
    assert gradescope_results([])["tests"] == []
