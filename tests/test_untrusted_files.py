"""The grader's own process against what a hostile sandbox or submission hands it: links,
FIFOs, oversized and forged files, forged probe records, folders it cannot remove.

Each attack is shown succeeding against the plain way of doing the thing (`open()`, a decoder
without a budget, `shutil.rmtree`) and held by the grader's way.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from course_lib.checks import records
from course_lib.checks.records import Budget, ProbeError, load_probe
from course_lib.grading import sandbox
from course_lib.grading.result_file import ResultFileError, read_result, write_result
from course_lib.grading.sandbox import GradingFolder, remove_tree
from course_lib.grading.untrusted_files import (
    UntrustedFileError,
    copy_regular_file,
    read_bytes,
    read_text,
)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux file types")


def blocks(function, seconds: float = 1.0) -> bool:
    """Whether `function()` is still running after `seconds` (it is left in a daemon thread)."""
    thread = threading.Thread(target=function, daemon=True)
    thread.start()
    thread.join(seconds)
    return thread.is_alive()


def test_a_fifo_blocks_a_plain_open_but_not_the_grader(tmp_path):
    fifo = tmp_path / "result"
    os.mkfifo(fifo)
    assert blocks(lambda: open(fifo, "rb").read())  # the attack: the grader hangs for ever
    with pytest.raises(UntrustedFileError, match=r"^result is a FIFO \(a named pipe\)$"):
        read_bytes(fifo, 1024)
    os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # let the blocked thread go


def test_links_are_refused_and_their_target_never_quoted(tmp_path):
    secret = tmp_path / "teacher.txt"
    secret.write_text("CANVAS_API_TOKEN=7~s3cr3t")
    link = tmp_path / "01.ipynb"
    link.symlink_to(secret)
    assert "s3cr3t" in open(link).read()  # a plain open reads the teacher's file
    for read in (read_bytes, read_text):
        with pytest.raises(UntrustedFileError) as info:
            read(link, 1024)
        assert str(info.value) == "01.ipynb is a link"
    with pytest.raises(UntrustedFileError, match="is a link"):
        copy_regular_file(link, tmp_path / "copy", 1024)
    assert not (tmp_path / "copy").exists()


def test_devices_folders_and_oversized_files_are_refused(tmp_path):
    with pytest.raises(UntrustedFileError, match="^null is a device$"):
        read_bytes("/dev/null", 10)
    with pytest.raises(UntrustedFileError, match="is a folder"):
        read_bytes(tmp_path, 10)
    big = tmp_path / "big"
    big.write_bytes(b"x" * 11)
    with pytest.raises(UntrustedFileError, match=r"^big is larger than 10 bytes \(11\)$"):
        read_bytes(big, 10)
    assert read_bytes(big, 11) == b"x" * 11
    (tmp_path / "latin").write_bytes(b"caf\xe9 secret")
    with pytest.raises(UntrustedFileError, match=r"not UTF-8 text \(byte 3 cannot be decoded\)$"):
        read_text(tmp_path / "latin", 100)
    with pytest.raises(FileNotFoundError):
        read_bytes(tmp_path / "none", 10)


def test_copies_never_overwrite_or_follow_a_link(tmp_path):
    (tmp_path / "data.csv").write_text("1,2")
    (tmp_path / "target").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(FileExistsError):
        copy_regular_file(tmp_path / "data.csv", tmp_path / "target", 100)
    assert not (tmp_path / "elsewhere").exists()
    assert copy_regular_file(tmp_path / "data.csv", tmp_path / "copy.csv", 100) == 3


# -- the result file ------------------------------------------------------------------------


def result_with(tmp_path, header, tail=b""):
    path = tmp_path / "result"
    path.write_bytes(json.dumps(header).encode() + b"\n" + tail)
    returned = tmp_path / "returned"
    returned.mkdir()
    return path, returned


def test_the_result_file_round_trip(tmp_path):
    (tmp_path / "1.1.json").write_text("{}")
    (tmp_path / "1.1.npz").write_bytes(b"PK")
    path, returned = tmp_path / "result", tmp_path / "returned"
    returned.mkdir()
    files = [("1.1.json", tmp_path / "1.1.json"), ("1.1.npz", tmp_path / "1.1.npz")]
    write_result(path, [{"index": 0}], files, 1000)
    assert read_result(path, 1000, returned) == [{"index": 0}]
    assert sorted(p.name for p in returned.iterdir()) == ["1.1.json", "1.1.npz"]
    assert (returned / "1.1.npz").read_bytes() == b"PK"


@pytest.mark.parametrize(
    ("files", "tail", "message"),
    [
        ([{"name": "../grades.csv", "size": 1}], b"x", "returned files is malformed"),
        ([{"name": ".bashrc", "size": 1}], b"x", "returned files is malformed"),
        ([{"name": "a.json", "size": -1}], b"", "returned files is malformed"),
        ([{"name": "a.json", "size": 1}] * 2, b"xy", "returns a.json twice"),
    ],
)
def test_forged_result_files_are_refused(tmp_path, files, tail, message):
    path, returned = result_with(tmp_path, {"format": 1, "runs": [], "files": files}, tail)
    with pytest.raises(ResultFileError, match=message):
        read_result(path, 10_000, returned)
    assert not (tmp_path / "grades.csv").exists() and not (tmp_path / ".bashrc").exists()


def test_a_result_that_claims_more_than_it_holds_keeps_no_partial_file(tmp_path):
    files = [{"name": "a.json", "size": 2}, {"name": "b.npz", "size": 10**9}]
    path, returned = result_with(tmp_path, {"format": 1, "runs": [], "files": files}, b"{}xx")
    assert read_result(path, 10_000, returned) == []
    assert sorted(p.name for p in returned.iterdir()) == ["a.json"]  # b.npz was cut short


def test_a_result_without_its_json_line_or_too_large(tmp_path):
    path = tmp_path / "result"
    path.write_bytes(b"x" * 100)
    with pytest.raises(ResultFileError, match="does not start with one line of JSON"):
        read_result(path, 1000, tmp_path)
    with pytest.raises(ResultFileError, match=r"refused: result is larger than 99 bytes"):
        read_result(path, 99, tmp_path)
    path.unlink()
    os.mkfifo(path)
    with pytest.raises(ResultFileError, match=r"refused: result is a FIFO"):
        read_result(path, 1000, tmp_path)


# -- forged probe records -------------------------------------------------------------------


def forged_record(folder, references: int, array_bytes: int):
    """A record of one call whose result refers to one array `references` times."""
    folder.mkdir(exist_ok=True)
    result = {"t": "list", "v": [{"t": "array", "k": "a0"}] * references}
    record = {
        "format": 1,
        "exercise": "0.1",
        "seed": None,
        "calls": [{"name": "f", "result": result}],
    }
    (folder / "0.1.json").write_text(json.dumps(record))
    np.savez(folder / "0.1.npz", a0=np.zeros(array_bytes // 8))
    return folder / "0.1.json"


def test_a_record_referring_to_one_array_many_times_is_refused(tmp_path, monkeypatch):
    """The attack of issue 22: 1.4 KB of JSON naming one array 48 times took the grader from
    0.8 to 3.1 GiB. Here, scaled down: the arrays budget is 8 MiB, the array 1 MiB."""
    monkeypatch.setattr(records, "LIMITS", records.Limits(array_bytes=8 * 2**20))
    record = forged_record(tmp_path, references=48, array_bytes=2**20)
    assert record.stat().st_size < 1_500
    with pytest.raises(ProbeError, match="refer to more than 8,388,608 bytes of arrays"):
        load_probe(tmp_path, "0.1")
    # Without the budget the same record decodes to 48 copies: 48 MiB from 1 MiB on disk.
    raw = json.loads(record.read_text())["calls"][0]["result"]
    arrays = {"a0": np.zeros(2**20 // 8)}
    unbounded = Budget(array_bytes=10**12)
    values = records.decode(raw, arrays, budget=unbounded)
    assert sum(v.nbytes for v in values) == 48 * 2**20
    assert unbounded.limits[1] - unbounded.array_bytes == 48 * 2**20


def test_the_budget_counts_values_across_every_call(tmp_path, monkeypatch):
    monkeypatch.setattr(records, "LIMITS", records.Limits(items=100))
    call = {"name": "f", "result": {"t": "list", "v": list(range(60))}}
    record = {"format": 1, "exercise": "0.1", "seed": None, "calls": [call, call]}
    (tmp_path / "0.1.json").write_text(json.dumps(record))
    with pytest.raises(ProbeError, match="hold more than 100 values"):
        load_probe(tmp_path, "0.1")
    record["calls"] = [call]
    (tmp_path / "0.1.json").write_text(json.dumps(record))
    assert len(load_probe(tmp_path, "0.1").calls[0]["result"]) == 60


def test_an_array_file_with_a_huge_table_of_contents_is_refused_before_it_is_read(tmp_path):
    forged_record(tmp_path, references=1, array_bytes=8)
    with zipfile.ZipFile(tmp_path / "0.1.npz", "a") as archive:
        for index in range(1, 30_000):  # empty entries: 30,000 objects for zipfile to build
            archive.writestr(f"a{index:0>120}.npy", b"")
    data = (tmp_path / "0.1.npz").read_bytes()
    assert records.zip_directory_bytes(data) > records.LIMITS.zip_directory_bytes
    assert len(zipfile.ZipFile(tmp_path / "0.1.npz").infolist()) == 30_000  # what it costs
    with pytest.raises(ProbeError, match="lists too many arrays"):
        load_probe(tmp_path, "0.1")


def test_a_probe_record_that_is_a_fifo_does_not_block(tmp_path):
    forged_record(tmp_path, references=1, array_bytes=8)
    (tmp_path / "0.1.npz").unlink()
    os.mkfifo(tmp_path / "0.1.npz")
    with pytest.raises(ProbeError, match=r"array file of Exercise 0.1 is refused: it is a FIFO"):
        load_probe(tmp_path, "0.1")


# -- removing what a sandbox wrote ----------------------------------------------------------


def _as_nobody(function) -> int:
    """Run `function` in a child process as the user `nobody` (we are root); its exit code."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.setgid(65534)
            os.setuid(65534)
            os._exit(function())
        except BaseException as error:
            print("in the child:", repr(error), file=sys.stderr)
            os._exit(99)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def _locked_tree(root) -> None:
    """What a student's code leaves: folders of mode 000 holding files."""
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "weights.npz").write_bytes(b"x" * 1000)
    os.chmod(root / "a" / "b", 0)
    os.chmod(root / "a", 0)


