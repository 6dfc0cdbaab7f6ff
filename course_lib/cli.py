"""The `rnn-course` command: generate exercises, check your own work, grade a class.

    rnn-course assign [--check] [--refresh-outputs]     solutions/ -> exercises/
    rnn-course check NOTEBOOK...                          grade your notebooks yourself
    rnn-course grade SUBMISSIONS --out grades.csv         grade every student's folder
    rnn-course upgrade-ids NOTEBOOK...                    dotted grade ids -> nbgrader's form
    rnn-course doctor                                     what is wrong with this set-up

Run `rnn-course COMMAND --help` for the options. Also `python -m course_lib`. TensorFlow's
C++ log lines are left out of what the commands print, unless `--verbose`.

Introduced in Chapter 0 (Introduction and set-up).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import course_lib
from course_lib.grading import canvas, moodle
from course_lib.grading.assign import assign, refresh_outputs
from course_lib.grading.assignment import (
    apply_late_rule,
    assignment_notebooks,
    handed_in_notebooks,
    parse_late_penalty,
)
from course_lib.grading.class_grading import grade_submissions, new_grading_seed, released_notebooks
from course_lib.grading.escaping import terminal_text
from course_lib.grading.execute import ExecutionConfig
from course_lib.grading.feedback import results_table, student_feedback, write_feedback
from course_lib.grading.grade import ReleasedNotebook, grade_notebook
from course_lib.grading.gradebook import write_csv, write_gradescope, write_wide_csv
from course_lib.grading.notebook_format import (
    NotebookFormatError,
    NotebookReadError,
    read_notebook,
    upgrade_grade_ids,
    write_notebook,
)
from course_lib.grading.outcomes import ExerciseStatus
from course_lib.grading.run_record import starter_code, write_run_record
from course_lib.grading.sandbox import (
    SandboxLimits,
    SandboxUnavailable,
    parse_size,
    total_limits,
)
from course_lib.grading.submissions import (
    Unpacked,
    describe,
    explain_refused,
    not_graded,
    unpack_archive,
)
from course_lib.grading.zip_entries import is_zip
from course_lib.native_logs import QUIET_ENVIRONMENT, filtered_stderr

# Exit codes: 0 success, 1 a negative answer (out of date, exercises not passed),
# 2 the command could not do its job (bad arguments, missing folders, broken release).
EXIT_OK, EXIT_NEGATIVE, EXIT_ERROR = 0, 1, 2


def default_release_dir() -> Path:
    """The course repository's `exercises/` folder, next to the installed `course_lib`."""
    return Path(course_lib.__file__).resolve().parent.parent / "exercises"


