"""Digit strings read aloud, to be written back as digits: a sequence-to-sequence task.

A phone number or an account number read aloud becomes words: "four one five double
five oh seven" is `4155507`. Turning the words back into digits maps a sequence to a
sequence of a different length (a "double" or "triple" word stands for two or three
digits), and its difficulty grows with the length, because every digit carries new
information: a model must pass on about 3.3 bits per digit, so a 12-digit string holds
four times as much as a 3-digit one. (Dates written in many human formats, another
classic normalisation task, hold the same few numbers whatever their length, so a
fixed-size summary suffices for them at every length.)

Everything is generated with `np.random.default_rng(seed)`; nothing is downloaded.

Token ids:

- source words: `0` is padding, `1 ..` the words of `SOURCE_WORDS`;
- target tokens: `0` is padding, `1` the start token, `2` the end token, `3 + d` digit d.

Introduced in Chapter 8 (Sequence to sequence).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_lib.validation import as_array, check_float, check_int

__all__ = [
    "END",
    "PAD",
    "SOURCE_WORDS",
    "START",
    "TARGET_TOKENS",
    "Seq2SeqBatch",
    "decode_target",
    "digit_words",
    "encode_pairs",
    "spoken_digits",
]

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
SOURCE_WORDS: tuple[str, ...] = (*DIGIT_WORDS, "oh", "double", "triple")
"""The source vocabulary: word `SOURCE_WORDS[i]` has id `i + 1` (0 is padding)."""
TARGET_TOKENS: tuple[str, ...] = ("<pad>", "<start>", "<end>", *"0123456789")
"""The target vocabulary: token `TARGET_TOKENS[i]` has id `i`."""
PAD, START, END = 0, 1, 2
_SOURCE_IDS = {word: i + 1 for i, word in enumerate(SOURCE_WORDS)}


def _read_aloud(digits: np.ndarray, rng: np.random.Generator, p_group: float) -> list[str]:
    """The words a person might say for `digits`: "oh" or "zero", "double", "triple"."""
    words: list[str] = []
    i = 0
    while i < len(digits):
        run = 1
        while i + run < len(digits) and digits[i + run] == digits[i] and run < 3:
            run += 1
        if run > 1 and rng.random() < p_group:
            said = ["double" if run == 2 else "triple", int(digits[i])]
        else:
            said = [int(digits[i])] * run
        for item in said:
            if isinstance(item, str):
                words.append(item)
            elif item == 0 and rng.random() < 0.5:
                words.append("oh")
            else:
                words.append(DIGIT_WORDS[item])
        i += run
    return words


def spoken_digits(
    n_samples: int,
    *,
    min_digits: int = 1,
    max_digits: int = 12,
    p_group: float = 0.5,
    seed: int = 0,
) -> tuple[list[str], list[str]]:
    """Generate digit strings and the words a person reads them aloud with.

    The number of digits is drawn uniformly from `[min_digits, max_digits]`, the digits
    uniformly from 0-9. Zero is read "oh" or "zero" (each with probability 1/2), and a run
    of two or three equal digits is read "double d" or "triple d" with probability
    `p_group`, digit by digit otherwise (longer runs are read in groups of at most three).

    Args:
        n_samples: number of pairs, at least 1.
        min_digits: fewest digits of a string, at least 1. Defaults to `1`.
        max_digits: most digits of a string, at least `min_digits`. Defaults to `12`.
        p_group: probability that a run of equal digits is read "double"/"triple", in
            [0, 1]. Defaults to `0.5`.
        seed: seed of `np.random.default_rng`. Defaults to `0`.

    Returns:
        `(sources, targets)`: two lists of `n_samples` strings, the words separated by
        single spaces and the digits.

    Example:
    >>> sources, targets = spoken_digits(3, max_digits=6, seed=3)
    >>> [len(t) for t in targets]
    [5, 1, 2]
    >>> sources[0], targets[0]
    ('two one double eight five', '21885')

    Introduced in Chapter 8 (Sequence to sequence).
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    min_digits = check_int(min_digits, "min_digits", minimum=1)
    max_digits = check_int(max_digits, "max_digits", minimum=min_digits)
    p_group = check_float(p_group, "p_group", minimum=0.0, maximum=1.0)
    seed = check_int(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    sources, targets = [], []
    for length in rng.integers(min_digits, max_digits + 1, size=n_samples):
        digits = rng.integers(0, 10, size=int(length))
        sources.append(" ".join(_read_aloud(digits, rng, p_group)))
        targets.append("".join(str(int(d)) for d in digits))
    return sources, targets


@dataclass(frozen=True)
class Seq2SeqBatch:
    """Source and target strings encoded as padded id arrays for an encoder-decoder.

    Attributes:
        encoder_input: source word ids, int32 `(batch, source_timesteps)`, 0-padded.
        decoder_input: `<start>` then the target digits (teacher forcing), int32
            `(batch, target_timesteps)`, 0-padded.
        decoder_target: the target digits then `<end>`, the same shape: the decoder input
            shifted left by one step.
        lengths: number of digits of each target, int `(batch,)`.
    """

    encoder_input: np.ndarray
    decoder_input: np.ndarray
    decoder_target: np.ndarray
    lengths: np.ndarray


def encode_pairs(
    sources: list[str], targets: list[str], *, source_timesteps: int | None = None
) -> Seq2SeqBatch:
    """Encode pairs of `spoken_digits` as padded id arrays (padding id 0, on the right).

    Args:
        sources: strings of words of `SOURCE_WORDS` separated by spaces.
        targets: strings of digits, as many as `sources`.
        source_timesteps: width of `encoder_input`; defaults to the longest source.

    Returns:
        A `Seq2SeqBatch`; its target arrays are `max(len(target)) + 1` steps wide.

    Raises:
        ValueError: if the lists differ in length, are empty, or hold an unknown word, a
            non-digit character, an empty target or a source longer than `source_timesteps`.

    Example:
    >>> batch = encode_pairs(["four double two"], ["422"])
    >>> batch.encoder_input.tolist(), batch.decoder_input.tolist()
    ([[5, 12, 3]], [[1, 7, 5, 5]])
    >>> batch.decoder_target.tolist()
    [[7, 5, 5, 2]]

    Introduced in Chapter 8 (Sequence to sequence).
    """
    if not isinstance(sources, list | tuple) or not isinstance(targets, list | tuple):
        raise ValueError(
            f"`sources` and `targets` must be lists of strings; got {type(sources).__name__} "
            f"and {type(targets).__name__}."
        )
    if len(sources) != len(targets) or not sources:
        raise ValueError(
            "`sources` and `targets` must be non-empty lists of the same length; got "
            f"{len(sources)} and {len(targets)}."
        )
    words = [str(s).split() for s in sources]
    width = max(len(w) for w in words)
    if source_timesteps is not None:
        source_timesteps = check_int(source_timesteps, "source_timesteps", minimum=1)
        if width > source_timesteps:
            raise ValueError(
                f"`source_timesteps` must be at least the longest source ({width} words); "
                f"got {source_timesteps}."
            )
        width = source_timesteps
    encoder_input = np.zeros((len(sources), width), dtype=np.int32)  # (B, Ts)
    for row, sentence in enumerate(words):
        unknown = [w for w in sentence if w not in _SOURCE_IDS]
        if unknown:
            raise ValueError(
                f"`sources[{row}]` holds the word {unknown[0]!r}, which is not in "
                f"SOURCE_WORDS ({', '.join(SOURCE_WORDS)})."
            )
        encoder_input[row, : len(sentence)] = [_SOURCE_IDS[w] for w in sentence]
    for row, target in enumerate(targets):
        if not isinstance(target, str) or not target or not target.isdigit():
            raise ValueError(
                f"`targets[{row}]` must be a non-empty string of digits; got {target!r}."
            )
    lengths = np.array([len(t) for t in targets])
    steps = int(lengths.max()) + 1
    decoder_input = np.zeros((len(targets), steps), dtype=np.int32)  # (B, Td)
    decoder_target = np.zeros((len(targets), steps), dtype=np.int32)  # (B, Td)
    for row, target in enumerate(targets):
        ids = [3 + int(c) for c in target]
        decoder_input[row, : len(ids) + 1] = [START, *ids]
        decoder_target[row, : len(ids) + 1] = [*ids, END]
    return Seq2SeqBatch(encoder_input, decoder_input, decoder_target, lengths)


def decode_target(ids) -> str:
    """Turn target ids back into a digit string, stopping at the first `<end>` or padding.

    `<start>` tokens are skipped (a decoder that has not learned much may emit them).

    Args:
        ids: integer array-like of shape `(timesteps,)`.

    Returns:
        The digits, as a string.

    Example:
    >>> decode_target([7, 5, 5, 2, 0])
    '422'

    Introduced in Chapter 8 (Sequence to sequence).
    """
    array = as_array(ids, "ids", ndim=1, layout="(timesteps,)", dtype=None, allow_empty=True)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"`ids` must hold integers; got dtype {array.dtype}.")
    out = []
    for position, token in enumerate(array.tolist()):
        if token == START:
            continue
        if token in (END, PAD):
            break
        if not 3 <= token < len(TARGET_TOKENS):
            raise ValueError(
                f"`ids` must hold target ids in [0, {len(TARGET_TOKENS)}); got {token} at "
                f"position {position}."
            )
        out.append(TARGET_TOKENS[token])
    return "".join(out)


