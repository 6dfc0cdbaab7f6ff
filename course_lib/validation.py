"""Argument checks shared by every module of `course_lib`.

Errors teach: each check raises a `ValueError` that names the argument, says what was
expected and shows what was received, the way Keras does, for example::

    ValueError: `x` must be 3-D (batch, timesteps, features); got shape (32, 10).

Every public function of the package validates its arguments with these helpers, so
there is one copy of each message format.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np


def describe(value: Any) -> str:
    """Return a short description of `value` for an error message.

    Arrays (anything with a `shape`) are described by their shape, other values by
    their type and `repr`, shortened to one line.
    """
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"shape {tuple(int(d) if d is not None else None for d in shape)}"
    return f"{type(value).__name__} {shorten(repr(value), 60)}"


_LINES = ("keep", "first", "join", "words")


def shorten(text: Any, limit: int, *, lines: str = "keep") -> str:
    """Return `str(text)` cut to at most `limit` characters, ending with "..." when cut.

    The one text-shortener of the package: error messages, values in check messages,
    gradebook cells and previews of cells all go through it.

    Args:
        text: anything; its `str` is shortened.
        limit: the most characters returned, at least 4.
        lines: what becomes of the text's lines before it is cut: `"keep"` (the default)
            keeps them; `"first"` keeps only the first non-blank line, stripped; `"join"`
            joins the non-blank lines, stripped, with `" | "`; `"words"` collapses every run
            of white space (newlines too) into one space.

    Returns:
        The text, whole when it fits.

    Raises:
        ValueError: when `limit` is below 4 or `lines` is none of the four.

    Example:
        >>> shorten("a long message", 10)
        'a long ...'
        >>> shorten("  first\\nsecond", 20, lines="first")
        'first'
        >>> shorten("one\\n  two\\n", 20, lines="join")
        'one | two'
        >>> shorten("[[1 2]\\n [3 4]]", 20, lines="words")
        '[[1 2] [3 4]]'
    """
    if not isinstance(limit, int) or limit < 4:
        raise ValueError(f"`limit` must be an int of at least 4; got {limit!r}")
    if lines not in _LINES:
        raise ValueError(f"`lines` must be one of {', '.join(map(repr, _LINES))}; got {lines!r}")
    text = str(text)
    if lines == "first":
        text = next((line.strip() for line in text.splitlines() if line.strip()), "")
    elif lines == "join":
        text = " | ".join(line.strip() for line in text.splitlines() if line.strip())
    elif lines == "words":
        text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def as_array(
    value: Any,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    layout: str | None = None,
    dtype: Any = np.float64,
    allow_empty: bool = False,
    finite: bool = False,
) -> np.ndarray:
    """Convert `value` to a NumPy array and check its number of dimensions.

    Args:
        value: array-like to convert.
        name: the argument's name, used in the error message.
        ndim: required number of dimensions, or a tuple of allowed numbers.
        layout: how the dimensions are named in the message, for example
            `"(batch, timesteps, features)"`.
        dtype: dtype of the returned array. Defaults to `float64`; `None` keeps it.
        allow_empty: whether an array with a zero-length axis is accepted.
        finite: whether NaN and infinite values are rejected.

    Returns:
        The array, as `np.ndarray`.

    Raises:
        ValueError: if `value` cannot be converted, has the wrong number of
            dimensions, is empty or (with `finite=True`) holds NaN or infinity.

    Example:
    >>> as_array([[1, 2]], "x", ndim=3, layout="(batch, timesteps, features)")
    Traceback (most recent call last):
    ...
    ValueError: `x` must be 3-D (batch, timesteps, features); got shape (1, 2).
    """
    try:
        array = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"`{name}` must be a numeric array; got {describe(value)} ({error})."
        ) from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if array.ndim not in allowed:
            wanted = " or ".join(f"{n}-D" for n in allowed)
            suffix = f" {layout}" if layout else ""
            raise ValueError(f"`{name}` must be {wanted}{suffix}; got {describe(array)}.")
    if not allow_empty and array.size == 0:
        raise ValueError(f"`{name}` must not be empty; got {describe(array)}.")
    if finite and np.issubdtype(array.dtype, np.number) and not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"`{name}` must hold finite numbers; got {bad} NaN or infinite values.")
    return array


def check_shape(array: np.ndarray, name: str, expected: tuple[int | None, ...]) -> None:
    """Check that `array.shape` matches `expected`, where `None` matches any length.

    Raises:
        ValueError: naming `name`, the expected and the received shape.
    """
    shape = tuple(np.shape(array))
    ok = len(shape) == len(expected) and all(
        e is None or e == s for e, s in zip(expected, shape, strict=True)
    )
    if not ok:
        wanted = "(" + ", ".join("any" if e is None else str(e) for e in expected) + ")"
        if len(expected) == 1:
            wanted = wanted[:-1] + ",)"
        raise ValueError(f"`{name}` must have shape {wanted}; got shape {shape}.")


def check_int(
    value: Any, name: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Check that `value` is an integer within `[minimum, maximum]` and return it."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"`{name}` must be an integer; got {describe(value)}.")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"`{name}` must be at least {minimum}; got {value}.")
    if maximum is not None and value > maximum:
        raise ValueError(f"`{name}` must be at most {maximum}; got {value}.")
    return value


def check_float(
    value: Any,
    name: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    inclusive: bool = True,
) -> float:
    """Check that `value` is a finite real number within the given bounds and return it."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"`{name}` must be a number; got {describe(value)}.")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"`{name}` must be a finite number; got {value}.")
    low_bad = minimum is not None and (value < minimum if inclusive else value <= minimum)
    high_bad = maximum is not None and (value > maximum if inclusive else value >= maximum)
    if low_bad or high_bad:
        lo = "-inf" if minimum is None else f"{minimum:g}"
        hi = "inf" if maximum is None else f"{maximum:g}"
        bracket = ("[", "]") if inclusive else ("(", ")")
        raise ValueError(f"`{name}` must be in {bracket[0]}{lo}, {hi}{bracket[1]}; got {value:g}.")
    return value


def check_bool(value: Any, name: str) -> bool:
    """Check that `value` is `True` or `False` (not 0, 1 or a string) and return it."""
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"`{name}` must be True or False; got {describe(value)}.")
    return bool(value)


def check_choice(value: Any, name: str, choices: Iterable[Any]) -> Any:
    """Check that `value` is one of `choices` and return it."""
    choices = tuple(choices)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"`{name}` must be one of {listed}; got {value!r}.")
    return value
