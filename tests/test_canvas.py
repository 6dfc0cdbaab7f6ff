"""The Canvas import file changes this assignment only, and only what was graded.

The roster is a Canvas gradebook export in its exact layout (`tests/lms_archives.py`):
week 1's Homework 1 is graded there (Bob has 7.00); week 4's import must leave it alone.
"""

import csv

import pytest

from course_lib.grading.canvas import (
    CANVAS_COLUMNS,
    match_roster,
    plan_canvas_columns,
    read_roster,
    rule_matches,
    write_canvas_csv,
)
from course_lib.grading.outcomes import ExerciseResult, NotebookResult
from tests.lms_archives import CANVAS_EXPORT_WEEK1

LSTM = "04_lstm.ipynb"


def graded(student, notebook, points, worth=10.0, submitted=True):
    result = NotebookResult(student, notebook, submitted=submitted)
    status = "passed" if points == worth else ("missing" if not submitted else "partial")
    result.results = [ExerciseResult(student, notebook, "4.1", points, worth, status)]
    return result


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(CANVAS_EXPORT_WEEK1, encoding="utf-8-sig")
    return read_roster(path)


@pytest.fixture
def week4():
    """Week 4: Bob 8 of 10, Jürgen 10 of 10, Xiaoming handed nothing in."""
    return [
        graded("smithbob_340934", LSTM, 8.0),
        graded("müllerjürgen_340935", LSTM, 10.0),
        graded("王小明_340936", LSTM, 0.0, submitted=False),
    ]


IDS = {"smithbob_340934": "340934", "müllerjürgen_340935": "340935", "王小明_340936": "340936"}


def read(path):
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


def test_the_roster_is_read_as_canvas_exports_it(roster):
    assert [s.id for s in roster.students] == ["340934", "340935", "340936", "340937", "340938"]
    assert [(a.header, a.id, a.points_possible) for a in roster.assignments] == [
        ("Homework 1: Sequences (5550)", "5550", 10.0),
        ("Homework 4: LSTM (5551)", "5551", 10.0),
    ]  # Current Points, Final Score... are not assignments
    assert roster.students[0].grades == {
        "Homework 1: Sequences (5550)": "7.00",
        "Homework 4: LSTM (5551)": "",
    }


def test_a_week_4_import_leaves_week_1_and_absent_students_alone(roster, week4, tmp_path):
    columns, plan = plan_canvas_columns({LSTM: 10.0}, roster)
    assert plan == [
        "Canvas: 04_lstm.ipynb -> Homework 4: LSTM (5551) "
        "[the roster rule: the title contains '04_lstm']"
    ]
    report = write_canvas_csv(week4, roster, columns, tmp_path / "canvas.csv", ids=IDS)
    rows = read(tmp_path / "canvas.csv")
    # Only this assignment's column, mapped by id: nothing created, week 1 untouched.
    assert rows[0] == [*CANVAS_COLUMNS, "Homework 4: LSTM (5551)"]
    assert rows[1] == ["Points Possible", "", "", "", "", ""]  # Canvas keeps its points
    assert rows[2:] == [
        ["Smith, Bob", "340934", "S1001", "bsmith", "RNN 2027", "8.00"],
        ["Müller, Jürgen", "340935", "S1002", "jmuller", "RNN 2027", "10.00"],
    ]
    # Whoever handed nothing in is left out: an empty cell would remove a grade in Canvas.
    assert report.left_out == ["王, 小明", "_Underscore, Una", "Absent, Amy"]
    assert report.unknown == []


def test_zeros_and_scaling_only_when_asked(roster, week4, tmp_path):
    week4[0] = graded("smithbob_340934", LSTM, 6.0, worth=8.0)
    columns, plan = plan_canvas_columns({LSTM: 8.0}, roster)
    assert "grades are written as points out of 8" in plan[1]
    write_canvas_csv(week4, roster, columns, tmp_path / "c.csv", ids=IDS, zeros=True)
    rows = read(tmp_path / "c.csv")
    assert [r[5] for r in rows[2:]] == ["6.00", "10.00", "0.00", "0.00", "0.00"]
    columns, plan = plan_canvas_columns({LSTM: 8.0}, roster, scale=True)
    assert plan[1] == "  points scaled from 8 to 10"
    write_canvas_csv(week4, roster, columns, tmp_path / "s.csv", ids=IDS, scale=True)
    assert read(tmp_path / "s.csv")[2][5] == "7.50"  # 6 of 8 is 7.5 of 10


