"""Every "Introduced in Chapter N" in `course_lib` names a chapter that really uses the thing.

The docstrings of the package send readers back to the chapter that introduces a function,
a class, a constant or a module ("Introduced in Chapter 4 (LSTM)"), and some name the
chapters that use it again ("used again in Chapter 4"). This test reads every such
back-link with `ast` and fails when none of the named chapter's notebooks (the book
chapter, its solutions and exercises notebooks) mentions the name in a code cell.

What counts as a use: the name in a code cell of one of the chapter's notebooks; for a
module, its name or any public name it defines; for the helpers of a chapter's checks
(`course_lib.checks.chN`), a use by that module, because its checks run in the chapter's
exercise notebook. `ALIASES` lists the few things a chapter uses only through another
call, with the call that uses them.

Chapters are found by file name, so chapters added later (07_*, 08_*, ...) are covered
without changing this file: `Chapter 7` means `book/07_*.ipynb`, `solutions/07_*.ipynb`
and `exercises/07_*.ipynb`; `Chapter 6c` means `book/06c_*.ipynb` and the solutions of
Chapter 6; `Chapter 0` is the introduction, `book/intro.md`. A back-link to a chapter that
has no file at all fails too.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "course_lib"

# Back-links known to be wrong on this branch and fixed by work merged separately. Each
# entry must say why; the test still runs for it and reports XPASS once it holds.
PENDING = {
    "course_lib.cells.forward_like": "used nowhere; its removal is another change",
}

# Used by a chapter through another call: qualified name -> names whose use counts.
ALIASES = {
    "course_lib.plotting.use_style": ("setup",),  # `course_lib.setup()` applies the style
    "course_lib.training.ProgressDisplay": ("fit",),  # every `fit(...)` shows one
    # The introduction shows the `rnn-course` command, which these modules implement.
    "course_lib.cli": ("rnn-course",),
    "course_lib.grading": ("rnn-course",),
    "course_lib.checks": ("rnn-course",),
    # What the introduction's set-up shows without naming the module.
    "course_lib.requirements": ("doctor",),  # `rnn-course doctor` checks them
    "course_lib.native_logs": ("setup", "rnn-course"),  # both keep TensorFlow quiet
    "course_lib.install_cell": ("Colab",),  # the "On Colab" bullet describes it
    # Building blocks of the functions a chapter calls.
    "course_lib.decoding.map_state": ("greedy_decode", "beam_search"),
    "course_lib.linear_recurrences.min_gru_coefficients": ("min_gru_forward",),
    "course_lib.linear_recurrences.min_lstm_coefficients": ("min_lstm_forward",),
    "course_lib.mingru.combine": ("MinGRU", "MinLSTM"),
    "course_lib.mingru.loop_scan": ("MinGRU", "MinLSTM"),
    "course_lib.mingru.blocked_scan": ("MinGRU", "MinLSTM"),
    "course_lib.mingru.scan_blocks": ("MinGRU", "MinLSTM", "draw_blocked_scan"),
}

_CHAPTER = r"Chapter (\d+[a-z]?)"
_INTRODUCED = re.compile(r"Introduced in " + _CHAPTER)
_USED = re.compile(r"used (?:again )?in ([^;.]*)")


def _documented_objects() -> list[tuple[str, str, str]]:
    """(qualified name, name a chapter would write, docstring) of everything documented."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if module.endswith(".__init__"):
            module = module[: -len(".__init__")]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstring = ast.get_docstring(tree)
        if docstring:
            found.append((module, module.rsplit(".", 1)[-1], docstring))
        body = tree.body
        for index, node in enumerate(body):
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
                if (doc := ast.get_docstring(node)) is not None:
                    found.append((f"{module}.{node.name}", node.name, doc))
            elif isinstance(node, ast.Assign) and index + 1 < len(body):
                after = body[index + 1]  # a constant documented by the string that follows it
                is_doc = isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                if is_doc and isinstance(after.value.value, str):
                    for target in node.targets:
                        if isinstance(target, ast.Name) and not target.id.startswith("_"):
                            found.append((f"{module}.{target.id}", target.id, after.value.value))
    return found


def _public_names(module: str) -> tuple[str, ...]:
    """The public top-level names a module defines (its functions, classes, constants)."""
    prefix = module + "."
    return tuple(
        q[len(prefix) :]
        for q, _, _ in _DOCUMENTED
        if q.startswith(prefix) and "." not in q[len(prefix) :]
    )


