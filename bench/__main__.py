"""`python -m bench`: measure, then write bench/results.json and bench/results.md."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

from bench import report
from bench.timing import ROOT

RESULTS_JSON = ROOT / "bench" / "results.json"
RESULTS_MD = ROOT / "bench" / "results.md"
CHAPTER_TABLES = ("ch6", "ch7", "ch9")  # bench/chN.py: METRICS, read by bench.notebook_metrics
SECTIONS = (
    "book",
    "make_test",
    "grading",
    "gradescope",
    "class_report",
    "quality",
    "cluster",
    "seeds",
    "plateau",
    "speech",
    *CHAPTER_TABLES,
)


def machine() -> dict[str, str]:
    import keras
    import tensorflow as tf

    return {
        "platform": f"{platform.system()} {platform.machine()}",
        "cpus": str(os.cpu_count()),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }


def current_commit(root: Path = ROOT) -> str:
    """The commit checked out in `root`, short, with `-dirty` when tracked files differ from it."""
    completed = subprocess.run(
        ["git", "describe", "--always", "--dirty", "--abbrev=7"],
        cwd=root, capture_output=True, text=True,
    )  # fmt: skip
    return completed.stdout.strip() if completed.returncode == 0 else "unknown"


def book_notebook_names() -> list[str]:
    from bench.book import book_notebooks

    return [path.name for path in book_notebooks()]


def write(results: dict, json_path: Path = RESULTS_JSON, md_path: Path = RESULTS_MD) -> None:
    text = json.dumps(results, indent=2, sort_keys=True) + "\n"
    json_path.write_text(text)
    # rendered from the file as written (keys sorted), as `--render-only` and the test do
    md_path.write_text(report.render(json.loads(text), book_notebook_names()))


def complain_about_incomplete_sections(results: dict) -> int:
    """Print every section whose notebooks are not the book's; 1 if there is one, else 0."""
    incomplete = report.incomplete_sections(results, book_notebook_names())
    for section, warning in incomplete.items():
        plain = warning.replace("**", "").replace("`", "")
        print(f"bench: section {section!r}: {plain}", file=sys.stderr)
    return 1 if incomplete else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only",
        nargs="+",
        choices=SECTIONS,
        default=list(SECTIONS),
        help="sections to measure (default: all); others keep their old results",
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing (median)")
    parser.add_argument("--make-test-runs", type=int, default=3, help="runs of `make test`")
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0, 1, 2],
        help="seeds for the model-quality runs (median)",
    )
    parser.add_argument(
        "--book-seeds", type=int, nargs="+", default=[1, 2], help="seeds for the seeds section"
    )
    parser.add_argument("--class-size", type=int, default=50, help="submissions to grade")
    parser.add_argument(
        "--cluster-class-size", type=int, default=200, help="submissions the cluster section grades"
    )
    parser.add_argument(
        "--cluster-notebooks",
        choices=["fixtures", "course"],
        default="fixtures",
        help="what the cluster section's class hands in: the grading tests' NumPy-only fixture "
        "notebooks (tests/fixtures/grading; the default, so that it times the grading machinery "
        "rather than TensorFlow, and a class of 200 takes minutes, not hours) or the course's",
    )
    parser.add_argument(
        "--cluster-repeats", type=int, default=2, help="gradings of the class each way, interleaved"
    )
    parser.add_argument(
        "--report-class-size", type=int, default=500, help="students of the class report's class"
    )
    parser.add_argument(
        "--speech-budget",
        nargs="*",
        default=[],
        metavar="FIELD=VALUE",
        help="change the speech section's budget, e.g. n_train=1000 epochs=2 (default: the chapter's)",
    )
    parser.add_argument(
        "--render-only", action="store_true", help="only re-render results.md from results.json"
    )
    args = parser.parse_args(argv)  # fmt: skip

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    results = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    if args.render_only:
        RESULTS_MD.write_text(report.render(results, book_notebook_names()))
        return complain_about_incomplete_sections(results)
    import course_lib

    course_lib.setup(style=False)
    commit = current_commit()  # before the first write changes bench/results.*
    results["machine"] = machine()
    results["date"] = datetime.date.today().isoformat()
    measured = results.setdefault("measured_on", {})  # section -> {"date", "commit"}
    for section in args.only:
        print(f"bench: measuring {section} ...", file=sys.stderr, flush=True)
        load = round(os.getloadavg()[0], 1)  # timings are only as good as the machine is quiet
        if section == "book":
            from bench import book

            results["book"] = book.measure(args.repeats, args.repeats)
        elif section == "make_test":
            from bench import book

            results["make_test"] = book.measure_make_test(args.make_test_runs)
        elif section == "grading":
            from bench import grading

            results["grading"] = grading.measure(size=args.class_size)
        elif section == "gradescope":
            from bench import gradescope

            results["gradescope"] = gradescope.measure()
        elif section == "class_report":
            from bench import class_report

            results["class_report"] = class_report.measure(args.report_class_size)
        elif section == "cluster":
            from bench import cluster

            results["cluster"] = cluster.measure(
                args.cluster_class_size,
                fixtures=args.cluster_notebooks == "fixtures",
                repeats=args.cluster_repeats,
            )
        elif section == "quality":
            from bench import ch8, quality

            results["quality"] = quality.measure(args.seeds) + ch8.measure(args.seeds)
        elif section == "seeds":
            from bench import seeds

            results["seeds"] = seeds.measure(args.book_seeds)
            print(seeds.render(results["seeds"]))
        elif section == "plateau":
            from bench import plateau

            results["plateau"] = plateau.measure(args.seeds)
        elif section == "speech":
            from bench import speech

            results["speech"] = speech.measure(args.seeds, speech.budget_from(args.speech_budget))
        elif section in CHAPTER_TABLES:  # a chapter's headline numbers, read from its notebooks
            import importlib

            from bench import notebook_metrics

            table = importlib.import_module(f"bench.{section}").METRICS
            results[section] = notebook_metrics.measure(table, args.seeds, section)
        measured[section] = {"date": results["date"], "commit": commit, "load": load}
        write(results)  # keep what is measured so far if a later section fails
    write(results)
    print(f"bench: wrote {RESULTS_JSON.relative_to(ROOT)} and {RESULTS_MD.relative_to(ROOT)}")
    return complain_about_incomplete_sections(results)


if __name__ == "__main__":
    sys.exit(main())