def _positive(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds; got {value}")
    return number


_DEFAULTS = ExecutionConfig()


def _size(value: str) -> int:
    try:
        return parse_size(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _count(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number; got {value}")
    return int(value)


def _add_limits(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cell-timeout",
        type=_positive,
        default=_DEFAULTS.cell_timeout,
        metavar="S",
        help="seconds one cell may run before it is interrupted "
        f"(default: {_DEFAULTS.cell_timeout:g})",
    )
    parser.add_argument(
        "--notebook-timeout",
        type=_positive,
        default=_DEFAULTS.notebook_timeout,
        metavar="S",
        help="wall-clock seconds for a whole notebook; then its kernel is killed "
        f"(default: {_DEFAULTS.notebook_timeout:g})",
    )


def _add_sandbox(parser: argparse.ArgumentParser) -> None:
    limits = _DEFAULTS.limits
    parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run students' code WITHOUT the bubblewrap sandbox, with your rights and no "
        "resource limits (recorded in the gradebook); only for trusted code",
    )
    parser.add_argument(
        "--memory-limit",
        type=_size,
        default=limits.memory_bytes,
        metavar="SIZE",
        help=f"memory of one sandbox, all its processes and in-memory files together, and "
        f"address space of each of its processes, e.g. 8G (default: "
        f"{limits.memory_bytes // 1024**3}G)",
    )
    parser.add_argument(
        "--process-limit",
        type=_count,
        default=limits.processes,
        metavar="N",
        help=f"processes and threads in one sandbox (default: {limits.processes})",
    )
    parser.add_argument(
        "--file-size-limit",
        type=_size,
        default=limits.file_bytes,
        metavar="SIZE",
        help=f"largest file a sandboxed notebook may write, its result included (default: "
        f"{limits.file_bytes // 1024**2}M)",
    )
    parser.add_argument(
        "--disk-limit",
        type=_size,
        default=limits.disk_bytes,
        metavar="SIZE",
        help=f"size of each in-memory folder a sandboxed notebook may write to: its working "
        f"folder, /tmp and /dev/shm (default: {limits.disk_bytes // 1024**3}G)",
    )
    parser.add_argument(
        "--per-process-limits",
        action="store_true",
        help="where no cgroup can cap a sandbox's memory and processes in total, grade with "
        "limits per process instead of stopping (N processes may then use N times "
        "--memory-limit; the summary says so)",
    )


def _add_assignment_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--notebooks",
        action="append",
        default=[],
        metavar="NB[,NB...]",
        help="the notebooks of this assignment, e.g. 04_lstm (repeatable; default: the "
        "released notebooks the submissions contain); only these are graded",
    )
    parser.add_argument(
        "--late-penalty",
        metavar="SHARE",
        help="take this share of the points off a notebook the LMS marked late, e.g. 10%% "
        "(default: none; late notebooks are marked in the gradebooks either way)",
    )


def _add_lms_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--roster",
        metavar="FILE",
        help="the Canvas gradebook export (Grades > Export); writes a Canvas import file with "
        "this assignment's columns only (see --canvas, --canvas-column)",
    )
    parser.add_argument(
        "--canvas",
        metavar="CSV",
        help="where to write the Canvas import file (needs --roster; default: OUT-canvas.csv)",
    )
    parser.add_argument(
        "--canvas-column",
        action="append",
        default=[],
        metavar="NB=COLUMN",
        help='the Canvas assignment a notebook goes to, as exported: 04_lstm="Homework 4: '
        'LSTM (5551)" (repeatable; default: the roster assignment whose title contains the '
        "notebook's name, e.g. 'Homework 4: LSTM' for 04_lstm)",
    )
    parser.add_argument(
        "--canvas-new-columns",
        action="store_true",
        help="allow columns without an assignment id, which make Canvas create assignments",
    )
    parser.add_argument(
        "--moodle-worksheet",
        metavar="FILE",
        help="the assignment's grading worksheet downloaded from Moodle; writes it back with "
        "the grades filled in (see --moodle)",
    )
    parser.add_argument(
        "--moodle",
        metavar="CSV",
        help="where to write the worksheet to upload to Moodle (needs --moodle-worksheet; "
        "default: OUT-moodle.csv)",
    )
    parser.add_argument(
        "--moodle-grade-column",
        default="Grade",
        metavar="NAME",
        help="the worksheet's grade column in Moodle's language (default: Grade)",
    )
    parser.add_argument(
        "--scale-points",
        action="store_true",
        help="scale points to the LMS assignment's points (Canvas: Points Possible; "
        "Moodle: maximum grade) instead of writing the notebooks' points",
    )
    parser.add_argument(
        "--missing-as-zero",
        action="store_true",
        help="write 0 in the LMS files for students who handed nothing in (default: leave "
        "them out, so the LMS keeps what it has)",
    )


def _add_check_modules(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check-module",
        action="append",
        default=[],
        metavar="NAME",
        help="another module the check cells import, reloaded before each check like "
        "course_lib.checks (repeatable)",
    )


def _module_places(names: Sequence[str]) -> tuple[tuple[str, ...], dict[str, str]]:
    """Where a course's own check modules live: the paths the sandbox must show read-only,
    and the kernel's `PYTHONPATH` that finds them."""
    paths, folders = [], []
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.origin:
            raise ValueError(f"`--check-module` {name!r} cannot be imported here")
        origin = Path(spec.origin).resolve()
        place = origin.parent if spec.submodule_search_locations else origin
        paths.append(str(place))
        folders.append(str(place.parent))
    env = {"PYTHONPATH": os.pathsep.join(dict.fromkeys(folders))} if folders else {}
    return tuple(paths), env


