"""The answer key and the grading seed stay out of the student's reach (issue 22, 3 and 4).

- The self-check makes the chapter's answer keys raise `AnswerWithheld` while the
  student's function runs, so a function that is, or calls, a reference fails before it is
  handed in, naming the exercise.
- The grader shows the sandbox a copy of `course_lib` without the notebook's answer keys
  and without the check modules' code: every way to reach a reference (an alias, an
  import path around the name, `importlib.reload`, the source file, the byte code) scored
  full marks with `--no-sandbox` and scores nothing in the sandbox.
- Exercise 3.4's forecasts are judged on windows drawn apart from one another, with
  targets that never leave the grader: a model that forecasts a window from the next one
  in the batch, or that regenerates the targets from the grading seed, scored full marks
  before and fails now.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import json
import os
import py_compile
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from exercise_solutions import judged

from course_lib import baselines, cells
from course_lib.checks import AnswerWithheld, CheckFailed, ch1, ch3, withheld
from course_lib.checks.exercise import ExerciseCheck
from course_lib.grading.class_grading import grade_submissions
from course_lib.grading.execute import ExecutionConfig
from course_lib.grading.notebook_format import grade_id, read_notebook, write_notebook

ROOT = Path(__file__).resolve().parents[1]
CH1 = [v for v in vars(ch1).values() if isinstance(v, ExerciseCheck)]


def test_the_answer_key_of_chapter_1_is_its_references_and_their_own_helpers():
    keys = withheld.answer_key(CH1)
    assert ("course_lib.cells", "simple_rnn_step") in keys
    assert ("course_lib.cells", "simple_rnn_forward") in keys
    assert ("course_lib.cells", "_simple_rnn_core") in keys  # used only by those two
    assert ("course_lib.cells", "lstm_step") not in keys
    assert ("course_lib.cells", "_run") not in keys  # every forward pass uses it
    assert "answers Exercise 1.1" in keys[("course_lib.cells", "simple_rnn_step")]


def _alias(x_t, h, kernel, recurrent_kernel, bias):  # calls the reference, by another name
    from course_lib.cells import simple_rnn_step as step

    return step(x_t, h, kernel, recurrent_kernel, bias)


def _import_path(*args):
    return __import__("course_lib.chec" + "ks.ch1").checks.ch1.cells.simple_rnn_step(*args)


@pytest.mark.parametrize("attack", [cells.simple_rnn_step, _alias, _import_path])
def test_the_self_check_says_the_reference_is_withheld(attack, monkeypatch):
    with pytest.raises(CheckFailed) as info:
        ch1.check_rnn_step(attack)
    message = str(info.value)
    assert message.startswith("Exercise 1.1: passed 0 of 5 checks")
    assert "course_lib.cells.simple_rnn_step answers Exercise 1.1" in message
    # Restored afterwards, for the student's own experiments and for the judge.
    assert cells.simple_rnn_step(np.ones((1, 1)), np.ones((1, 1)), *[np.ones((1, 1))] * 2).shape
    # Without the tripwire the same attack passes: the test can fail.
    monkeypatch.setattr(withheld, "tripwire", lambda exercise: contextlib.nullcontext())
    ch1.check_rnn_step(attack)


def test_the_graders_copy_holds_no_answer_key(tmp_path):
    package = withheld.write_package(tmp_path / "course_lib", CH1)
    assert not list(package.rglob("__pycache__")) and not list(package.rglob("*.pyc"))
    original = (ROOT / "course_lib" / "cells.py").read_text()
    copied = (package / "cells.py").read_text()
    functions = {
        node.name: node for node in ast.parse(copied).body if isinstance(node, ast.FunctionDef)
    }
    for name in ("simple_rnn_step", "simple_rnn_forward", "_simple_rnn_core"):
        assert "withhold(" in ast.unparse(functions[name]) and "np.tanh" not in ast.unparse(
            functions[name]
        ), name
    assert ast.unparse(functions["lstm_step"]) in ast.unparse(ast.parse(original))
    checks = (package / "checks" / "ch1.py").read_text()
    assert "np.tanh(x_t @ kernel" not in checks  # the mistakes
    assert "layer.count_params()" not in checks  # a reference
    assert "Exercise 1.1 (5 checks)" in checks  # what the checks do stays documented
    for path in [package, *package.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o755 if path.is_dir() else 0o644), path
    probe = (
        "import course_lib.cells as c\nfrom course_lib.checks import ch1, ch3\n"
        "assert ch3.task_data.__name__ == 'task_data'\n"
        "try:\n    c.simple_rnn_step(1, 2, 3, 4, 5)\nexcept Exception as e:\n"
        "    print(type(e).__name__, e)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.stdout.startswith("AnswerWithheld course_lib.cells.simple_rnn_step answers "), (
        done.stdout + done.stderr[-2000:]
    )


def test_withheld_names_the_exercise():
    with pytest.raises(AnswerWithheld, match="answers Exercise 1.1"):
        with withheld.tripwire(ch1.check_rnn_step):
            cells.simple_rnn_step(*[np.ones((1, 1))] * 4, np.ones(1))


# -- 3.4: forecasts judged on windows apart from one another, targets kept in the grader ---------


# Untrained models with a SimpleRNN that forecast by a rule (the attacks). The same source
# runs here and, copied next to a submitted notebook, in the grader's kernel.
ATTACK_SOURCE = '''
import os

import keras
import numpy as np

from course_lib.checks import ch3


class Forecaster(keras.Model):
    def __init__(self, rule):
        super().__init__()
        self.rnn = keras.layers.SimpleRNN(1)
        self.rule = rule

    def call(self, X):
        X = keras.ops.convert_to_numpy(X)
        return keras.ops.convert_to_tensor(self.rule(X).astype("float32"))


def next_window(X):
    """Each window forecast with the last value of the next window in the batch."""
    last = X[:, -1, 0]
    return np.concatenate([last[1:], last[-1:]])[:, None]


def seed_attack(*data):
    """Regenerate 3.4's targets from the grading seed, when the kernel can see one."""
    from course_lib.checks import common
    from course_lib.checks.exercise import Draw

    seed = os.environ.get("RNN_COURSE_GRADING_SEED")
    table = {}
    if seed is not None:
        draw = Draw(ch3.check_simple_rnn_model, int(seed))
        X, y = common.independent_windows(
            lambda t: np.sin(2 * np.pi * t / 25.0),
            noise=0.05,
            scaler=ch3.task_data().scaler,
            window=12,
            horizon=1,
            n=120,
            inputs_rng=draw.rng(3),
            targets_rng=draw.rng(4),
        )
        table = {x.tobytes(): t for x, t in zip(X, y, strict=True)}
    return Forecaster(lambda X: np.stack([table.get(x.tobytes(), [0.0]) for x in X]))
