"""The install cell: the first code cell of every chapter, solution and exercise notebook.

Where `course_lib` cannot be imported (Colab), the cell installs the course package without
its dependencies from the repository and version that book/_config.yml names, then what
the course needs and Colab lacks (`colab.install_requirements`); elsewhere it does nothing.
It is collapsed in JupyterLab (`jupyter.source_hidden`) and in Colab (a form, `cellView`)
and left out of the website (the tag `remove-cell`), so a notebook opens on its subject.

`python -m course_lib.install_cell write` puts it into every notebook of book/ and
solutions/ (`rnn-course assign` carries it into exercises/); `check` lists the notebooks
whose cell is missing or stale (tests/test_install_cell.py runs it). The Pages workflow runs
`publish`, which writes the repository it runs in into book/_config.yml and pins every
install cell to the commit the website is built from, then `check-site`, which fails
while the website still names the placeholder repository.

Introduced in Chapter 0 (Introduction and set-up), whose "On Colab" explains the cell.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from course_lib.grading.notebook_format import (
    INSTALL_GRADE_ID,
    LOCKED,
    nbgrader_cell_metadata,
    nbgrader_metadata,
    read_notebook,
    write_notebook,
)

PLACEHOLDER_URL = "https://github.com/PLACEHOLDER/rnn-course"
"""The repository book/_config.yml names until the Pages workflow fills in its own."""

PUBLISHED_BRANCH = "published"
"""The branch the Pages workflow pushes: the published notebooks the Colab and Binder buttons open."""

TITLE = "# @title Install the course where it is missing (Colab)"
# The first line of the block that stood at the top of the set-up cell before the install
# cell had a cell of its own; `write` moves such a block out (see `with_install_cell`).
_OLD_FIRST_LINE = "# On Colab, or wherever the course package is missing, install it first:"
_OLD_LAST_LINE = "    install_requirements()"
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")
FOLDERS = ("book", "solutions", "exercises")


def _repository(config_path: str | Path) -> dict:
    import yaml

    config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8")) or {}
    return config.get("repository") or {}


def check_repository_url(url: str, name: str = "url") -> str:
    """`url` without a trailing slash, once checked to be a repository pip can install from.

    Args:
        url: `https://...`, or `file://...` for a local copy (the tests).
        name: how to name the URL in the error message. Defaults to `"url"`.

    Returns:
        The URL without a trailing slash.

    Raises:
        ValueError: for anything else (an `ssh` address, a path, an empty string).

    Example:
    >>> check_repository_url("https://github.com/someone/fork/")
    'https://github.com/someone/fork'
    """
    url = str(url).rstrip("/")
    if not url.startswith(("https://", "file://")):
        raise ValueError(f"`{name}` must be an https:// (or file://) repository URL; got {url!r}")
    return url


def install_source(config_path: str | Path, ref: str | None = None) -> str:
    """The pip requirement that installs the course package from book/_config.yml's repository.

    Args:
        config_path: the book's `_config.yml`.
        ref: the branch, tag or commit to install. Defaults to the config's `repository.branch`.

    Returns:
        A direct-reference requirement, e.g. `"rnn-course @ git+https://github.com/o/r@main"`.

    Example:
    >>> install_source("book/_config.yml", ref="1a2b3c4")  # doctest: +SKIP
    'rnn-course @ git+https://github.com/PLACEHOLDER/rnn-course@1a2b3c4'
    """
    repository = _repository(config_path)
    url = check_repository_url(repository.get("url", ""), f"repository: url of {config_path}")
    return f"rnn-course @ git+{url}@{ref or repository.get('branch') or 'main'}"


def install_cell_source(source: str) -> str:
    """The code of the install cell.

    Args:
        source: the pip requirement it installs the course from (`install_source`).

    Returns:
        Python code whose first line is `TITLE` (Colab shows it as the collapsed form's title).
    """
    return "\n".join(
        [
            TITLE,
            "# Elsewhere (a clone of the course, Binder) the course is there and this does nothing.",
            "import importlib.util",
            "import subprocess",
            "import sys",
            "",
            'if importlib.util.find_spec("course_lib") is None:',
            f'    course = "{source}"',
            '    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--quiet", "--no-deps"]',
            "    subprocess.run([*pip, course], check=True)",
            "    importlib.invalidate_caches()",
            "    from course_lib.colab import install_requirements",
            "",
            "    install_requirements()",
        ]
    )


def install_cell_metadata(exercise_format: bool) -> dict:
    """The install cell's metadata: collapsed in JupyterLab and Colab, left out of the website.

    Args:
        exercise_format: whether the notebook is a solution or exercise notebook, whose
            cells carry nbgrader metadata; the cell is then a locked cell, which the grader
            always takes from the release.
    """
    metadata = {"cellView": "form", "jupyter": {"source_hidden": True}, "tags": ["remove-cell"]}
    if exercise_format:
        metadata.update(nbgrader_cell_metadata(LOCKED, INSTALL_GRADE_ID))
    return metadata


def is_install_cell(cell) -> bool:
    """Whether `cell` (a notebook cell) is an install cell, by its first line `TITLE`."""
    return cell.get("cell_type") == "code" and _text(cell).startswith(TITLE + "\n")


def _text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _without_old_block(source: str) -> str:
    lines = source.split("\n")
    if not lines or lines[0] != _OLD_FIRST_LINE or _OLD_LAST_LINE not in lines:
        return source
    rest = lines[lines.index(_OLD_LAST_LINE) + 1 :]
    while rest and not rest[0].strip():
        rest = rest[1:]
    return "\n".join(rest)


def with_install_cell(notebook, source: str) -> bool:
    """Put the install cell of `source` right before the notebook's first other code cell.

    An install cell already there is brought up to date; an old block at the top of the
    set-up cell is moved out. A notebook with nbgrader metadata (solutions, exercises) gets
    the locked cell `INSTALL_GRADE_ID`.

    Args:
        notebook: an nbformat notebook, changed in place.
        source: the pip requirement the cell installs the course from (`install_source`).

    Returns:
        Whether the notebook changed.
    """
    import nbformat

    cells = notebook.cells
    exercise_format = any(nbgrader_metadata(cell) for cell in cells)
    wanted = nbformat.v4.new_code_cell(
        install_cell_source(source), metadata=install_cell_metadata(exercise_format)
    )
    codes = [i for i, cell in enumerate(cells) if cell.cell_type == "code"]
    if not codes:
        return False
    first = codes[0]
    if is_install_cell(cells[first]):
        current = cells[first]
        if _text(current) == wanted.source and current.metadata == wanted.metadata:
            return False
        current.source, current.metadata = wanted.source, wanted.metadata
        return True
    cells[first].source = _without_old_block(_text(cells[first]))
    if all(cell.get("id") != INSTALL_GRADE_ID for cell in cells):
        wanted["id"] = INSTALL_GRADE_ID  # else the fresh id nbformat gave it
    cells.insert(first, wanted)
    return True


def sync_notebooks(paths: Iterable[str | Path], source: str, *, check: bool = False) -> list[Path]:
    """Give every notebook in `paths` the install cell of `source`.

    Args:
        paths: the notebooks.
        source: the pip requirement to install from (see `install_source`).
        check: write nothing, only report. Defaults to False.

    Returns:
        The notebooks that were (or, with `check`, would be) changed.
    """
    changed = []
    for path in map(Path, paths):
        notebook = read_notebook(path)
        if with_install_cell(notebook, source):
            changed.append(path)
            if not check:
                write_notebook(notebook, path)
    return changed


def course_notebooks(root: str | Path, folders: Sequence[str] = FOLDERS) -> list[Path]:
    """The notebooks in `folders` of the course repository at `root`, sorted.

    Args:
        root: the course repository.
        folders: its folders to look in. Defaults to `FOLDERS` (book, solutions, exercises).
    """
    root = Path(root)
    return sorted(path for folder in folders for path in (root / folder).glob("*.ipynb"))


# -- publishing ------------------------------------------------------------------------------


def set_repository(config_path: str | Path, url: str, branch: str) -> None:
    """Write `url` and `branch` into the `repository:` entry of the book's config, in place.

    Only those two lines change, so the file keeps its comments.

    Args:
        config_path: the book's `_config.yml`.
        url: the repository's URL.
        branch: the branch the launch buttons open.

    Raises:
        ValueError: when the file has no `repository:` entry with `url:` and `branch:` lines.
    """
    path = Path(config_path)
    lines = path.read_text(encoding="utf-8").split("\n")
    start = lines.index("repository:") if "repository:" in lines else len(lines)
    for index in range(start + 1, len(lines)):
        line = lines[index]
        if line and not line.startswith((" ", "\t", "#")):
            break
        key = line.strip().split(":", 1)[0]
        indent = line[: len(line) - len(line.lstrip())]
        if key == "url":
            lines[index] = f"{indent}url: {url}"
        elif key == "branch":
            lines[index] = f"{indent}branch: {branch}"
    path.write_text("\n".join(lines), encoding="utf-8")
    repository = _repository(path)
    if (repository.get("url"), repository.get("branch")) != (url, branch):
        raise ValueError(
            f"config_path: expected `repository:` with `url:` and `branch:` lines in {path}; "
            f"got {repository!r}"
        )


def publish(root: str | Path, url: str, commit: str, branch: str = PUBLISHED_BRANCH) -> list[Path]:
    """Make the course at `root` the published one: its repository, its launch branch, its commit.

    What the Pages workflow runs before it builds the website: book/_config.yml names `url`
    and `branch` (the repository button and the Colab and Binder buttons, which open the
    notebooks of `branch`), and every install cell installs the course at `commit`.

    Args:
        root: the course repository.
        url: the repository it is published from, e.g. `https://github.com/someone/fork`.
        commit: the commit the website is built from (7 to 40 hex digits).
        branch: where the published notebooks are pushed. Defaults to `PUBLISHED_BRANCH`.

    Returns:
        The notebooks whose install cell changed.

    Raises:
        ValueError: for a URL that is not https:// or file://, the placeholder, or a commit
            that is not hexadecimal.

    Example:
    >>> publish(".", "https://github.com/someone/fork", "1a2b3c4d")  # doctest: +SKIP
    """
    url = check_repository_url(url)
    if url == PLACEHOLDER_URL:
        raise ValueError(
            f"`url` must be the repository the course is published from; got the placeholder {url!r}"
        )
    if not _COMMIT.match(commit):
        raise ValueError(f"`commit` must be 7 to 40 hexadecimal digits; got {commit!r}")
    root = Path(root)
    config = root / "book" / "_config.yml"
    set_repository(config, url, branch)
    return sync_notebooks(course_notebooks(root), install_source(config, ref=commit))


def placeholder_pages(site: str | Path) -> list[Path]:
    """The pages of the built website that still name `PLACEHOLDER_URL`.

    Args:
        site: the built website, e.g. `book/_build/html`.

    Returns:
        The HTML pages that name it (empty for a published site).

    Raises:
        ValueError: when `site` holds no HTML page.
    """
    pages = sorted(Path(site).rglob("*.html"))
    if not pages:
        raise ValueError(f"`site` must be a built website (HTML pages); none found in {site}")
    return [page for page in pages if PLACEHOLDER_URL in page.read_text(encoding="utf-8")]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.install_cell", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--root", default=".", help="the course repository (default: .)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("write", help="write the install cell into book/ and solutions/")
    commands.add_parser("check", help="exit 1 listing the notebooks whose install cell is stale")
    p = commands.add_parser("publish", help="fill in the repository and pin every install cell")
    p.add_argument("--url", required=True, help="the repository, e.g. https://github.com/o/r")
    p.add_argument("--commit", required=True, help="the commit the website is built from")
    p.add_argument("--branch", default=PUBLISHED_BRANCH, help=f"default: {PUBLISHED_BRANCH}")
    p = commands.add_parser(
        "check-site", help="exit 1 when the built website names the placeholder"
    )
    p.add_argument("site", help="the built website, e.g. book/_build/html")
    args = parser.parse_args(argv)
    root = Path(args.root)
    config = root / "book" / "_config.yml"
    try:
        if args.command == "publish":
            changed = publish(root, args.url, args.commit, args.branch)
            print(
                f"{config}: {args.url}, branch {args.branch}; {len(changed)} install cells at {args.commit}"
            )
            return 0
        if args.command == "check-site":
            pages = placeholder_pages(args.site)
            for page in pages:
                print(f"{page} names the placeholder repository {PLACEHOLDER_URL}")
            if pages:
                print(
                    "Publish with the Pages workflow (`python -m course_lib.install_cell publish`)."
                )
            return 1 if pages else 0
        check = args.command == "check"
        folders = FOLDERS if check else ("book", "solutions")
        changed = sync_notebooks(
            course_notebooks(root, folders), install_source(config), check=check
        )
    except ValueError as error:
        print(f"python -m course_lib.install_cell: {error}", file=sys.stderr)
        return 2
    for path in changed:
        print(f"{path}: {'install cell missing or out of date' if check else 'updated'}")
    if check and changed:
        print("Run `python -m course_lib.install_cell write`, then `rnn-course assign`.")
        return 1
    if changed:
        print("Now run `rnn-course assign` to regenerate the exercises.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
