"""Repeat a measurement and summarise it by its median."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def summarise(samples: Sequence[float]) -> dict[str, Any]:
    """Median, minimum, maximum and count of a list of seconds."""
    if not samples:
        raise ValueError("`samples` must hold at least one measurement; got none.")
    return {
        "median": round(statistics.median(samples), 3),
        "min": round(min(samples), 3),
        "max": round(max(samples), 3),
        "runs": len(samples),
        "samples": [round(s, 3) for s in samples],
    }


def time_call(function: Callable[[], Any]) -> tuple[float, Any]:
    """Run `function()` once and return (wall seconds, its result)."""
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def run_command(command: Sequence[str], *, cwd: Path = ROOT, env: dict | None = None) -> float:
    """Run a command, fail loudly if it fails, and return its wall time in seconds."""
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if completed.returncode != 0:
        tail = (completed.stdout + completed.stderr)[-3000:]
        raise RuntimeError(
            f"{' '.join(command)} failed with exit code {completed.returncode}:\n{tail}"
        )
    return seconds