def _config(args: argparse.Namespace, *, sandbox: bool = False) -> ExecutionConfig:
    own = list(dict.fromkeys(getattr(args, "check_module", [])))
    limits = _DEFAULTS.limits
    if sandbox:
        limits = SandboxLimits(
            args.memory_limit,
            args.process_limit,
            args.file_size_limit,
            args.disk_limit,
            args.per_process_limits,
        )
    paths, env = _module_places(own)
    return ExecutionConfig(
        cell_timeout=args.cell_timeout,
        notebook_timeout=args.notebook_timeout,
        check_modules=tuple(dict.fromkeys((*_DEFAULTS.check_modules, *own))),
        sandbox=sandbox,
        limits=limits,
        env=env,
        read_only_paths=paths,
    )


def _err(message: str) -> None:
    text = terminal_text(message, keep_newlines=True)
    print(f"rnn-course: {text}", file=sys.stderr, flush=True)


def _say(line: str) -> None:
    """Print a line that may hold students' names or messages: control characters escaped."""
    print(terminal_text(line, keep_newlines=True), flush=True)


# -- assign ----------------------------------------------------------------------------------


def _cmd_assign(args: argparse.Namespace) -> int:
    if args.refresh_outputs and args.check:
        _err("--check and --refresh-outputs cannot be combined")
        return EXIT_ERROR
    if not Path(args.solutions).is_dir():
        _err(f"solutions folder {args.solutions} does not exist")
        return EXIT_ERROR
    if args.refresh_outputs:
        problems = refresh_outputs(
            args.solutions,
            config=_config(args),
            names=args.notebooks,
            progress=lambda line: print(line, flush=True),
        )
        if problems:
            for problem in problems:
                _err(problem)
            return EXIT_NEGATIVE
    report = assign(args.solutions, args.exercises, check=args.check, names=args.notebooks)
    for error in report.errors:
        _err(error)
    if args.check:
        for path in report.written:
            print(f"{path} is out of date")
        for path in report.removed:
            print(f"{path} has no solution notebook any more")
        if report.written or report.removed:
            print("Run `rnn-course assign` to regenerate the exercises.")
        else:
            print(f"{len(report.unchanged)} exercise notebooks are up to date.")
        if report.errors:
            return EXIT_ERROR
        return EXIT_NEGATIVE if report.written or report.removed else EXIT_OK
    for path in report.written:
        print(f"wrote {path}")
    for path in report.removed:
        print(f"removed {path}")
    print(f"{len(report.written)} written, {len(report.unchanged)} unchanged.")
    return EXIT_ERROR if report.errors else EXIT_OK


# -- check -----------------------------------------------------------------------------------


def _cmd_check(args: argparse.Namespace) -> int:
    release_dir = Path(args.release) if args.release else default_release_dir()
    if not release_dir.is_dir():
        _err(
            f"cannot find the released exercises in {release_dir}; "
            "pass --release DIR (the course repository's exercises/ folder)"
        )
        return EXIT_ERROR
    try:
        config = _config(args)
    except ValueError as error:
        _err(str(error))
        return EXIT_ERROR
    seed = new_grading_seed()
    print(f"Checking with fresh inputs (seed {seed}), as the teacher's grader will.")
    results = []
    for notebook in args.notebooks:
        path = Path(notebook)
        release = release_dir / path.name
        if not release.is_file():
            _err(f"{path.name} is not a released exercise (no {release})")
            return EXIT_ERROR
        print(f"Checking {path} ...", flush=True)
        try:
            result = grade_notebook(
                path if path.is_file() else None,
                ReleasedNotebook.read(release),
                student="you",
                config=config,
                seed=seed,
                missing_reason=f"{path} does not exist",
            )
        except (NotebookReadError, NotebookFormatError) as error:
            _err(f"the released {release} is broken: {error}")
            return EXIT_ERROR
        results.append(result)
    print()
    print(results_table(results))
    for notebook in results:
        for r in notebook.results:
            if r.status != ExerciseStatus.PASSED and "\n" in r.message:
                _say(f"\nExercise {r.exercise} ({r.status}):\n{r.message}")
        for note in notebook.notes:
            _say(f"\nNote ({notebook.notebook}): {note}")
    if args.summary:
        with open(args.summary, "a", encoding="utf-8") as handle:
            handle.write(student_feedback("you", results, title="Exercise check") + "\n")
    passed = all(r.status == ExerciseStatus.PASSED for n in results for r in n.results)
    return EXIT_OK if passed else EXIT_NEGATIVE


