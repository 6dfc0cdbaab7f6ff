"""Submissions as teachers get them: an LMS's "download all submissions" zip -> one folder per student.

`rnn-course grade` grades a folder with one sub-folder per student (cloned repositories, or
files collected by hand). `unpack_archive` turns the archive that Canvas or Moodle gives for
"download all submissions" into that layout, mapping every file to a student and, for
notebooks, to a released notebook. The patterns recognised (one test each in
`tests/test_submissions.py`):

**Canvas** (*Assignments > Download Submissions*): loose files named
``<name>_<user id>_<attachment id>_<file name>``, with ``_late_`` (or ``_LATE_``) after the
name for a late submission; the name is the student's "lastfirst" with every Unicode word
character kept (``müllerjürgen``, ``王小明``); Canvas appends ``-1``, ``-2`` to a file name
submitted twice::

    smithbob_340934_208490284_04_lstm.ipynb
    müllerjürgen_late_340935_208490290_04_lstm-1.ipynb

The student is ``smithbob`` with Canvas user id ``340934`` (the roster's `ID` column). The
late flag is kept (`Unpacked.late`) for the gradebooks and the late-penalty rule.

**Moodle** (*Assignment > View all submissions > Download all submissions*): with "Download
submissions in folders" (the default since Moodle 3.1) a folder per student and plugin,
``<Full Name>_<participant id>_assignsubmission_file/`` since Moodle 4.1 (with a `_` before
the `/` in 3.1 to 4.0), holding the files under their own names, sub-folders included;
without it, loose files ``<Full Name>_<participant id>_assignsubmission_file_<file name>``::

    Ada Lovelace_1234_assignsubmission_file/04_lstm.ipynb
    Ada Lovelace_1234_assignsubmission_file_04_lstm.ipynb

The participant id is the one the assignment's grading worksheet lists as
``Participant 1234`` (`course_lib.grading.moodle`). With blind marking the name is
``Participant``; with group submissions it is the group's name and id (one grade per group).

**Folders**: a zip of one folder per student (``alice/04_lstm.ipynb``), as a teacher
would zip cloned repositories. One folder that wraps everything (``class/alice/...``, what
zipping the class's folder gives) is not taken for a student.

A file is mapped to a released notebook when its name, with the LMS's `-1` suffix removed,
is the released name (`04_lstm.ipynb`) or, failing that, starts with the released stem
(`04_lstm (copy).ipynb`; an ambiguous or unknown notebook name is reported). When a student
has two files for one notebook, the newer is graded (Canvas: the larger attachment id;
otherwise the name sorted last) and the other reported. Other files (data a notebook reads)
go next to the student's notebooks under their own names. Nothing is dropped silently:
every entry that is not used is listed in `Unpacked.unknown` with why.

**One bad entry spoils only itself.** Each entry is read and unpacked on its own
(`course_lib.grading.zip_entries`): entries that try to leave the extraction folder (`../`,
absolute paths, drive letters), links and devices, encrypted entries, compression methods
Python cannot unpack (Deflate64), names flagged UTF-8 that are not, declared sizes that lie,
bad CRCs and damaged data are refused with the reason in `Unpacked.refused`; the rest is
unpacked and graded. Sizes are capped (`max_bytes` per file, `max_total_bytes` for the
archive) against zip bombs, and names to `MAX_NAME_BYTES` bytes.

**Names kept, made safe.** A student's name becomes a folder name with its letters, digits,
punctuation and spaces kept, in any script; only what a file system refuses or hides is
replaced: path separators, `: * ? " < > |`, control characters, and a leading `.`. A name
starting with `_`, `(`, `=`, `-` or `@` keeps it (the gradebooks write such cells so that
no spreadsheet reads a formula, `course_lib.grading.escaping`).

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import stat
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from course_lib.grading.escaping import terminal_text
from course_lib.grading.zip_entries import EntryError, ZipEntry, extract, read_entries

# Canvas: name (Unicode word characters), optional late marker, user id, attachment id, file.
CANVAS_NAME = re.compile(
    r"^(?P<name>\w+?)_(?:(?P<late>late|LATE)_)?(?P<id>\d+)_(?P<attachment>\d+)_(?P<file>.+)$"
)
# Moodle: full name, participant id, the plugin, then `_<file>` (loose) or `/<path>`
# (folders; Moodle 3.1 to 4.0 put a `_` before the `/`).
MOODLE_NAME = re.compile(
    r"^(?P<name>[^/]+?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)"
    r"(?:_(?P<loose>[^/]+)|_?/(?P<path>.+))$"
)
# Canvas's suffix on a resubmitted file: `04_lstm-1.ipynb`.
RESUBMITTED = re.compile(r"^(?P<stem>.+?)-\d+(?P<suffix>\.[^.]+)$")
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
MAX_NAME_BYTES = 100
"""Longest folder or file name written, in UTF-8 bytes (file systems allow 255; Windows
allows 260 characters for a whole path)."""
# What file systems refuse in a name (Windows' list is the longest), and control characters.
_UNSAFE_CHARACTERS = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10))}
_WINDOWS_DEVICES |= {f"LPT{i}" for i in range(10)}


@dataclass
class Unpacked:
    """What `unpack_archive` did.

    Args:
        root: the folder with one sub-folder per student, ready for `grade_submissions`.
        students: student folder name -> LMS user id ("" when the layout carries none):
            the Canvas user id, or the Moodle participant id.
        notebooks: (student, released notebook name) -> the archive entry it came from.
        late: the (student, released notebook name) pairs the LMS marked late.
        unknown: `(entry, why)` for every entry that was not mapped to a student's notebook
            (unknown names, unknown notebooks, duplicates); data files are not listed.
        refused: `(entry, why)` for entries refused for safety or because they are damaged.
        refused_notebooks: (student, released notebook name) -> why the student's file for
            it was refused (`explain_refused` puts it in their grades).
        layout: `"canvas"`, `"moodle"`, `"folders"` or `"mixed"`.
    """

    root: Path
    students: dict[str, str] = field(default_factory=dict)
    notebooks: dict[tuple[str, str], str] = field(default_factory=dict)
    late: set[tuple[str, str]] = field(default_factory=set)
    unknown: list[tuple[str, str]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    refused_notebooks: dict[tuple[str, str], str] = field(default_factory=dict)
    layout: str = ""


@dataclass(frozen=True)
class ParsedName:
    """What an archive entry's name says: layout, student, LMS id, file name, late flag.

    Args:
        layout: `"canvas"`, `"moodle"` or `"folders"`.
        student: the student's name as the LMS wrote it.
        user_id: the LMS's id of the student ("" for folders).
        file_name: the submitted file's own name.
        late: whether the LMS marked the file late (Canvas's `_late_`).
        order: the LMS's order of uploads (Canvas's attachment id), 0 when unknown.
    """

    layout: str
    student: str
    user_id: str
    file_name: str
    late: bool = False
    order: int = 0


def _cap(name: str, limit: int = MAX_NAME_BYTES) -> str:
    """`name` shortened to `limit` UTF-8 bytes, its suffix and a short hash kept."""
    if len(name.encode("utf-8")) <= limit:
        return name
    suffix = Path(name).suffix if len(Path(name).suffix) <= 10 else ""
    tag = "~" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    stem = name[: len(name) - len(suffix)]
    room = limit - len((tag + suffix).encode("utf-8"))
    while len(stem.encode("utf-8")) > room:
        stem = stem[:-1]
    return stem + tag + suffix


def safe_folder_name(name: str, *, keep_end: str = "") -> str:
    """A name as a folder or file name, in any script: only what a file system refuses goes.

    Path separators, `: * ? " < > |` and control characters become `_`, a leading `.`
    (a hidden file) becomes `_`, trailing dots and spaces go (Windows drops them), a
    Windows device name (`CON`, `NUL`...) gets a `_` in front, and the name is shortened
    to `MAX_NAME_BYTES` bytes (with a hash of the whole name, so two long names stay two
    folders).

    Args:
        name: the student's name, or a file's name.
        keep_end: a tail always kept whole when the name is shortened (an LMS id `_1234`).
            Defaults to "".

    Returns:
        The folder name; "student" when nothing is left.

    Example:
        >>> safe_folder_name("=Eve (Ève) ../Müller")
        '=Eve (Ève) .._Müller'
    """
    name = unicodedata.normalize("NFC", name)
    name = _UNSAFE_CHARACTERS.sub("_", name).strip()
    if name.startswith("."):
        name = "_" + name[1:]
    name = name.rstrip(" .")
    if name.split(".")[0].upper() in _WINDOWS_DEVICES:
        name = "_" + name
    name = name or "student"
    if keep_end and name.endswith(keep_end):
        head = name[: -len(keep_end)]
        return _cap(head, MAX_NAME_BYTES - len(keep_end.encode("utf-8"))) + keep_end
    return _cap(name)


def _unsafe(entry: ZipEntry) -> str | None:
    """Why an entry may not be extracted, or None."""
    name = entry.name.replace("\\", "/")
    path = PurePosixPath(name)
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "an absolute path, outside the extraction folder"
    if ".." in path.parts:
        return "a path with '..', outside the extraction folder"
    if stat.S_ISLNK(entry.mode):
        return "a symbolic link"
    if stat.S_IFMT(entry.mode) and not (stat.S_ISREG(entry.mode) or stat.S_ISDIR(entry.mode)):
        return "not a regular file"
    return None


def _wrapper_folder(names: list[str]) -> str:
    """The one folder that wraps every entry (`submissions/alice/...`), as `"submissions/"`.

    A teacher who zips the folder of a class gets such a wrapper; it is not a student.
    Returns "" unless all entries share one first folder with several folders below it.
    """
    parts = [PurePosixPath(n).parts for n in names if "__MACOSX" not in n]
    if not parts or any(len(p) < 3 for p in parts) or len({p[0] for p in parts}) != 1:
        return ""
    if len({p[1] for p in parts}) < 2:  # one student's own nested folders, not a class
        return ""
    return parts[0][0] + "/"


def parse_entry(name: str) -> ParsedName | None:
    """Return what an archive entry's name says (`ParsedName`), or None for no student.

    Example:
        >>> parse_entry("müllerjürgen_late_340935_208490290_04_lstm-1.ipynb")
        ParsedName(layout='canvas', student='müllerjürgen', user_id='340935', file_name='04_lstm-1.ipynb', late=True, order=208490290)
    """
    parts = PurePosixPath(name).parts
    if not parts:
        return None
    moodle = MOODLE_NAME.match(name)
    if moodle:
        file_name = moodle["loose"] or PurePosixPath(moodle["path"]).name
        return ParsedName("moodle", moodle["name"], moodle["id"], file_name)
    if len(parts) == 1:
        canvas = CANVAS_NAME.match(parts[0])
        if canvas:
            return ParsedName(
                "canvas",
                canvas["name"],
                canvas["id"],
                canvas["file"],
                bool(canvas["late"]),
                int(canvas["attachment"]),
            )
        return None
    return ParsedName("folders", parts[0], "", parts[-1])


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


def _register(unpacked: Unpacked, plan: _Planned, refused: str = "") -> None:
    """A student who handed something in gets a folder (graded, if only as missing)."""
    (unpacked.root / plan.folder).mkdir(parents=True, exist_ok=True)
    unpacked.students.setdefault(plan.folder, plan.parsed.user_id)
    if refused:
        unpacked.refused.append((plan.entry.name, f"refused: {refused}"))
        if plan.notebook is not None:
            unpacked.refused_notebooks[(plan.folder, plan.notebook)] = refused


@dataclass
class _Planned:
    entry: ZipEntry
    folder: str
    target: str
    parsed: ParsedName
    notebook: str | None


def _plan(entries: list[ZipEntry], released: list[str], unpacked: Unpacked) -> list[_Planned]:
    """Decide where every entry goes, before anything is unpacked."""
    wrapper = _wrapper_folder([e.name for e in entries if not e.is_dir])
    chosen: dict[tuple[str, str], _Planned] = {}
    planned: list[_Planned] = []
    for entry in sorted(entries, key=lambda e: e.name):
        name = entry.name
        why = _unsafe(entry)
        if why:
            unpacked.refused.append((name, f"refused: {why}"))
            continue
        if entry.is_dir or PurePosixPath(name).name.startswith(".") or "__MACOSX" in name:
            continue
        parsed = parse_entry(name[len(wrapper) :] if wrapper else name)
        if parsed is None:
            why = "the file name carries no student (not a Canvas or Moodle name)"
            unpacked.unknown.append((name, why))
            continue
        end = f"_{parsed.user_id}" if parsed.user_id else ""
        folder = safe_folder_name(parsed.student + end, keep_end=end)
        plan = _Planned(entry, folder, safe_folder_name(parsed.file_name), parsed, None)
        if entry.problem:  # refused, but the student handed something in: keep them
            plan.notebook = match_release(parsed.file_name, released)[0]
            _register(unpacked, plan, entry.problem)
            continue
        if parsed.file_name.lower().endswith(".ipynb"):
            notebook, why = match_release(parsed.file_name, released)
            if notebook is None:
                unpacked.unknown.append((name, f"{parsed.student}: {parsed.file_name} {why}"))
                continue
            plan.notebook, plan.target = notebook, notebook
            earlier = chosen.get((folder, notebook))
            if earlier is not None:
                newer = (parsed.order, name) >= (earlier.parsed.order, earlier.entry.name)
                kept, dropped = (plan, earlier) if newer else (earlier, plan)
                why = f"{parsed.student}: a second {notebook}; graded the newer {kept.entry.name}"
                unpacked.unknown.append((dropped.entry.name, why))
                if not newer:
                    continue
                planned.remove(earlier)
            chosen[(folder, notebook)] = plan
        planned.append(plan)
    return planned


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
        ValueError: when `archive` is not a zip file or its table of contents is unreadable.

    Example:
        >>> unpacked = unpack_archive("submissions.zip", "class", ["04_lstm.ipynb"])  # doctest: +SKIP
        >>> unpacked.unknown  # doctest: +SKIP
        [('notes.txt', 'the file name carries no student (...)')]
    """
    archive, root = Path(archive), Path(destination)
    try:
        entries, damage = read_entries(archive)
    except (OSError, ValueError) as error:
        raise ValueError(f"`archive` must be a readable zip file; {archive}: {error}.") from None
    root.mkdir(parents=True, exist_ok=True)
    unpacked = Unpacked(root)
    if damage:
        unpacked.refused.append((archive.name, f"refused: the rest of the archive: {damage}"))
    layouts: set[str] = set()
    total = 0
    with archive.open("rb") as handle:
        for plan in _plan(entries, sorted(released), unpacked):
            target = root / plan.folder / plan.target
            if root.resolve() not in target.resolve().parents:  # belt and braces
                unpacked.refused.append((plan.entry.name, "refused: outside the extraction folder"))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            budget = min(max_bytes, max_total_bytes - total)
            try:
                with target.open("wb") as sink:
                    total += extract(handle, plan.entry, sink, max_bytes=budget)
            except (EntryError, OSError) as error:
                target.unlink(missing_ok=True)
                _register(unpacked, plan, str(error))
                continue
            layouts.add(plan.parsed.layout)
            _register(unpacked, plan)
            if plan.notebook is not None:
                unpacked.notebooks[(plan.folder, plan.notebook)] = plan.entry.name
                if plan.parsed.late:
                    unpacked.late.add((plan.folder, plan.notebook))
    unpacked.layout = layouts.pop() if len(layouts) == 1 else ("mixed" if layouts else "")
    return unpacked


