"""The Gradescope autograder script, run here the way Gradescope runs it (paths redirected)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli import RELEASE, kernel_env, solved_copy

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def test_run_autograder_writes_gradescope_results(tmp_path):
    autograder = tmp_path / "autograder"
    solved_copy(autograder / "submission" / "01_basics.ipynb")
    command = Path(sys.executable).parent / "rnn-course"
    if not command.exists():
        pytest.skip("the rnn-course command is not installed next to this Python")
    env = dict(
        kernel_env(),
        AUTOGRADER=str(autograder),
        RNN_COURSE=str(command),
        RNN_COURSE_RELEASE=str(RELEASE),
        RNN_COURSE_GRADE_OPTIONS="--check-module fixture_checks --cell-timeout 30",
    )
    done = subprocess.run(
        ["bash", str(ROOT / "gradescope" / "run_autograder")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((autograder / "results" / "results.json").read_text())
    assert results["score"] == 5.0
    assert [t["name"] for t in results["tests"]] == [
        "01_basics.ipynb: Exercise 1.1",
        "01_basics.ipynb: Exercise 1.2",
        "02_more.ipynb: Exercise 2.1",
    ]
    assert [t["status"] for t in results["tests"]] == ["passed", "passed", "failed"]
    assert results["tests"][2]["output"].startswith("missing")


def test_setup_script_is_valid_bash():
    bash = shutil.which("bash")
    for name in ("setup.sh", "run_autograder"):
        path = ROOT / "gradescope" / name
        assert os.access(path, os.X_OK), f"{name} must be executable"
        assert subprocess.run([bash, "-n", str(path)]).returncode == 0