# -- grade -----------------------------------------------------------------------------------


@dataclass
class _GradePlan:
    """Everything `rnn-course grade` checked before the first notebook runs."""

    folder: Path
    notebooks: list[str]
    unpacked: Unpacked | None = None
    penalty: float = 0.0
    roster: canvas.Roster | None = None
    columns: list = field(default_factory=list)
    worksheet: moodle.Worksheet | None = None
    lines: list[str] = field(default_factory=list)

    def ids(self, layout: str) -> dict[str, str]:
        """Student folder -> LMS id, when the archive came from that LMS."""
        unpacked = self.unpacked
        return dict(unpacked.students) if unpacked and unpacked.layout == layout else {}


def _release_dir(args: argparse.Namespace) -> Path:
    return Path(args.release) if args.release else default_release_dir()


def _file_outputs(args: argparse.Namespace) -> dict[str, str]:
    """Option -> file each gradebook is written to."""
    out = Path(args.out)
    files = {"--out": args.out, "--wide": args.wide}
    files["--run-record"] = args.run_record or str(out.with_name(out.stem + "-run.json"))
    if args.roster:
        files["--canvas"] = args.canvas or str(out.with_name(out.stem + "-canvas.csv"))
    if args.moodle_worksheet:
        files["--moodle"] = args.moodle or str(out.with_name(out.stem + "-moodle.csv"))
    return {option: path for option, path in files.items() if path}


def _check_options(args: argparse.Namespace) -> None:
    """Option combinations and output paths, before anything is read or graded."""
    if args.canvas and not args.roster:
        raise ValueError(
            "--canvas needs --roster FILE (the CSV exported from the Canvas gradebook)"
        )
    if args.canvas_column and not args.roster:
        raise ValueError("--canvas-column needs --roster FILE (the Canvas gradebook export)")
    if args.moodle and not args.moodle_worksheet:
        raise ValueError("--moodle needs --moodle-worksheet FILE (downloaded from the assignment)")
    if (args.scale_points or args.missing_as_zero) and not (args.roster or args.moodle_worksheet):
        raise ValueError(
            "--scale-points and --missing-as-zero apply to the LMS files: add --roster "
            "(Canvas) or --moodle-worksheet (Moodle)"
        )
    inputs = {
        Path(p).resolve() for p in (args.submissions, args.roster, args.moodle_worksheet) if p
    }
    seen: dict[Path, str] = {}
    files = _file_outputs(args)
    folders = {"--gradescope": args.gradescope, "--feedback": args.feedback}
    folders["--unpack-to"] = args.unpack_to
    for option, place in [*files.items(), *((o, f) for o, f in folders.items() if f)]:
        path = Path(place).resolve()
        if path in inputs:
            raise ValueError(f"{option} {place} would overwrite an input file; choose another path")
        if path in seen:
            raise ValueError(f"{option} and {seen[path]} both write {place}")
        seen[path] = option
        is_file = option in files
        if is_file and path.is_dir() or not is_file and path.exists() and not path.is_dir():
            kind = "a folder" if is_file else "a file"
            raise ValueError(f"{option} {place} is {kind}")
        parent = path.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ValueError(f"{option} {place}: cannot create its folder ({error})") from None
        if not os.access(parent, os.W_OK):
            raise ValueError(f"{option} {place}: its folder {parent} is not writable")


