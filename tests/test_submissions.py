"""LMS archives -> one folder per student: one test per supported naming pattern, and safety."""

import stat
import zipfile

import pytest

from course_lib.grading.class_grading import student_folders
from course_lib.grading.outcomes import ExerciseResult, NotebookResult
from course_lib.grading.submissions import (
    MAX_NAME_BYTES,
    ParsedName,
    describe,
    explain_refused,
    not_graded,
    parse_entry,
    safe_folder_name,
    unpack_archive,
)
from tests.lms_archives import NB, damage, deflate64_zip, make_zip

RELEASED = ["01_basics.ipynb", "02_more.ipynb"]


def test_canvas_names(tmp_path):
    archive = make_zip(
        tmp_path / "submissions.zip",
        {
            "smithbob_340934_208490284_01_basics.ipynb": NB,
            "smithbob_340934_208490285_weights.npz": b"data",
            "jonesann_late_1002_2001_02_more-1.ipynb": NB,  # late, resubmitted
            "lopezluis_LATE_1003_2002_01_basics.ipynb": NB,
        },
    )
    unpacked = unpack_archive(archive, tmp_path / "class", RELEASED)
    assert unpacked.layout == "canvas"
    assert unpacked.students == {
        "jonesann_1002": "1002",
        "lopezluis_1003": "1003",
        "smithbob_340934": "340934",
    }
    assert (tmp_path / "class" / "smithbob_340934" / "01_basics.ipynb").read_bytes() == NB
    assert (tmp_path / "class" / "smithbob_340934" / "weights.npz").read_bytes() == b"data"
    assert (tmp_path / "class" / "jonesann_1002" / "02_more.ipynb").is_file()
    assert unpacked.unknown == [] and unpacked.refused == []


def test_moodle_names_flat_and_in_folders(tmp_path):
    archive = make_zip(
        tmp_path / "moodle.zip",
        {
            "Ada Lovelace_1234_assignsubmission_file_01_basics.ipynb": NB,
            "Zoë Müller-Łukasik_77_assignsubmission_file_/02_more.ipynb": NB,
            "Zoë Müller-Łukasik_77_assignsubmission_file_/data.csv": b"x,y",
        },
    )
    unpacked = unpack_archive(archive, tmp_path / "class", RELEASED)
    assert unpacked.layout == "moodle"
    assert unpacked.students == {"Ada Lovelace_1234": "1234", "Zoë Müller-Łukasik_77": "77"}
    assert (tmp_path / "class" / "Zoë Müller-Łukasik_77" / "02_more.ipynb").is_file()
    assert (tmp_path / "class" / "Zoë Müller-Łukasik_77" / "data.csv").read_bytes() == b"x,y"


def test_one_folder_per_student(tmp_path):
    archive = make_zip(
        tmp_path / "repos.zip",
        {"alice/01_basics.ipynb": NB, "bob/exercises/02_more.ipynb": NB},
    )
    unpacked = unpack_archive(archive, tmp_path / "class", RELEASED)
    assert unpacked.layout == "folders"
    assert set(unpacked.students) == {"alice", "bob"}
    assert (tmp_path / "class" / "bob" / "02_more.ipynb").is_file()


def test_unknown_names_are_listed_never_dropped(tmp_path):
    archive = make_zip(
        tmp_path / "submissions.zip",
        {
            "notes.txt": b"hello",
            "smithbob_340934_208490284_homework.ipynb": NB,
            "smithbob_340934_208490286_01_basics.ipynb": NB,
            "smithbob_340934_208490287_01_basics-1.ipynb": NB,
        },
    )
    unpacked = unpack_archive(archive, tmp_path / "class", RELEASED)
    reasons = dict(unpacked.unknown)
    assert "carries no student" in reasons["notes.txt"]
    assert (
        "homework.ipynb is no released notebook"
        in reasons["smithbob_340934_208490284_homework.ipynb"]
    )
    # The newer attachment (larger Canvas id) is graded, whatever the names' order.
    assert reasons["smithbob_340934_208490286_01_basics.ipynb"] == (
        "smithbob: a second 01_basics.ipynb; graded the newer "
        "smithbob_340934_208490287_01_basics-1.ipynb"
    )
    assert len(unpacked.unknown) == 3 and not_graded(unpacked) == unpacked.unknown


