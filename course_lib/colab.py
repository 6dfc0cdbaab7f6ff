"""Notebooks that run where `course_lib` is missing, as on Google Colab.

Every chapter and exercise notebook starts its first code cell with the same few lines,
`install_block()`: when `course_lib` cannot be imported they install the course package,
without its dependencies, from the repository that book/_config.yml names
(`repository: url, branch`), then call `install_requirements()`, which installs only what
is missing and keeps the TensorFlow already there when it is new enough (Colab's) instead
of replacing it with the exact release the course pins.

`python -m course_lib.colab` writes the block into every notebook of book/, solutions/ and
exercises/ from book/_config.yml, so changing the repository there is the only edit;
`python -m course_lib.colab --check` lists the notebooks whose block is out of date
(tests/test_colab.py runs it).

Introduced in Chapter 1 (Sequences and the hidden state), whose first cell, like the first
cell of every chapter and exercise notebook, installs the course where it is missing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from course_lib.doctor import course_requirements, installed_version, unmet_requirement

# Keras 3 is TensorFlow's Keras from TensorFlow 2.16 on; an older one is replaced.
TENSORFLOW_NEW_ENOUGH = Version("2.16")
# Tools of the book, the tests and JupyterLab; a notebook on Colab needs none of them.
NOT_NEEDED_TO_RUN = frozenset(
    {"jupyter-book", "jupyterlab", "nbval", "pytest", "jupyter-server-mathjax", "ipykernel"}
)

FIRST_LINE = "# On Colab, or wherever the course package is missing, install it first:"
LAST_LINE = "    install_requirements()"


def install_source(config_path: str | Path) -> str:
    """The pip requirement that installs the course package from book/_config.yml's repository.

    Args:
        config_path: the book's `_config.yml`.

    Returns:
        A direct-reference requirement, e.g. `rnn-course @ git+https://github.com/o/r@main`.
    """
    import yaml

    config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8"))
    repository = config.get("repository") or {}
    url = str(repository.get("url", "")).rstrip("/")
    if not url.startswith("https://"):
        raise ValueError(
            f"config_path: expected `repository: url: https://...` in {config_path}; got {url!r}"
        )
    branch = repository.get("branch") or "main"
    return f"rnn-course @ git+{url}@{branch}"


def install_block(source: str) -> str:
    """The lines that start every notebook's first code cell, installing from `source`."""
    return "\n".join(
        [
            FIRST_LINE,
            "# from the course repository; a recent TensorFlow already there is kept.",
            "import importlib.util",
            "import subprocess",
            "import sys",
            "",
            'if importlib.util.find_spec("course_lib") is None:',
            f'    course_package = "{source}"',
            '    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]',
            "    subprocess.run([*pip, course_package], check=True)",
            "    importlib.invalidate_caches()",
            "    from course_lib.colab import install_requirements",
            "",
            LAST_LINE,
            "",
            "",
        ]
    )


def without_block(source: str) -> str:
    """A first cell's source without the install block (unchanged when it has none)."""
    lines = source.split("\n")
    if not lines or lines[0] != FIRST_LINE or LAST_LINE not in lines:
        return source
    rest = lines[lines.index(LAST_LINE) + 1 :]
    while rest and not rest[0].strip():
        rest = rest[1:]
    return "\n".join(rest)


def with_block(source: str, install: str) -> str:
    """The first cell's source with the install block `install` at its top."""
    return install + without_block(source)


def first_code_cell(notebook) -> dict | None:
    return next((cell for cell in notebook.cells if cell.cell_type == "code"), None)


def sync_notebooks(paths: Iterable[str | Path], source: str, *, check: bool = False) -> list[Path]:
    """Put the install block from `source` at the top of each notebook's first code cell.

    Args:
        paths: the notebooks.
        source: the pip requirement to install from (see `install_source`).
        check: write nothing, only report. Defaults to False.

    Returns:
        The notebooks whose first cell was (or, with `check`, would be) changed.
    """
    import nbformat

    changed = []
    block = install_block(source)
    for path in map(Path, paths):
        notebook = nbformat.read(path, as_version=4)
        cell = first_code_cell(notebook)
        if cell is None:
            continue
        new = with_block(cell.source, block)
        if new != cell.source:
            changed.append(path)
            if not check:
                cell.source = new
                nbformat.write(notebook, path)
    return changed


def course_notebooks(
    root: str | Path, folders: Sequence[str] = ("book", "solutions")
) -> list[Path]:
    """The notebooks in `folders` of the repository at `root` (default: chapters, solutions).

    The exercises are generated from the solutions by `rnn-course assign`, which copies
    their first cell.
    """
    root = Path(root)
    return sorted(path for folder in folders for path in (root / folder).glob("*.ipynb"))


# -- run on Colab ------------------------------------------------------------------------------


def requirements_to_install(
    requirements: Iterable[Requirement],
    version_of: Callable[[str], str | None] = installed_version,
) -> list[str]:
    """The requirements a notebook needs that are missing or too old here.

    The tools of the book and of JupyterLab are left out, and an installed TensorFlow of
    at least `TENSORFLOW_NEW_ENOUGH` counts as enough even outside the course's pin.

    Args:
        requirements: the course's requirements (`doctor.course_requirements()[0]`).
        version_of: installed version of a distribution, or None when it is missing.

    Returns:
        The requirements to pass to pip, e.g. `["keras<4,>=3.10"]`.
    """
    wanted = []
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        if name in NOT_NEEDED_TO_RUN:
            continue
        version = version_of(requirement.name)
        if name == "tensorflow" and version is not None:
            try:
                if Version(version) >= TENSORFLOW_NEW_ENOUGH:
                    continue
            except InvalidVersion:
                pass
        if unmet_requirement(requirement, version):
            wanted.append(str(requirement))
    return wanted


def install_requirements(
    run: Callable[[Sequence[str]], object] | None = None,
    version_of: Callable[[str], str | None] = installed_version,
) -> list[str]:
    """Install what the course's notebooks need and is missing; return what was installed.

    Called by the first cell of every notebook right after the course package was
    installed without its dependencies.

    Args:
        run: runs a command. Defaults to `subprocess.run(..., check=True)`.
        version_of: installed version of a distribution, or None when it is missing.

    Returns:
        The requirements that were installed (empty when nothing was missing).

    Example:
    >>> from course_lib.colab import install_requirements
    >>> install_requirements()  # doctest: +SKIP
    """
    wanted = requirements_to_install(course_requirements()[0], version_of)
    if wanted:
        print("Installing what the course needs: " + ", ".join(wanted), flush=True)
        command = [sys.executable, "-m", "pip", "install", "--quiet", *wanted]
        (run or (lambda c: subprocess.run(c, check=True)))(command)
    else:
        print("The course package is installed; everything else it needs was already here.")
    return wanted


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.colab",
        description="Write the install block of book/_config.yml's repository into the first "
        "code cell of every notebook of book/ and solutions/ (then run `rnn-course assign`); "
        "with --check, also compare exercises/.",
    )
    parser.add_argument("--root", default=".", help="the course repository (default: .)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    root = Path(args.root)
    source = install_source(root / "book" / "_config.yml")
    folders = ("book", "solutions", "exercises") if args.check else ("book", "solutions")
    changed = sync_notebooks(course_notebooks(root, folders), source, check=args.check)
    for path in changed:
        print(f"{path}: {'out of date' if args.check else 'updated'}")
    if args.check and changed:
        print(
            "Run `python -m course_lib.colab`, then `rnn-course assign`, to update the first cells."
        )
        return 1
    if changed:
        print("Now run `rnn-course assign` to regenerate the exercises.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