def _prepare_grading(args: argparse.Namespace, scratch: Path) -> _GradePlan:
    """Read and check every input, unpack an archive, plan the LMS files: before grading.

    Raises:
        ValueError, FileNotFoundError, NotebookReadError, NotebookFormatError: with what is
            wrong; nothing has been graded or written (except the unpacked archive).
    """
    _check_options(args)
    penalty = parse_late_penalty(args.late_penalty) if args.late_penalty else 0.0
    roster = canvas.read_roster(args.roster) if args.roster else None
    worksheet = None
    if args.moodle_worksheet:
        worksheet = moodle.read_worksheet(
            args.moodle_worksheet, grade_column=args.moodle_grade_column
        )
    releases = released_notebooks(_release_dir(args))
    released = [r.name for r in releases]
    submissions = Path(args.submissions)
    unpacked = None
    if is_zip(submissions):
        unpacked = unpack_archive(submissions, Path(args.unpack_to or scratch), released)
        folder, handed_in = unpacked.root, {n for _, n in unpacked.notebooks}
    elif submissions.is_dir():
        folder, handed_in = submissions, set(handed_in_notebooks(submissions, released))
    else:
        raise FileNotFoundError(
            f"submissions {submissions} does not exist (a folder per student, or an LMS zip)"
        )
    requested = [n for value in args.notebooks for n in value.split(",")]
    notebooks = assignment_notebooks(requested, handed_in, released)
    worth = {r.name: sum(e.points for e in r.exercises) for r in releases if r.name in notebooks}
    plan = _GradePlan(folder, notebooks, unpacked, penalty, roster, worksheet=worksheet)
    if unpacked is not None:
        plan.lines += describe(unpacked)
    how = "as named by --notebooks" if requested else "those the submissions contain"
    plan.lines.append(f"Assignment: {', '.join(notebooks)} ({how})")
    if roster is not None:
        plan.columns, lines = canvas.plan_canvas_columns(
            worth,
            roster,
            args.canvas_column,
            new_columns=args.canvas_new_columns,
            scale=args.scale_points,
        )
        plan.lines += lines
    if worksheet is not None:
        plan.lines += moodle.plan_moodle(sum(worth.values()), worksheet, scale=args.scale_points)
    return plan


def _grade_results(
    args: argparse.Namespace, plan: _GradePlan, config: ExecutionConfig, seed: int
) -> list:
    return grade_submissions(
        plan.folder,
        _release_dir(args),
        config=config,
        workers=args.workers,
        dask=args.dask or None,
        seed=seed,
        progress=_say,
        notebooks=plan.notebooks,
    )


def _write_gradebooks(
    args: argparse.Namespace, results: list, plan: _GradePlan
) -> list[tuple[str, str]]:
    """Write the gradebooks asked for besides --out; return what the final summary adds."""
    files, summary = _file_outputs(args), []
    if args.wide:
        write_wide_csv(results, args.wide)
        _say(f"Wrote {args.wide} (one row per student)")
    if plan.roster is not None:
        path = files["--canvas"]
        report = canvas.write_canvas_csv(
            results,
            plan.roster,
            plan.columns,
            path,
            ids=plan.ids("canvas"),
            zeros=args.missing_as_zero,
            scale=args.scale_points,
        )
        _say(
            f"Wrote {path} (Canvas import: {len(report.written)} students; left out, having "
            f"handed nothing in: {len(report.left_out)}, whose grades Canvas keeps)"
        )
        summary += [(s, f"not in the roster {args.roster}; not in {path}") for s in report.unknown]
    if plan.worksheet is not None:
        path = files["--moodle"]
        report = moodle.write_moodle_worksheet(
            results,
            plan.worksheet,
            path,
            ids=plan.ids("moodle"),
            zeros=args.missing_as_zero,
            scale=args.scale_points,
        )
        _say(
            f"Wrote {path} (Moodle grading worksheet: {len(report.written)} grades; left out, "
            f"having handed nothing in: {len(report.left_out)}, whose grades Moodle keeps)"
        )
        summary += [(s, f"not in the worksheet; not in {path}") for s in report.unknown]
    if args.gradescope:
        paths = write_gradescope(results, args.gradescope)
        _say(f"Wrote {len(paths)} Gradescope results.json files to {args.gradescope}")
    return summary


