"""A term with `rnn-course grade`: weeks 1 and 2 from Canvas archives, one week from Moodle.

Real archives (Unicode names, a late file, a damaged entry, an escaping path), a roster in
the exact layout of a Canvas gradebook export taken after week 1, a Moodle 4.1 archive and
its grading worksheet. What each file holds is asserted: the week-2 import cannot touch
week 1, nobody who handed something in vanishes, and what was not graded is listed last.
"""

import csv
import json
import sys

import pytest

from course_lib.cli import main
from course_lib.grading.notebook_format import dumps, grade_id, read_notebook
from tests.lms_archives import MOODLE_WORKSHEET as WORKSHEET
from tests.lms_archives import damage, make_zip
from tests.test_cli import KERNEL_OPTIONS, RELEASE, SOLUTIONS, rnn_course

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="graded in the sandbox: Linux"),
]

# Exported from Canvas after week 1: Homework 1 graded (Bob 5.00), Homework 2 not yet.
ROSTER_AFTER_WEEK_1 = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Homework 1: Basics (5550),"
    "Homework 2: More (5551),Current Points,Final Points,Current Score,Final Score\n"
    "    Points Possible,,,,,5.00,10.00,(read only),(read only),(read only),(read only)\n"
    '"Smith, Bob",340934,S1,bsmith,A,5.00,,5.00,5.00,100.00,33.33\n'
    '"Müller, Jürgen",340935,S2,jmuller,A,2.00,,2.00,2.00,40.00,13.33\n'
    '"王, 小明",340936,S3,xwang,B,,,,,,\n'
    '"Absent, Amy",88,S4,amy,A,4.00,,4.00,4.00,80.00,26.67\n'
)


def solved(name: str) -> bytes:
    """The released notebook `name` with the solutions' code in its solution cells."""
    nb = read_notebook(RELEASE / name)
    solution = {grade_id(c): c.source for c in read_notebook(SOLUTIONS / name).cells}
    for cell in nb.cells:
        if (grade_id(cell) or "").endswith("-solution"):
            cell.source = solution[grade_id(cell)]
    return dumps(nb).encode("utf-8")


def released(name: str) -> bytes:
    return (RELEASE / name).read_bytes()


