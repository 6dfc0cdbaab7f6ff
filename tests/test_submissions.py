"""LMS archives -> one folder per student: one test per supported naming pattern, and safety."""

import stat
import zipfile

import pytest

from course_lib.grading.submissions import describe, parse_entry, unpack_archive

RELEASED = ["01_basics.ipynb", "02_more.ipynb"]
NB = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def make_zip(path, entries):
    with zipfile.ZipFile(path, "w") as zipped:
        for name, data in entries.items():
            zipped.writestr(name, data)
    return path


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
    assert "a second 01_basics.ipynb" in reasons["smithbob_340934_208490287_01_basics-1.ipynb"]
    assert len(unpacked.unknown) == 3
    assert any(line.startswith("not graded: notes.txt") for line in describe(unpacked))


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
    assert any(line.startswith("REFUSED ../escaped") for line in describe(unpacked))


def test_oversized_files_and_non_zip(tmp_path):
    archive = make_zip(tmp_path / "big.zip", {"smithbob_1_2_01_basics.ipynb": b"x" * 100})
    unpacked = unpack_archive(archive, tmp_path / "class", RELEASED, max_bytes=10)
    assert "larger than" in unpacked.refused[0][1]
    (tmp_path / "not.zip").write_text("no")
    with pytest.raises(ValueError, match="`archive` must be a zip file"):
        unpack_archive(tmp_path / "not.zip", tmp_path / "c2", RELEASED)


def test_parse_entry_examples():
    assert parse_entry("smithbob_late_340934_208490284_04_lstm-1.ipynb") == (
        "canvas",
        "smithbob",
        "340934",
        "04_lstm-1.ipynb",
    )
    assert parse_entry("Ada Lovelace_1234_assignsubmission_file_04_lstm.ipynb") == (
        "moodle",
        "Ada Lovelace",
        "1234",
        "04_lstm.ipynb",
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
