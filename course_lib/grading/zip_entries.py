"""A zip archive read entry by entry: one bad entry is refused with its reason, the others read.

Python's `zipfile` reads an archive's whole table of contents at once, so one entry whose
name is flagged UTF-8 but is not, or whose extra field is damaged, makes the whole archive
unreadable; and it trusts an entry's declared size while unpacking. An LMS's "download all
submissions" zip holds whatever students uploaded (and whatever a teacher's zip tool made
of it), so this module reads the central directory itself, record by record, and unpacks
each entry on its own, bounded:

- `read_entries` returns every entry with `problem` set when it cannot be unpacked:
  encrypted, a compression method other than stored or Deflate (Windows' Deflate64,
  bzip2, LZMA...), a name flagged UTF-8 that is not, a damaged extra field, data outside
  the archive, or data shared with another entry (a zip bomb's trick). A table of
  contents damaged part-way keeps the entries before the damage.
- `extract` unpacks one entry into a binary file object and raises `EntryError` with the
  reason when its data lies: more bytes than declared (stops as soon as one byte too
  many comes out), fewer, a bad CRC-32, damaged compressed data, or more than `max_bytes`.

Names not flagged UTF-8 are read as UTF-8 when they are valid UTF-8 (macOS, Linux and
Canvas write UTF-8 names without the flag) and as code page 437 otherwise (old Windows
tools), as `unzip` does. Zip64 archives (over 4 GiB or 65,535 entries) are read.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_END = b"PK\x05\x06"
_END64 = b"PK\x06\x06"
_END64_LOCATOR = b"PK\x06\x07"
_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
_END_FORMAT = "<4s4H2LH"  # signature, disks, entries here, entries, size, offset, comment
_END64_FORMAT = "<4sQ2H2L4Q"
_CENTRAL_FORMAT = "<4s4B4HL2L5H2L"
_LOCAL_FORMAT = "<4s2B4HL2L2H"
_MAX_COMMENT = 0xFFFF
_MAX_DIRECTORY_BYTES = 256 * 1024 * 1024  # a table of contents larger than this is refused
_CHUNK = 64 * 1024
STORED, DEFLATED = 0, 8
METHOD_NAMES = {
    1: "Shrink",
    6: "Implode",
    9: "Deflate64 (Windows' zip for large files)",
    12: "bzip2",
    14: "LZMA",
    93: "Zstandard",
    95: "XZ",
    98: "PPMd",
    99: "AES encryption",
}
_FLAG_ENCRYPTED, _FLAG_STRONG_ENCRYPTION, _FLAG_UTF8 = 0x1, 0x40, 0x800
_UNIX = 3


class EntryError(ValueError):
    """One entry of an archive cannot be unpacked; the message says why."""


@dataclass(frozen=True)
class ZipEntry:
    """One entry of a zip archive's table of contents.

    Args:
        name: the entry's name, decoded (undecodable bytes shown as `\\xNN`).
        problem: why the entry cannot be unpacked, or "" when it can.
        method: the compression method (0 stored, 8 Deflate).
        flags: the general-purpose flag bits.
        crc: the declared CRC-32 of the unpacked data.
        compressed_size: declared bytes of compressed data.
        file_size: declared bytes once unpacked.
        offset: where the entry's local header starts in the archive file.
        mode: Unix file mode (`st_mode`) when the archive records one, else 0.
    """

    name: str
    problem: str
    method: int
    flags: int
    crc: int
    compressed_size: int
    file_size: int
    offset: int
    mode: int = 0

    @property
    def is_dir(self) -> bool:
        """Whether the entry is a folder (its name ends with `/`)."""
        return self.name.endswith("/")


def _decode_name(raw: bytes, flags: int) -> tuple[str, str]:
    """`(name, problem)`: a name flagged UTF-8 that is not valid UTF-8 is a problem."""
    try:
        return raw.decode("utf-8"), ""
    except UnicodeDecodeError:
        shown = raw.decode("utf-8", errors="backslashreplace")
        if flags & _FLAG_UTF8:
            return shown, "its name is not valid UTF-8 although the archive says it is"
        return raw.decode("cp437"), ""


def _zip64_values(extra: bytes, wanted: list[bool]) -> list[int]:
    """The Zip64 extra field's values, for the header fields that are 0xFFFFFFFF."""
    position = 0
    while position + 4 <= len(extra):
        kind, size = struct.unpack_from("<2H", extra, position)
        body = extra[position + 4 : position + 4 + size]
        if len(body) != size:
            raise EntryError("its extra field is damaged")
        if kind == 0x0001:
            count = sum(wanted)
            if size < 8 * count:
                raise EntryError("its Zip64 extra field is damaged")
            return list(struct.unpack_from(f"<{count}Q", body))
        position += 4 + size
    if any(wanted):
        raise EntryError("its Zip64 sizes are missing")
    return []


