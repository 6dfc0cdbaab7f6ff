"""The answer key, withheld: course code that answers an exercise never runs as the student's.

An exercise's *answer key* is its reference and the course functions it lists in
`withhold` (`course_lib.checks.exercise`), with the private helpers of their modules that
they use (`cells._simple_rnn_core` computes what `cells.simple_rnn_step` returns). The code
of the check modules (everything in `course_lib/checks/` but the checks' machinery) is
answer key too: references, typical mistakes, the drawing of cases. Two places withhold it:

- **grading** (`write_package`): the grader writes a copy of `course_lib` in which those
  functions' bodies (and every function and lambda of the check modules not marked
  `@runs_in_notebook`) are replaced by `raise AnswerWithheld("... answers Exercise 1.1
  ...")`, and the check modules' computed module-level values (lists of mistakes) by `()`,
  with no byte code; the sandbox shows that copy where `course_lib` is, so no import,
  alias, `importlib.reload`, source file or `.pyc` holds the answer;
- **self-check** (`tripwire`): while the student's function runs, the answer-key
  functions of its chapter raise the same `AnswerWithheld`, so the student learns before
  handing in that their function uses the answer key.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are checked.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import functools
import importlib
import inspect
import os
import shutil
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import course_lib
from course_lib.checks.contract import CHECKS_PACKAGE

if TYPE_CHECKING:
    from course_lib.checks.exercise import ExerciseCheck

__all__ = ["MACHINERY", "answer_key", "tripwire", "write_package"]

#: The modules of `course_lib.checks` that run next to the student's code as they are (the
#: machinery of probing); every other module of the package is withheld while graded.
MACHINERY = frozenset(
    {"__init__", "contract", "exercise", "probe", "records", "report", "verdicts", "withheld"}
)
_MARK = "runs_in_notebook"
_HEADER = "# Written by the grader (course_lib.checks.withheld): the answer key is withheld here.\n"


def _withheld_text(qualified: str, exercise: str | None) -> str:
    if exercise is None:
        return (
            f"{qualified} is part of the course's checks: it is withheld from your code while "
            "a notebook is graded."
        )
    return (
        f"{qualified} answers Exercise {exercise}: it is withheld from your code while this "
        "notebook is graded; write your own."
    )


def _is_check_module(module: str) -> bool:
    package, _, name = module.rpartition(".")
    return package == CHECKS_PACKAGE and name not in MACHINERY


def _module_tree(module: str) -> ast.Module:
    return _parsed(inspect.getsourcefile(importlib.import_module(module)))


@functools.cache
def _parsed(path: str) -> ast.Module:
    return ast.parse(Path(path).read_text(encoding="utf-8"))


def _private_helpers(module: str, names: Iterable[str]) -> set[str]:
    """`names` and the private functions of `module` that only they use, directly or not.

    A private helper that any other function (or module-level code) uses stays: the
    notebook may need that other function (`cells._run` runs every forward pass).
    """
    users: dict[str, set[str]] = {}
    functions: set[str] = set()
    for node in _module_tree(module).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            functions.add(node.name)
        user = node.name if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else ""
        for inner in ast.walk(node):
            if isinstance(inner, ast.Name) and inner.id != user:
                users.setdefault(inner.id, set()).add(user)
    withheld = {name for name in names if name in functions}
    grown = True
    while grown:
        grown = False
        for name in functions - withheld:
            used_by = users.get(name, set())
            if name.startswith("_") and used_by and used_by <= withheld:
                withheld.add(name)
                grown = True
    return withheld


def answer_key(exercises: Iterable[ExerciseCheck]) -> dict[tuple[str, str], str]:
    """`(module, function name) -> AnswerWithheld message` of the exercises' answer keys.

    Only course functions count (Keras and NumPy stay the student's to use); with them go
    the private helpers of their modules that only they use.

    Raises:
        ValueError: when a course function in an answer key is not a module-level function.
    """
    keys: dict[tuple[str, str], str] = {}
    for exercise in exercises:
        for function in exercise.answer_key:
            module = getattr(function, "__module__", "") or ""
            if module != "course_lib" and not module.startswith("course_lib."):
                continue
            name = getattr(function, "__qualname__", "")
            if not name.isidentifier():
                continue  # a lambda: in the sandbox a declaration keeps no reference
            if getattr(sys.modules[module], name, None) is not function:
                raise ValueError(
                    f"Exercise {exercise.id}: the answer key must name module-level functions "
                    f"of course_lib; got {module}.{name}."
                )
            keys.setdefault((module, name), _withheld_text(f"{module}.{name}", exercise.id))
    for module in {module for module, _ in keys}:
        named = sorted(name for m, name in keys if m == module)
        for helper in sorted(_private_helpers(module, named) - set(named)):
            keys[(module, helper)] = (
                f"{module}.{helper} computes part of the answer key ({', '.join(named)}): it "
                "is withheld from your code while this notebook is graded; write your own."
            )
    return keys


def _chapter_exercises(exercise: ExerciseCheck) -> list[ExerciseCheck]:
    from course_lib.checks.exercise import ExerciseCheck

    module = sys.modules.get(exercise.__module__)
    found = [v for v in vars(module).values() if isinstance(v, ExerciseCheck)] if module else []
    return found or [exercise]


def _raising_code(name: str, message: str) -> types.CodeType:
    source = f"def {name}(*args, **kwargs):\n    {_stub_call(message)}\n"
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<withheld {name}>", "exec"), namespace)
    return namespace[name].__code__


@contextlib.contextmanager
def tripwire(exercise: ExerciseCheck) -> Iterator[None]:
    """While the block runs, the answer keys of `exercise`'s chapter raise `AnswerWithheld`.

    The functions' code is swapped in place, so every way to reach them (an alias, an
    import, the module's attribute) raises; the code is restored afterwards.
    """
    swapped: list[tuple[Callable, types.CodeType]] = []
    keys = answer_key(_chapter_exercises(exercise))
    try:
        for (module, name), message in keys.items():
            function = getattr(sys.modules[module], name, None)
            code = getattr(function, "__code__", None)
            if code is None or code.co_freevars:
                continue  # a closure's code cannot be swapped (the grading sandbox still holds)
            swapped.append((function, code))
            function.__code__ = _raising_code(name, message)
        yield
    finally:
        for function, code in reversed(swapped):
            function.__code__ = code


class _Redact(ast.NodeTransformer):
    """Replace the bodies of withheld functions (and every lambda of a check module)."""

    def __init__(self, module: str, messages: dict[str, str], whole_module: bool):
        self.module = module
        self.messages = messages
        self.whole_module = whole_module
        self.depth = 0

    def _raise(self, message: str) -> ast.stmt:
        return ast.parse(_stub_call(message)).body[0]

    def _function(self, node):
        top = self.depth == 0
        marked = any(
            (isinstance(d, ast.Name) and d.id == _MARK)
            or (isinstance(d, ast.Attribute) and d.attr == _MARK)
            for d in node.decorator_list
        )
        if top and node.name in self.messages:
            message = self.messages[node.name]
        elif self.whole_module and not marked:
            message = _withheld_text(f"{self.module}.{node.name}", None)
        else:
            return node  # kept whole (a marked function, or one outside the answer key)
        declared = False
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call) and _called(decorator) == "exercise":
                # The probe needs the exercise's id, the student's function and its call.
                decorator.keywords = [k for k in decorator.keywords if k.arg in _PROBED]
                declared = True
        node.decorator_list = [self.visit(d) for d in node.decorator_list]
        node.args = self.visit(node.args)
        docstring = ast.get_docstring(node, clean=False)
        # A check's docstring says what it checks (help(ch1.check_rnn_step)); others go.
        kept = [ast.Expr(ast.Constant(docstring))] if declared and docstring else []
        node.body = [*kept, self._raise(message)]
        node.returns = None
        return node

    def visit_Module(self, node):
        if self.whole_module:
            for statement in node.body:
                if isinstance(statement, ast.Assign | ast.AnnAssign) and statement.value:
                    if not _is_plain(statement.value):
                        # A computed value (a list of mistakes, a factory's result): none.
                        statement.value = ast.Tuple([], ast.Load())
        return self.generic_visit(node)

    def visit_FunctionDef(self, node):
        return self._function(node)

    def visit_AsyncFunctionDef(self, node):
        return self._function(node)

    def visit_ClassDef(self, node):
        self.depth += 1
        try:
            return self.generic_visit(node)
        finally:
            self.depth -= 1

    def visit_Lambda(self, node):
        if not self.whole_module:
            return node
        message = _withheld_text(f"a lambda of {self.module}", None)
        return ast.parse(f"lambda *args, **kwargs: {_stub_call(message)}", mode="eval").body


_PROBED = ("student", "call")


def _called(call: ast.Call) -> str:
    return getattr(call.func, "id", getattr(call.func, "attr", ""))


def _is_plain(value: ast.expr) -> bool:
    """Whether a module-level value is a literal, a name or an attribute (kept as written)."""
    if isinstance(value, ast.Name | ast.Attribute):
        return True
    try:
        ast.literal_eval(value)
    except ValueError:
        return False
    return True


def _stub_call(message: str) -> str:
    """The expression that raises `AnswerWithheld(message)` (a lambda cannot `raise`)."""
    return f"__import__('course_lib.checks.contract', fromlist=['x']).withhold({message!r})"


@functools.lru_cache(maxsize=32)
def _redacted_source(path: str, module: str, messages: tuple, whole_module: bool) -> str:
    tree = _Redact(module, dict(messages), whole_module).visit(copy.deepcopy(_parsed(path)))
    return _HEADER + ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def _package_dir() -> Path:
    return Path(course_lib.__file__).resolve().parent


def write_package(target: str | os.PathLike, exercises: Iterable[ExerciseCheck]) -> Path:
    """Write a copy of `course_lib` with the answer keys of `exercises` withheld.

    Every module of `course_lib/checks/` except the machinery (`MACHINERY`) keeps only its
    imports, constants, the functions marked `@runs_in_notebook` and its exercises'
    declarations; the answer keys of `exercises` in the other modules raise
    `AnswerWithheld`. No byte code is copied. Folders are made readable by everyone (the
    sandbox runs as another user).

    Args:
        target: the folder to create (it must not exist).
        exercises: the exercises of the notebook being graded.

    Returns:
        `target`, a package to show where `course_lib` is.
    """
    source, target = _package_dir(), Path(target)
    by_module: dict[str, dict[str, str]] = {}
    for (module, name), message in answer_key(exercises).items():
        by_module.setdefault(module, {})[name] = message
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for path in sorted(target.rglob("*.py")):
        relative = path.relative_to(target).with_suffix("")
        module = ".".join(("course_lib", *relative.parts)).removesuffix(".__init__")
        whole = _is_check_module(module)
        messages = by_module.get(module, {})
        if whole or messages:
            original = str(source / path.relative_to(target))
            text = _redacted_source(original, module, tuple(sorted(messages.items())), whole)
            path.write_text(text, encoding="utf-8")
    for root, _dirs, files in os.walk(target):
        os.chmod(root, 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
    return target
