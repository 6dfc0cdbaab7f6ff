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
import zipfile
from collections.abc import Sequence
from pathlib import Path

import course_lib
from course_lib.grading.assign import assign, refresh_outputs
from course_lib.grading.batch import grade_submissions, new_grading_seed
from course_lib.grading.execute import ExecutionConfig
from course_lib.grading.feedback import results_table, student_feedback, write_feedback
from course_lib.grading.grade import PASSED, ReleasedNotebook, grade_notebook
from course_lib.grading.gradebook import (
    read_roster,
    write_canvas_csv,
    write_csv,
    write_gradescope,
    write_wide_csv,
)
from course_lib.grading.notebook_format import (
    NotebookFormatError,
    NotebookReadError,
    read_notebook,
    upgrade_grade_ids,
    write_notebook,
)
from course_lib.grading.sandbox import SandboxLimits, SandboxUnavailable, parse_size
from course_lib.grading.submissions import describe as describe_unpacked
from course_lib.grading.submissions import unpack_archive
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
        help=f"address space of each sandboxed process, e.g. 8G (default: "
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
        help=f"largest file a sandboxed notebook may write (default: "
        f"{limits.file_bytes // 1024**2}M)",
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
        limits = SandboxLimits(args.memory_limit, args.process_limit, args.file_size_limit)
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
    print(f"rnn-course: {message}", file=sys.stderr, flush=True)


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
            if r.status != PASSED and "\n" in r.message:
                print(f"\nExercise {r.exercise} ({r.status}):\n{r.message}")
        for note in notebook.notes:
            print(f"\nNote ({notebook.notebook}): {note}")
    if args.summary:
        with open(args.summary, "a", encoding="utf-8") as handle:
            handle.write(student_feedback("you", results, title="Exercise check") + "\n")
    passed = all(r.status == PASSED for n in results for r in n.results)
    return EXIT_OK if passed else EXIT_NEGATIVE


# -- grade -----------------------------------------------------------------------------------


def _collect_submissions(args: argparse.Namespace, scratch: Path) -> tuple[Path, dict[str, str]]:
    """The folder to grade: SUBMISSIONS itself, or an LMS archive unpacked into `scratch`.

    Returns the folder and student -> LMS user id (from the archive's file names).
    """
    submissions = Path(args.submissions)
    if not (submissions.is_file() and zipfile.is_zipfile(submissions)):
        return submissions, {}
    released = [p.name for p in _release_dir(args).glob("*.ipynb")]
    unpacked = unpack_archive(submissions, Path(args.unpack_to or scratch), released)
    for line in describe_unpacked(unpacked):
        print(line, flush=True)
    return unpacked.root, unpacked.students


def _grade_results(
    args: argparse.Namespace, folder: Path, config: ExecutionConfig, seed: int
) -> list:
    progress = lambda line: print(line, flush=True)  # noqa: E731
    release = _release_dir(args)
    if args.dask:
        from course_lib.grading.cluster import grade_on_dask

        return grade_on_dask(
            folder, release, args.dask, config=config, seed=seed, progress=progress
        )
    return grade_submissions(
        folder, release, config=config, workers=args.workers, seed=seed, progress=progress
    )


def _release_dir(args: argparse.Namespace) -> Path:
    return Path(args.release) if args.release else default_release_dir()


def _write_gradebooks(args: argparse.Namespace, results: list, ids: dict[str, str]) -> None:
    """Write the gradebooks asked for besides --out: --wide, --canvas/--roster, --gradescope."""
    if args.wide:
        write_wide_csv(results, args.wide)
        print(f"Wrote {args.wide} (one row per student)")
    if args.roster:
        canvas = args.canvas or str(Path(args.out).with_name(Path(args.out).stem + "-canvas.csv"))
        unknown = write_canvas_csv(results, read_roster(args.roster), canvas, ids=ids)
        print(f"Wrote {canvas} (Canvas gradebook import, every roster student)")
        for student in unknown:
            _err(f"{student} is not in the roster {args.roster}; their grades are not in {canvas}")
    if args.gradescope:
        paths = write_gradescope(results, args.gradescope)
        print(f"Wrote {len(paths)} Gradescope results.json files to {args.gradescope}")


def _cmd_grade(args: argparse.Namespace) -> int:
    start = time.monotonic()
    if args.canvas and not args.roster:
        _err("--canvas needs --roster FILE (the CSV exported from the Canvas gradebook)")
        return EXIT_ERROR
    try:
        config = _config(args, sandbox=not args.no_sandbox)
    except ValueError as error:
        _err(str(error))
        return EXIT_ERROR
    seed = new_grading_seed() if args.seed is None else args.seed
    scratch = tempfile.TemporaryDirectory(prefix="rnn-course-archive-")
    try:
        folder, ids = _collect_submissions(args, Path(scratch.name))
        results = _grade_results(args, folder, config, seed)
        if args.roster:
            read_roster(args.roster)  # a bad roster stops here, before anything is written
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
        _err(str(error))
        scratch.cleanup()
        return EXIT_ERROR
    write_csv(results, args.out)
    _write_gradebooks(args, results, ids)
    scratch.cleanup()
    students = len({r.student for r in results})
    isolation = (
        "in the bubblewrap sandbox"
        if config.sandbox
        else "WITHOUT the sandbox (--no-sandbox: students' code ran with your rights)"
    )
    print(
        f"Graded {len(results)} notebooks of {students} students {isolation}, inputs from "
        f"seed {seed}, in {time.monotonic() - start:.1f} s; wrote {args.out}"
    )
    if args.feedback:
        paths = write_feedback(results, args.feedback)
        print(f"Wrote {len(paths)} feedback files to {args.feedback}")
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
        "--roster",
        metavar="FILE",
        help="the CSV exported from the Canvas gradebook; writes a Canvas-import CSV with every "
        "roster student (see --canvas)",
    )
    p.add_argument(
        "--canvas",
        metavar="CSV",
        help="where to write the Canvas-import CSV (needs --roster; default: OUT-canvas.csv)",
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
    _add_limits(p)
    _add_sandbox(p)
    _add_check_modules(p)
    p.set_defaults(run=_cmd_grade)

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
