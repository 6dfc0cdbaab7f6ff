"""One call that prepares a notebook or script: seeds, quiet TensorFlow, plot style.

Introduced in Chapter 0 (Introduction and set-up); every chapter's first cell calls
`course_lib.setup()`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings

from course_lib.validation import check_int

# Log noise that TensorFlow and absl print when they are first imported.
_TF_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",  # C++ INFO, WARNING and ERROR lines
    "GRPC_VERBOSITY": "ERROR",
    "GLOG_minloglevel": "3",
}


@contextlib.contextmanager
def _silenced_stderr():
    """Send the process's file descriptor 2 to /dev/null while the block runs.

    TensorFlow's C++ start-up lines ("oneDNN custom operations are on", "Could not find
    cuda drivers") are written before its log level is read, straight to fd 2, where
    Jupyter would show them as red text. Python-level errors still surface normally
    because the descriptor is restored before any exception propagates.
    """
    # Always descriptor 2, where C++ code writes: inside a Jupyter kernel
    # `sys.stderr.fileno()` is a duplicate of it, and silencing that silences nothing.
    fd = 2
    try:
        saved = os.dup(fd)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            sys.stderr.flush()
            os.dup2(devnull.fileno(), fd)
            try:
                yield
            finally:
                sys.stderr.flush()
                os.dup2(saved, fd)
    finally:
        os.close(saved)


def quiet_tensorflow() -> None:
    """Import TensorFlow and Keras without their start-up log noise.

    Sets the environment variables TensorFlow reads at import time, imports it with
    the C-level standard error silenced, and lowers the Python loggers of TensorFlow
    and absl to errors only. Safe to call more than once.
    """
    for key, value in _TF_ENV.items():
        os.environ.setdefault(key, value)
    with _silenced_stderr():
        import tensorflow as tf  # noqa: F401
    import keras  # noqa: F401

    tf.get_logger().setLevel(logging.ERROR)
    try:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
    except ImportError:  # absl ships with TensorFlow; tolerate its absence
        pass
    warnings.filterwarnings("ignore", module=r"keras\.src\.")


SEED_VARIABLE = "RNN_COURSE_SEED"
_SEED = 0


def seed_from_environment() -> int:
    """The seed named by the environment variable `RNN_COURSE_SEED`, or 0 when it is unset.

    Raises:
        ValueError: when the variable is set to something other than a non-negative integer.
    """
    text = os.environ.get(SEED_VARIABLE, "").strip()
    if not text:
        return 0
    if not text.isdigit():
        raise ValueError(
            f"`{SEED_VARIABLE}` must be a non-negative integer such as 0, 1 or 2; got {text!r}."
        )
    return int(text)


def current_seed() -> int:
    """The seed of the last `setup()` call (0 before any): for code that seeds its own work."""
    return _SEED


def set_seed(seed: int = 0) -> None:
    """Seed Python's `random`, NumPy and TensorFlow (through `keras.utils.set_random_seed`).

    Args:
        seed: a non-negative integer. Defaults to 0.
    """
    seed = check_int(seed, "seed", minimum=0)
    import keras

    keras.utils.set_random_seed(seed)


def setup(seed: int | None = None, *, quiet: bool = True, style: bool = True) -> None:
    """Prepare a session of the course in one call.

    Quiets TensorFlow's log noise, seeds every random number generator and applies the
    course's plotting style. This is the first call of every chapter and exercise.

    Args:
        seed: seed for Python, NumPy and TensorFlow. Defaults to the environment variable
            `RNN_COURSE_SEED` when it is set (how `make bench` runs the book under other
            seeds), else 0. `current_seed()` returns it afterwards.
        quiet: whether to silence TensorFlow's start-up and log messages. Defaults to True.
        style: whether to apply the course's matplotlib style. Defaults to True.

    Example:
    >>> import course_lib
    >>> course_lib.setup(seed=42)
    """
    if seed is None:
        seed = seed_from_environment()
    seed = check_int(seed, "seed", minimum=0)
    global _SEED
    _SEED = seed
    if quiet:
        quiet_tensorflow()
    set_seed(seed)
    if style:
        from course_lib.plotting import use_style

        use_style()
