"""The `rnn-course` command: generate exercises, check your own work, grade a class.

    rnn-course assign [--check] [--refresh-outputs]     solutions/ -> exercises/
    rnn-course check NOTEBOOK...                          grade your notebooks yourself
    rnn-course grade SUBMISSIONS --out grades.csv         grade every student's folder
    rnn-course doctor                                     what is wrong with this set-up

Run `rnn-course COMMAND --help` for the options. Also `python -m course_lib`.

Introduced in Chapter 0 (Introduction and set-up).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import course_lib
from course_lib.grading.assign import assign, refresh_outputs
from course_lib.grading.batch import grade_submissions, write_csv
from course_lib.grading.execute import ExecutionConfig
from course_lib.grading.feedback import results_table, student_feedback, write_feedback
from course_lib.grading.grade import PASSED, grade_notebook
from course_lib.grading.notebook_format import NotebookFormatError, NotebookReadError

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


def _add_limits(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cell-timeout",
        type=_positive,
        default=300.0,
        metavar="S",
        help="seconds one cell may run before it is interrupted (default: 300)",
    )
    parser.add_argument(
        "--notebook-timeout",
        type=_positive,
        default=1800.0,
        metavar="S",
        help="wall-clock seconds for a whole notebook; then its kernel is killed (default: 1800)",
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


def _config(args: argparse.Namespace) -> ExecutionConfig:
    modules = ("course_lib.checks", *getattr(args, "check_module", []))
    return ExecutionConfig(
        cell_timeout=args.cell_timeout,
        notebook_timeout=args.notebook_timeout,
        check_modules=tuple(dict.fromkeys(modules)),
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
    config = _config(args)
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
                release,
                student="you",
                config=config,
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


def _cmd_grade(args: argparse.Namespace) -> int:
    start = time.monotonic()
    try:
        results = grade_submissions(
            args.submissions,
            args.release,
            config=_config(args),
            workers=args.workers,
            progress=lambda line: print(line, flush=True),
        )
    except (FileNotFoundError, NotebookReadError, NotebookFormatError) as error:
        _err(str(error))
        return EXIT_ERROR
    write_csv(results, args.out)
    students = len({r.student for r in results})
    print(
        f"Graded {len(results)} notebooks of {students} students in "
        f"{time.monotonic() - start:.1f} s; wrote {args.out}"
    )
    if args.feedback:
        paths = write_feedback(results, args.feedback)
        print(f"Wrote {len(paths)} feedback files to {args.feedback}")
    return EXIT_OK


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
        description="Grade SUBMISSIONS/<student>/<notebook>.ipynb against the release.",
    )
    p.add_argument("submissions", metavar="SUBMISSIONS", help="one folder per student")
    p.add_argument("--out", required=True, metavar="CSV", help="where to write the grades")
    p.add_argument("--release", default="exercises", metavar="DIR", help="default: exercises")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="parallel kernels")
    p.add_argument("--feedback", metavar="DIR", help="write one Markdown file per student here")
    _add_limits(p)
    _add_check_modules(p)
    p.set_defaults(run=_cmd_grade)

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `rnn-course` with `argv` (default: the command line); return the exit code."""
    args = build_parser().parse_args(argv)
    if getattr(args, "workers", 1) < 1:
        _err(f"--workers must be at least 1; got {args.workers}")
        return EXIT_ERROR
    return args.run(args)