def _end_record(handle: BinaryIO, size: int) -> tuple[int, int, int, int]:
    """`(entries, directory size, directory offset, prefix bytes)` from the end records."""
    tail_size = min(size, struct.calcsize(_END_FORMAT) + _MAX_COMMENT)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(_END)
    if at < 0 or len(tail) - at < struct.calcsize(_END_FORMAT):
        raise ValueError("it has no zip end record (not a zip file, or cut short)")
    _, _, _, _, entries, directory_size, directory_offset, _ = struct.unpack_from(
        _END_FORMAT, tail, at
    )
    end_position = size - tail_size + at
    records = end_position
    locator_at = at - 20
    if locator_at >= 0 and tail[locator_at : locator_at + 4] == _END64_LOCATOR:
        (end64_offset,) = struct.unpack_from("<Q", tail, locator_at + 8)
        handle.seek(end64_offset)
        record = handle.read(struct.calcsize(_END64_FORMAT))
        if len(record) == struct.calcsize(_END64_FORMAT) and record[:4] == _END64:
            fields = struct.unpack(_END64_FORMAT, record)
            entries, directory_size, directory_offset = fields[7], fields[8], fields[9]
            records = end64_offset
    prefix = records - directory_size - directory_offset  # a self-extractor's stub, or 0
    if prefix < 0 or directory_offset + prefix + directory_size > size:
        raise ValueError("its table of contents points outside the file")
    return entries, directory_size, directory_offset, prefix


def read_entries(archive: str | Path) -> tuple[list[ZipEntry], str]:
    """Read an archive's table of contents, entry by entry.

    Args:
        archive: the zip file.

    Returns:
        `(entries, damage)`: every entry in the order of the table of contents (those that
        cannot be unpacked with `problem` set), and "" or why the table of contents ends
        early (the entries before the damage are returned).

    Raises:
        ValueError: when `archive` has no readable table of contents at all.

    Example:
        >>> entries, damage = read_entries("submissions.zip")  # doctest: +SKIP
        >>> [e.name for e in entries if e.problem]  # doctest: +SKIP
        ['huge_1_2_data.bin']
    """
    path = Path(archive)
    size = path.stat().st_size
    with path.open("rb") as handle:
        count, directory_size, directory_offset, prefix = _end_record(handle, size)
        if directory_size > _MAX_DIRECTORY_BYTES:
            raise ValueError(f"its table of contents is {directory_size:,} bytes long")
        handle.seek(directory_offset + prefix)
        directory = handle.read(directory_size)
    entries: list[ZipEntry] = []
    offsets: set[int] = set()
    position, header = 0, struct.calcsize(_CENTRAL_FORMAT)
    damage = ""
    while position < len(directory):
        fields = None
        if position + header <= len(directory):
            fields = struct.unpack_from(_CENTRAL_FORMAT, directory, position)
        if fields is None or fields[0] != _CENTRAL:
            damage = f"the table of contents is damaged after {len(entries)} entries"
            break
        (
            _,
            _,
            system,
            _,
            _,
            flags,
            method,
            _,
            _,
            crc,
            compressed,
            file_size,
            name_length,
            extra_length,
            comment_length,
            _,
            _,
            attributes,
            offset,
        ) = fields
        start = position + header
        end = start + name_length + extra_length + comment_length
        if end > len(directory):
            damage = f"the table of contents is damaged after {len(entries)} entries"
            break
        name, problem = _decode_name(directory[start : start + name_length], flags)
        extra = directory[start + name_length : start + name_length + extra_length]
        position = end
        try:
            wide = [file_size == 0xFFFFFFFF, compressed == 0xFFFFFFFF, offset == 0xFFFFFFFF]
            values = iter(_zip64_values(extra, wide))
            file_size = next(values) if wide[0] else file_size
            compressed = next(values) if wide[1] else compressed
            offset = next(values) if wide[2] else offset
        except EntryError as error:
            problem = problem or str(error)
        offset += prefix
        if not problem:
            problem = _entry_problem(flags, method, offset, compressed, size, offsets)
        offsets.add(offset)
        mode = attributes >> 16 if system == _UNIX else 0
        entries.append(
            ZipEntry(name, problem, method, flags, crc, compressed, file_size, offset, mode)
        )
    if not damage and count not in (len(entries), len(entries) & 0xFFFF):
        damage = f"the table of contents lists {count} entries but holds {len(entries)}"
    return entries, damage


