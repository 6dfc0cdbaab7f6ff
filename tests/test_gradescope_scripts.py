"""The Gradescope autograder script, run here the way Gradescope runs it (paths redirected).

With user namespaces (here) the uploaded notebook is graded in the sandbox; with
CAP_SYS_ADMIN dropped, as Docker (Gradescope's containers) does by default, the sandbox
cannot start and results.json says so. Whatever happens, results.json is written.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import fixture_kernel_env

from tests.test_cli import RELEASE, solved_copy

pytestmark = pytest.mark.slow
linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="Gradescope's autograders run on Linux"
)

ROOT = Path(__file__).resolve().parents[1]
COMMAND = Path(sys.executable).parent / "rnn-course"


def run_autograder(autograder: Path, *, prefix=(), **env) -> dict:
    if not COMMAND.exists():
        pytest.skip("the rnn-course command is not installed next to this Python")
    environment = dict(
        fixture_kernel_env(),
        AUTOGRADER=str(autograder),
        RNN_COURSE=str(COMMAND),
        RNN_COURSE_RELEASE=str(RELEASE),
        RNN_COURSE_GRADE_OPTIONS="--check-module fixture_checks --cell-timeout 30",
    )
    environment.update(env)
    (autograder / "submission").mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [*prefix, "bash", str(ROOT / "gradescope" / "run_autograder")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((autograder / "results" / "results.json").read_text())
    results["_log"] = done.stdout + done.stderr
    return results


@linux_only
def test_only_the_uploaded_notebooks_are_tests(tmp_path):
    solved_copy(tmp_path / "submission" / "01_basics.ipynb")
    (tmp_path / "grade-options").write_text("# the teacher's options\n--seed 7  # fixed\n")
    (tmp_path / "memory.max").write_text("805306368\n")  # Gradescope's default: 768 MB
    results = run_autograder(
        tmp_path,
        RNN_COURSE_OPTIONS_FILE=str(tmp_path / "grade-options"),
        RNN_COURSE_MEMORY_FILES=str(tmp_path / "memory.max"),
    )
    assert results["score"] == 5.0
    # 02_more was not uploaded: it is no test (it was "missing", a failed test, before).
    assert [t["name"] for t in results["tests"]] == [
        "01_basics.ipynb: Exercise 1.1",
        "01_basics.ipynb: Exercise 1.2",
    ]
    assert [t["status"] for t in results["tests"]] == ["passed", "passed"]
    assert "--notebook-timeout 520 (budget 540 s, 1 notebooks)" in results["_log"]
    assert "inputs from seed 7" in results["_log"]  # the options file was read
    assert "This autograder has 768 MB of memory" in results["output"]


@linux_only
def test_without_namespaces_results_json_says_why(tmp_path):
    if not shutil.which("setpriv") or os.geteuid() != 0:
        pytest.skip("needs root and setpriv to drop CAP_SYS_ADMIN as Docker does")
    solved_copy(tmp_path / "submission" / "01_basics.ipynb")
    docker_like = ["setpriv", "--bounding-set", "-sys_admin", "--inh-caps", "-sys_admin"]
    results = run_autograder(tmp_path, prefix=docker_like)
    assert results["score"] == 0 and results["tests"] == []
    assert results["output"].startswith("This submission was not graded: nothing was graded:")
    assert "grading sandbox" in results["output"]


@linux_only
@pytest.mark.parametrize(
    ("upload", "env", "reason"),
    [
        ({"notes.txt": "hi"}, {}, "the submissions contain no released notebook"),
        ({"01_basics.ipynb": "{}"}, {"RNN_COURSE": "/nonexistent/rnn-course"}, "not installed"),
        (
            {"01_basics.ipynb": "{}"},
            {"RNN_COURSE_GRADE_OPTIONS": "--no-such-option"},
            "unrecognized arguments: --no-such-option",
        ),
    ],
)
def test_results_json_is_written_whatever_happens(tmp_path, upload, env, reason):
    for name, text in upload.items():
        (tmp_path / "submission").mkdir(parents=True, exist_ok=True)
        (tmp_path / "submission" / name).write_text(text)
    results = run_autograder(tmp_path, **env)
    assert results["score"] == 0 and reason in results["output"], results["output"]


def test_setup_script_is_valid_bash():
    bash = shutil.which("bash")
    for name in ("setup.sh", "run_autograder"):
        path = ROOT / "gradescope" / name
        assert os.access(path, os.X_OK), f"{name} must be executable"
        assert subprocess.run([bash, "-n", str(path)]).returncode == 0