def test_entries_escaping_the_folder_are_refused_and_the_rest_unpacked(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("../escaped_1_2_01_basics.ipynb", NB)
        zipped.writestr("/etc/evil_1_2_01_basics.ipynb", NB)
        zipped.writestr("alice/../../up.ipynb", NB)
        link = zipfile.ZipInfo("mallory_5_6_01_basics.ipynb")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zipped.writestr(link, "/etc/passwd")
        zipped.writestr("smithbob_340934_208490284_01_basics.ipynb", NB)
    unpacked = unpack_archive(archive, tmp_path / "class", RELEASED)
    refused = dict(unpacked.refused)
    assert len(refused) == 4
    assert "outside the extraction folder" in refused["../escaped_1_2_01_basics.ipynb"]
    assert "an absolute path" in refused["/etc/evil_1_2_01_basics.ipynb"]
    assert "'..'" in refused["alice/../../up.ipynb"]
    assert "a symbolic link" in refused["mallory_5_6_01_basics.ipynb"]
    assert not (tmp_path / "escaped_1_2_01_basics.ipynb").exists()
    assert not (tmp_path / "up.ipynb").exists()
    assert list(unpacked.students) == ["smithbob_340934"]  # grading goes on
    assert not_graded(unpacked)[0] == (
        "../escaped_1_2_01_basics.ipynb",
        refused["../escaped_1_2_01_basics.ipynb"],
    )


def test_oversized_files_and_non_zip(tmp_path):
    archive = make_zip(tmp_path / "big.zip", {"smithbob_1_2_01_basics.ipynb": b"x" * 100})
    unpacked = unpack_archive(archive, tmp_path / "class", RELEASED, max_bytes=10)
    assert "larger than" in unpacked.refused[0][1]
    (tmp_path / "not.zip").write_text("no")
    with pytest.raises(ValueError, match="`archive` must be a readable zip file"):
        unpack_archive(tmp_path / "not.zip", tmp_path / "c2", RELEASED)


def test_parse_entry_examples():
    assert parse_entry("smithbob_late_340934_208490284_04_lstm-1.ipynb") == ParsedName(
        "canvas", "smithbob", "340934", "04_lstm-1.ipynb", late=True, order=208490284
    )
    assert parse_entry("Ada Lovelace_1234_assignsubmission_file_04_lstm.ipynb") == ParsedName(
        "moodle", "Ada Lovelace", "1234", "04_lstm.ipynb"
    )
    assert parse_entry("04_lstm.ipynb") is None


def test_a_folder_wrapping_the_class_is_not_a_student(tmp_path):
    archive = make_zip(
        tmp_path / "class.zip",
        {"class/alice/01_basics.ipynb": NB, "class/bob/work/02_more.ipynb": NB},
    )
    unpacked = unpack_archive(archive, tmp_path / "out", RELEASED)
    assert set(unpacked.students) == {"alice", "bob"} and unpacked.unknown == []
    assert (tmp_path / "out" / "bob" / "02_more.ipynb").is_file()


def test_canvas_names_in_any_script_are_graded_and_the_late_flag_kept(tmp_path):
    # Canvas keeps every Unicode word character of "lastfirst" in download names.
    archive = make_zip(
        tmp_path / "submissions.zip",
        {
            "müllerjürgen_340935_208490290_01_basics.ipynb": NB,
            "王小明_late_340936_208490291_01_basics.ipynb": NB,
            "_underscoreuna_LATE_340937_208490292_02_more.ipynb": NB,
            "ñúñezinés_340938_208490293_data.csv": b"x,y",
        },
    )
    unpacked = unpack_archive(archive, tmp_path / "class", RELEASED)
    assert unpacked.layout == "canvas" and unpacked.unknown == [] and unpacked.refused == []
    assert unpacked.students == {
        "müllerjürgen_340935": "340935",
        "王小明_340936": "340936",
        "_underscoreuna_340937": "340937",
        "ñúñezinés_340938": "340938",
    }
    assert unpacked.late == {
        ("王小明_340936", "01_basics.ipynb"),
        ("_underscoreuna_340937", "02_more.ipynb"),
    }
    assert (tmp_path / "class" / "王小明_340936" / "01_basics.ipynb").read_bytes() == NB
    # Every student who handed something in is graded: no folder is skipped.
    assert {p.name for p in student_folders(tmp_path / "class")} == set(unpacked.students)


def test_moodle_4_1_folders_nested_files_blind_marking_and_3_x_folders(tmp_path):
    archive = make_zip(
        tmp_path / "moodle.zip",
        {
            "Ada Lovelace_1234_assignsubmission_file/01_basics.ipynb": NB,
            "Ada Lovelace_1234_assignsubmission_onlinetext/onlinetext.html": b"<p>hi</p>",
            "Zoë Müller-Łukasik_77_assignsubmission_file/work/02_more.ipynb": NB,
            "Zoë Müller-Łukasik_77_assignsubmission_file/work/data.csv": b"x,y",
            "Participant_88_assignsubmission_file/01_basics.ipynb": NB,  # blind marking
            "Grace Hopper_99_assignsubmission_file_/01_basics.ipynb": NB,  # Moodle 3.1-4.0
        },
    )
    unpacked = unpack_archive(archive, tmp_path / "class", RELEASED)
    assert unpacked.layout == "moodle" and unpacked.unknown == []
    assert unpacked.students == {
        "Ada Lovelace_1234": "1234",
        "Grace Hopper_99": "99",
        "Participant_88": "88",
        "Zoë Müller-Łukasik_77": "77",
    }
    assert (tmp_path / "class" / "Zoë Müller-Łukasik_77" / "02_more.ipynb").read_bytes() == NB
    assert (tmp_path / "class" / "Zoë Müller-Łukasik_77" / "data.csv").read_bytes() == b"x,y"
    assert (tmp_path / "class" / "Ada Lovelace_1234" / "onlinetext.html").is_file()
    assert set(unpacked.notebooks) == {
        ("Ada Lovelace_1234", "01_basics.ipynb"),
        ("Zoë Müller-Łukasik_77", "02_more.ipynb"),
        ("Participant_88", "01_basics.ipynb"),
        ("Grace Hopper_99", "01_basics.ipynb"),
    }


def test_odd_leading_characters_are_kept_or_made_safe_and_nobody_vanishes(tmp_path):
    names = ["_Una Under", "(Bob) Builder", "=Eve Formula", "@lice At", ".Dot Hidden", "-Minus"]
    entries = {f"{n}_{i}_assignsubmission_file/01_basics.ipynb": NB for i, n in enumerate(names)}
    unpacked = unpack_archive(make_zip(tmp_path / "m.zip", entries), tmp_path / "class", RELEASED)
    assert sorted(unpacked.students) == sorted(
        [
            "_Una Under_0",
            "(Bob) Builder_1",
            "=Eve Formula_2",
            "@lice At_3",
            "_Dot Hidden_4",
            "-Minus_5",
        ]
    )
    assert len(student_folders(tmp_path / "class")) == len(names)
    assert safe_folder_name('a/b\\c:d*e?f"g<h>i|j\x1bk') == "a_b_c_d_e_f_g_h_i_j_k"
    assert safe_folder_name("NUL.txt") == "_NUL.txt" and safe_folder_name(" .. ") == "_"
    assert safe_folder_name("Jr. ") == "Jr" and safe_folder_name("...") == "_"


def test_names_of_300_characters_are_capped_and_stay_distinct(tmp_path):
    long_a, long_b = "a" * 300, "a" * 299 + "b"
    archive = make_zip(
        tmp_path / "long.zip",
        {
            f"{long_a}_1_2_01_basics.ipynb": NB,
            f"{long_b}_3_4_01_basics.ipynb": NB,
            f"smithbob_5_6_{'d' * 300}.csv": b"data",
        },
    )
    unpacked = unpack_archive(archive, tmp_path / "class", RELEASED)
    assert unpacked.refused == [] and len(unpacked.notebooks) == 2
    folders = sorted(unpacked.students)
    assert len(folders) == 3 and folders[0] != folders[1]
    assert all(len(f.encode()) <= MAX_NAME_BYTES for f in folders)
    assert folders[0].endswith("_1") and folders[1].endswith("_3")  # the id is kept whole
    (data,) = (tmp_path / "class" / "smithbob_5").iterdir()
    assert data.suffix == ".csv" and len(data.name.encode()) <= MAX_NAME_BYTES


def test_one_bad_entry_spoils_only_itself(tmp_path):
    good = {f"good{i}_{i}_{i}_01_basics.ipynb": NB for i in range(3)}
    bad = {
        "crc_10_1_01_basics.ipynb": NB,
        "liar_11_1_01_basics.ipynb": NB,
        "locked_12_1_01_basics.ipynb": NB,
        "utf_13_1_é.ipynb": NB,
    }
    archive = deflate64_zip(tmp_path / "class.zip", "win_14_1_01_basics.ipynb", NB, {**good, **bad})
    damage(archive, "crc_10_1_01_basics.ipynb", crc=1)
    damage(archive, "liar_11_1_01_basics.ipynb", file_size=5)
    damage(archive, "locked_12_1_01_basics.ipynb", flags=0x1)
    damage(archive, "utf_13_1_é.ipynb", rename=b"utf_13_1_\xff\xfe.ipynb")
    with pytest.raises(UnicodeDecodeError):
        zipfile.ZipFile(archive)  # before: the whole archive was unreadable
    unpacked = unpack_archive(archive, tmp_path / "out", RELEASED)
    refused = dict(unpacked.refused)
    assert "fails its CRC-32 check" in refused["crc_10_1_01_basics.ipynb"]
    assert "holds more than the 5 bytes" in refused["liar_11_1_01_basics.ipynb"]
    assert "encrypted" in refused["locked_12_1_01_basics.ipynb"]
    assert "Deflate64" in refused["win_14_1_01_basics.ipynb"]
    assert "not valid UTF-8" in refused["utf_13_1_\\xff\\xfe.ipynb"]
    assert len(refused) == 5
    assert len(unpacked.notebooks) == 3 and unpacked.refused == not_graded(unpacked)
    # Whoever handed something in is graded (as missing here), nothing half-written is left.
    assert sorted(unpacked.students) == [
        "crc_10", "good0_0", "good1_1", "good2_2", "liar_11", "locked_12", "utf_13", "win_14",
    ]  # fmt: skip
    assert list((tmp_path / "out" / "crc_10").iterdir()) == []
    # Their grades say why: the notebook was handed in but could not be unpacked.
    missing = NotebookResult("crc_10", "01_basics.ipynb", submitted=False)
    missing.results = [ExerciseResult("crc_10", "01_basics.ipynb", "1.1", 0, 2, "missing", "?")]
    (explained,) = explain_refused([missing], unpacked)
    assert explained.results[0].message == (
        "your 01_basics.ipynb was handed in but could not be unpacked from the archive: "
        "it fails its CRC-32 check (damaged); nothing of it was graded"
    )
    assert unpacked.refused_notebooks[("win_14", "01_basics.ipynb")].startswith(
        "it is compressed with Deflate64"
    )


def test_the_summary_line_is_printable_whatever_the_names(tmp_path):
    archive = make_zip(tmp_path / "s.zip", {"eve\x1b[2J_1_2_01_basics.ipynb": NB})
    unpacked = unpack_archive(archive, tmp_path / "class", RELEASED)
    (line,) = describe(unpacked)
    assert "\x1b" not in line and line.startswith("Unpacked 0 notebooks")