def _not_graded(plan: _GradePlan, results: list, lms: list) -> list[tuple[str, str]]:
    """Everything handed in that is not graded (or not in an LMS file), with why."""
    items = list(not_graded(plan.unpacked)) if plan.unpacked else []
    broken = {
        (r.student, r.notebook): r.results[0].message
        for r in results
        if r.results and r.results[0].message.startswith("the grader failed")
    }
    items += [(f"{student} {notebook}", why) for (student, notebook), why in broken.items()]
    return items + list(lms)


def _final_summary(items: list[tuple[str, str]]) -> list[str]:
    """The lines printed last: everything handed in that is not graded, and why."""
    if not items:
        return ["Everything handed in was graded."]
    lines = [f"  - {what}: {why}" for what, why in items]
    return [f"Not graded, and why ({len(items)}):", *lines]


def _cmd_grade(args: argparse.Namespace) -> int:
    start = time.monotonic()
    try:
        config = _config(args, sandbox=not args.no_sandbox)
    except ValueError as error:
        _err(str(error))
        return EXIT_ERROR
    seed = new_grading_seed() if args.seed is None else args.seed
    scratch = tempfile.TemporaryDirectory(prefix="rnn-course-archive-")
    try:
        plan = _prepare_grading(args, Path(scratch.name))
        for line in plan.lines:
            _say(line)
        results = _grade_results(args, plan, config, seed)
    except SandboxUnavailable as error:
        _err(f"nothing was graded: {error}")
        scratch.cleanup()
        return EXIT_ERROR
    except (
        FileNotFoundError,
        NotebookReadError,
        NotebookFormatError,
        ValueError,
        RuntimeError,
        OSError,
    ) as error:
        _err(f"nothing was graded: {error}")
        scratch.cleanup()
        return EXIT_ERROR
    if plan.unpacked is not None:
        results = explain_refused(results, plan.unpacked)
    results = apply_late_rule(results, plan.unpacked.late if plan.unpacked else (), plan.penalty)
    write_csv(results, args.out)
    lms = _write_gradebooks(args, results, plan)
    unfinished = _not_graded(plan, results, lms)
    record = _file_outputs(args)["--run-record"]
    starters = starter_code(released_notebooks(_release_dir(args)))
    write_run_record(results, record, starters=starters, not_graded=unfinished)
    _say(f"Wrote {record} (the run's record for `rnn-course report`)")
    scratch.cleanup()
    students = len({r.student for r in results})
    isolation = (
        f"in the bubblewrap sandbox ({total_limits()})"
        if config.sandbox
        else "WITHOUT the sandbox (--no-sandbox: students' code ran with your rights)"
    )
    if args.feedback:
        paths = write_feedback(results, args.feedback)
        _say(f"Wrote {len(paths)} feedback files to {args.feedback}")
    _say(
        f"Graded {len(results)} notebooks of {students} students {isolation}, inputs from "
        f"seed {seed}, in {time.monotonic() - start:.1f} s; wrote {args.out}"
    )
    for line in _final_summary(unfinished):
        _say(line)
    return EXIT_OK


# -- report ----------------------------------------------------------------------------------


def find_run_record(place: str | Path) -> Path:
    """The run record named, or the one `*-run.json` of a folder (a grading run's folder).

    Raises:
        FileNotFoundError: when there is no such file, or the folder holds none or several.
    """
    place = Path(place)
    if place.is_file():
        return place
    if place.is_dir():
        found = sorted(place.glob("*-run.json"))
        if len(found) == 1:
            return found[0]
        what = "no" if not found else f"{len(found)} ({', '.join(p.name for p in found)})"
        raise FileNotFoundError(
            f"RUN must be a grading run's record or a folder holding one *-run.json (written "
            f"by `rnn-course grade` next to its CSV); {place} holds {what}: name the file."
        )
    raise FileNotFoundError(f"RUN {place} does not exist (a *-run.json file or its folder)")


