"""A character-level corpus shipped with Python itself, its vocabulary and training pairs.

Introduced in Chapter 6b (text generation).
"""

from __future__ import annotations

import bisect
import functools
import re

import numpy as np

from course_lib.validation import as_array, check_int

__all__ = ["CharMarkovChain", "CharVocabulary", "load_corpus", "make_char_sequences"]

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


class CharMarkovChain:
    """A character n-gram model of a text: fresh text with the text's short-range statistics.

    The next character depends only on the `order` characters before it, with the
    frequencies it follows them in `text` (read as a loop, so every context has a next
    character). Text sampled from the chain is new, as long as you like, and its true
    next-character probabilities are known: the best any language model can do on it is
    `-mean(log2 probability(context, next))` bits per character.

    Args:
        text: the text whose statistics the chain copies, at least `order + 1` characters.
        order: how many previous characters the next one depends on, at least 1.
            Defaults to `3`.

    Attributes:
        chars: the characters of `text`, sorted (the same as `CharVocabulary(text).chars`).

    Example:
    >>> chain = CharMarkovChain("abcabd", order=2)
    >>> chain.probabilities("xab")[[chain.chars.index("c"), chain.chars.index("d")]].tolist()
    [0.5, 0.5]
    >>> len(chain.sample(10, seed=0))
    10

    Introduced in Chapter 6 (Applications), the project of its text generation part.
    """

    def __init__(self, text: str, order: int = 3) -> None:
        self.order = check_int(order, "order", minimum=1)
        if not isinstance(text, str) or len(text) <= self.order:
            raise ValueError(
                f"`text` must be a str longer than `order` ({self.order}) characters; got "
                f"{type(text).__name__} of length {len(text) if isinstance(text, str) else 0}."
            )
        vocabulary = CharVocabulary(text)
        self.chars = vocabulary.chars
        self._text = text
        size = vocabulary.size
        looped = vocabulary.encode(text + text[: self.order]).astype(np.int64)  # (N + order,)
        windows = np.lib.stride_tricks.sliding_window_view(looped, self.order + 1)  # (N, k + 1)
        # A context of `order` ids as one integer in base `size`: (N,)
        codes = windows[:, :-1] @ (size ** np.arange(self.order - 1, -1, -1))
        contexts, rows = np.unique(codes, return_inverse=True)  # (C,), (N,)
        counts = np.zeros((len(contexts), size))  # (C, vocab)
        np.add.at(counts, (rows, windows[:, -1]), 1)
        self._table = counts / counts.sum(axis=1, keepdims=True)  # (C, vocab)
        self._cumulative = np.cumsum(self._table, axis=1)  # (C, vocab)
        self._row = {int(code): row for row, code in enumerate(contexts)}
        self._index = {char: i for i, char in enumerate(self.chars)}
        self._size = size

    def _code(self, context: str) -> int | None:
        code = 0
        for char in context:
            if char not in self._index:
                return None
            code = code * self._size + self._index[char]
        return code

    def __repr__(self) -> str:
        return f"CharMarkovChain(order={self.order}, contexts={len(self._row)})"

    def probabilities(self, context: str) -> np.ndarray:
        """The next character's probabilities after `context` (its last `order` characters).

        Returns:
            float array `(vocab,)`, in the order of `chars`.

        Raises:
            ValueError: if `context` is shorter than `order` or its end never occurs in the
                chain's text.
        """
        key = str(context)[-self.order :]
        row = self._row.get(self._code(key)) if len(key) == self.order else None
        if row is None:
            raise ValueError(
                f"`context` must end with {self.order} characters that occur in the chain's "
                f"text; got {key!r}."
            )
        return self._table[row]

    def sample(self, n_chars: int, *, seed: int = 0) -> str:
        """Draw `n_chars` characters, starting with `order` characters of the text.

        The start is a random position of the text; then each character is drawn from
        `probabilities` of the ones before it.

        Args:
            n_chars: the length of the result, at least `order`.
            seed: seed of `np.random.default_rng`. Defaults to `0`.

        Returns:
            The sampled text, a `str` of `n_chars` characters.
        """
        n_chars = check_int(n_chars, "n_chars", minimum=self.order)
        rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
        start = int(rng.integers(0, len(self._text) - self.order + 1))
        ids = [self._index[c] for c in self._text[start : start + self.order]]
        code = self._code(self._text[start : start + self.order])
        wrap = self._size ** (self.order - 1)
        rows: dict[int, list[float]] = {}  # a Python list per context: bisect is fast on it
        for u in rng.random(n_chars - self.order).tolist():
            if code not in rows:
                rows[code] = self._cumulative[self._row[code]].tolist()  # (vocab,)
            next_id = min(bisect.bisect_right(rows[code], u), self._size - 1)
            ids.append(next_id)
            code = (code % wrap) * self._size + next_id  # drop the oldest character
        return "".join(self.chars[i] for i in ids)
