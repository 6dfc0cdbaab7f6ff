"""The `exercise-list` directive: the table of exercises, generated from the notebooks.

Used once, in book/exercises.md::

    ```{exercise-list}
    ```

It reads the nbgrader metadata of `../solutions/*.ipynb` (relative to the book) with
`course_lib.exercise_index`, offers each generated student notebook `../exercises/NN_*.ipynb`
as a download and, when the book has a GitHub repository, with the Colab and Binder links
the chapters' launch buttons have.
The page is rebuilt whenever a notebook in either folder changes, appears or disappears.
An empty or missing `solutions/` folder gives a short note instead of the table.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

from course_lib.exercise_index import exercise_index, exercise_table

EMPTY_NOTE = (
    "The exercise notebooks are being written: this table fills itself in as they are added."
)


def launch_bases(theme_options: dict) -> dict[str, str]:
    """Service -> URL before a notebook's path in the repository: the Colab and Binder buttons'.

    The same addresses as the launch buttons of the chapters (sphinx-book-theme), so an
    exercise opens where a chapter opens: `{"Colab": "https://colab.research.google.com/
    github/ORG/REPO/blob/BRANCH/", "Binder": "https://mybinder.org/v2/gh/ORG/REPO/BRANCH
    ?urlpath=lab/tree/"}`, without a service the book has no URL for.
    """
    buttons = theme_options.get("launch_buttons") or {}
    repository = theme_options.get("repository_url", "").rstrip("/")
    prefix = "https://github.com/"
    if not repository.startswith(prefix):
        return {}
    org_repo = repository[len(prefix) :]
    branch = theme_options.get("repository_branch") or "main"
    bases = {}
    if colab := buttons.get("colab_url", "").rstrip("/"):
        bases["Colab"] = f"{colab}/github/{org_repo}/blob/{branch}/"
    if binderhub := buttons.get("binderhub_url", "").rstrip("/"):
        bases["Binder"] = f"{binderhub}/v2/gh/{org_repo}/{branch}?urlpath=" + quote("lab/tree/")
    return bases


class ExerciseList(SphinxDirective):
    """Insert the table of the course's exercises (one row per chapter notebook)."""

    has_content = False
    option_spec = {
        "solutions": str,  # folder of the solution notebooks, relative to the book
        "exercises": str,  # folder of the generated student notebooks, relative to the book
    }

    def run(self) -> list[nodes.Node]:
        srcdir = Path(self.env.srcdir)
        solutions = (srcdir / self.options.get("solutions", "../solutions")).resolve()
        exercises = (srcdir / self.options.get("exercises", "../exercises")).resolve()
        page_dir = (srcdir / self.env.docname).parent

        for folder in (solutions, exercises):
            if folder.is_dir():
                # A folder's mtime changes when a file is added or removed.
                self.env.note_dependency(str(folder))
                for path in folder.glob("*.ipynb"):
                    self.env.note_dependency(str(path))

        try:
            notebooks = exercise_index(solutions)
        except ValueError as error:  # a notebook breaks the exercise-id convention
            raise self.error(f"exercise-list: {error}") from error
        if not notebooks:
            return [nodes.paragraph(text=EMPTY_NOTE)]

        theme_options = self.config.html_theme_options
        # The repository root is the book folder minus `repository.path_to_book`.
        repo_root = srcdir
        for _ in PurePosixPath(theme_options.get("path_to_docs", "") or ".").parts:
            repo_root = repo_root.parent
        bases = launch_bases(theme_options)

        downloads, launches = {}, {}
        for notebook in notebooks:
            student = exercises / f"{notebook.stem}.ipynb"
            if not student.is_file():
                continue
            downloads[notebook.stem] = Path(os.path.relpath(student, page_dir)).as_posix()
            in_repo = Path(os.path.relpath(student, repo_root)).as_posix()
            launches[notebook.stem] = {
                service: base + quote(in_repo) for service, base in bases.items()
            }

        text = exercise_table(
            notebooks,
            chapter_docs=self.env.found_docs,
            download_paths=downloads,
            launch_urls=launches,
        )
        container = nodes.container(classes=["exercise-list-container"])
        self.state.nested_parse(
            StringList(text.splitlines(), source=self.env.docname), 0, container
        )
        return [container]


def setup(app):
    app.add_directive("exercise-list", ExerciseList)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
