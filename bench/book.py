"""Book timings: every chapter's execution time, a cold and a cached build."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.timing import ROOT, run_command, summarise

BOOK = ROOT / "book"
BUILD = BOOK / "_build"
CACHE = BUILD / ".jupyter_cache"
TOC = BOOK / "_toc.yml"
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")
BUILD_COMMAND = [str(JUPYTER_BOOK), "build", str(BOOK), "--warningiserror", "--keep-going"]


def book_notebooks(toc: Path = TOC) -> list[Path]:
    """The notebooks the book builds, in the order of its table of contents (`_toc.yml`).

    A chapter added to the table of contents is part of the book from then on, so a
    section of the results that lacks it is incomplete (`bench.report` says so).

    Returns:
        The paths of the `.ipynb` files named in the table of contents.
    """
    import yaml

    def files(entry) -> list[str]:
        if isinstance(entry, list):
            return [name for item in entry for name in files(item)]
        if not isinstance(entry, dict):
            return []
        own = [entry["file"]] if "file" in entry else []
        return own + [
            name for key in ("parts", "chapters", "sections") for name in files(entry.get(key))
        ]

    folder = toc.parent
    names = files(yaml.safe_load(toc.read_text()))
    return [folder / f"{name}.ipynb" for name in names if (folder / f"{name}.ipynb").exists()]


def chapter_seconds(cache_dir: Path = CACHE) -> dict[str, float]:
    """Execution time of each notebook of the last build, read from the execution cache.

    Jupyter Book records how long each notebook took when it executed it; reading that
    record means a cold build measures every chapter at no extra cost.

    Returns:
        dict notebook file name -> seconds.
    """
    from jupyter_cache import get_cache

    if not cache_dir.is_dir():
        raise FileNotFoundError(f"no execution cache at {cache_dir}: build the book first")
    cache = get_cache(str(cache_dir))
    seconds = {}
    for record in cache.list_cache_records():
        runtime = (record.data or {}).get("execution_seconds")
        if runtime is not None:
            seconds[Path(record.uri).name] = float(runtime)
    return seconds


def build_env() -> dict[str, str]:
    """The environment of the book builds and of `make test` that the bench times.

    As `make` runs them: TensorFlow quiet, and no `MPLBACKEND`, even when the caller has
    one. A kernel that inherits `MPLBACKEND=Agg` shows no figure, so a build would skip
    rendering them (and `make test`'s browser test would find the pages without images).
    """
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("MPLBACKEND", None)
    return env


def measure(repeats: int = 3, cached_repeats: int = 3) -> dict[str, Any]:
    """Cold builds (build folder removed first) and cached rebuilds of the book.

    Returns:
        {"cold_build": summary, "cached_build": summary, "chapters": {name: summary}}
        where each summary holds the median, min, max and the samples in seconds.
    """
    cold, cached = [], []
    per_chapter: dict[str, list[float]] = {}
    for _ in range(repeats):
        shutil.rmtree(BUILD, ignore_errors=True)
        cold.append(run_command(BUILD_COMMAND, env=build_env()))
        for name, seconds in chapter_seconds().items():
            per_chapter.setdefault(name, []).append(seconds)
    for _ in range(cached_repeats):
        cached.append(run_command(BUILD_COMMAND, env=build_env()))
    return {
        "cold_build": summarise(cold),
        "cached_build": summarise(cached),
        "chapters": {name: summarise(s) for name, s in sorted(per_chapter.items())},
    }


def measure_make_test(repeats: int = 1) -> dict[str, Any]:
    """Wall time of `make test` in a fresh clone of the repository, set-up included.

    This is what a newcomer (and CI) pays: creating `.venv`, installing the course,
    then every test with a cold book build.
    """
    samples = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="rnn-make-test-") as tmp:
            clone = Path(tmp) / "fresh"
            run_command(["git", "clone", "--quiet", str(ROOT), str(clone)])
            samples.append(run_command(["make", "test"], cwd=clone, env=build_env()))
    return summarise(samples)
