"""A failed check cell reads like feedback in Jupyter: the report, not a traceback (issue 16).

Run in a real IPython kernel (jupyter_client): the cell's error shows the exercise, what
passed, each failed check's message and hint, and nothing of `course_lib`'s internals,
while the cell still ends in an error, so "Run All" stops there and nbval fails it.
"""

import os
import re
import subprocess
import sys

import nbformat
import pytest
from exercise_solutions import ROOT
from jupyter_client.manager import start_new_kernel

from course_lib.checks import CheckFailed

FAILING_CHECK = """\
from course_lib.checks import CheckReport
report = CheckReport("1.1")
report.expect_close("h_t", 1.0, 1.0)
report.expect_close("rnn_step(x_t, h, ...)", 0.5, 0.25, hint="apply the tanh activation.")
report.expect_shape("h", [1.0, 2.0], (2, 3), layout="(batch, units)")
report.finish()
"""
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_render_traceback_is_the_report():
    error = CheckFailed("4.2", 1, 3, ["`h` is wrong. Hint: try again.", "`c` is wrong."], ["x"])
    assert [ANSI.sub("", line) for line in error._render_traceback_()] == [
        "Exercise 4.2: passed 1 of 3 checks",
        "  - `h` is wrong.",
        "    Hint: try again.",
        "  - `c` is wrong.",
        "  (x)",
    ]


@pytest.fixture(scope="module")
def kernel():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("RNN_COURSE_PROBE_DIR", None)
    manager, client = start_new_kernel(kernel_name="python3", env=env, cwd=str(ROOT))
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run(client, code: str) -> tuple[dict, list[dict]]:
    """Execute `code`; return the reply's content and the cell's iopub messages."""
    msg_id = client.execute(code)
    outputs = []
    while True:
        msg = client.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
        outputs.append(msg)
    while True:
        reply = client.get_shell_msg(timeout=60)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply["content"], outputs


def test_failed_check_shows_the_report_and_nothing_of_the_internals(kernel):
    reply, outputs = run(kernel, FAILING_CHECK)
    assert reply["status"] == "error" and reply["ename"] == "CheckFailed"
    (error,) = [msg["content"] for msg in outputs if msg["msg_type"] == "error"]
    shown = ANSI.sub("", "\n".join(error["traceback"]))
    assert shown.splitlines()[0] == "Exercise 1.1: passed 1 of 3 checks"
    assert "`rnn_step(x_t, h, ...)` is wrong: expected 0.25, got 0.5" in shown
    assert "    Hint: apply the tanh activation." in shown
    assert "`h` has the wrong shape: expected (2, 3) (batch, units)" in shown
    for internal in ("course_lib", "report.py", "raise CheckFailed", "Traceback", "finish"):
        assert internal not in shown
    assert len(shown.splitlines()) == 5  # header, 2 failures, 2 hints
    assert error["evalue"].startswith("Exercise 1.1: passed 1 of 3 checks")  # for the grader


def test_run_all_stops_at_a_failed_check(kernel):
    first = kernel.execute(FAILING_CHECK)  # queued like "Run All": stop_on_error is the default
    second = kernel.execute("print('the next cell ran')")
    replies = {}
    while len(replies) < 2:
        msg = kernel.get_shell_msg(timeout=60)
        if msg["parent_header"].get("msg_id") in (first, second):
            replies[msg["parent_header"]["msg_id"]] = msg["content"]["status"]
    assert replies == {first: "error", second: "aborted"}


@pytest.mark.slow
def test_nbval_counts_a_failed_check_cell_as_an_error(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(FAILING_CHECK)]
    nbformat.write(nb, tmp_path / "failing.ipynb")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            "--nbval-current-env",
            "-p",
            "no:cacheprovider",
            "-q",
            str(tmp_path / "failing.ipynb"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 1, done.stdout[-2000:]
    assert "1 failed" in done.stdout and "Exercise 1.1: passed 1 of 3 checks" in done.stdout
