"""Generate the students' exercise notebooks from the solution notebooks (`rnn-course assign`).

For every `solutions/NN_topic.ipynb`, `assign` writes `exercises/NN_topic.ipynb`:

- each `### BEGIN SOLUTION` ... `### END SOLUTION` region becomes, at the region's
  indentation, a `# TODO:` line (when the region has one) and
  `raise NotImplementedError("Exercise 4.2: <instruction>")`; the region must sit inside a
  function body, so the exercise runs top to bottom until a check calls the function;
- every output and execution count is cleared, except in check cells, which keep the
  solution's success line (`Exercise 4.2: passed 5 of 5 checks`) as their expected output,
  with an execution count so that `pytest --nbval-lax` compares it;
- a first Markdown cell and the notebook metadata (`course_lib.generated_from`) say that
  the file is generated and from what; nbgrader metadata is kept.

The output is deterministic: the same solutions give byte-identical files. `check=True`
(`rnn-course assign --check`, used by CI) writes nothing and lists the notebooks that are
out of date. `refresh_outputs` (`--refresh-outputs`) executes the solutions the way the
grader does and stores the check cells' outputs (and only those) back into them.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are made.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from course_lib.checks.contract import is_passed, parse_result_line, result_line
from course_lib.grading.execute import ExecutionConfig, run_notebook
from course_lib.grading.notebook_format import (
    BEGIN_SOLUTION,
    CHECK,
    DEFAULT_KERNELSPEC,
    LOCKED,
    METADATA_KEY,
    SOLUTION,
    TODO_LINE,
    NotebookFormatError,
    cell_role,
    dumps,
    exercise_of,
    grade_id,
    nbgrader_cell_metadata,
    read_notebook,
    solution_regions,
    source_text,
    validate,
    write_notebook,
)
from course_lib.grading.outcomes import CellStatus

GENERATOR = "rnn-course assign"
NOTE_GRADE_ID = "generated-note"
_CELL_ID = re.compile(r"[^A-Za-z0-9_-]+")
# The project's line length (pyproject.toml, [tool.ruff]): generated stubs are ruff-formatted.
_LINE_LENGTH = 100


class AssignError(ValueError):
    """A solution notebook cannot be turned into an exercise; the message says where and why."""


@dataclass
class AssignReport:
    """What `assign` did (or, with `check=True`, would do).

    Args:
        written: exercise notebooks written (or out of date, with `check=True`).
        unchanged: exercise notebooks already up to date.
        removed: generated exercise notebooks whose solution is gone (removed, or stale).
        errors: problems in solution notebooks, one message each.
    """

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


# -- stubs -----------------------------------------------------------------------------------


def _instruction(lines: list[str], begin: int, end: int) -> tuple[str | None, bool]:
    """Find the region's `# TODO:` text: first inside the region, else right above it.

    Returns:
        `(text, inside)`; `inside` says whether the line was inside the region (and so
        must be repeated in the stub).
    """
    for line in lines[begin + 1 : end]:
        match = TODO_LINE.match(line)
        if match:
            return match["text"], True
    if begin > 0:
        match = TODO_LINE.match(lines[begin - 1])
        if match:
            return match["text"], False
    return None, False


def _string_literal(text: str) -> str:
    """A Python string literal of `text` quoted the way `ruff format` prefers."""
    if '"' in text and "'" not in text:
        return "'" + text.replace("\\", "\\\\") + "'"
    return json.dumps(text, ensure_ascii=False)


def _function_body_lines(tree: ast.AST) -> list[tuple[int, int]]:
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef)
    return [
        (node.body[0].lineno, node.end_lineno)
        for node in ast.walk(tree)
        if isinstance(node, kinds) and node.body
    ]


def stub_source(source: str, exercise: str, where: str = "solution cell") -> str:
    """Replace each marked solution region of `source` by a `NotImplementedError` stub.

    Args:
        source: the solution cell's code.
        exercise: the exercise id, used in the stub's message.
        where: how to name the cell in error messages.

    Returns:
        The exercise cell's code.

    Raises:
        AssignError: when a region is not inside a function body, or the code does not parse.

    Example:
    >>> print(stub_source("def f(x):\\n    ### BEGIN SOLUTION\\n    return x\\n    ### END SOLUTION", "1.1"))
    def f(x):
        raise NotImplementedError("Exercise 1.1: write your solution here")
    """
    try:
        ast.parse(source)
        regions = solution_regions(source)
    except (SyntaxError, NotebookFormatError) as error:
        raise AssignError(f"{where}: {error}") from None
    lines = source.split("\n")
    out: list[str] = []
    stub_lines: list[int] = []
    previous = 0
    for begin, end in regions:
        out += lines[previous:begin]
        indent = BEGIN_SOLUTION.match(lines[begin])["indent"]
        text, inside = _instruction(lines, begin, end)
        if text and inside:
            out.append(f"{indent}# TODO: {text}")
        message = _string_literal(f"Exercise {exercise}: {text or 'write your solution here'}")
        line = f"{indent}raise NotImplementedError({message})"
        if len(line) <= _LINE_LENGTH:
            out.append(line)
        else:  # the layout `ruff format` gives a call that does not fit on one line
            out += [f"{indent}raise NotImplementedError(", f"{indent}    {message}", f"{indent})"]
        stub_lines.append(len(out))  # 1-based number of the stub's last line
        previous = end + 1
    out += lines[previous:]
    stubbed = "\n".join(out)
    try:
        bodies = _function_body_lines(ast.parse(stubbed))
    except SyntaxError as error:
        raise AssignError(f"{where}: the generated exercise does not parse: {error}") from None
    for line in stub_lines:
        if not any(first <= line <= last for first, last in bodies):
            raise AssignError(
                f"{where}: the solution region ending before line {line} is not inside a "
                "function body (the exercise would fail before its check cell)"
            )
    return stubbed


# -- one notebook ----------------------------------------------------------------------------


def _success_output(cell: Mapping[str, Any], exercise: str, where: str) -> str:
    """Return the success line stored in a solution notebook's check cell."""
    stdout = "".join(
        source_text({"source": out.get("text", "")})
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream" and out.get("name") == "stdout"
    )
    found = [parse_result_line(line) for line in stdout.splitlines()]
    found = [p for p in found if p and p[0] == exercise]
    for _, passed, total in found:
        if is_passed(passed, total):
            return result_line(exercise, passed, total)
    if found:
        _, passed, total = found[-1]
        raise AssignError(
            f"{where}: its stored output says {result_line(exercise, passed, total)!r}: "
            "the solution does not pass its own check"
        )
    raise AssignError(
        f"{where}: no stored output {result_line(exercise, 'n', 'n')!r}; run "
        "`rnn-course assign --refresh-outputs` (or run the solution notebook and save it)"
    )


