"""A zip read entry by entry: each damaged or hostile entry refused with its reason, the rest read."""

import io
import struct
import zipfile

import pytest

from course_lib.grading.zip_entries import EntryError, extract, is_zip, read_entries
from tests.lms_archives import damage, deflate64_zip, flags_of, make_zip

GOOD = {"alice/a.txt": b"alpha" * 100, "bob/b.txt": b"beta"}


def unpack(path, entry, max_bytes=10**6):
    sink = io.BytesIO()
    with path.open("rb") as handle:
        extract(handle, entry, sink, max_bytes=max_bytes)
    return sink.getvalue()


def by_name(path):
    entries, damaged = read_entries(path)
    assert damaged == ""
    return {entry.name: entry for entry in entries}


def test_good_entries_unpack_and_folders_are_folders(tmp_path):
    path = make_zip(tmp_path / "a.zip", {**GOOD, "carol/": b""})
    entries = by_name(path)
    assert unpack(path, entries["alice/a.txt"]) == b"alpha" * 100
    assert unpack(path, entries["bob/b.txt"]) == b"beta"
    assert entries["carol/"].is_dir and not entries["bob/b.txt"].is_dir
    assert is_zip(path) and not is_zip(tmp_path / "none.zip")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"flags": 0x1}, "encrypted"),
        ({"method": 12}, "compressed with bzip2"),
        ({"method": 99}, "AES encryption"),
    ],
)
def test_entries_that_cannot_be_unpacked_are_refused_when_read(tmp_path, fields, reason):
    path = make_zip(tmp_path / "a.zip", {**GOOD, "eve/x.ipynb": b"{}"})
    damage(path, "eve/x.ipynb", **fields)
    entries = by_name(path)
    assert reason in entries["eve/x.ipynb"].problem
    with pytest.raises(EntryError, match=reason):
        unpack(path, entries["eve/x.ipynb"])
    assert unpack(path, entries["bob/b.txt"]) == b"beta"  # the others are read


def test_a_deflate64_entry_is_refused_with_what_to_do(tmp_path):
    path = deflate64_zip(tmp_path / "windows.zip", "big/data.bin", b"x" * 5000, GOOD)
    with zipfile.ZipFile(path) as zipped, pytest.raises(NotImplementedError):
        zipped.read("big/data.bin")  # Python cannot unpack it
    entries = by_name(path)
    assert "Deflate64" in entries["big/data.bin"].problem
    assert "zip it again" in entries["big/data.bin"].problem
    assert unpack(path, entries["alice/a.txt"]) == b"alpha" * 100


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"crc": 0x12345678}, "fails its CRC-32 check"),
        ({"file_size": 10}, "holds more than the 10 bytes it declares"),
        ({"file_size": 9000}, "holds 8,500 bytes fewer than it declares"),
    ],
)
def test_entries_whose_data_lies_fail_when_unpacked_and_only_they(tmp_path, fields, reason):
    path = make_zip(tmp_path / "a.zip", {"eve/x.txt": b"evil" * 125, **GOOD})
    damage(path, "eve/x.txt", **fields)
    entries = by_name(path)
    assert entries["eve/x.txt"].problem == ""
    with pytest.raises(EntryError, match=reason):
        unpack(path, entries["eve/x.txt"])
    assert unpack(path, entries["bob/b.txt"]) == b"beta"


def test_a_size_lie_stops_after_the_declared_bytes(tmp_path):
    bomb = b"\0" * 10_000_000  # 10 MB that compress to about 10 KB, declared as 100 bytes
    path = make_zip(tmp_path / "bomb.zip", {"bomb.bin": bomb})
    damage(path, "bomb.bin", file_size=100)
    sink = io.BytesIO()
    with path.open("rb") as handle, pytest.raises(EntryError, match="more than the 100"):
        extract(handle, by_name(path)["bomb.bin"], sink, max_bytes=10**9)
    assert len(sink.getvalue()) <= 100
    with pytest.raises(EntryError, match="larger than the 1,000 byte limit"):
        unpack(
            make_zip(tmp_path / "big.zip", {"big.bin": bomb}),
            read_entries(tmp_path / "big.zip")[0][0],
            1000,
        )


def test_a_name_flagged_utf8_that_is_not_spoils_only_its_entry(tmp_path):
    path = make_zip(tmp_path / "a.zip", {"eve_1_2_é.txt": b"x", **GOOD})
    assert flags_of(path, "eve_1_2_é.txt") & 0x800  # zipfile flags non-ASCII names UTF-8
    damage(path, "eve_1_2_é.txt", rename=b"eve_1_2_\xff\xfe.txt")
    with pytest.raises(UnicodeDecodeError):
        zipfile.ZipFile(path)  # Python's zipfile cannot open the archive at all
    entries, damaged = read_entries(path)
    (bad,) = [e for e in entries if e.problem]
    assert "not valid UTF-8" in bad.problem and bad.name == "eve_1_2_\\xff\\xfe.txt"
    assert damaged == "" and len(entries) == 3


def test_names_without_the_flag_are_utf8_when_valid_else_code_page_437(tmp_path):
    path = make_zip(tmp_path / "a.zip", {"AAAAAAAAAAAAAA.txt": b"x", "BBBB": b"y"})
    damage(path, "AAAAAAAAAAAAAA.txt", rename="müllerjürgen.txt".encode())  # no flag
    damage(path, "BBBB", rename=b"\x81ber")  # "über" in code page 437
    names = sorted(e.name for e in read_entries(path)[0])
    assert names == ["müllerjürgen.txt", "über"]


def test_entries_sharing_data_and_a_damaged_table_of_contents(tmp_path):
    path = make_zip(tmp_path / "a.zip", {"a.txt": b"a" * 50, "b.txt": b"b", "c.txt": b"c"})
    data = bytearray(path.read_bytes())
    start = struct.unpack_from("<L", data, data.rfind(b"PK\x05\x06") + 16)[0]
    second = start + 46 + len("a.txt")
    struct.pack_into("<L", data, second + 42, 0)  # b.txt's record points at a.txt's data
    path.write_bytes(bytes(data))
    entries = {e.name: e for e in read_entries(path)[0]}
    assert "shares its data with another entry" in entries["b.txt"].problem
    third = second + 46 + len("b.txt")
    data[third : third + 4] = b"XXXX"  # the table of contents is damaged from c.txt on
    path.write_bytes(bytes(data))
    entries, damaged = read_entries(path)
    assert [e.name for e in entries] == ["a.txt", "b.txt"]
    assert damaged == "the table of contents is damaged after 2 entries"


def test_not_a_zip_is_a_value_error(tmp_path):
    (tmp_path / "x.zip").write_bytes(b"not a zip at all")
    with pytest.raises(ValueError, match="no zip end record"):
        read_entries(tmp_path / "x.zip")
