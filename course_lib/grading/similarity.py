"""Submissions that look alike: solution cells equal up to names, comments and formatting.

A pointer for a person, never a grade. Per exercise, each student's solution cells become
a sequence of tokens with names, numbers and strings replaced by placeholders and comments,
blank lines and indentation dropped (`normalised_tokens`), so renaming variables, adding
comments and reformatting change nothing. The tokens' k-grams are hashed and *winnowed*
(Schleimer, Wilkerson and Aiken 2003, the method of MOSS and of `copydetect`): the smallest
hash of every window of `WINDOW` k-grams is the answer's fingerprint. Reordering lines keeps
most fingerprints, since a fingerprint spans about one line.

- **Starter code** is ignored: lines of the released solution cells (the stub) are dropped
  before fingerprinting, and so are fingerprints of the stub itself.
- **Too short to say anything**: an answer with fewer than `MIN_TOKENS` tokens besides the
  starter code (about three lines of code) is not compared: every short right answer looks
  like every other.
- **Similarity** of two answers is the share of fingerprints they have in common (Jaccard:
  common / all of both); pairs at `THRESHOLD` or above are shown, ranked.
- **Scale**: fingerprints go into an index (fingerprint -> students); only students who
  share a fingerprint are compared, and a fingerprint that more than `COMMON_MAX` answers
  have (what everybody writes; MOSS ignores those too) makes no pair. So the candidates are
  at most `COMMON_MAX * (COMMON_MAX - 1) / 2` per fingerprint: the work grows with the
  class, not with all its pairs.

Why not `copydetect` (0.5.0, MIT, a 22 kB wheel): its `CopyDetector` reads folders and
compares every file with every other; its `CodeFingerprint` does take text in memory (`fp=`)
and starter code (`boilerplate=`), but it brings Pygments, Jinja2, tqdm and matplotlib into
the grader's extra for what is here one regular expression and ten lines of winnowing; what
a class of 500 needs is the index around the fingerprints, which neither offers.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import keyword
import re
import zlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations

#: Tokens per k-gram.
K = 5
#: k-grams per winnowing window: a run of K + WINDOW - 1 = 8 equal tokens is always found.
WINDOW = 4
#: Answers with fewer tokens than this besides the starter code are not compared.
MIN_TOKENS = 30
#: Pairs whose share of common fingerprints is at least this are shown.
THRESHOLD = 0.6
#: A fingerprint more answers than this have makes no pairs: everybody writes it (MOSS's -m).
COMMON_MAX = 10

# One pass over the source: comments and strings first (a `#` inside a string is text).
_TOKEN = re.compile(
    r"""(?P<comment>\#[^\n]*)
    |(?P<string>[rRbBuUfF]{0,2}(?:\"{3}[\s\S]*?(?:\"{3}|$)|'{3}[\s\S]*?(?:'{3}|$)
        |"(?:\\.|[^"\\\n])*"?|'(?:\\.|[^'\\\n])*'?))
    |(?P<number>0[xXoObB][\da-fA-F_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?[jJ]?)
    |(?P<name>[^\W\d]\w*)
    |(?P<op>\*\*=?|//=?|>>=?|<<=?|->|:=|[-+*/%@&|^=<>!]=|[^\s\w])""",
    re.VERBOSE,
)
_PLACEHOLDERS = {"number": "0", "string": "S"}


def normalised_tokens(source: str) -> list[str]:
    """Return the tokens of Python `source` with names, numbers and strings made alike.

    Comments, blank lines and indentation are dropped; a name becomes `N` (but keywords and
    attributes stay), a number `0`, a string `S`. One regular expression reads any text,
    code with syntax errors included (several times faster than `tokenize`).

    Example:
        >>> normalised_tokens("h = np.tanh(x @ w)  # the state")
        ['N', '=', 'N', '.', 'tanh', '(', 'N', '@', 'N', ')']
    """
    tokens, previous = [], ""
    for match in _TOKEN.finditer(source):
        kind, text = match.lastgroup, match.group()
        if kind == "comment":
            continue
        if kind == "name":
            # keywords and attributes (`np.tanh`, `.shape`) say what is done; names do not
            token = text if keyword.iskeyword(text) or previous == "." else "N"
        else:
            token = _PLACEHOLDERS.get(kind, text)
        tokens.append(token)
        previous = text
    return tokens


def _lines(source: str) -> list[str]:
    return [" ".join(line.split()) for line in source.splitlines()]


def answer_tokens(answer: str, starter: str = "") -> list[str]:
    """The normalised tokens of `answer` without the lines it keeps from `starter`."""
    released = {line for line in _lines(starter) if line}
    kept = "\n".join(line for line in answer.splitlines() if " ".join(line.split()) not in released)
    return normalised_tokens(kept)


def _hash(gram: list[str]) -> int:
    return zlib.crc32(" ".join(gram).encode())  # the same in every process, unlike hash()


def fingerprints(tokens: list[str]) -> set[int]:
    """The winnowed fingerprints of a token sequence: the smallest k-gram hash per window.

    Example:
        >>> len(fingerprints(normalised_tokens("a = b + c"))) > 0
        True
    """
    hashes = [_hash(tokens[i : i + K]) for i in range(len(tokens) - K + 1)]
    if len(hashes) <= WINDOW:
        return set(hashes)
    return {min(hashes[i : i + WINDOW]) for i in range(len(hashes) - WINDOW + 1)}


@dataclass(frozen=True)
class SimilarPair:
    """Two students whose answers to one exercise look alike.

    Args:
        exercise: the exercise id.
        first, second: the two students (sorted).
        similarity: common fingerprints / all fingerprints of both, 0 to 1.
        common: the number of fingerprints in common.
    """

    exercise: str
    first: str
    second: str
    similarity: float
    common: int


@dataclass(frozen=True)
class SimilarityResult:
    """The pairs of one exercise and what was compared.

    Args:
        exercise: the exercise id.
        pairs: the pairs at `THRESHOLD` or above, most similar first.
        compared: the answers long enough to compare.
        too_short: the answers shorter than `MIN_TOKENS` tokens besides the starter code.
        candidates: the pairs of students that shared a rare fingerprint (those compared).
    """

    exercise: str
    pairs: tuple[SimilarPair, ...]
    compared: int
    too_short: int
    candidates: int


def similar_pairs(
    exercise: str,
    answers: Mapping[str, str],
    starter: str = "",
    *,
    threshold: float = THRESHOLD,
    min_tokens: int = MIN_TOKENS,
) -> SimilarityResult:
    """Find the pairs of students whose answers to `exercise` look alike.

    Args:
        exercise: the exercise id, e.g. `"4.2"`.
        answers: student -> their solution cells (as submitted).
        starter: the released solution cells, ignored. Defaults to "".
        threshold: the least similarity shown, 0 to 1. Defaults to `THRESHOLD`.
        min_tokens: the fewest tokens besides the starter code an answer needs to be
            compared. Defaults to `MIN_TOKENS`.

    Returns:
        A `SimilarityResult`, its pairs most similar first (then by names).

    Raises:
        ValueError: when `threshold` is not within (0, 1].
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"`threshold` must be within (0, 1]; got {threshold!r}.")
    released = fingerprints(normalised_tokens(starter)) if starter else set()
    prints: dict[str, set[int]] = {}
    too_short = 0
    for student, answer in answers.items():
        tokens = answer_tokens(answer, starter)
        if len(tokens) < min_tokens:
            too_short += 1
            continue
        prints[student] = fingerprints(tokens) - released
    index: dict[int, list[str]] = defaultdict(list)
    for student in sorted(prints):
        for value in prints[student]:
            index[value].append(student)
    candidates: set[tuple[str, str]] = set()
    for students in index.values():
        if 1 < len(students) <= COMMON_MAX:
            candidates.update(combinations(students, 2))
    pairs = []
    for first, second in candidates:
        a, b = prints[first], prints[second]
        common = len(a & b)
        similarity = common / len(a | b) if a or b else 0.0
        if similarity >= threshold:
            pairs.append(SimilarPair(exercise, first, second, round(similarity, 4), common))
    pairs.sort(key=lambda p: (-p.similarity, p.first, p.second))
    return SimilarityResult(exercise, tuple(pairs), len(prints), too_short, len(candidates))