def grade(tmp_path, *args):
    done = rnn_course("grade", *args, "--release", str(RELEASE), *KERNEL_OPTIONS, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return done


def rows(path):
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


def test_weeks_1_and_2_from_canvas(tmp_path):
    (tmp_path / "roster.csv").write_text(ROSTER_AFTER_WEEK_1, encoding="utf-8-sig")
    week1 = make_zip(
        tmp_path / "week1.zip",
        {
            "smithbob_340934_9001_01_basics.ipynb": solved("01_basics.ipynb"),
            "müllerjürgen_late_340935_9002_01_basics.ipynb": released("01_basics.ipynb"),
            "王小明_340936_9003_01_basics.ipynb": solved("01_basics.ipynb"),
            "strangerx_555_9004_01_basics.ipynb": solved("01_basics.ipynb"),
            "../../evil_1_2_01_basics.ipynb": b"{}",
            "eve\x1b[2J_7_9005_notes.txt": b"hello",
        },
    )
    damage(week1, "王小明_340936_9003_01_basics.ipynb", crc=1)  # damaged on the way
    done = grade(
        tmp_path, "week1.zip", "--out", "w1.csv", "--roster", "roster.csv", "--workers", "2",
        "--canvas-column", "01_basics=5550", "--late-penalty", "10%", "--wide", "w1-wide.csv",
        "--gradescope", "gs", "--feedback", "fb",
    )  # fmt: skip
    out = done.stdout
    assert "Unpacked 3 notebooks of 4 students (canvas archive, 1 marked late)" in out
    assert "Assignment: 01_basics.ipynb (those the submissions contain)" in out
    assert "Canvas: 01_basics.ipynb -> Homework 1: Basics (5550) [--canvas-column]" in out
    assert "\x1b" not in out and "eve\\x1b[2J" in out  # the hostile name is shown inert
    # The summary comes last and says what was not graded and why.
    summary = out[out.index("Not graded, and why") :]
    assert "../../evil_1_2_01_basics.ipynb: refused: a path with '..'" in summary
    assert "王小明_340936_9003_01_basics.ipynb: refused: it fails its CRC-32 check" in summary
    assert "strangerx_555: not in the roster roster.csv" in summary
    assert "eve\\x1b[2J_7_9005_notes.txt: the file name carries no student" in summary
    long = rows(tmp_path / "w1.csv")
    assert {r[0] for r in long[1:]} == {
        "smithbob_340934",
        "müllerjürgen_340935",
        "王小明_340936",
        "strangerx_555",
    }
    assert {r[1] for r in long[1:]} == {"01_basics.ipynb"}  # the assignment, not the course
    jurgen = [r for r in long if r[0] == "müllerjürgen_340935"]
    assert {r[-1] for r in jurgen} == {"late"}
    xiaoming = [r[6] for r in long if r[0] == "王小明_340936"]
    assert xiaoming[0].startswith("your 01_basics.ipynb was handed in but could not be unpacked")
    canvas = rows(tmp_path / "w1-canvas.csv")
    assert canvas[0][5:] == ["Homework 1: Basics (5550)"] and canvas[1][5:] == [""]
    assert canvas[2:] == [
        ["Smith, Bob", "340934", "S1", "bsmith", "A", "5.00"],
        ["Müller, Jürgen", "340935", "S2", "jmuller", "A", "0.00"],
    ]  # Xiaoming's file was damaged: nothing handed in that could be read; Amy: absent
    gs = json.loads((tmp_path / "gs" / "smithbob_340934" / "results.json").read_text())
    assert [t["name"] for t in gs["tests"]] == [
        "01_basics.ipynb: Exercise 1.1",
        "01_basics.ipynb: Exercise 1.2",
    ]
    assert "Handed in late" in (tmp_path / "fb" / "müllerjürgen_340935.md").read_text()

    # Week 2, with the roster exported after week 1: only Homework 2 is in the import.
    make_zip(
        tmp_path / "week2.zip",
        {
            "smithbob_340934_9101_02_more.ipynb": solved("02_more.ipynb"),
            "müllerjürgen_340935_9102_02_more.ipynb": released("02_more.ipynb"),
        },
    )
    grade(
        tmp_path,
        "week2.zip",
        "--out",
        "w2.csv",
        "--roster",
        "roster.csv",
        "--scale-points",
        "--workers",
        "2",
    )
    canvas = rows(tmp_path / "w2-canvas.csv")
    assert canvas[0] == [
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        "Homework 2: More (5551)",
    ]
    assert canvas[2:] == [
        ["Smith, Bob", "340934", "S1", "bsmith", "A", "10.00"],  # 1 of 1 point is 10 of 10
        ["Müller, Jürgen", "340935", "S2", "jmuller", "A", "0.00"],
    ]  # Bob's Homework 1 (5.00) is in no column: Canvas keeps it


def test_a_week_from_moodle_4_1_folders(tmp_path):
    (tmp_path / "worksheet.csv").write_text(WORKSHEET, encoding="utf-8")
    make_zip(
        tmp_path / "moodle.zip",
        {
            "Ada Lovelace_1234_assignsubmission_file/01_basics.ipynb": solved("01_basics.ipynb"),
            "Zoë Müller-Łukasik_77_assignsubmission_file/work/01_basics.ipynb": released(
                "01_basics.ipynb"
            ),
        },
    )
    done = grade(
        tmp_path, "moodle.zip", "--out", "m.csv", "--moodle-worksheet", "worksheet.csv",
        "--scale-points", "--notebooks", "01_basics", "--workers", "2",
    )  # fmt: skip
    assert "Moodle: grades scaled from 5 points to the maximum grade 10" in done.stdout
    assert "Everything handed in was graded." in done.stdout
    upload = rows(tmp_path / "m-moodle.csv")
    assert upload[0] == rows(tmp_path / "worksheet.csv")[0]
    assert [(r[0], r[4]) for r in upload[1:]] == [
        ("Participant 1234", "10.00"),
        ("Participant 77", "0.00"),
    ]


def test_inputs_are_checked_before_anything_is_graded(tmp_path, capsys):
    (tmp_path / "class" / "alice").mkdir(parents=True)
    (tmp_path / "class" / "alice" / "01_basics.ipynb").write_bytes(released("01_basics.ipynb"))
    base = ["grade", str(tmp_path / "class"), "--release", str(RELEASE), "--no-sandbox"]
    out = ["--out", str(tmp_path / "g.csv")]
    for extra, message in [
        (["--roster", str(tmp_path / "typo.csv")], "No such file"),
        ([*out, "--canvas", "c.csv"], "--canvas needs --roster FILE"),
        (["--out", str(tmp_path / "class")], "--out"),
        ([*out, "--notebooks", "99_none"], "`--notebooks` must name released notebooks"),
        ([*out, "--late-penalty", "150%"], "`--late-penalty` must be a share"),
        ([*out, "--scale-points"], "apply to the LMS files"),
    ]:
        args = [*base, *extra] if "--out" in extra else [*base, *out, *extra]
        assert main(args) == 2, extra
        err = capsys.readouterr().err
        assert "nothing was graded" in err and message in err, err
    assert not (tmp_path / "g.csv").exists()
