"""Submissions as teachers get them: an LMS's "download all submissions" zip -> one folder per student.

`rnn-course grade` grades a folder with one sub-folder per student (cloned repositories, or
files collected by hand). `unpack_archive` turns the archive that Canvas or Moodle gives for
"download all submissions" into that layout, mapping every file to a student and, for
notebooks, to a released notebook. The patterns recognised (one test each in
`tests/test_submissions.py`):

**Canvas** (*Assignments > Download Submissions*): loose files named
``<name>_<user id>_<attachment id>_<file name>``, with ``_late_`` (or ``_LATE_``) after the
name for a late submission; Canvas appends ``-1``, ``-2`` to a file name submitted twice::

    smithbob_340934_208490284_04_lstm.ipynb
    smithbob_late_340934_208490284_04_lstm-1.ipynb

The student is ``smithbob`` with Canvas user id ``340934`` (the roster's `ID` column).

**Moodle** (*Assignment > View all submissions > Download all submissions*): files named
``<Full Name>_<participant id>_assignsubmission_file_<file name>``, or, with "Download
submissions in folders", a folder ``<Full Name>_<participant id>_assignsubmission_file_/``
holding the files under their own names::

    Ada Lovelace_1234_assignsubmission_file_04_lstm.ipynb
    Ada Lovelace_1234_assignsubmission_file_/04_lstm.ipynb

**Folders**: a zip of one folder per student (``alice/04_lstm.ipynb``), as a teacher
would zip cloned repositories. One folder that wraps everything (``class/alice/...``, what
zipping the class's folder gives) is not taken for a student.

A file is mapped to a released notebook when its name, with the LMS's `-1` suffix removed,
is the released name (`04_lstm.ipynb`) or, failing that, starts with the released stem
(`04_lstm (copy).ipynb`; an ambiguous or unknown notebook name is reported). Other files
(data a notebook reads) go next to the student's notebooks under their own names. Nothing is
dropped silently: every entry that is not used is listed in `Unpacked.unknown` with why.

Entries that try to leave the extraction folder (`../`, absolute paths, drive letters) or that
are links are refused and listed in `Unpacked.refused`; the rest is unpacked and graded.
Sizes are capped (`max_bytes` per file, `max_total_bytes` for the archive) against zip bombs.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import re
import shutil
import stat
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

# Canvas: name, optional late marker, user id, attachment id, the file's own name.
CANVAS_NAME = re.compile(
    r"^(?P<name>[A-Za-z0-9\-]+?)_(?:(?:late|LATE)_)?(?P<id>\d+)_(?P<attachment>\d+)_(?P<file>.+)$"
)
# Moodle: full name, participant id, the plugin's marker, file name (after `_` or `/`).
MOODLE_NAME = re.compile(
    r"^(?P<name>[^/]+?)_(?P<id>\d+)_assignsubmission_(?:file|onlinetext)_(?:/)?(?P<file>.*)$"
)
# Canvas's suffix on a resubmitted file: `04_lstm-1.ipynb`.
RESUBMITTED = re.compile(r"^(?P<stem>.+?)-\d+(?P<suffix>\.[^.]+)$")
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024


@dataclass
class Unpacked:
    """What `unpack_archive` did.

    Args:
        root: the folder with one sub-folder per student, ready for `grade_submissions`.
        students: student folder name -> LMS user id ("" when the layout carries none).
        notebooks: (student, released notebook name) -> the archive entry it came from.
        unknown: `(entry, why)` for every entry that was not mapped to a student's notebook
            (unknown names, unknown notebooks, duplicates); data files are not listed.
        refused: `(entry, why)` for entries refused for safety (paths leaving the folder,
            links, oversized files).
        layout: `"canvas"`, `"moodle"`, `"folders"` or `"mixed"`.
    """

    root: Path
    students: dict[str, str] = field(default_factory=dict)
    notebooks: dict[tuple[str, str], str] = field(default_factory=dict)
    unknown: list[tuple[str, str]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    layout: str = ""


def safe_folder_name(name: str) -> str:
    """A student's name as a folder name: letters, digits, `-`, `_`, `.` and spaces kept."""
    name = unicodedata.normalize("NFC", name).strip()
    name = re.sub(r"[^\w\-. ]+", "_", name).strip(" .")
    return name or "student"


def _unsafe(info: zipfile.ZipInfo) -> str | None:
    """Why an entry may not be extracted, or None."""
    name = info.filename
    if "\\" in name:
        name = name.replace("\\", "/")
    path = PurePosixPath(name)
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "an absolute path, outside the extraction folder"
    if ".." in path.parts:
        return "a path with '..', outside the extraction folder"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return "not a regular file"
    return None


def _wrapper_folder(infos: list[zipfile.ZipInfo]) -> str:
    """The one folder that wraps every entry (`submissions/alice/...`), as `"submissions/"`.

    A teacher who zips the folder of a class gets such a wrapper; it is not a student.
    Returns "" unless all entries share one first folder with several folders below it.
    """
    names = [i.filename for i in infos if not i.is_dir() and "__MACOSX" not in i.filename]
    parts = [PurePosixPath(n).parts for n in names]
    if not parts or any(len(p) < 3 for p in parts) or len({p[0] for p in parts}) != 1:
        return ""
    if len({p[1] for p in parts}) < 2:  # one student's own nested folders, not a class
        return ""
    return parts[0][0] + "/"


