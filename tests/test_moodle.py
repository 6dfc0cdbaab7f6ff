"""The Moodle grading worksheet comes back with grades filled in, keyed on participant ids."""

import csv

import pytest

from course_lib.grading.moodle import plan_moodle, read_worksheet, write_moodle_worksheet
from course_lib.grading.outcomes import ExerciseResult, NotebookResult
from tests.lms_archives import MOODLE_WORKSHEET as WORKSHEET


def graded(student, notebook, points, worth, submitted=True):
    result = NotebookResult(student, notebook, submitted=submitted)
    result.results = [ExerciseResult(student, notebook, "1", points, worth, "partial")]
    return result


@pytest.fixture
def worksheet(tmp_path):
    (tmp_path / "worksheet.csv").write_text(WORKSHEET, encoding="utf-8")
    return read_worksheet(tmp_path / "worksheet.csv")


def read(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_grades_go_to_participant_ids_and_nothing_else_changes(worksheet, tmp_path):
    results = [
        graded("Ada Lovelace_1234", "04_lstm.ipynb", 8.0, 10.0),
        graded("Zoë Müller-Łukasik_77", "04_lstm.ipynb", 10.0, 10.0),
        graded("Stranger_5", "04_lstm.ipynb", 10.0, 10.0),
    ]
    ids = {"Ada Lovelace_1234": "1234", "Zoë Müller-Łukasik_77": "77", "Stranger_5": "5"}
    report = write_moodle_worksheet(results, worksheet, tmp_path / "upload.csv", ids=ids)
    rows = read(tmp_path / "upload.csv")
    assert not (tmp_path / "upload.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    original = read(tmp_path / "worksheet.csv")
    assert rows[0] == original[0]  # the header Moodle's importer looks for, as downloaded
    assert rows[1] == [*original[1][:4], "8.00", *original[1][5:]]
    assert rows[2] == [*original[2][:4], "10.00", *original[2][5:]]
    assert len(rows) == 3  # Grace handed nothing in: her row (and her 7.00) stays out
    assert report.written == ["1234", "77"] and report.left_out == ["88"]
    assert report.unknown == ["Stranger_5"]


def test_zeros_scaling_and_names_when_the_folders_carry_no_id(worksheet, tmp_path):
    results = [
        graded("ada_lovelace", "a.ipynb", 3.0, 4.0),
        graded("ada_lovelace", "b.ipynb", 3.0, 4.0),
    ]
    write_moodle_worksheet(results, worksheet, tmp_path / "u.csv", zeros=True, scale=True)
    rows = read(tmp_path / "u.csv")
    assert [r[4] for r in rows[1:]] == ["7.50", "0.00", "0.00"]  # 6 of 8 is 7.5 of 10
    assert rows[3][9] == "-good start"  # the teacher's feedback is written back unchanged


def test_points_that_do_not_fit_the_maximum_grade_stop_before_grading(worksheet):
    with pytest.raises(ValueError, match="Moodle skips a grade above its maximum"):
        plan_moodle(12.0, worksheet)
    assert plan_moodle(12.0, worksheet, scale=True) == [
        "Moodle: grades scaled from 12 points to the maximum grade 10"
    ]
    assert "--scale-points writes them out of 10" in plan_moodle(8.0, worksheet)[0]


def test_worksheets_that_cannot_be_used_are_refused_and_other_languages_read(tmp_path):
    (tmp_path / "roster.csv").write_text("Student,ID\nx,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="`--moodle-worksheet` must be .* no column 'Grade'"):
        read_worksheet(tmp_path / "roster.csv")
    scale = WORKSHEET.replace("Maximum grade", "Scale").replace(",10.00,", ",Good,")
    (tmp_path / "scale.csv").write_text(scale, encoding="utf-8")
    with pytest.raises(ValueError, match="must be graded in points, not a scale"):
        read_worksheet(tmp_path / "scale.csv")
    german = WORKSHEET.replace("Identifier", "ID").replace(",Grade,", ",Bewertung,")
    german = german.replace("Participant ", "Teilnehmer/in")
    (tmp_path / "de.csv").write_text(german, encoding="utf-8")
    sheet = read_worksheet(tmp_path / "de.csv", grade_column="Bewertung")
    assert sheet.max_grade == 10.0 and sheet.participant(sheet.rows[0]) == "1234"
