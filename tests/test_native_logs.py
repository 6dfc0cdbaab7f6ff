"""A quiet terminal: TensorFlow's C++ log lines stay out of `rnn-course`'s output unless asked.

The lines are recognised by their format (`native_logs.is_native_log_line`), dropped from
descriptor 2 by `filtered_stderr` (child processes included), and the slow test runs a
command that imports TensorFlow, `rnn-course check`, and fails when one of them appears;
with `--verbose` they must appear, or the test would prove nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_lib.native_logs import is_native_log_line

REPO = Path(__file__).resolve().parents[1]

NATIVE = [
    # TensorFlow 2.21 (absl's format, printed before absl::InitializeLog, twice per import).
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796587722.483098   24372 port.cc:153] oneDNN custom operations are on. You "
    "may see slightly different numerical results.",
    "I0000 00:00:1796587722.483951   24372 cudart_stub.cc:31] Could not find cuda drivers on "
    "your machine, GPU will not be used.",
    "E0000 00:00:1796587739.294114   24372 cuda_platform.cc:52] failed call to cuInit: "
    "INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)",
    "W0000 00:00:1796587926.847286   32424 computation_placer.cc:177] computation placer "
    "already registered.",
    "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild "
    "TensorFlow with the appropriate compiler flags.",
    # TensorFlow 2.16 (its own format).
    "2026-12-06 20:05:21.123456: I tensorflow/core/util/port.cc:113] oneDNN custom operations "
    "are on.",
    "2026-12-06 20:05:21.223456: W tensorflow/compiler/tf2tensorrt/utils/py_utils.cc:38] "
    "TF-TRT Warning: Could not find TensorRT",
]
KEPT = [
    "rnn-course: 04_lstm.ipynb is not a released exercise (no exercises/04_lstm.ipynb)",
    "Checking with fresh inputs (seed 1387574661), as the teacher's grader will.",
    # A fatal error says why the process died: it stays.
    "F0000 00:00:1796587722.483098   24372 stream_executor.cc:99] Check failed: status.ok()",
    "Traceback (most recent call last):",
    "I0000 is not a log line without its time and source",
]


@pytest.mark.parametrize("line", NATIVE)
def test_tensorflows_native_lines_are_recognised(line):
    assert is_native_log_line(line)
    assert is_native_log_line((line + "\n").encode())


@pytest.mark.parametrize("line", KEPT)
def test_other_lines_are_not(line):
    assert not is_native_log_line(line)


@pytest.mark.skipif(
    os.name == "nt", reason="a Windows child inherits the Win32 handle, which dup2 leaves alone"
)
def test_filtered_stderr_drops_only_those_lines_child_processes_included():
    lines = [*NATIVE[:3], KEPT[0], *NATIVE[3:], KEPT[1]]
    child = f"import sys; sys.stderr.write({''.join(line + chr(10) for line in lines)!r})"
    script = (
        "import subprocess, sys\n"
        "from course_lib.native_logs import filtered_stderr\n"
        "with filtered_stderr():\n"
        f"    sys.stderr.write({NATIVE[1] + chr(10)!r})\n"
        f"    subprocess.run([sys.executable, '-c', {child!r}], check=True)\n"
        "    print('own error line', file=sys.stderr)\n"
        "print('after', file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stderr.splitlines() == [KEPT[0], KEPT[1], "own error line", "after"]


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="TensorFlow's lines were read on Linux")
def test_rnn_course_prints_no_tensorflow_lines_unless_verbose(tmp_path):
    """`rnn-course check` on exercise 1 imports TensorFlow in its own process (to judge the
    checks) and in the notebook's kernel."""
    shutil.copy(REPO / "exercises" / "01_sequences_hidden_state.ipynb", tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_CPP", "GLOG", "GRPC"))}
    command = [sys.executable, "-m", "course_lib", "check", "01_sequences_hidden_state.ipynb"]
    outputs = {}
    for verbose in (False, True):
        result = subprocess.run(
            command + ["--verbose"] * verbose, capture_output=True, text=True, env=env, cwd=tmp_path
        )
        assert result.returncode == 1, result.stdout + result.stderr  # the exercises are unsolved
        assert "01_sequences_hidden_state.ipynb  1.1" in result.stdout
        outputs[verbose] = result.stdout + result.stderr
    native = [line for line in outputs[False].splitlines() if is_native_log_line(line)]
    assert not native, "TensorFlow's C++ lines in rnn-course's output:\n" + "\n".join(native)
    assert any(is_native_log_line(line) for line in outputs[True].splitlines()), (
        "with --verbose TensorFlow's lines should show; none did, so the quiet run proves nothing"
    )