def parse_entry(name: str) -> tuple[str, str, str, str] | None:
    """Return `(layout, student, user id, file name)` of an archive entry, or None.

    Example:
        >>> parse_entry("smithbob_late_340934_208490284_04_lstm-1.ipynb")
        ('canvas', 'smithbob', '340934', '04_lstm-1.ipynb')
    """
    parts = PurePosixPath(name).parts
    if not parts:
        return None
    moodle = MOODLE_NAME.match(name)
    if moodle and moodle["file"] and "/" not in moodle["file"]:
        return "moodle", moodle["name"], moodle["id"], moodle["file"]
    if len(parts) == 1:
        canvas = CANVAS_NAME.match(parts[0])
        if canvas:
            return "canvas", canvas["name"], canvas["id"], canvas["file"]
        return None
    return "folders", parts[0], "", parts[-1]


def match_release(file_name: str, released: Iterable[str]) -> tuple[str | None, str]:
    """Map a submitted file name to a released notebook name.

    Returns:
        `(released name, "")`, or `(None, why)` for a notebook that matches none or several.
    """
    released = list(released)
    if file_name in released:
        return file_name, ""
    again = RESUBMITTED.match(file_name)
    if again and again["stem"] + again["suffix"] in released:
        return again["stem"] + again["suffix"], ""
    stem = Path(file_name).stem
    found = [r for r in released if stem.startswith(Path(r).stem)]
    if len(found) == 1:
        return found[0], ""
    if found:
        return None, f"matches several released notebooks ({', '.join(found)})"
    return None, f"is no released notebook (released: {', '.join(released) or 'none'})"


def unpack_archive(
    archive: str | Path,
    destination: str | Path,
    released: Iterable[str],
    *,
    max_bytes: int = MAX_FILE_BYTES,
    max_total_bytes: int = MAX_TOTAL_BYTES,
) -> Unpacked:
    """Unpack an LMS's "download all submissions" zip into one folder per student.

    Args:
        archive: the zip file (Canvas, Moodle, or one folder per student).
        destination: an empty or new folder; `destination/<student>/<notebook>.ipynb` is
            written.
        released: the released notebooks' file names (`04_lstm.ipynb`).
        max_bytes: largest file extracted. Defaults to 50 MB.
        max_total_bytes: most bytes extracted from the archive. Defaults to 2 GB.

    Returns:
        An `Unpacked`: the folder to grade, the students and what was not used, and why.

    Raises:
        ValueError: when `archive` is not a zip file.

    Example:
        >>> unpacked = unpack_archive("submissions.zip", "class", ["04_lstm.ipynb"])  # doctest: +SKIP
        >>> unpacked.unknown  # doctest: +SKIP
        [('notes.txt', 'the file name carries no student (...)')]
    """
    archive, root = Path(archive), Path(destination)
    released = sorted(released)
    if not zipfile.is_zipfile(archive):
        raise ValueError(f"`archive` must be a zip file; {archive} is not one.")
    root.mkdir(parents=True, exist_ok=True)
    unpacked = Unpacked(root)
    layouts: set[str] = set()
    total = 0
    with zipfile.ZipFile(archive) as zipped:
        wrapper = _wrapper_folder(zipped.infolist())
        for info in sorted(zipped.infolist(), key=lambda i: i.filename):
            name = info.filename
            why = _unsafe(info)
            if why:
                unpacked.refused.append((name, f"refused: {why}"))
                continue
            if info.is_dir() or PurePosixPath(name).name.startswith(".") or "__MACOSX" in name:
                continue
            if info.file_size > max_bytes or total + info.file_size > max_total_bytes:
                unpacked.refused.append(
                    (name, f"refused: larger than the {max_bytes:,} byte limit")
                )
                continue
            parsed = parse_entry(name[len(wrapper) :] if wrapper else name)
            if parsed is None:
                unpacked.unknown.append(
                    (name, "the file name carries no student (not a Canvas or Moodle name)")
                )
                continue
            layout, student, user_id, file_name = parsed
            layouts.add(layout)
            folder = safe_folder_name(student if not user_id else f"{student}_{user_id}")
            target_name = file_name
            if file_name.lower().endswith(".ipynb"):
                notebook, why = match_release(file_name, released)
                if notebook is None:
                    unpacked.unknown.append((name, f"{student}: {file_name} {why}"))
                    continue
                if (folder, notebook) in unpacked.notebooks:
                    earlier = unpacked.notebooks[(folder, notebook)]
                    unpacked.unknown.append(
                        (name, f"{student}: a second {notebook}; graded {earlier} (sorted last)")
                    )
                    (root / folder / notebook).unlink()
                unpacked.notebooks[(folder, notebook)] = name
                target_name = notebook
            target_name = safe_folder_name(target_name)
            target = root / folder / target_name
            if root.resolve() not in target.resolve().parents:  # belt and braces
                unpacked.refused.append((name, "refused: outside the extraction folder"))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zipped.open(info) as source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink)
            total += info.file_size
            unpacked.students.setdefault(folder, user_id)
    unpacked.layout = layouts.pop() if len(layouts) == 1 else ("mixed" if layouts else "")
    return unpacked


def describe(unpacked: Unpacked) -> list[str]:
    """Return the lines a teacher reads about an unpacked archive (refused and unknown)."""
    lines = [
        f"Unpacked {len(unpacked.notebooks)} notebooks of {len(unpacked.students)} students "
        f"({unpacked.layout or 'empty'} archive) into {unpacked.root}"
    ]
    lines += [f"REFUSED {entry}: {why}" for entry, why in unpacked.refused]
    lines += [f"not graded: {entry}: {why}" for entry, why in unpacked.unknown]
    return lines
