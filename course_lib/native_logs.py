"""TensorFlow's C++ start-up lines, and how the course keeps them out of what people read.

TensorFlow writes lines such as "oneDNN custom operations are on" and "Could not find cuda
drivers" from C++, straight to the process's file descriptor 2, some of them before it
reads `TF_CPP_MIN_LOG_LEVEL` (TensorFlow 2.21 prints them twice per import even with the
variable at 3). Two ways to keep them away, one per place they show up:

- `silenced_stderr()` sends descriptor 2 to /dev/null while TensorFlow is imported in a
  notebook (`session.quiet_tensorflow`), where Jupyter would show them as red text;
- `filtered_stderr()` drops them, and only them, from everything a command writes to
  descriptor 2 while it runs, its child processes included (`rnn-course`, unless
  `--verbose`).

Introduced in Chapter 0 (Introduction and set-up), whose `course_lib.setup()` and
`rnn-course` commands keep TensorFlow quiet.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterator

QUIET_ENVIRONMENT = {
    "TF_CPP_MIN_LOG_LEVEL": "3",  # C++ INFO, WARNING and ERROR lines
    "GRPC_VERBOSITY": "ERROR",
    "GLOG_minloglevel": "3",
}
"""Environment variables TensorFlow, gRPC and glog read at start-up to log less."""

# I, W, E (not F: a fatal error says why the process died) in absl's format
# ("I0000 00:00:1796587722.483098   24372 port.cc:153] ...") and in TensorFlow's older one
# ("2024-05-01 12:00:00.000000: I tensorflow/core/util/port.cc:113] ..."), and the lines
# that go with them.
_NATIVE_LOG_LINE = re.compile(
    rb"^(?:[IWE]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.\-/]+:\d+\] "
    rb"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWE] [\w.\-/]+:\d+\] "
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    rb"|To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags\.)"
)


def is_native_log_line(line: bytes | str) -> bool:
    """Whether `line` is one of TensorFlow's C++ log lines (info, warning or error, not fatal).

    Example:
    >>> is_native_log_line("I0000 00:00:1796587722.483951   24372 cudart_stub.cc:31] Could not find cuda drivers")
    True
    >>> is_native_log_line("rnn-course: 04_lstm.ipynb is not a released exercise")
    False
    """
    if isinstance(line, str):
        line = line.encode("utf-8", "replace")
    return bool(_NATIVE_LOG_LINE.match(line))


@contextlib.contextmanager
def silenced_stderr() -> Iterator[None]:
    """Send the process's file descriptor 2 to /dev/null while the block runs.

    Python-level errors still surface normally: the descriptor is restored before any
    exception propagates. Inside a Jupyter kernel `sys.stderr.fileno()` is a duplicate of
    descriptor 2, and silencing that would silence nothing, so it is always descriptor 2.
    """
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            sys.stderr.flush()
            os.dup2(devnull.fileno(), 2)
            try:
                yield
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
    finally:
        os.close(saved)


@contextlib.contextmanager
def filtered_stderr() -> Iterator[None]:
    """Drop TensorFlow's C++ log lines from descriptor 2 while the block runs; keep the rest.

    Descriptor 2 becomes a pipe whose lines a thread copies to the real standard error,
    leaving out those `is_native_log_line` recognises. Processes started inside the block
    inherit the pipe, so their lines are filtered too (on Linux and macOS; a Windows child
    inherits the Win32 handle, which this leaves alone). On exit every line written so far
    is copied before the descriptor is restored (a child that still holds the pipe is
    waited for at most two seconds).
    """
    try:
        saved = os.dup(2)
        read_end, write_end = os.pipe()
    except OSError:  # no descriptor 2 (a GUI process on Windows): nothing to filter
        yield
        return

    real_stderr = os.dup(saved)

    def copy() -> None:
        with os.fdopen(read_end, "rb") as lines, os.fdopen(real_stderr, "wb", 0) as out:
            for line in lines:
                if not is_native_log_line(line):
                    out.write(line)

    sys.stderr.flush()
    os.dup2(write_end, 2)
    os.close(write_end)
    thread = threading.Thread(target=copy, name="filtered-stderr", daemon=True)
    thread.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # closes the pipe's last write end here: the thread reads to the end
        thread.join(timeout=2.0)
        os.close(saved)
