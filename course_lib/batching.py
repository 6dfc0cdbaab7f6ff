"""Batching sequences for recurrent layers: padded batches, buckets, and stateful streams.

- Variable-length sequences: a recurrent layer's cost grows with the number of time steps
  it runs, padding included. Padding every sequence to the longest one in the data set
  wastes most of those steps when lengths spread widely; bucketing (`make_batches`) puts
  sequences of similar length into the same batch and pads each batch only to its own
  longest sequence.
- One long sequence: `stream_windows` cuts it into windows laid out so that each batch
  continues the previous one, row by row, for a `stateful=True` layer trained with
  truncated backpropagation through time.

Introduced in Chapter 7 (Variable-length sequences and real text).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.validation import as_array, check_choice, check_int, describe

__all__ = ["make_batches", "padded_steps", "stream_windows", "to_dataset", "unpad"]


def unpad(ids: Any, *, value: int = 0) -> list[np.ndarray]:
    """Cut a post-padded `(batch, timesteps)` array of token ids into its sequences.

    Args:
        ids: token ids, shape `(batch, timesteps)`, each row a sequence followed by
            padding (what `TextVectorization` returns).
        value: the padding id. Defaults to `0`.

    Returns:
        A list of `batch` 1-D int arrays, each row without its trailing padding.

    Example:
    >>> [s.tolist() for s in unpad([[5, 2, 0, 0], [7, 0, 0, 0]])]
    [[5, 2], [7]]

    Introduced in Chapter 7 (Variable-length sequences and real text).
    """
    ids = as_array(ids, "ids", ndim=2, layout="(batch, timesteps)", dtype=np.int64)
    real = ids != value  # (B, T)
    lengths = ids.shape[1] - np.argmax(real[:, ::-1], axis=1)  # last real step + 1
    lengths[~real.any(axis=1)] = 0
    return [row[:n] for row, n in zip(ids, lengths, strict=True)]


def _check_sequences(sequences: Any) -> list[np.ndarray]:
    if not isinstance(sequences, list | tuple) or not sequences:
        raise ValueError(
            "`sequences` must be a non-empty list of 1-D arrays of token ids (see `unpad`); "
            f"got {describe(sequences)}."
        )
    out = []
    for i, sequence in enumerate(sequences):
        sequence = as_array(sequence, f"sequences[{i}]", ndim=1, dtype=np.int64)
        out.append(sequence)
    return out


def make_batches(
    sequences: Any,
    y: Any,
    batch_size: int,
    *,
    bucket: bool = True,
    maxlen: int | None = None,
    padding: str = "post",
    seed: int = 0,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split variable-length sequences into padded batches, bucketed by length or not.

    With `bucket=True` the sequences are sorted by length (ties in random order) and cut
    into batches of `batch_size` consecutive sequences, so each batch holds sequences of
    about the same length; the order of the batches is then shuffled. With `bucket=False`
    the batches are drawn at random. Each batch is padded with zeros to `maxlen`, or to
    its own longest sequence when `maxlen` is `None`; longer sequences are truncated at
    the end.

    Args:
        sequences: list of `n` 1-D int arrays of token ids (zero is the padding id).
        y: labels, shape `(n, ...)`.
        batch_size: sequences per batch (the last batch may be smaller).
        bucket: bucket by length. Defaults to `True`.
        maxlen: pad every batch to this many steps, or `None` for the batch's longest
            sequence. Defaults to `None`.
        padding: `"post"` (zeros after the tokens) or `"pre"` (before). Defaults to `"post"`.
        seed: seed of the shuffling. Defaults to `0`.

    Returns:
        A list of `(X, y)` pairs: `X` int32 `(batch, steps)`, `y` `(batch, ...)`.

    Example:
    >>> seqs = [np.array([3, 4, 5]), np.array([6]), np.array([7, 8]), np.array([9])]
    >>> batches = make_batches(seqs, np.arange(4), 2, seed=1)
    >>> sorted(X.shape for X, _ in batches)
    [(2, 1), (2, 3)]

    Introduced in Chapter 7 (Variable-length sequences and real text).
    """
    sequences = _check_sequences(sequences)
    y = np.asarray(y)
    if y.ndim == 0 or y.shape[0] != len(sequences):
        raise ValueError(
            f"`y` must have one label per sequence ({len(sequences)}); got {describe(y)}."
        )
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    if maxlen is not None:
        maxlen = check_int(maxlen, "maxlen", minimum=1)
    padding = check_choice(padding, "padding", ("post", "pre"))
    rng = np.random.default_rng(seed)
    lengths = np.array([len(s) for s in sequences])  # (n,)
    order = rng.permutation(len(sequences))
    if bucket:
        order = order[np.argsort(lengths[order], kind="stable")]  # by length, ties shuffled
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if bucket:
        chunks = [chunks[i] for i in rng.permutation(len(chunks))]
    batches = []
    for chunk in chunks:
        steps = maxlen if maxlen is not None else max(1, int(lengths[chunk].max()))
        X = np.zeros((len(chunk), steps), dtype=np.int32)  # (B, steps)
        for row, index in enumerate(chunk):
            tokens = sequences[index][:steps]
            if padding == "post":
                X[row, : len(tokens)] = tokens
            elif len(tokens):
                X[row, -len(tokens) :] = tokens
        batches.append((X, y[chunk]))
    return batches


