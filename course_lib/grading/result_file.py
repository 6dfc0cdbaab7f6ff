"""The one file an execution hands back to the grader: the cells' outcomes and the files it returns.

A sandboxed execution writes nothing on the grader's disk but this file (bound into the
sandbox at `/grading/result`, its size capped by the file-size limit): its working folder,
`/tmp` and `/dev/shm` are in-memory file systems that vanish with the sandbox. Its format:

    {"format": 1, "runs": [...], "files": [{"name": "1.1.json", "size": 812}, ...]}\\n
    <the 812 bytes of 1.1.json><the bytes of the next file>...

one line of JSON (the outcome of every cell, then the name and size of each returned file),
then the returned files' bytes one after the other. `write_result` writes it inside the
sandbox; `read_result` reads it in the grader, where it is untrusted: the student's code
could have written anything there. It is opened as a regular file only (`untrusted_files`),
the JSON line is read up to `MAX_HEADER_BYTES`, names must be plain file names, and no
more bytes are copied out than the file holds; the returned files land in a folder of the
grader's, where the checks' records are then read.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from course_lib.grading.untrusted_files import (
    UntrustedFileError,
    copy_bounded,
    open_regular,
    read_bytes,
)

FORMAT = 1
MAX_HEADER_BYTES = 16 * 1024 * 1024
MAX_RETURNED_FILES = 1_000
# A returned file's name: a plain file name, no folders, no leading dot or dash.
RETURNED_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99}$")


class ResultFileError(ValueError):
    """The result file is missing, not a regular file, or malformed (the message says which)."""


def returned_files(folder: str | os.PathLike) -> list[tuple[str, Path]]:
    """The files of `folder` an execution returns: regular files with plain names, sorted.

    A folder that is missing, a link or not a folder returns nothing (what the student's
    code did to it is then visible as missing records, exercise by exercise).
    """
    folder = Path(folder)
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            return []
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return []
    return [
        (entry.name, Path(entry.path))
        for entry in entries
        if RETURNED_NAME.match(entry.name) and entry.is_file(follow_symlinks=False)
    ][:MAX_RETURNED_FILES]


def write_result(
    path: str | os.PathLike,
    runs: Sequence[Mapping[str, Any]],
    returned: Sequence[tuple[str, Path]],
    max_file_bytes: int,
) -> None:
    """Write the result file: `runs` (JSON-ready dicts) and the `returned` files' bytes.

    Args:
        path: the result file (truncated first).
        runs: one dict per cell (`dataclasses.asdict` of each `CellRun`).
        returned: `(name, path)` of the files to return, from `returned_files`.
        max_file_bytes: the largest returned file (the file-size limit).

    The returned files are read as untrusted (the student's processes may still run): one
    that is not a regular file, too large or unreadable is left out. The file-size limit
    may cut the result file short (EFBIG): the grader then reads the runs and the files
    that fit.
    """
    contents = []
    for name, source in returned:
        try:
            contents.append((name, read_bytes(source, max_file_bytes)))
        except (OSError, UntrustedFileError):
            continue
    header = {
        "format": FORMAT,
        "runs": list(runs),
        "files": [{"name": name, "size": len(data)} for name, data in contents],
    }
    with open(path, "wb") as file:
        file.write(json.dumps(header).encode() + b"\n")
        for _, data in contents:
            file.write(data)


def read_result(
    path: str | os.PathLike, max_bytes: int, returned_dir: str | os.PathLike
) -> list[Any]:
    """Read a result file written by `write_result`; copy its returned files into `returned_dir`.

    Args:
        path: the result file (untrusted).
        max_bytes: the largest result file accepted (the file-size limit).
        returned_dir: an existing, empty folder of the grader's.

    Returns:
        The runs, as parsed JSON: validate them before use.

    Raises:
        ResultFileError: when the file is missing, not a regular file, too large, or its
            first line is not the JSON this module writes. Returned files cut short are
            left out; the messages never quote the file.
    """
    try:
        file = open_regular(path, max_bytes)
    except FileNotFoundError:
        raise ResultFileError("the result file is missing") from None
    except UntrustedFileError as error:
        raise ResultFileError(f"the result file is refused: {error}") from None
    with file:
        line = file.readline(MAX_HEADER_BYTES + 1)
        if not line.endswith(b"\n"):
            raise ResultFileError(
                "the result file does not start with one line of JSON "
                f"(of at most {MAX_HEADER_BYTES:,} bytes)"
            )
        try:
            header = json.loads(line)
        except (ValueError, RecursionError):
            raise ResultFileError("the result file's first line is not valid JSON") from None
        if type(header) is not dict or header.get("format") != FORMAT:
            raise ResultFileError("the result file is not in the executor's format")
        files, runs = header.get("files"), header.get("runs")
        if type(files) is not list or len(files) > MAX_RETURNED_FILES:
            raise ResultFileError("the result file's list of returned files is malformed")
        target = Path(returned_dir)
        for entry in files:
            name = entry.get("name") if type(entry) is dict else None
            size = entry.get("size") if type(entry) is dict else None
            if (
                type(name) is not str
                or not RETURNED_NAME.match(name)
                or type(size) is not int
                or size < 0
            ):
                raise ResultFileError("the result file's list of returned files is malformed")
            try:
                copied = copy_bounded(file, target / name, size, "the result file")
            except FileExistsError:
                raise ResultFileError(f"the result file returns {name} twice") from None
            except UntrustedFileError as error:
                raise ResultFileError(str(error)) from None
            if copied < size:  # cut short (the file-size limit): keep none of it
                (target / name).unlink()
                break
    return runs
