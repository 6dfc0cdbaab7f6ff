"""Synthetic memory tasks: the adding problem, long-sequence classification, selective copying.

All are generated with `np.random.default_rng(seed)` and probe how far back a
recurrent network can carry information. A model that forgets scores the task's
baseline (predicting the mean, or chance), so "did it learn anything?" has a crisp answer.

Introduced in Chapter 2 (BPTT and vanishing gradients); used again in Chapters 4, 6c and 9.
"""

from __future__ import annotations

import numpy as np

from course_lib.validation import check_int

__all__ = ["ADDING_BASELINE_MSE", "adding_problem"]

ADDING_BASELINE_MSE = 1.0 / 6.0
"""MSE of always predicting 1 on the adding problem.

The target is the sum of two independent U[0, 1) values: mean 1, variance
2 * 1/12 = 1/6. Predicting the mean, the best a model that ignores its inputs can do,
therefore scores 1/6. (A model that reads the values but not the markers can predict the
sum of the two halves' means and score 1/6 - 1/(3 * timesteps).) Introduced in Chapter 2
(BPTT and vanishing gradients).
"""


def adding_problem(
    n_samples: int, timesteps: int, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Generate the adding problem (Hochreiter & Schmidhuber, 1997).

    Each sequence has two input features per step:

    - feature 0: a value drawn uniformly from [0, 1);
    - feature 1: a marker, 1 at exactly two steps and 0 elsewhere. As in Le et al.
      (2015) and Arjovsky et al. (2016), the first marked step is drawn uniformly
      from the first half, `[0, timesteps // 2)`, and the second from the second
      half, `[timesteps // 2, timesteps)`.

    The target is the sum of the two marked values. The first marker sits on average
    `timesteps / 4` steps from the start, so the gradient that teaches the model to
    remember it has to travel back through about `3 * timesteps / 4` steps. Always
    predicting 1 scores `ADDING_BASELINE_MSE` (= 1/6); a model has learned the task
    only when its MSE falls well below that.

    Args:
        n_samples: number of sequences.
        timesteps: length of each sequence, at least 2.
        seed: seed of `np.random.default_rng`. Defaults to `0`.

    Returns:
        `(X, y)`: float32 arrays of shapes `(batch, timesteps, 2)` and `(batch, 1)`,
        with `batch = n_samples`.

    Example:
    >>> X, y = adding_problem(4, 50, seed=0)
    >>> X.shape, y.shape
    ((4, 50, 2), (4, 1))
    >>> X[:, :, 1].sum(axis=1).tolist()
    [2.0, 2.0, 2.0, 2.0]

    Introduced in Chapter 2 (BPTT and vanishing gradients); used again in Chapter 4 (LSTM).
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    timesteps = check_int(timesteps, "timesteps", minimum=2)
    seed = check_int(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    half = timesteps // 2
    values = rng.random((n_samples, timesteps))  # (B, T), uniform in [0, 1)
    first = rng.integers(0, half, size=n_samples)  # (B,)
    second = rng.integers(half, timesteps, size=n_samples)  # (B,)
    rows = np.arange(n_samples)
    markers = np.zeros((n_samples, timesteps))  # (B, T)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    X = np.stack([values, markers], axis=-1).astype(np.float32)  # (B, T, 2)
    # Sum the float32 values the model actually sees, so y is exact for X.
    y = (X[rows, first, 0] + X[rows, second, 0])[:, None]  # (B, 1)
    return X, y.astype(np.float32)


__all__ += ["long_sequence_classification"]


def long_sequence_classification(
    n_samples: int,
    timesteps: int,
    *,
    vocab_size: int = 20,
    seed: int = 0,
    return_positions: bool = False,
) -> tuple[np.ndarray, ...]:
    """Generate token sequences labelled by the order of a two-token motif they contain.

    Token ids: `0` is never used (it is the usual padding id, so `mask_zero=True` in an
    `Embedding` changes nothing), `1` and `2` are the motif tokens "A" and "B", and
    `3 .. vocab_size - 1` are noise tokens drawn uniformly. Every sequence is noise except
    for one adjacent pair of steps, starting at a position drawn uniformly from
    `[0, timesteps - 2]`:

    - label 1: the pair is A then B (`1, 2`);
    - label 0: the pair is B then A (`2, 1`).

    Both classes contain exactly one A and one B, so a model that counts tokens (a bag of
    words) scores chance: only their order decides. The pair can sit anywhere, including
    the first steps, so a recurrent model that reads left to right and classifies from
    its last state must carry one bit across up to `timesteps - 2` steps of noise.
    The classes are balanced: exactly `n_samples // 2` sequences have label 1 (the rest,
    one more for an odd `n_samples`, label 0), in random order. So chance is exactly 50 %,
    and a model that gives every sequence the same label scores 50 % too.

    Args:
        n_samples: number of sequences.
        timesteps: length of each sequence, at least 2.
        vocab_size: number of token ids, including the unused 0, the two motif tokens
            and at least one noise token; at least 4. Defaults to `20`.
        seed: seed of `np.random.default_rng`. Defaults to `0`.
        return_positions: also return the step of each pair's first token. Defaults to
            `False`.

    Returns:
        `(X, y)`: int32 arrays of shapes `(batch, timesteps)` and `(batch,)`, with
        `batch = n_samples`; with `return_positions=True`, `(X, y, positions)` where
        `positions` is int32 of shape `(batch,)`, the motif occupying steps
        `positions` and `positions + 1`.

    Example:
    >>> X, y, positions = long_sequence_classification(3, 8, seed=0, return_positions=True)
    >>> X.shape, y.shape
    ((3, 8), (3,))
    >>> rows = np.arange(3)
    >>> bool(np.all((X[rows, positions] == 1) == (y == 1)))
    True

    Introduced in Chapter 6c (sequence classification).
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    timesteps = check_int(timesteps, "timesteps", minimum=2)
    vocab_size = check_int(vocab_size, "vocab_size", minimum=4)
    seed = check_int(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    X = rng.integers(3, vocab_size, size=(n_samples, timesteps)).astype(np.int32)  # (B, T)
    y = rng.permutation(np.arange(n_samples) % 2 == 1).astype(np.int32)  # (B,), balanced
    positions = rng.integers(0, timesteps - 1, size=n_samples).astype(np.int32)  # (B,)
    rows = np.arange(n_samples)
    X[rows, positions] = np.where(y == 1, 1, 2)  # A first for label 1, B first for label 0
    X[rows, positions + 1] = np.where(y == 1, 2, 1)
    if return_positions:
        return X, y, positions
    return X, y


__all__ += ["selective_copy"]


def selective_copy(
    n_samples: int,
    timesteps: int,
    *,
    n_tokens: int = 4,
    vocab_size: int = 9,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Generate the selective-copying task: find the few tokens among blanks, in order.

    Token id `0` is the blank; ids `1 .. vocab_size - 1` are data tokens. Every sequence
    is blank except at `n_tokens` steps, drawn without replacement and uniformly from all
    `timesteps` steps, which hold data tokens drawn uniformly. The target is the list of
    those data tokens in the order they appear. Because the steps differ from sequence to
    sequence, a model must decide from each token itself whether to store it (Gu and Dao,
    2023, "Mamba", Section 3.1, after the copying task of Arjovsky et al., 2016); a model
    that guesses scores `1 / (vocab_size - 1)` per token.

    Args:
        n_samples: number of sequences.
        timesteps: length of each sequence, at least `n_tokens`.
        n_tokens: data tokens per sequence, at least 1. Defaults to `4`.
        vocab_size: number of token ids, the blank included; at least 3 (two data
            tokens). Defaults to `9`.
        seed: seed of `np.random.default_rng`. Defaults to `0`.

    Returns:
        `(X, y)`: int32 arrays of shapes `(batch, timesteps)` and `(batch, n_tokens)`, with
        `batch = n_samples`; `y[i]` lists the data tokens of `X[i]` from left to right.

    Example:
    >>> X, y = selective_copy(2, 10, n_tokens=3, seed=0)
    >>> X.shape, y.shape
    ((2, 10), (2, 3))
    >>> [row[row > 0].tolist() == target.tolist() for row, target in zip(X, y)]
    [True, True]

    Introduced in Chapter 9c (Selective copying).
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    n_tokens = check_int(n_tokens, "n_tokens", minimum=1)
    timesteps = check_int(timesteps, "timesteps", minimum=n_tokens)
    vocab_size = check_int(vocab_size, "vocab_size", minimum=3)
    seed = check_int(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    # n_tokens distinct steps per row, left to right: the first columns of a random order.
    steps = np.sort(rng.random((n_samples, timesteps)).argsort(axis=1)[:, :n_tokens], axis=1)
    y = rng.integers(1, vocab_size, size=(n_samples, n_tokens)).astype(np.int32)  # (B, K)
    X = np.zeros((n_samples, timesteps), np.int32)  # (B, T), all blank
    X[np.arange(n_samples)[:, None], steps] = y
    return X, y