def describe(unpacked: Unpacked) -> list[str]:
    """Return the line a teacher reads first about an unpacked archive (printable text)."""
    late = f", {len(unpacked.late)} marked late" if unpacked.late else ""
    return [
        terminal_text(
            f"Unpacked {len(unpacked.notebooks)} notebooks of {len(unpacked.students)} "
            f"students ({unpacked.layout or 'empty'} archive{late}) into {unpacked.root}"
        )
    ]


def explain_refused(results: list, unpacked: Unpacked) -> list:
    """Say in a student's grades why their notebook is missing when its file was refused.

    Args:
        results: `NotebookResult`s from grading `unpacked.root`.
        unpacked: from `unpack_archive`.

    Returns:
        The results, those of refused notebooks with the reason as every exercise's message.
    """
    explained = []
    for result in results:
        why = unpacked.refused_notebooks.get((result.student, result.notebook))
        if why and not result.submitted:
            message = (
                f"your {result.notebook} was handed in but could not be unpacked from the "
                f"archive: {why}; nothing of it was graded"
            )
            rows = [dataclasses.replace(r, message=message) for r in result.results]
            result = dataclasses.replace(result, results=rows)
        explained.append(result)
    return explained


def not_graded(unpacked: Unpacked) -> list[tuple[str, str]]:
    """Every entry of the archive that is not graded, with why: refused first, then unknown."""
    return [*unpacked.refused, *unpacked.unknown]