def _cell_id(gid: str, taken: set[str]) -> str:
    base = _CELL_ID.sub("-", gid).strip("-")[:60] or "cell"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    taken.add(candidate)
    return candidate


def _note_cell(source_name: str, stem: str) -> nbformat.NotebookNode:
    text = (
        f"*Generated from `{source_name}` by `{GENERATOR}`; do not edit this file in the "
        "course repository (edit the solution notebook and run `rnn-course assign`).*\n\n"
        "Replace each `raise NotImplementedError(...)` with your code, then run the check "
        f"cell below it. `rnn-course check {stem}.ipynb` grades the whole notebook the way "
        "your teacher will."
    )
    return nbformat.v4.new_markdown_cell(
        text, metadata=nbgrader_cell_metadata(LOCKED, NOTE_GRADE_ID)
    )


def make_exercise(solution: Mapping[str, Any], source_name: str) -> nbformat.NotebookNode:
    """Return the exercise notebook generated from a solution notebook.

    Args:
        solution: the solution notebook (validated here).
        source_name: where it comes from, as shown in the note, e.g.
            `"solutions/04_lstm.ipynb"`.

    Raises:
        NotebookFormatError: when the solution breaks the notebook format.
        AssignError: when a region is misplaced or a check cell has no stored success line.
    """
    validate(solution, source_name)
    stem = Path(source_name).stem
    metadata = solution.get("metadata", {})
    kernelspec = metadata.get("kernelspec", DEFAULT_KERNELSPEC)
    nb = nbformat.v4.new_notebook()
    nb.nbformat_minor = 5
    nb.metadata = {
        "kernelspec": copy.deepcopy(dict(kernelspec)),
        "language_info": {"name": "python"},
        METADATA_KEY: {"generated_from": source_name, "generator": GENERATOR},
    }
    taken: set[str] = set()
    note = _note_cell(source_name, stem)
    note["id"] = _cell_id(NOTE_GRADE_ID, taken)
    cells = [note]
    code_number = 0
    for index, cell in enumerate(solution["cells"]):
        gid = grade_id(cell)
        if gid == NOTE_GRADE_ID:
            raise AssignError(f"{source_name}: cell {index} uses the reserved grade_id {gid!r}")
        where = f"{source_name}, cell {index} ({gid})"
        new = nbformat.from_dict(
            {
                "cell_type": cell["cell_type"],
                "id": _cell_id(gid, taken),
                "metadata": {
                    k: copy.deepcopy(v) for k, v in cell["metadata"].items() if k != "execution"
                },
                "source": source_text(cell),
            }
        )
        if "attachments" in cell and cell["cell_type"] != "code":
            new["attachments"] = copy.deepcopy(cell["attachments"])
        role = cell_role(cell)
        if cell["cell_type"] == "code":
            code_number += 1
            new["outputs"], new["execution_count"] = [], None
            if role == SOLUTION:
                new["source"] = stub_source(source_text(cell), exercise_of(gid), where)
            elif role == CHECK:
                line = _success_output(cell, exercise_of(gid), where)
                new["outputs"] = [nbformat.v4.new_output("stream", name="stdout", text=line + "\n")]
                new["execution_count"] = code_number
        cells.append(new)
    nb.cells = cells
    return nb


