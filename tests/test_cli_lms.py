"""`rnn-course grade` on a Canvas "download submissions" zip, writing every gradebook."""

import csv
import json
import zipfile

import pytest

from course_lib.cli import main
from tests.test_cli import KERNEL_OPTIONS, RELEASE, rnn_course, solved_copy

pytestmark = pytest.mark.slow

ROSTER = (
    "Student,ID,SIS User ID,SIS Login ID,Section\n"
    "    Points Possible,,,,\n"
    '"Smith, Bob",340934,S1,bsmith,A\n'
    '"Núñez, Inés",1002,S2,inunez,B\n'
    '"Absent, Amy",88,S3,amy,A\n'
)


def test_grade_a_canvas_archive_into_every_gradebook(tmp_path):
    solved_copy(tmp_path / "solved.ipynb")
    with zipfile.ZipFile(tmp_path / "submissions.zip", "w") as zipped:
        zipped.write(tmp_path / "solved.ipynb", "smithbob_340934_208490284_01_basics.ipynb")
        zipped.write(RELEASE / "01_basics.ipynb", "nunezines_late_1002_2001_01_basics-1.ipynb")
        zipped.write(RELEASE / "02_more.ipynb", "strangerx_555_2002_02_more.ipynb")
        zipped.writestr("../../evil_1_2_01_basics.ipynb", "{}")
        zipped.writestr("readme.txt", "hello")
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    done = rnn_course(
        "grade",
        "submissions.zip",
        "--out",
        "grades.csv",
        "--release",
        str(RELEASE),
        "--workers",
        "2",
        "--wide",
        "wide.csv",
        "--roster",
        "roster.csv",
        "--gradescope",
        "gradescope",
        *KERNEL_OPTIONS,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Unpacked 3 notebooks of 3 students (canvas archive)" in out
    assert "REFUSED ../../evil_1_2_01_basics.ipynb: refused: a path with '..'" in out
    assert "not graded: readme.txt: the file name carries no student" in out
    assert "strangerx_555 is not in the roster" in done.stderr
    assert not (tmp_path.parent / "evil_1_2_01_basics.ipynb").exists()
    with (tmp_path / "grades.csv").open(encoding="utf-8") as handle:
        long = [(r["student"], r["exercise"], r["status"]) for r in csv.DictReader(handle)]
    assert ("smithbob_340934", "1.1", "passed") in long and len(long) == 9
    with (tmp_path / "wide.csv").open(encoding="utf-8-sig") as handle:
        wide = list(csv.reader(handle))
    assert wide[0] == ["student", "01_basics", "02_more", "total"]
    assert ["smithbob_340934", "5.00", "0.00", "5.00"] in wide
    with (tmp_path / "grades-canvas.csv").open(encoding="utf-8-sig") as handle:
        canvas = list(csv.reader(handle))
    assert canvas[0] == [
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        "01_basics",
        "02_more",
    ]
    assert canvas[2] == ["Smith, Bob", "340934", "S1", "bsmith", "A", "5.00", "0.00"]
    assert canvas[3][:2] == ["Núñez, Inés", "1002"] and canvas[3][5:] == ["0.00", "0.00"]
    assert canvas[4][:2] == ["Absent, Amy", "88"] and len(canvas) == 5
    result = json.loads((tmp_path / "gradescope" / "smithbob_340934" / "results.json").read_text())
    assert result["score"] == 5.0 and len(result["tests"]) == 3


def test_canvas_output_needs_a_roster(tmp_path, capsys):
    args = ["grade", str(tmp_path), "--out", str(tmp_path / "g.csv"), "--canvas", "c.csv"]
    assert main(args) == 2
    assert "--canvas needs --roster FILE" in capsys.readouterr().err
