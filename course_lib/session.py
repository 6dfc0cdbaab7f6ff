"""One call that prepares a notebook or script: seeds, quiet TensorFlow, plot style.

Introduced in Chapter 0 (Introduction and set-up); every chapter's first cell calls
`course_lib.setup()`.
"""

from __future__ import annotations

import logging
import os
import warnings

from course_lib.native_logs import QUIET_ENVIRONMENT, silenced_stderr
from course_lib.validation import check_int


def quiet_tensorflow() -> None:
    """Import TensorFlow and Keras without their start-up log noise.

    Sets the environment variables TensorFlow reads at import time, imports it with
    the C-level standard error silenced, and lowers the Python loggers of TensorFlow
    and absl to errors only. Safe to call more than once.
    """
    for key, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    with silenced_stderr():
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