'''
ATTACKS_3_4: dict = {}
exec(ATTACK_SOURCE, ATTACKS_3_4)


def test_a_window_is_not_forecast_from_the_next_one():
    attack = ATTACKS_3_4["Forecaster"](ATTACKS_3_4["next_window"])
    # Before: test windows cut from one series, the layout of the old check.
    old = ch3.task_data(seed=12345)
    ratio = baselines.mse(old.y_test, attack(old.X_test)) / baselines.mse(
        old.y_test, baselines.persistence_forecast(old.X_test)
    )
    assert ratio < ch3.MAX_MSE_RATIO  # the attack would pass there
    # Now: each window from its own stretch of time.
    verdict = judged(ch3.check_simple_rnn_model, lambda *data: attack, seed=12345)
    assert verdict.passed < verdict.total and "test MSE" in verdict.message


def test_the_grading_seed_in_the_kernel_would_give_the_targets_away(monkeypatch):
    """Before: the old protocol set the seed in the kernel; with it the attack passes."""
    monkeypatch.setenv("RNN_COURSE_GRADING_SEED", "424242")
    attack = ATTACKS_3_4["seed_attack"]
    assert judged(ch3.check_simple_rnn_model, attack, seed=424242).passed == 5
    monkeypatch.delenv("RNN_COURSE_GRADING_SEED")
    assert judged(ch3.check_simple_rnn_model, attack, seed=424242).passed < 5


# -- the sandbox, as the teacher runs it ---------------------------------------------------------

ALIAS = {
    "ex1_1-solution": "import course_lib.cells\n\nrnn_step = course_lib.cells.simple_rnn_step\n",
    "ex1_2-solution": (
        "def rnn_forward(x, kernel, recurrent_kernel, bias, h0=None):\n"
        "    cells = __import__('course_lib.chec' + 'ks.ch1').checks.ch1.cells\n"
        "    return cells.simple_rnn_forward(\n"
        "        x, kernel, recurrent_kernel, bias, initial_state=h0, return_sequences=True\n"
        "    )\n"
    ),
    "ex1_3-solution": (
        "import course_lib.checks.ch1 as checks\n\n"
        "namespace = {'__name__': 'copied'}\n"
        "exec(open(checks.__file__).read(), namespace)  # the check module's source\n"
        "simple_rnn_param_count = namespace['_keras_count']\n"
    ),
}
RELOAD = {
    "ex1_1-solution": (
        "import importlib\n\nimport course_lib.cells\n\n"
        "rnn_step = importlib.reload(course_lib.cells).simple_rnn_step\n"
    ),
    "ex1_2-solution": (
        "import importlib.util\nimport marshal\n\nimport course_lib.cells\n\n"
        "with open(importlib.util.cache_from_source(course_lib.cells.__file__), 'rb') as f:\n"
        "    namespace = {'__name__': 'course_lib.cells'}\n"
        "    exec(marshal.loads(f.read()[16:]), namespace)  # the byte code\n\n\n"
        "def rnn_forward(x, kernel, recurrent_kernel, bias, h0=None):\n"
        "    return namespace['simple_rnn_forward'](\n"
        "        x, kernel, recurrent_kernel, bias, initial_state=h0, return_sequences=True\n"
        "    )\n"
    ),
}
SEED = {  # the attack is a data file next to the notebook (code files are not copied)
    "ex3_4-solution": "exec(open('attack.txt').read())\n\ntrain_simple_rnn = seed_attack\n"
}


def _submission(folder: Path, name: str, answers: dict) -> None:
    nb = read_notebook(ROOT / "exercises" / name)
    for cell in nb.cells:
        if grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)]
    folder.mkdir(parents=True, exist_ok=True)
    write_notebook(nb, folder / name)


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    """Grade the attacks with and without the sandbox; return (mode, student, id) -> row."""
    root = tmp_path_factory.mktemp("withheld")
    release = root / "release"
    release.mkdir()
    for name in ("01_sequences_hidden_state.ipynb", "03_simple_rnn.ipynb"):
        shutil.copy(ROOT / "exercises" / name, release / name)
    students = root / "students"
    _submission(students / "alias", "01_sequences_hidden_state.ipynb", ALIAS)
    _submission(students / "reload", "01_sequences_hidden_state.ipynb", RELOAD)
    _submission(students / "seed", "03_simple_rnn.ipynb", SEED)
    (students / "seed" / "attack.txt").write_text(ATTACK_SOURCE)
    # An installed package holds its byte code (this checkout may not have written it).
    py_compile.compile(cells.__file__, cfile=importlib.util.cache_from_source(cells.__file__))
    rows = {}
    for mode, sandbox in (("sandbox", True), ("no-sandbox", False)):
        config = ExecutionConfig(sandbox=sandbox, cell_timeout=240, notebook_timeout=900)
        env = {"RNN_COURSE_GRADING_SEED": "424242"} if not sandbox else {}
        with _environment(env):
            results = grade_submissions(
                students, release, config=config, workers=2, seed=424242, progress=None
            )
        for notebook in results:
            for r in notebook.results:
                rows[(mode, notebook.student, r.exercise)] = r
    return rows


@contextlib.contextmanager
def _environment(values):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


ATTACKS = [
    ("alias", "1.1"),  # rnn_step = course_lib.cells.simple_rnn_step
    ("alias", "1.2"),  # __import__("course_lib.chec" + "ks.ch1").cells
    ("alias", "1.3"),  # the check module's source, exec'd
    ("reload", "1.1"),  # importlib.reload
    ("reload", "1.2"),  # the byte code of course_lib/cells.py
]


@pytest.mark.slow
@pytest.mark.parametrize(("student", "exercise"), ATTACKS)
def test_the_answer_key_scores_without_the_sandbox_and_nothing_in_it(attacked, student, exercise):
    outside = attacked[("no-sandbox", student, exercise)]
    inside = attacked[("sandbox", student, exercise)]
    assert outside.points == outside.max_points, outside.message
    assert inside.points == 0, inside.message
    assert "AnswerWithheld" in inside.message or "Error" in inside.message, inside.message


@pytest.mark.slow
def test_the_grading_seed_does_not_reach_the_sandbox(attacked):
    """The old protocol's kernel saw the seed (here: put in the grader's environment, which
    `--no-sandbox` passes on); the sandbox's kernel sees neither it nor the check's code."""
    outside = attacked[("no-sandbox", "seed", "3.4")]
    inside = attacked[("sandbox", "seed", "3.4")]
    assert outside.points == outside.max_points, outside.message
    assert inside.points < inside.max_points and "test MSE" in inside.message, inside.message
    json.dumps([outside.message, inside.message])  # plain text for the gradebook