def _entry_problem(flags, method, offset, compressed, size, offsets) -> str:
    if flags & (_FLAG_ENCRYPTED | _FLAG_STRONG_ENCRYPTION):
        return "it is encrypted (protected by a password)"
    if method not in (STORED, DEFLATED):
        kind = METHOD_NAMES.get(method, f"method {method}")
        return (
            f"it is compressed with {kind}, which the grader cannot unpack "
            "(zip it again with Deflate: `zip -r`, 7-Zip, or macOS's Compress)"
        )
    if offset in offsets:
        return "it shares its data with another entry (a zip bomb's trick)"
    if offset + compressed > size:
        return "its data lies outside the archive (the archive is cut short)"
    return ""


def extract(handle: BinaryIO, entry: ZipEntry, sink: BinaryIO, *, max_bytes: int) -> int:
    """Unpack one entry of an archive open in `handle` into `sink`, checking everything.

    Args:
        handle: the archive, opened in binary mode.
        entry: an entry from `read_entries` with no `problem`.
        sink: where the unpacked bytes are written.
        max_bytes: the most bytes this entry may unpack to.

    Returns:
        The number of bytes written.

    Raises:
        EntryError: with the reason, when the entry has a problem, is larger than
            `max_bytes`, or its data does not match what the table of contents declares.
    """
    if entry.problem:
        raise EntryError(entry.problem)
    if entry.file_size > max_bytes:
        raise EntryError(f"it is larger than the {max_bytes:,} byte limit")
    handle.seek(entry.offset)
    local = handle.read(struct.calcsize(_LOCAL_FORMAT))
    if len(local) < struct.calcsize(_LOCAL_FORMAT) or local[:4] != _LOCAL:
        raise EntryError("its local header is missing or damaged")
    name_length, extra_length = struct.unpack_from("<2H", local, 26)
    handle.seek(entry.offset + len(local) + name_length + extra_length)
    left_in, left_out, crc = entry.compressed_size, entry.file_size, 0
    inflater = zlib.decompressobj(-15) if entry.method == DEFLATED else None
    lie = f"it holds more than the {entry.file_size:,} bytes it declares"
    while left_in > 0:
        chunk = handle.read(min(_CHUNK, left_in))
        if not chunk:
            raise EntryError("its data is cut short")
        left_in -= len(chunk)
        while chunk:
            if inflater is None:
                out, chunk = chunk, b""
            else:
                try:
                    out = inflater.decompress(chunk, left_out + 1)
                except zlib.error as error:
                    raise EntryError(f"its compressed data is damaged ({error})") from None
                chunk = inflater.unconsumed_tail
            if len(out) > left_out:
                raise EntryError(lie)
            left_out -= len(out)
            crc = zlib.crc32(out, crc)
            sink.write(out)
            if inflater is not None and inflater.eof:
                break
        if inflater is not None and inflater.eof:
            break
    if inflater is not None and not inflater.eof:
        raise EntryError("its compressed data ends early (damaged)")
    if left_out:
        raise EntryError(f"it holds {left_out:,} bytes fewer than it declares")
    if crc != entry.crc:
        raise EntryError("it fails its CRC-32 check (damaged)")
    return entry.file_size


def is_zip(path: str | Path) -> bool:
    """Whether `path` is a file with a zip end record (what `read_entries` needs)."""
    path = Path(path)
    if not path.is_file():
        return False
    try:
        with path.open("rb") as handle:
            _end_record(handle, os.fstat(handle.fileno()).st_size)
    except (OSError, ValueError, struct.error):
        return False
    return True
