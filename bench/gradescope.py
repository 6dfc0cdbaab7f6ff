"""What one Gradescope submission costs: each chapter's notebook graded as `run_autograder` does.

Gradescope's default autograder container has 768 MB of memory and 10 minutes. Each
chapter's solution notebook is handed in as a one-student submission and graded with
`rnn-course grade` (sandboxed, one worker), while the memory of the grader and every
process it starts (launcher, bwrap, executor, kernel) is sampled every 0.1 s: the peak of
their summed proportional set size (PSS: shared pages counted once) and of their summed
resident set size (RSS: shared pages counted in every process, an upper bound), with the
wall-clock seconds of the whole command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.timing import ROOT

SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
GRADESCOPE_MEMORY_MB = 768
GRADESCOPE_SECONDS = 600


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def _memory(root: int) -> tuple[int, int]:
    """Summed (PSS, RSS) in bytes of `root` and all its descendants."""
    tree, stack, pss, rss = _children(), [root], 0, 0
    while stack:
        pid = stack.pop()
        stack += tree.get(pid, [])
        try:
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
                    elif line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
        except OSError:
            continue
    return pss, rss


def run_with_peak_memory(argv: list[str], interval: float = 0.1) -> dict[str, Any]:
    """Run `argv`; return its exit code, seconds, and peak summed PSS and RSS (MB)."""
    start = time.monotonic()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_pss = peak_rss = 0
    while process.poll() is None:
        pss, rss = _memory(process.pid)
        peak_pss, peak_rss = max(peak_pss, pss), max(peak_rss, rss)
        time.sleep(interval)
    return {
        "returncode": process.returncode,
        "seconds": round(time.monotonic() - start, 1),
        "peak_pss_mb": round(peak_pss / 2**20),
        "peak_rss_mb": round(peak_rss / 2**20),
    }


def measure(notebooks: list[str] | None = None) -> dict[str, Any]:
    """Grade each chapter's solution as a one-student submission; memory and time of each.

    Returns:
        notebook -> `run_with_peak_memory`'s numbers, and the largest of them.
    """
    names = notebooks or sorted(p.name for p in EXERCISES.glob("*.ipynb"))
    found: dict[str, Any] = {"notebooks": {}}
    for name in names:
        with tempfile.TemporaryDirectory(prefix="rnn-bench-gs-") as tmp:
            submission = Path(tmp) / "class" / "submission"
            submission.mkdir(parents=True)
            (submission / name).write_text((SOLUTIONS / name).read_text())
            argv = [
                sys.executable, "-m", "course_lib", "grade", str(submission.parent),
                "--release", str(EXERCISES), "--out", f"{tmp}/grades.csv",
                "--gradescope", f"{tmp}/gs",
            ]  # fmt: skip
            numbers = run_with_peak_memory(argv)
            result = json.loads((Path(tmp) / "gs" / "submission" / "results.json").read_text())
            numbers["score"] = result["score"]
        found["notebooks"][name] = numbers
        print(f"bench: {name} {numbers}", file=sys.stderr, flush=True)
    every = found["notebooks"].values()
    found["max_peak_pss_mb"] = max(n["peak_pss_mb"] for n in every)
    found["max_peak_rss_mb"] = max(n["peak_rss_mb"] for n in every)
    found["max_seconds"] = max(n["seconds"] for n in every)
    return found


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1:] or None), indent=2))