def _cmd_report(args: argparse.Namespace) -> int:
    from course_lib.grading.class_report import class_report, write_report_csv
    from course_lib.grading.report_page import report_html
    from course_lib.grading.run_record import read_run_record

    start = time.monotonic()
    out = Path(args.out)
    csv_path = Path(args.csv) if args.csv else out.with_suffix(".csv")
    try:
        if out.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"--out must name an .html file; got {args.out}")
        if csv_path.resolve() == out.resolve():
            raise ValueError(f"--csv and --out both write {out}")
        record = read_run_record(find_run_record(args.record))
    except (FileNotFoundError, ValueError) as error:
        _err(str(error))
        return EXIT_ERROR
    report = class_report(record)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report_html(report), encoding="utf-8")
    write_report_csv(report, csv_path)
    _say(
        f"Wrote {out} and {csv_path}: {len(report.students)} students, "
        f"{len(report.exercises)} exercises, in {time.monotonic() - start:.1f} s"
    )
    return EXIT_OK


# -- upgrade-ids -----------------------------------------------------------------------------


def _cmd_upgrade_ids(args: argparse.Namespace) -> int:
    status = EXIT_OK
    for name in args.notebooks:
        path = Path(name)
        try:
            nb = read_notebook(path)
            changed = upgrade_grade_ids(nb)
        except (NotebookReadError, NotebookFormatError) as error:
            _err(str(error))
            status = EXIT_ERROR
            continue
        if not changed:
            print(f"{path}: all grade ids are already valid")
            continue
        if not args.check:
            write_notebook(nb, path)
        verb = "would change" if args.check else "changed"
        print(f"{path}: {verb} {len(changed)} grade ids ({', '.join(changed)})")
        if args.check:
            status = max(status, EXIT_NEGATIVE)
    return status


# -- doctor ----------------------------------------------------------------------------------


def _cmd_doctor(args: argparse.Namespace) -> int:
    from course_lib.doctor import run_doctor

    return run_doctor(args.only or None)