def padded_steps(batches: list[tuple[np.ndarray, np.ndarray]]) -> tuple[int, int]:
    """Count the time steps a recurrent layer runs over `batches`, and the real ones.

    Args:
        batches: `(X, y)` pairs as `make_batches` returns them.

    Returns:
        `(total, real)`: the number of `(sequence, step)` pairs, padding included, and the
        number of non-zero token ids among them.

    Example:
    >>> padded_steps([(np.array([[1, 2], [3, 0]]), np.zeros(2))])
    (4, 3)

    Introduced in Chapter 7 (Variable-length sequences and real text).
    """
    total = sum(int(X.size) for X, _ in batches)
    real = sum(int(np.count_nonzero(X)) for X, _ in batches)
    return total, real


def to_dataset(batches: list[tuple[np.ndarray, np.ndarray]]) -> Any:
    """Wrap `(X, y)` batches of different lengths in a `tf.data.Dataset` for `model.fit`.

    The dataset declares the time axis as `None`, so a Keras model traces its training
    step once for all batch lengths instead of once per length.

    Args:
        batches: `(X, y)` pairs as `make_batches` returns them.

    Returns:
        A `tf.data.Dataset` yielding the batches in order, `X` `(batch, None)` int32.

    Introduced in Chapter 7 (Variable-length sequences and real text).
    """
    import tensorflow as tf

    if not batches:
        raise ValueError("`batches` must hold at least one (X, y) pair; got an empty list.")
    y0 = np.asarray(batches[0][1])
    signature = (
        tf.TensorSpec((None, None), tf.int32),  # (B, steps)
        tf.TensorSpec((None, *y0.shape[1:]), tf.as_dtype(y0.dtype)),
    )
    return tf.data.Dataset.from_generator(lambda: iter(batches), output_signature=signature)


def stream_windows(ids: Any, streams: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Lay out one long sequence as consecutive windows for a stateful layer.

    The sequence is cut into `streams` equal, contiguous parts (the streams), each cut into
    windows of `window` steps. Batch `k` (rows `k * streams` to `k * streams + streams - 1`)
    holds window `k` of every stream, so row `b` of batch `k + 1` continues row `b` of batch
    `k`: with `batch_size=streams` and `shuffle=False`, a `stateful=True` layer starts each
    batch from where the previous one ended. The targets are the next ids. The ids left over
    after the last full window are dropped.

    Args:
        ids: the sequence of ids, shape `(length,)`.
        streams: number of streams, the batch size. At least 1.
        window: steps per window. At least 1.

    Returns:
        `(X, Y)`, int arrays of shape `(windows * streams, window)`: `X[k * streams + b]` is
        window `k` of stream `b`, `Y` the same positions one step later.

    Example:
    >>> X, Y = stream_windows(np.arange(13), streams=2, window=3)
    >>> X.tolist()
    [[0, 1, 2], [6, 7, 8], [3, 4, 5], [9, 10, 11]]
    >>> Y[0].tolist()
    [1, 2, 3]

    Introduced in Chapter 7 (Variable-length sequences and real text), notebook 7b.
    """
    ids = as_array(ids, "ids", ndim=1, layout="(length,)", dtype=np.int64)
    streams = check_int(streams, "streams", minimum=1)
    window = check_int(window, "window", minimum=1)
    per_stream = (len(ids) - 1) // (streams * window) * window  # steps kept in each stream
    if per_stream == 0:
        raise ValueError(
            f"`ids` must hold more than streams * window = {streams * window} ids for one "
            f"window per stream; got {len(ids)}."
        )
    count = per_stream // window  # windows per stream
    X = ids[: streams * per_stream].reshape(streams, count, window)  # (S, K, W)
    Y = ids[1 : streams * per_stream + 1].reshape(streams, count, window)  # (S, K, W)
    # (S, K, W) -> (K, S, W) -> (K * S, W): batch k holds window k of every stream
    X = X.transpose(1, 0, 2).reshape(count * streams, window)
    Y = Y.transpose(1, 0, 2).reshape(count * streams, window)
    return X, Y