def _names(qualified: str, name: str) -> tuple[str, ...]:
    """Every name whose use counts as a use of `qualified`."""
    names = [name]
    if (PACKAGE.parent / qualified.replace(".", "/")).with_suffix(".py").exists() or (
        PACKAGE.parent / qualified.replace(".", "/") / "__init__.py"
    ).exists():
        names += _public_names(qualified)  # a module
    for prefix, aliases in ALIASES.items():
        if qualified == prefix or qualified.startswith(prefix + "."):
            names += aliases
    return tuple(names)


def _backlinks() -> list[tuple[str, str, str]]:
    """(qualified name, name, chapter) for every chapter a docstring says uses the name."""
    links = []
    for qualified, name, docstring in _DOCUMENTED:
        text = " ".join(docstring.split())  # docstrings wrap lines anywhere
        chapters = [m.group(1) for m in _INTRODUCED.finditer(text)]
        for used in _USED.finditer(text):
            chapters += re.findall(_CHAPTER, used.group(1))
        for chapter in dict.fromkeys(chapters):
            links.append((qualified, name, chapter))
    return links


def _chapter_files(chapter: str) -> list[Path]:
    if chapter == "0":
        return [ROOT / "book" / "intro.md"]
    number, letter = re.fullmatch(r"(\d+)([a-z]?)", chapter).groups()
    nn = f"{int(number):02d}"
    # "Chapter 6" is every section 06a, 06b, ...; "Chapter 6c" is only 06c.
    pattern = re.compile(rf"{nn}{letter}_" if letter else rf"{nn}[a-z]?_")
    files = [p for p in sorted((ROOT / "book").glob(f"{nn}*.ipynb")) if pattern.match(p.name)]
    for folder in ("solutions", "exercises"):  # exercises are per chapter, not per section
        files += sorted((ROOT / folder).glob(f"{nn}_*.ipynb"))
    checks = PACKAGE / "checks" / f"ch{int(number)}.py"  # runs in the exercise notebook
    if files and checks.exists():
        files.append(checks)
    return files


@functools.cache
def _code(path: Path) -> str:
    """The code a file runs: code cells of a notebook, the whole text of a page."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":  # a checks module: its code, without its docstrings
        tree = ast.parse(text)
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
                if isinstance(body[0].value, ast.Constant):
                    body[0].value.value = ""
        return ast.unparse(tree)
    if path.suffix != ".ipynb":
        return text
    cells = json.loads(text)["cells"]
    return "\n".join(
        "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for cell in cells
        if cell["cell_type"] == "code"
    )


def _param(link: tuple[str, str, str]):
    qualified, _, chapter = link
    marks = []
    if qualified in PENDING:
        marks = [pytest.mark.xfail(reason=PENDING[qualified], strict=False)]
    return pytest.param(*link, id=f"{qualified}-chapter{chapter}", marks=marks)


_DOCUMENTED = _documented_objects()
BACKLINKS = _backlinks()


def test_the_docstrings_hold_back_links_to_read():
    # The parser must find the back-links of modules, functions, classes and constants.
    names = {qualified for qualified, _, _ in BACKLINKS}
    assert len(BACKLINKS) > 50
    assert {
        "course_lib.cells",
        "course_lib.cells.simple_rnn_forward",
        "course_lib.training.ProgressDisplay",
        "course_lib.datasets.tasks.ADDING_BASELINE_MSE",
    } <= names
    assert ("course_lib.datasets.tasks.adding_problem", "adding_problem", "4") in BACKLINKS


@pytest.mark.parametrize(("qualified", "name", "chapter"), [_param(x) for x in BACKLINKS])
def test_named_chapter_uses_what_it_introduces(qualified, name, chapter):
    files = _chapter_files(chapter)
    assert files, f"`{qualified}` names Chapter {chapter}, which has no notebook or page"
    words = "|".join(re.escape(n) for n in _names(qualified, name))
    pattern = re.compile(rf"(?<![\w-])(?:{words})(?![\w-])")
    # In the module that defines a helper, its definition is one match: a use is another.
    own = PACKAGE.parent / (qualified.replace(".", "/").rsplit("/", 1)[0] + ".py")
    users = [
        path
        for path in files
        if len(pattern.findall(_code(path))) > (1 if path == own else 0)
        and path != (PACKAGE.parent / qualified.replace(".", "/")).with_suffix(".py")
    ]
    shown = ", ".join(str(path.relative_to(ROOT)) for path in files)
    assert users, (
        f"`{qualified}` says Chapter {chapter} uses it, but `{name}` appears in no code of "
        f"{shown}: use it there or correct the docstring"
    )