def test_explicit_columns_and_every_unsafe_mapping_refused_before_grading(roster):
    notebooks = {"01_sequences_hidden_state.ipynb": 10.0, LSTM: 10.0}
    with pytest.raises(ValueError) as caught:
        plan_canvas_columns(notebooks, roster)
    message = str(caught.value)
    assert "01_sequences_hidden_state.ipynb: the roster rule" in message
    assert '--canvas-column 01_sequences_hidden_state="Title (id)"' in message
    columns, plan = plan_canvas_columns(
        notebooks, roster, ["01_sequences_hidden_state=Homework 1: Sequences (5550)"]
    )
    assert [c.assignment.id for c in columns] == ["5550", "5551"]
    assert plan[0].endswith("[--canvas-column]")
    columns, _ = plan_canvas_columns({LSTM: 10.0}, roster, ["04_lstm=5551"])  # the id alone
    assert columns[0].assignment.header == "Homework 4: LSTM (5551)"
    for value, reason in [
        ("04_lstm=Homework 4 (9999)", "the roster has no assignment with id 9999"),
        ("04_lstm=Homework 4", "Canvas would create a new assignment"),
        ("99_other=Homework 4 (5551)", "`--canvas-column` must be NOTEBOOK=COLUMN"),
        ("04_lstm", "`--canvas-column` must be NOTEBOOK=COLUMN"),
    ]:
        with pytest.raises(ValueError, match=reason):
            plan_canvas_columns({LSTM: 10.0}, roster, [value])
    columns, plan = plan_canvas_columns({LSTM: 10.0}, roster, ["04_lstm=Bonus"], new_columns=True)
    assert columns[0].assignment.id == "" and "(a NEW assignment)" in plan[0]


def test_a_new_column_says_its_points_and_two_notebooks_add_up(roster, tmp_path):
    results = [
        graded("smithbob_340934", "05_gru.ipynb", 4.0, worth=5.0),
        graded("smithbob_340934", "06_gru_more.ipynb", 3.0, worth=5.0),
        graded("müllerjürgen_340935", "05_gru.ipynb", 5.0, worth=5.0),
        graded("müllerjürgen_340935", "06_gru_more.ipynb", 0.0, worth=5.0, submitted=False),
    ]
    worth = {"05_gru.ipynb": 5.0, "06_gru_more.ipynb": 5.0}
    mapping = ["05_gru=Homework 5", "06_gru_more=Homework 5"]
    columns, _ = plan_canvas_columns(worth, roster, mapping, new_columns=True)
    assert len(columns) == 1 and columns[0].notebooks == ("05_gru.ipynb", "06_gru_more.ipynb")
    write_canvas_csv(results, roster, columns, tmp_path / "new.csv", ids=IDS)
    rows = read(tmp_path / "new.csv")
    assert rows[0][5] == "Homework 5" and rows[1][5] == "10.00"  # what the new one is worth
    assert [r[5] for r in rows[2:]] == ["7.00", "5.00"]


def test_a_column_with_nothing_handed_in_keeps_the_exports_value(roster, tmp_path):
    results = [graded("smithbob_340934", LSTM, 9.0)]
    results.append(graded("smithbob_340934", "01_sequences_hidden_state.ipynb", 0, submitted=False))
    worth = {"01_sequences_hidden_state.ipynb": 10.0, LSTM: 10.0}
    columns, _ = plan_canvas_columns(worth, roster, ["01_sequences_hidden_state=5550"])
    write_canvas_csv(results, roster, columns, tmp_path / "c.csv", ids=IDS)
    (bob,) = read(tmp_path / "c.csv")[2:]
    assert bob[5:] == ["7.00", "9.00"]  # week 1's 7.00 as exported: no change in Canvas


def test_names_are_matched_in_any_script_and_no_cell_is_a_formula(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,Homework 4: LSTM (5551)\n"
        "    Points Possible,,,,,10.00\n"
        '"=cmd, Eve",77,+S7,@eve,-A,\n',
        encoding="utf-8",
    )
    roster = read_roster(path)
    columns, _ = plan_canvas_columns({LSTM: 10.0}, roster)
    write_canvas_csv(
        [graded("eve", LSTM, 5.0)], roster, columns, tmp_path / "c.csv", ids={"eve": "77"}
    )
    (eve,) = read(tmp_path / "c.csv")[2:]
    assert eve == ["'=cmd, Eve", "77", "'+S7", "'@eve", "'-A", "5.00"]
    matched, unknown = match_roster(
        read_roster_week1(tmp_path), ["Jürgen Müller", "xwang", "nobody"]
    )
    assert matched == {"340935": "Jürgen Müller", "340936": "xwang"} and unknown == ["nobody"]


def read_roster_week1(tmp_path):
    (tmp_path / "w1.csv").write_text(CANVAS_EXPORT_WEEK1, encoding="utf-8")
    return read_roster(tmp_path / "w1.csv")


def test_a_file_that_is_no_canvas_export_is_refused(tmp_path):
    (tmp_path / "bad.csv").write_text("Name,Email\nx,y\n")
    with pytest.raises(ValueError, match="`--roster` must be a Canvas gradebook export.*lacks"):
        read_roster(tmp_path / "bad.csv")


def test_the_rule_matches_words_not_substrings(roster):
    assert [a.id for a in rule_matches(LSTM, roster)] == ["5551"]
    assert rule_matches("14_lstm.ipynb", roster) == []