# -- the folders -----------------------------------------------------------------------------


def _is_generated(path: Path) -> bool:
    try:
        return GENERATOR == read_notebook(path).metadata.get(METADATA_KEY, {}).get("generator")
    except Exception:
        return False


def assign(
    solutions_dir: str | Path,
    exercises_dir: str | Path,
    *,
    check: bool = False,
    names: Sequence[str] = (),
) -> AssignReport:
    """Regenerate `exercises_dir` from `solutions_dir` (or, with `check=True`, compare).

    Args:
        solutions_dir: folder of the solution notebooks.
        exercises_dir: folder of the generated exercise notebooks (other files untouched).
        check: write nothing; report out-of-date notebooks in `written`. Defaults to False.
        names: only these notebook file names. Defaults to all.

    Returns:
        An `AssignReport`.

    Raises:
        FileNotFoundError: when `solutions_dir` does not exist.
    """
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    if not solutions_dir.is_dir():
        raise FileNotFoundError(f"solutions folder {solutions_dir} does not exist")
    report = AssignReport()
    sources = sorted(solutions_dir.glob("*.ipynb"))
    if names:
        sources = [p for p in sources if p.name in set(names)]
        unknown = sorted(set(names) - {p.name for p in sources})
        report.errors += [f"{solutions_dir / n} does not exist" for n in unknown]
    if not check:
        exercises_dir.mkdir(parents=True, exist_ok=True)
    for source in sources:
        target = exercises_dir / source.name
        try:
            exercise = make_exercise(read_notebook(source), f"{solutions_dir.name}/{source.name}")
        except (AssignError, NotebookFormatError, ValueError) as error:
            report.errors.append(str(error))
            continue
        text = dumps(exercise).encode("utf-8")
        if target.is_file() and target.read_bytes() == text:
            report.unchanged.append(str(target))
            continue
        report.written.append(str(target))
        if not check:
            target.write_bytes(text)
    if not names and exercises_dir.is_dir():
        wanted = {p.name for p in sources}
        for stale in sorted(exercises_dir.glob("*.ipynb")):
            if stale.name not in wanted and _is_generated(stale):
                report.removed.append(str(stale))
                if not check:
                    stale.unlink()
    return report


def refresh_outputs(
    solutions_dir: str | Path,
    *,
    config: ExecutionConfig | None = None,
    names: Sequence[str] = (),
    progress=print,
) -> list[str]:
    """Execute the solution notebooks and store their check cells' outputs in them.

    Each notebook runs like a graded submission (fresh kernel, temporary folder, check
    modules reloaded before each check). Every check must pass; then each check cell's
    output becomes exactly its success line, and every other output is cleared.

    Args:
        solutions_dir: folder of the solution notebooks.
        config: limits and kernel settings. Defaults to `ExecutionConfig()`.
        names: only these notebook file names. Defaults to all.
        progress: called with one line per notebook; None for silence.

    Returns:
        Problems found, one message each (empty when every notebook was refreshed).
    """
    solutions_dir = Path(solutions_dir)
    problems: list[str] = []
    for path in sorted(solutions_dir.glob("*.ipynb")):
        if names and path.name not in names:
            continue
        nb = read_notebook(path)
        try:
            validate(nb, str(path))
        except NotebookFormatError as error:
            problems.append(str(error))
            continue
        executed = copy.deepcopy(nb)
        for cell in executed.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        checks = [i for i, c in enumerate(executed.cells) if cell_role(c) == CHECK]
        workdir = Path(tempfile.mkdtemp(prefix="rnn-course-refresh-"))
        try:
            runs = run_notebook(executed, workdir, config, refresh_before=checks)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        failed = []
        code_number = 0
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            code_number += 1
            cell.outputs, cell.execution_count = [], None
            if index not in checks:
                continue
            exercise = exercise_of(grade_id(cell))
            run = runs[index]
            lines = [parse_result_line(line) for line in run.stdout.splitlines()]
            passing = [p for p in lines if p and p[0] == exercise and is_passed(p[1], p[2])]
            if run.status == CellStatus.OK and passing:
                text = result_line(exercise, passing[0][1], passing[0][2]) + "\n"
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
                cell.execution_count = code_number
            else:
                why = run.detail or f"{run.ename}: {run.evalue}".strip(": ") or run.status
                failed.append(f"{path}: exercise {exercise} does not pass its check: {why}")
        if failed:
            problems += failed
            continue
        write_notebook(nb, path)
        if progress is not None:
            progress(f"refreshed {path} ({len(checks)} check cells)")
    return problems
