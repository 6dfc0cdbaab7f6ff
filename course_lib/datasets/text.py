"""A character-level corpus shipped with Python itself, its vocabulary and training pairs.

Introduced in Chapter 6b (text generation).
"""

from __future__ import annotations

import functools
import re

import numpy as np

from course_lib.validation import as_array, check_int

__all__ = ["CharVocabulary", "load_corpus", "make_char_sequences"]

# Typographic characters mapped to ASCII; any other non-ASCII character is dropped.
_TO_ASCII = str.maketrans(
    {
        "\u2018": "'",  # left single quote
        "\u2019": "'",  # right single quote, apostrophe
        "\u201c": '"',  # left double quote
        "\u201d": '"',  # right double quote
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2026": "...",  # ellipsis
        "\u00df": "ss",  # German sharp s
        "\u00b0": " degrees",
        "\u00a0": " ",  # no-break space
        "\t": " ",
        "\r": "",
    }
)
# reStructuredText heading underlines and table borders: "*****", "-----", "+----+---+".
_RULE_LINE = re.compile(r"^[ ]*[-=*~^+| ]*([-=*~^])\1{2,}[-=*~^+| ]*$", re.MULTILINE)
_INNER_SPACES = re.compile(r"(?<=\S) {2,}")  # runs of spaces after a word, not indentation
_TRAILING_SPACES = re.compile(r" +$", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n{3,}")


def _normalise(text: str) -> str:
    """Return `text` as clean ASCII prose: see `load_corpus` for the steps."""
    text = text.translate(_TO_ASCII)
    text = text.encode("ascii", errors="ignore").decode("ascii")
    text = _RULE_LINE.sub("", text)
    text = _INNER_SPACES.sub(" ", text)
    text = _TRAILING_SPACES.sub("", text)
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip("\n") + "\n"


@functools.lru_cache(maxsize=1)
def _full_corpus() -> str:
    from pydoc_data.topics import topics

    return _normalise("\n\n".join(topics[key] for key in sorted(topics)))


def load_corpus(max_chars: int | None = None) -> str:
    """Load an English corpus of about 0.4 million characters shipped with Python itself.

    Source: `pydoc_data.topics`, the help texts behind `help("if")`, `help("for")` and
    the other language topics: part of the CPython standard library, so nothing is
    downloaded. Licence: Python Software Foundation License (the text is derived from
    the Python documentation).

    The topics are joined in sorted order of their keys (`"assert"`, `"assignment"`,
    ...), separated by a blank line, and normalised so the character set stays small
    (about 95 characters):

    1. typographic quotes and dashes become ASCII (`’` -> `'`, `“` -> `"`, `—` -> `-`,
       `…` -> `...`), tabs become spaces, and any other non-ASCII character is dropped;
    2. heading underlines and table borders (lines such as `*****` or `+----+`) are
       removed;
    3. runs of spaces inside a line become one space (indentation at the start of a
       line is kept, so code examples keep their shape), trailing spaces are removed
       and runs of blank lines become one blank line.

    The result is identical on every call for a given Python version (the topics
    change slightly between Python releases).

    Args:
        max_chars: keep only the first `max_chars` characters, or `None` for the whole
            corpus (at least 200,000 characters). Defaults to `None`.

    Returns:
        The corpus as one `str`.

    Example:
    >>> text = load_corpus(max_chars=1000)
    >>> len(text), text.isascii()
    (1000, True)

    Introduced in Chapter 6b (text generation).
    """
    text = _full_corpus()
    if max_chars is None:
        return text
    max_chars = check_int(max_chars, "max_chars", minimum=1)
    return text[:max_chars]


class CharVocabulary:
    """Map the characters of a text to integer ids and back.

    Ids follow the sorted order of the distinct characters of `text`, so the same text
    always gives the same vocabulary.

    Args:
        text: the text whose characters make up the vocabulary (usually the training
            corpus).

    Attributes:
        chars: tuple of the distinct characters, `chars[i]` has id `i`.
        size: number of distinct characters (the `input_dim` of an `Embedding` and the
            width of the softmax layer).

    Example:
    >>> vocab = CharVocabulary("hello world")
    >>> vocab.size
    8
    >>> ids = vocab.encode("hello")
    >>> ids.tolist(), vocab.decode(ids)
    ([3, 2, 4, 4, 5], 'hello')

    Introduced in Chapter 6b (text generation).
    """

    def __init__(self, text: str) -> None:
        if not isinstance(text, str) or not text:
            raise ValueError(
                f"`text` must be a non-empty str; got {type(text).__name__} {text!r:.40}."
            )
        self.chars: tuple[str, ...] = tuple(sorted(set(text)))
        self.size: int = len(self.chars)
        self._index = {char: i for i, char in enumerate(self.chars)}

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"CharVocabulary(size={self.size})"

    def encode(self, text: str) -> np.ndarray:
        """Turn `text` into ids.

        Returns:
            int32 array of shape `(timesteps,)`, with `timesteps = len(text)`.

        Raises:
            ValueError: if `text` holds a character that is not in the vocabulary.
        """
        if not isinstance(text, str):
            raise ValueError(f"`text` must be a str; got {type(text).__name__}.")
        try:
            return np.fromiter((self._index[c] for c in text), dtype=np.int32, count=len(text))
        except KeyError as error:
            char = error.args[0]
            position = text.index(char)
            raise ValueError(
                f"`text` holds the character {char!r} (U+{ord(char):04X}) at position "
                f"{position}, which is not in the vocabulary of {self.size} characters. "
                "Build the vocabulary from a text that contains it, or remove it."
            ) from None

    def decode(self, ids) -> str:
        """Turn ids back into text.

        Args:
            ids: integer array-like of shape `(timesteps,)`, values in `[0, size)`.

        Returns:
            The text, one character per id.

        Raises:
            ValueError: if `ids` is not 1-D, not integer or holds an id outside `[0, size)`.
        """
        array = as_array(ids, "ids", ndim=1, layout="(timesteps,)", dtype=None, allow_empty=True)
        if array.size == 0:
            return ""
        if not np.issubdtype(array.dtype, np.integer):
            raise ValueError(f"`ids` must hold integers; got dtype {array.dtype}.")
        bad = (array < 0) | (array >= self.size)
        if bad.any():
            raise ValueError(
                f"`ids` must be in [0, {self.size}); got {int(array[bad][0])} at position "
                f"{int(np.argmax(bad))}."
            )
        return "".join(self.chars[i] for i in array.tolist())


def make_char_sequences(ids, seq_len: int, *, stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Cut a sequence of character ids into (context, next character) pairs.

    Example `i` starts at `s = i * stride`: its input is `ids[s : s + seq_len]` and its
    label is the character that follows, `ids[s + seq_len]`.

    Args:
        ids: integer array of shape `(timesteps,)`, e.g. `CharVocabulary.encode(text)`.
        seq_len: number of characters of context per example.
        stride: characters between the starts of consecutive examples. Defaults to `1`.

    Returns:
        `(X, y)`: int32 arrays of shapes `(batch, seq_len)` and `(batch,)`, with
        `batch = (timesteps - seq_len - 1) // stride + 1`.

    Raises:
        ValueError: if `seq_len` is not shorter than `ids`.

    Example:
    >>> X, y = make_char_sequences(np.arange(6), seq_len=3)
    >>> X.tolist(), y.tolist()
    ([[0, 1, 2], [1, 2, 3], [2, 3, 4]], [3, 4, 5])

    Introduced in Chapter 6b (text generation).
    """
    array = as_array(ids, "ids", ndim=1, layout="(timesteps,)", dtype=None)
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"`ids` must hold integers; got dtype {array.dtype}.")
    seq_len = check_int(seq_len, "seq_len", minimum=1)
    stride = check_int(stride, "stride", minimum=1)
    if seq_len >= array.size:
        raise ValueError(
            f"`seq_len` must be shorter than `ids` (length {array.size}) so that each window "
            f"has a next character; got seq_len={seq_len}."
        )
    # (N - seq_len, seq_len + 1): every window together with the character after it.
    views = np.lib.stride_tricks.sliding_window_view(array, seq_len + 1)[::stride]
    X = views[:, :seq_len].astype(np.int32)  # (B, seq_len)
    y = views[:, seq_len].astype(np.int32)  # (B,)
    return X, y