def digit_words(source: str) -> list[tuple[int, ...]]:
    """For every digit a source says, the positions of the words that say it.

    A digit read on its own is said by one word; the digits of "double five" are both said
    by the two words "double" and "five". This is the true alignment between a source and
    its target, against which attention weights can be compared.

    Args:
        source: words of `SOURCE_WORDS` separated by spaces.

    Returns:
        One tuple of word positions per digit of the target, in order.

    Example:
    >>> digit_words("four double two")
    [(0,), (1, 2), (1, 2)]

    Introduced in Chapter 8 (Sequence to sequence), notebook 8b (attention).
    """
    words = str(source).split()
    unknown = [w for w in words if w not in _SOURCE_IDS]
    if unknown:
        raise ValueError(f"`source` holds the word {unknown[0]!r}, which is not in SOURCE_WORDS.")
    spans: list[tuple[int, ...]] = []
    i = 0
    while i < len(words):
        repeat = {"double": 2, "triple": 3}.get(words[i], 0)
        if repeat:
            if i + 1 >= len(words) or words[i + 1] in ("double", "triple"):
                raise ValueError(f"`source` has {words[i]!r} at word {i} without a digit after it.")
            spans += [(i, i + 1)] * repeat
            i += 2
        else:
            spans.append((i,))
            i += 1
    return spans