# -- the parser ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of `rnn-course`."""
    parser = argparse.ArgumentParser(
        prog="rnn-course",
        description="Exercises of the RNN course: generate them, check them, grade them.",
    )
    parser.add_argument("--version", action="version", version=course_lib.__version__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser(
        "assign",
        help="generate exercises/ from solutions/",
        description="Generate the exercise notebooks from the solution notebooks.",
    )
    p.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="only these file names")
    p.add_argument("--solutions", default="solutions", help="default: solutions")
    p.add_argument("--exercises", default="exercises", help="default: exercises")
    p.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 listing the exercise notebooks that are out of date",
    )
    p.add_argument(
        "--refresh-outputs",
        action="store_true",
        help="first execute the solutions and store their check cells' outputs (only those)",
    )
    _add_limits(p)
    _add_check_modules(p)
    p.set_defaults(run=_cmd_assign)

    p = commands.add_parser(
        "check",
        help="grade your own notebooks the way the teacher will",
        description="Run your notebooks like the grader (locked cells restored from the "
        "release) and print a table of exercises, points, status and messages. "
        "Exit 0 when every exercise passed, 1 otherwise.",
    )
    p.add_argument("notebooks", nargs="+", metavar="NOTEBOOK")
    p.add_argument(
        "--release",
        metavar="DIR",
        help="folder of the released exercises (default: the course repository's exercises/)",
    )
    p.add_argument("--summary", metavar="FILE", help="also append a Markdown report to FILE")
    _add_limits(p)
    _add_check_modules(p)
    p.set_defaults(run=_cmd_check)

    p = commands.add_parser(
        "grade",
        help="grade every student's folder and write a CSV",
        description="Grade SUBMISSIONS/<student>/<notebook>.ipynb against the release. "
        "SUBMISSIONS may also be the zip an LMS gives for 'download all submissions' "
        "(Canvas, Moodle, or a zip of one folder per student).",
    )
    p.add_argument(
        "submissions",
        metavar="SUBMISSIONS",
        help="one folder per student, or an LMS's 'download all submissions' zip",
    )
    p.add_argument("--out", required=True, metavar="CSV", help="where to write the grades")
    p.add_argument(
        "--release",
        metavar="DIR",
        help="folder of the released exercises (default: the course repository's exercises/)",
    )
    p.add_argument("--workers", type=_count, default=1, metavar="N", help="parallel kernels")
    p.add_argument(
        "--seed",
        type=int,
        metavar="N",
        help="seed of the checks' inputs, to reproduce a run (default: a fresh one, printed "
        "and written to the gradebook)",
    )
    p.add_argument("--feedback", metavar="DIR", help="write one Markdown file per student here")
    p.add_argument(
        "--unpack-to",
        metavar="DIR",
        help="unpack an LMS archive here and keep it (default: a temporary folder)",
    )
    p.add_argument(
        "--wide", metavar="CSV", help="also write one row per student, a column per notebook"
    )
    p.add_argument(
        "--run-record",
        metavar="JSON",
        help="where to write the run's record for `rnn-course report` (default: OUT-run.json "
        "next to --out)",
    )
    p.add_argument(
        "--gradescope",
        metavar="DIR",
        help="also write DIR/<student>/results.json in Gradescope's autograder format",
    )
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="grade on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786) "
        "instead of --workers local processes; needs dask[distributed]",
    )
    _add_assignment_options(p)
    _add_lms_options(p)
    _add_limits(p)
    _add_sandbox(p)
    _add_check_modules(p)
    p.set_defaults(run=_cmd_grade)

    p = commands.add_parser(
        "report",
        help="the class report of a grading run: an HTML page and a CSV for the teacher",
        description="From the record `rnn-course grade` wrote next to its CSV (OUT-run.json), "
        "write a self-contained HTML page (scores per notebook and exercise, checks passed, "
        "diagnosed mistakes ranked with their hints, what did not run or was not graded, "
        "grading times, submissions that look alike) and the same numbers as CSV. "
        "Nothing is re-run.",
    )
    p.add_argument(
        "record", metavar="RUN", help="the grading run's record (OUT-run.json) or its folder"
    )
    p.add_argument("--out", required=True, metavar="HTML", help="where to write the page")
    p.add_argument(
        "--csv", metavar="CSV", help="where to write the numbers (default: OUT with .csv)"
    )
    p.set_defaults(run=_cmd_report)

    p = commands.add_parser(
        "upgrade-ids",
        help="convert dotted grade ids (ex7.1) to the nbgrader-valid form (ex7_1)",
        description="Rewrite the nbgrader grade ids of solution notebooks written before "
        "grade ids had to match nbgrader's schema ^[a-zA-Z0-9_-]*$: every other character "
        "becomes '_' (ex7.1-solution -> ex7_1-solution, text-7.1 -> text-7_1). Exercise "
        "numbers in text and checks (Exercise 7.1) are not touched. Then run `rnn-course assign`.",
    )
    p.add_argument("notebooks", nargs="+", metavar="NOTEBOOK")
    p.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a notebook needs it"
    )
    p.set_defaults(run=_cmd_upgrade_ids)

    p = commands.add_parser(
        "doctor",
        help="check this set-up: Python, packages, TensorFlow, Jupyter kernel, disk",
        description="Check the environment the course runs in and print one line per "
        "problem with its fix. Exit 0 when everything is in place, 1 otherwise.",
    )
    p.add_argument(
        "--only",
        action="append",
        choices=["python", "packages", "tensorflow", "kernel", "disk"],
        metavar="CHECK",
        help="run only this check (repeatable): python, packages, tensorflow, kernel, disk",
    )
    p.set_defaults(run=_cmd_doctor)
    # Before or after the command: `rnn-course --verbose check ...`, `rnn-course check --verbose ...`.
    verbose = "also show TensorFlow's C++ log lines, which are left out otherwise"
    parser.add_argument("--verbose", action="store_true", help=verbose)
    for command in commands.choices.values():
        command.add_argument(
            "--verbose", action="store_true", default=argparse.SUPPRESS, help=verbose
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `rnn-course` with `argv` (default: the command line); return the exit code."""
    args = build_parser().parse_args(argv)
    if getattr(args, "workers", 1) < 1:
        _err(f"--workers must be at least 1; got {args.workers}")
        return EXIT_ERROR
    if args.verbose:
        return args.run(args)
    for key, value in QUIET_ENVIRONMENT.items():  # kernels and other children inherit them
        os.environ.setdefault(key, value)
    with filtered_stderr():
        return args.run(args)
