"""Real archives and exports as LMSs and students make them, for the submission and gradebook tests.

`make_zip` writes a zip with Python's `zipfile`; `damage` then rewrites fields of one
entry's headers (both the local header and the table of contents, as a broken or hostile
tool would): its flags (encrypted, UTF-8), compression method, CRC or declared size, or the
bytes of its name. `deflate64_zip` writes an entry compressed with Deflate64 (Windows' zip
for large files): a stream of stored Deflate blocks, which is valid Deflate64 data.
`CANVAS_EXPORT_*` are rosters in the exact format of Canvas's *Gradebook > Export*, and
`MOODLE_WORKSHEET` a Moodle assignment's grading worksheet as downloaded.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

NB = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'

_CENTRAL = "<4s4B4HL2L5H2L"  # the zip format's central directory record (APPNOTE 4.3.12)
_LOCAL = "<4s2B4HL2L2H"  # the local file header (APPNOTE 4.3.7)
# Field positions (bytes) inside each header.
_FIELDS = {
    "flags": (8, 6, "<H"),
    "method": (10, 8, "<H"),
    "crc": (16, 14, "<L"),
    "compressed_size": (20, 18, "<L"),
    "file_size": (24, 22, "<L"),
}


def make_zip(path: Path, entries: dict, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """Write `entries` (name -> bytes or str) into a zip at `path`; return `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression) as zipped:
        for name, data in entries.items():
            zipped.writestr(name, data)
    return path


def _headers(data: bytes, name: str) -> tuple[int, int]:
    """Offsets of the local header and the central record of the entry called `name`."""
    end = data.rfind(b"PK\x05\x06")
    size, start = struct.unpack_from("<2L", data, end + 12)
    position = start
    while position < start + size:
        record = struct.unpack_from(_CENTRAL, data, position)
        raw = data[position + 46 : position + 46 + record[12]]
        if raw.decode("utf-8", errors="replace") == name:
            return record[18], position
        position += 46 + record[12] + record[13] + record[14]
    raise KeyError(name)


def damage(path: Path, name: str, *, rename: bytes | None = None, **fields: int) -> None:
    """Rewrite header fields of the entry `name` in both of its headers (see `_FIELDS`).

    `rename` replaces the name's bytes (same length) in both headers.
    """
    data = bytearray(path.read_bytes())
    local, central = _headers(bytes(data), name)
    for field, value in fields.items():
        central_at, local_at, layout = _FIELDS[field]
        struct.pack_into(layout, data, central + central_at, value)
        struct.pack_into(layout, data, local + local_at, value)
    if rename is not None:
        old = name.encode("utf-8")
        assert len(rename) == len(old), "the new name must have as many bytes"
        data[central + 46 : central + 46 + len(old)] = rename
        data[local + 30 : local + 30 + len(old)] = rename
    path.write_bytes(bytes(data))


def flags_of(path: Path, name: str) -> int:
    data = path.read_bytes()
    _, central = _headers(data, name)
    return struct.unpack_from("<H", data, central + 8)[0]


def deflate64_zip(path: Path, name: str, payload: bytes, others: dict) -> Path:
    """A zip whose entry `name` is compressed with Deflate64 (method 9), plus `others`.

    The entry's data is a Deflate stream of stored blocks (`zlib` level 0): the block
    format is shared by Deflate and Deflate64, so this is valid Deflate64 data that 7-Zip
    and Windows unpack, and that Python's zipfile cannot.
    """
    make_zip(path, {name: b"\0" * len(payload), **others}, zipfile.ZIP_STORED)
    compressor = zlib.compressobj(0, zlib.DEFLATED, -15)
    stream = compressor.compress(payload) + compressor.flush()
    data = bytearray(path.read_bytes())
    local, central = _headers(bytes(data), name)
    name_length, extra_length = struct.unpack_from("<2H", data, local + 26)
    start = local + 30 + name_length + extra_length
    # Rebuild: everything before the entry's data, the new data, everything after.
    old_size = len(payload)
    rebuilt = data[:start] + stream + data[start + old_size :]
    shift = len(stream) - old_size
    path.write_bytes(bytes(rebuilt))
    # Offsets after the entry moved by `shift`: fix the central records and the end record.
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    size, start_dir = struct.unpack_from("<2L", data, end + 12)
    struct.pack_into("<L", data, end + 16, start_dir + shift)
    position = start_dir + shift
    while position < start_dir + shift + size:
        record = struct.unpack_from(_CENTRAL, data, position)
        if record[18] > local:
            struct.pack_into("<L", data, position + 42, record[18] + shift)
        position += 46 + record[12] + record[13] + record[14]
    path.write_bytes(bytes(data))
    damage(path, name, method=9, compressed_size=len(stream), crc=zlib.crc32(payload))
    return path


# Canvas's Gradebook > Export, byte for byte in its layout: the header, the "Points
# Possible" row (indented, "(read only)" under the computed columns), one row per student,
# "Last, First" names, the Test Student last.
CANVAS_EXPORT_WEEK1 = (
    "Student,ID,SIS User ID,SIS Login ID,Section,"
    "Homework 1: Sequences (5550),Homework 4: LSTM (5551),"
    "Current Points,Final Points,Current Score,Unposted Current Score,Final Score,"
    "Unposted Final Score\n"
    "    Points Possible,,,,,10.00,10.00,(read only),(read only),(read only),(read only),"
    "(read only),(read only)\n"
    '"Smith, Bob",340934,S1001,bsmith,RNN 2027,7.00,,7.00,7.00,70.00,70.00,35.00,35.00\n'
    '"Müller, Jürgen",340935,S1002,jmuller,RNN 2027,9.00,,9.00,9.00,90.00,90.00,45.00,45.00\n'
    '"王, 小明",340936,S1003,xwang,RNN 2027,8.00,,8.00,8.00,80.00,80.00,40.00,40.00\n'
    '"_Underscore, Una",340937,S1004,una,RNN 2027,,,0.00,0.00,,,0.00,0.00\n'
    '"Absent, Amy",340938,S1005,amy,RNN 2027,6.00,,6.00,6.00,60.00,60.00,30.00,30.00\n'
    '"Student, Test",340999,,,RNN 2027,,,0.00,0.00,,,0.00,0.00\n'
)

# A grading worksheet as Moodle 4.x downloads it (View all submissions > Download grading
# worksheet), in English, for an assignment graded out of 10 with feedback comments on.
MOODLE_WORKSHEET = (
    'Identifier,"Full name","Email address",Status,Grade,"Maximum grade",'
    '"Grade can be changed","Last modified (submission)","Last modified (grade)",'
    '"Feedback comments"\n'
    '"Participant 1234","Ada Lovelace",ada@example.org,"Submitted for grading",,10.00,Yes,'
    '"Monday, 5 April 2027, 10:00 AM",-,\n'
    '"Participant 77","Zoë Müller-Łukasik",zoe@example.org,'
    '"Submitted for grading - 1 hour 2 mins late",,10.00,Yes,"Monday, 5 April 2027, 11:02 AM",-,\n'
    '"Participant 88","Grace Hopper",grace@example.org,"No submission",7.00,10.00,Yes,-,'
    '"Tuesday, 6 April 2027, 9:00 AM","-good start"\n'
)
