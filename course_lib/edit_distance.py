"""Edit distance and the digit error rate: how far a transcription is from the truth.

The Levenshtein distance counts the fewest substitutions, deletions and insertions that
turn one sequence into another. Summed over a test set and divided by the number of
reference symbols, it gives the error rate of a recogniser: the word error rate of speech
recognition, here the digit error rate (a digit is a word). It can exceed 1 when the
recogniser inserts more than the references hold.

Introduced in Chapter 10 (Speech recognition).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["digit_error_rate", "edit_distance"]


def _as_symbols(value, name: str) -> list:
    if isinstance(value, str):
        return list(value)
    if isinstance(value, np.ndarray):
        if value.ndim != 1:
            raise ValueError(f"`{name}` must be 1-D (symbols,); got shape {value.shape}.")
        return value.tolist()
    if isinstance(value, list | tuple):
        return list(value)
    raise ValueError(
        f"`{name}` must be a string, list, tuple or 1-D array of symbols; got {type(value).__name__}."
    )


def edit_distance(reference: Sequence, hypothesis: Sequence) -> int:
    """The Levenshtein distance: fewest substitutions, deletions and insertions from one to the other.

    Dynamic programming over a `(len(reference) + 1, len(hypothesis) + 1)` table, one row
    at a time: `d[i][j]` is the distance between the first i reference symbols and the
    first j hypothesis symbols.

    Args:
        reference: the true sequence: a string, list, tuple or 1-D array.
        hypothesis: the recognised sequence, of the same kind.

    Returns:
        The distance, an int between `|len(reference) - len(hypothesis)|` and the longer length.

    Example:

    >>> edit_distance("4071", "471")  # one deletion
    1
    >>> edit_distance([4, 0, 7], [4, 1, 7, 7])  # a substitution and an insertion
    2
    """
    ref = _as_symbols(reference, "reference")
    hyp = _as_symbols(hypothesis, "hypothesis")
    previous = list(range(len(hyp) + 1))  # row i - 1 of the table: d[i - 1][0 .. len(hyp)]
    for i, r in enumerate(ref, start=1):
        current = [i]  # d[i][0]: delete the first i reference symbols
        for j, h in enumerate(hyp, start=1):
            current.append(
                min(
                    previous[j] + 1,  # delete r
                    current[j - 1] + 1,  # insert h
                    previous[j - 1] + (r != h),  # substitute (free when equal)
                )
            )
        previous = current
    return previous[-1]


def digit_error_rate(references: Sequence[Sequence], hypotheses: Sequence[Sequence]) -> float:
    """Total edit distance over total reference length: the word error rate with digits as words.

    Args:
        references: the true digit strings (strings, lists or 1-D arrays), at least one
            non-empty.
        hypotheses: the recognised strings, one per reference.

    Returns:
        The error rate, a float >= 0 (0 is perfect; it can exceed 1).

    Example:

    >>> digit_error_rate(["4071", "22"], ["471", "22"])  # 1 error in 6 digits
    0.16666666666666666
    """
    if isinstance(references, str) or isinstance(hypotheses, str):
        raise ValueError(
            "`references` and `hypotheses` must be lists of sequences, not one string."
        )
    if len(references) != len(hypotheses):
        raise ValueError(
            f"`hypotheses` must hold one sequence per reference ({len(references)}); "
            f"got {len(hypotheses)}."
        )
    total = sum(len(_as_symbols(r, "references[i]")) for r in references)
    if total == 0:
        raise ValueError("`references` must hold at least one symbol; got only empty sequences.")
    errors = sum(edit_distance(r, h) for r, h in zip(references, hypotheses, strict=True))
    return errors / total