def test_a_folder_made_unreadable_is_still_removed_without_root():
    base = Path(tempfile.mkdtemp(prefix="rnn-course-test-"))  # reachable by `nobody`
    os.chmod(base, 0o777)
    plain, ours = base / "plain", base / "ours"

    def attack() -> int:
        for root in (plain, ours):
            root.mkdir()
            _locked_tree(root)
        shutil.rmtree(plain, ignore_errors=True)  # what the grader did: leaves the files
        remove_tree(ours)
        return (2 if ours.exists() else 0) + (0 if plain.exists() else 1)

    try:
        code = _as_nobody(attack) if os.geteuid() == 0 else attack()
        assert code == 0  # `plain` is left behind, `ours` is gone
        os.chmod(plain / "a", 0o700)
        os.chmod(plain / "a" / "b", 0o700)
        assert (plain / "a" / "b" / "weights.npz").exists()
    finally:
        remove_tree(base)


def test_a_grading_folder_that_cannot_be_removed_is_reported(monkeypatch, caplog):
    folder = GradingFolder()

    def busy(path):
        raise OSError(16, "Device or resource busy", str(path))

    with monkeypatch.context() as patch:
        patch.setattr(sandbox.shutil, "rmtree", busy)
        with caplog.at_level("WARNING", logger="course_lib.grading.sandbox"):
            problems = folder.remove()
    assert problems == [
        f"the grading folder {folder.root} could not be removed "
        f"([Errno 16] Device or resource busy: '{folder.root}')"
    ]
    assert f"rnn-course: the grading folder {folder.root} could not be removed" in caplog.text
    assert folder.root.exists()
    assert folder.remove() == [] and not folder.root.exists()
