"""Reading files that a student or a sandbox produced: regular files only, bounded, never quoted.

The grader runs with the teacher's rights, so every file it opens on behalf of a submission
(a submitted notebook, its data files, the result an execution hands back, the checks' probe
records) is opened here, and only when it is a regular file:

- **no links**: the last component is opened with `O_NOFOLLOW` (a link to a classmate's
  notebook or to a file of the teacher's is refused, not followed); the folders above it
  are the caller's to trust (the grader's own folders, or a submission folder walked
  without following links);
- **nothing that blocks or has side effects**: the file is `lstat`ed first (a FIFO, a
  device or a socket is refused before it is opened), then opened with `O_NONBLOCK`, and the
  open descriptor is `fstat`ed again: it must be the same regular file;
- **bounded**: at most `max_bytes` are read, whatever the file claims or becomes meanwhile;
- **error messages say what the file is, never what it holds** (`UntrustedFileError`: "is a
  link", "is a FIFO (a named pipe)", "is larger than 52,428,800 bytes").

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "UntrustedFileError",
    "copy_bounded",
    "copy_regular_file",
    "file_kind",
    "open_regular",
    "read_bytes",
    "read_text",
]

_CHUNK = 1024 * 1024
_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY


class UntrustedFileError(ValueError):
    """A file the grader refuses to read; the message says what it is, never what it holds."""


def file_kind(mode: int) -> str:
    """What a file of this `st_mode` is, for a message: `"a link"`, `"a FIFO (a named pipe)"`...

    Example:
    >>> file_kind(stat.S_IFIFO | 0o644)
    'a FIFO (a named pipe)'
    """
    kinds = (
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISLNK, "a link"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (a named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def open_regular(path: str | os.PathLike, max_bytes: int) -> BinaryIO:
    """Open a regular file of at most `max_bytes` for reading, without following a link.

    Args:
        path: the file; its last component must not be a link.
        max_bytes: the largest size accepted (checked on the open file).

    Returns:
        A binary file object; read it with a bound of your own (it cannot grow past
        what the sandbox, which is gone, wrote; a file that does is cut by `read_bytes`).

    Raises:
        FileNotFoundError: when nothing is there.
        UntrustedFileError: when it is a link, a FIFO, a device, a socket or a folder, larger
            than `max_bytes`, or cannot be opened. The message names the file, not its content.
    """
    path = Path(path)
    name = path.name or str(path)
    try:
        before = os.lstat(path)
    except FileNotFoundError:
        raise
    except OSError as error:  # ENOTDIR: a folder on the way is a file
        raise UntrustedFileError(f"{name} cannot be read ({error.strerror})") from None
    if not stat.S_ISREG(before.st_mode):
        raise UntrustedFileError(f"{name} is {file_kind(before.st_mode)}")
    try:
        fd = os.open(path, _FLAGS)
    except FileNotFoundError:
        raise
    except OSError as error:  # ELOOP: it became a link after the lstat
        why = "is a link" if error.errno == errno.ELOOP else f"cannot be read ({error.strerror})"
        raise UntrustedFileError(f"{name} {why}") from None
    info = os.fstat(fd)
    problem = None
    if (info.st_dev, info.st_ino) != (before.st_dev, before.st_ino):
        problem = "changed while it was opened"
    elif not stat.S_ISREG(info.st_mode):
        problem = f"is {file_kind(info.st_mode)}"
    elif info.st_size > max_bytes:
        problem = f"is larger than {max_bytes:,} bytes ({info.st_size:,})"
    if problem:
        os.close(fd)
        raise UntrustedFileError(f"{name} {problem}")
    return os.fdopen(fd, "rb")


def read_bytes(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The content of a regular file of at most `max_bytes`, opened without following links.

    Args:
        path: the file; its last component must not be a link.
        max_bytes: the most bytes read; a larger file is refused.

    Returns:
        The bytes (at most `max_bytes`).

    Raises:
        FileNotFoundError: when the file does not exist.
        UntrustedFileError: when it is a link, a FIFO, a device, a socket or a folder, larger
            than `max_bytes`, or unreadable. The message names the file, not its content.

    Example:
    >>> read_bytes("/etc/hostname", 4096)  # doctest: +SKIP
    b'grader\\n'
    """
    name = Path(path).name
    with open_regular(path, max_bytes) as file:
        try:
            data = file.read(max_bytes + 1)
        except OSError as error:
            raise UntrustedFileError(f"{name} cannot be read ({error.strerror})") from None
    if len(data) > max_bytes:
        raise UntrustedFileError(f"{name} is larger than {max_bytes:,} bytes")
    return data


def read_text(path: str | os.PathLike, max_bytes: int) -> str:
    """The UTF-8 text of a regular file of at most `max_bytes` (see `read_bytes`).

    Raises:
        FileNotFoundError, UntrustedFileError: as `read_bytes`; also when the bytes are not
            UTF-8 (the message gives the position of the first bad byte, not the bytes).
    """
    data = read_bytes(path, max_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UntrustedFileError(
            f"{Path(path).name} is not UTF-8 text (byte {error.start:,} cannot be decoded)"
        ) from None


def copy_regular_file(source: str | os.PathLike, target: str | os.PathLike, max_bytes: int) -> int:
    """Copy a regular file of at most `max_bytes` to a new file `target` (never overwritten).

    Args:
        source: the untrusted file (see `read_bytes` for what is refused).
        target: a new file in one of the grader's folders; it must not exist yet.
        max_bytes: the largest file copied.

    Returns:
        The number of bytes copied.

    Raises:
        FileNotFoundError, UntrustedFileError: as `read_bytes` (nothing is left at `target`).
        FileExistsError: when `target` exists (or is a link).
    """
    source, target = Path(source), Path(target)
    with open_regular(source, max_bytes) as file:
        return copy_bounded(file, target, max_bytes, source.name)


def copy_bounded(file: BinaryIO, target: str | os.PathLike, size: int, name: str) -> int:
    """Copy at most the next `size` bytes of an open `file` into a new file `target`.

    Args:
        file: an untrusted file opened with `open_regular`, read from where it stands.
        target: a new file in one of the grader's folders; it must not exist yet.
        size: the most bytes copied.
        name: the file's name, for messages.

    Returns:
        The number of bytes copied: `size`, or fewer when `file` ended first.

    Raises:
        FileExistsError: when `target` exists (or is a link).
        UntrustedFileError: when `file` cannot be read (`target` is removed).
    """
    target = Path(target)
    copied = 0
    with open(target, "xb") as sink:  # O_EXCL: never through a link, never over a file
        try:
            while copied < size and (chunk := file.read(min(_CHUNK, size - copied))):
                sink.write(chunk)
                copied += len(chunk)
        except OSError as error:
            sink.close()
            target.unlink(missing_ok=True)
            raise UntrustedFileError(f"{name} cannot be read ({error.strerror})") from None
    return copied
