"""Checks of the exercises of Chapter 7 (Variable-length sequences and real text).

- 7.1 `check_pad(pad)`: pad and truncate sequences of ids, before or after the tokens.
- 7.2 `check_masked_rnn_forward(masked_rnn_forward)`: a SimpleRNN that skips masked steps.
- 7.3 `check_masked_mean(masked_mean)`: the average of the outputs over the real steps.
- 7.4 `check_bucket_batches(bucket_batches)`: batches of sequences of similar length.
- 7.5 `check_stream_windows(stream_windows)`: a long sequence laid out for a stateful layer.
- 7.6 `check_nearest_neighbours(nearest_neighbours)`: the nearest words of an embedding by
  cosine similarity.
- 7.7 `check_missing_mask_answer(answer_7_7)`: what a missing mask does to a classifier of
  post-padded sentences (multiple choice).

References:
`keras.utils.pad_sequences`, `course_lib.cells.simple_rnn_forward(..., mask=...)`
(tested against Keras), `keras.layers.GlobalAveragePooling1D` with a mask and
`course_lib.batching.stream_windows`.

Introduced in Chapter 7 (Variable-length sequences and real text).
"""

from __future__ import annotations

import numpy as np

from course_lib import batching, cells
from course_lib.checks.common import cell_weights
from course_lib.checks.concepts import choice
from course_lib.checks.exercise import Expect, Mistake, Values, exercise

__all__ = [
    "check_bucket_batches",
    "check_masked_mean",
    "check_masked_rnn_forward",
    "check_missing_mask_answer",
    "check_nearest_neighbours",
    "check_pad",
    "check_stream_windows",
]

_ATOL, _RTOL = 1e-5, 1e-4


def _random_sequences(rng: np.random.Generator, n: int, longest: int) -> list[list[int]]:
    """`n` lists of token ids 1..49 with lengths 1..longest."""
    return [rng.integers(1, 50, size=int(rng.integers(1, longest + 1))).tolist() for _ in range(n)]


def _random_mask(rng: np.random.Generator, batch: int, timesteps: int, kind: str) -> np.ndarray:
    """A `(batch, timesteps)` boolean mask: post- or pre-padding, or holes anywhere."""
    if kind == "holes":
        mask = rng.random((batch, timesteps)) < 0.6
        mask[:, 0] = True
        return mask
    lengths = rng.integers(1, timesteps + 1, size=batch)  # (B,)
    lengths[0] = timesteps
    steps = np.arange(timesteps)[None, :]  # (1, T)
    if kind == "post":
        return steps < lengths[:, None]
    return steps >= timesteps - lengths[:, None]


# --------------------------------------------------------------------------------------
# 7.1 Padding
# --------------------------------------------------------------------------------------


def _pad_reference(sequences, maxlen, padding="post"):
    import keras

    return keras.utils.pad_sequences(sequences, maxlen, padding=padding, truncating="post")


def _padded_on(side: str):
    """A mistake: the zeros on `side` whichever `padding` was asked for."""

    def answer(sequences, maxlen, padding="post"):
        if padding == side:
            raise ValueError("not this mistake")
        return _pad_reference(sequences, maxlen, side)

    return answer


def _truncated_at_start(sequences, maxlen, padding="post"):
    import keras

    return keras.utils.pad_sequences(sequences, maxlen, padding=padding)


@exercise(
    "7.1",
    student='pad(sequences, maxlen, padding="post")',
    reference=_pad_reference,
    mistakes=[
        Mistake(
            "zeros-before",
            'padding="post" puts the zeros after the tokens.',
            _padded_on("pre"),
        ),
        Mistake(
            "zeros-after",
            'padding="pre" puts the zeros before the tokens.',
            _padded_on("post"),
        ),
        Mistake(
            "truncated-at-start",
            "cut a sequence longer than maxlen at its end: keep its first maxlen ids.",
            _truncated_at_start,
        ),
    ],
    atol=0.0,
    rtol=0.0,
    layout="(sequences, maxlen)",
)
def check_pad(ex) -> None:
    """Exercise 7.1 (5 checks): `pad(sequences, maxlen, padding="post")`.

    Compares with `keras.utils.pad_sequences(..., truncating="post")` for post- and
    pre-padding, with sequences shorter and longer than `maxlen`.
    """
    rng = ex.rng(71)
    hand = [[int(t) for t in rng.integers(1, 10, size=n)] for n in (3, 1, 2)]
    cases = [
        (hand, 4, "post"),
        (hand, 4, "pre"),
        (_random_sequences(rng, 6, 8), 5, "post"),  # some longer than maxlen
        (_random_sequences(rng, 6, 8), 5, "pre"),
    ]
    for index, (sequences, maxlen, padding) in enumerate(cases):
        shown = sequences if sequences is hand else "random sequences"
        ex.case(
            f'pad({shown}, maxlen={maxlen}, padding="{padding}")',
            sequences,
            maxlen,
            kwargs={"padding": padding},
            shape=(3, 4) if index == 0 else None,
            shape_hint="one row per sequence, maxlen columns.",
        )


# --------------------------------------------------------------------------------------
# 7.2 A masked SimpleRNN
# --------------------------------------------------------------------------------------


def _masked_outputs(x, mask, kernel, recurrent_kernel, bias):
    """The reference: `cells.simple_rnn_forward` with the mask, every step's output."""
    return cells.simple_rnn_forward(
        x, kernel, recurrent_kernel, bias, mask=mask, return_sequences=True
    )


def _reset_at_masked_steps(x, mask, kernel, recurrent_kernel, bias):
    h = np.zeros((x.shape[0], recurrent_kernel.shape[0]))  # (B, H)
    outputs = []
    for t in range(x.shape[1]):
        new = cells.simple_rnn_step(x[:, t], h, kernel, recurrent_kernel, bias)
        h = np.where(mask[:, t, None], new, 0.0)
        outputs.append(h)
    return np.stack(outputs, axis=1)  # (B, T, H)


@exercise(
    "7.2",
    student="masked_rnn_forward(x, mask, kernel, recurrent_kernel, bias)",
    reference=_masked_outputs,
    withhold=[cells.simple_rnn_forward],
    mistakes=[
        Mistake(
            "mask-ignored",
            "use the mask: at a masked step keep the previous state.",
            lambda x, mask, *weights: cells.simple_rnn_forward(x, *weights, return_sequences=True),
        ),
        Mistake(
            "zeros-at-masked-steps",
            "at a masked step Keras repeats the previous output; zeros only before the first "
            "real step.",
            lambda x, mask, *weights: np.where(
                mask[:, :, None], _masked_outputs(x, mask, *weights), 0.0
            ),
        ),
        Mistake(
            "state-reset",
            "carry the state over a masked step instead of resetting it to zeros.",
            _reset_at_masked_steps,
        ),
    ],
    atol=_ATOL,
    rtol=_RTOL,
    layout="(batch, timesteps, units)",
)
def check_masked_rnn_forward(ex) -> None:
    """Exercise 7.2 (4 checks): `masked_rnn_forward(x, mask, kernel, recurrent_kernel, bias)`.

    Compares the outputs `(batch, timesteps, units)` with
    `course_lib.cells.simple_rnn_forward(..., mask=mask, return_sequences=True)`, which
    agrees with `keras.layers.SimpleRNN` called with the same mask, for post-padding,
    pre-padding and masks with holes.
    """
    rng = ex.rng(72)
    w = cell_weights(ex.seed(73), features=3, units=4)
    x = rng.standard_normal((4, 6, 3))  # (B, T, F)
    masks = {kind: _random_mask(rng, 4, 6, kind) for kind in ("post", "pre", "holes")}
    names = {
        "post": "outputs with post-padding, x (4, 6, 3) and units=4",
        "pre": "outputs with pre-padding",
        "holes": "outputs, mask with holes",
    }
    for kind, mask in masks.items():
        ex.case(
            names[kind],
            x,
            mask,
            *w.values(),
            shape=(4, 6, 4) if kind == "post" else None,
            shape_hint="return the output of every step, stacked on axis 1.",
        )


# --------------------------------------------------------------------------------------
# 7.3 Average over the real steps
# --------------------------------------------------------------------------------------


def _masked_mean_reference(outputs, mask):
    import keras

    pooled = keras.layers.GlobalAveragePooling1D()(outputs.astype("float32"), mask=mask)
    return np.asarray(keras.ops.convert_to_numpy(pooled), dtype=np.float64)  # (B, H)


@exercise(
    "7.3",
    student="masked_mean(outputs, mask)",
    reference=_masked_mean_reference,
    mistakes=[
        Mistake(
            "mask-ignored",
            "leave the masked steps out of the average.",
            lambda outputs, mask: outputs.mean(axis=1),
        ),
        Mistake(
            "divided-by-timesteps",
            "divide by the number of real steps of each sequence, not by timesteps.",
            lambda outputs, mask: (outputs * mask[:, :, None]).sum(axis=1) / outputs.shape[1],
        ),
        Mistake(
            "sum-not-divided",
            "divide the sum by the number of real steps.",
            lambda outputs, mask: (outputs * mask[:, :, None]).sum(axis=1),
        ),
    ],
    atol=_ATOL,
    rtol=_RTOL,
    layout="(batch, units)",
)
def check_masked_mean(ex) -> None:
    """Exercise 7.3 (4 checks): `masked_mean(outputs, mask)`.

    Compares with `keras.layers.GlobalAveragePooling1D()(outputs, mask=mask)`, for post-
    and pre-padding and a mask with holes.
    """
    rng = ex.rng(74)
    outputs = rng.standard_normal((5, 7, 3))  # (B, T, H)
    for kind in ("post", "pre", "holes"):
        ex.case(
            f"masked_mean with {kind}-padding" if kind != "holes" else "mask with holes",
            outputs,
            _random_mask(rng, 5, 7, kind),
            shape=(5, 3) if kind == "post" else None,
            shape_hint="average over the time axis, axis 1.",
        )


# --------------------------------------------------------------------------------------
# 7.4 Bucketing
# --------------------------------------------------------------------------------------


def _as_batches(got, n):
    """The student's batches as a list of int arrays, or None when they are not that."""
    if not isinstance(got, list | tuple):
        return None
    try:
        batches = [np.asarray(b).reshape(-1) for b in got]
    except Exception:
        return None
    if not all(b.dtype.kind in "iu" for b in batches):
        return None
    return batches


def _bucketing_checks(lengths: np.ndarray, batch_size: int) -> list[Expect]:
    """The four checks of 7.4: the type, every index once, the sizes, the padded steps."""
    n = len(lengths)
    ordered = np.sort(lengths)
    best = sum(
        len(ordered[i : i + batch_size]) * int(ordered[i : i + batch_size].max())
        for i in range(0, n, batch_size)
    )

    def valid(batches) -> bool:
        everything = np.sort(np.concatenate(batches)) if batches else np.array([], int)
        return np.array_equal(everything, np.arange(n))

    def kind(got):
        if _as_batches(got, n) is not None:
            return None
        return (
            f"bucket_batches must return a list of integer index arrays; got {type(got).__name__}."
        )

    def indices(got):
        if valid(_as_batches(got, n) or []):
            return None
        return f"the batches must hold every index 0..{n - 1} exactly once."

    def sizes(got):
        sizes = [len(b) for b in _as_batches(got, n) or []]
        short = [s for s in sizes if s != batch_size]
        if sizes and len(short) <= 1 and all(0 < s < batch_size for s in short):
            return None
        return (
            f"every batch must hold batch_size={batch_size} indices, except at most one "
            f"with fewer; got sizes {sizes}."
        )

    def padded(got):
        batches = _as_batches(got, n) or []
        steps = sum(len(b) * int(lengths[b].max()) for b in batches) if valid(batches) else -1
        if 0 <= steps <= best:
            return None
        return (
            f"padding each batch to its longest sequence should cost at most {best} steps "
            f"(what sorting by length gives); your batches cost {steps}."
        )

    return [
        Expect(kind, name="the type of the result", hint="return e.g. "
               "[order[i : i + batch_size] for i in ...]."),
        Expect(indices, name="the indices",
               hint="split one ordering of all the indices into consecutive pieces."),
        Expect(sizes, name="the batch sizes"),
        Expect(padded, name="the padded steps", hint="sort the indices by length "
               "(np.argsort(lengths)) before cutting them into batches."),
    ]  # fmt: skip


@exercise("7.4", student="bucket_batches(lengths, batch_size)")
def check_bucket_batches(ex) -> None:
    """Exercise 7.4 (4 checks): `bucket_batches(lengths, batch_size)`.

    Checks that the batches hold every index once, have `batch_size` indices (at most one
    batch, anywhere in the list, may have fewer), and need at most as many padded steps,
    `sum(batch size * longest length in the batch)`, as sorting by length and cutting in
    order gives. Any batching that meets these passes: the batches in any order, and layouts
    that pad fewer steps (sorting in descending order puts the short batch among the
    shortest sequences).
    """
    lengths = ex.rng(75).integers(1, 40, size=50)  # (n,)
    ex.case(
        "bucket_batches(50 lengths, batch_size=8)",
        lengths,
        8,
        checks=_bucketing_checks(lengths, 8),
    )


# --------------------------------------------------------------------------------------
# 7.5 Streams for a stateful layer
# --------------------------------------------------------------------------------------


def _stream_by_stream(ids, streams, window):
    """A mistake: windows laid out one after the other, not stream by stream."""
    count = (len(ids) - 1) // (streams * window)
    n = count * streams * window
    return ids[:n].reshape(-1, window), ids[1 : n + 1].reshape(-1, window)


@exercise(
    "7.5",
    student="stream_windows(ids, streams, window)",
    reference=batching.stream_windows,
    returns=("X", "Y"),
    mistakes=[
        Mistake(
            "windows-not-continued",
            "row b of batch k+1 must continue row b of batch k: cut the ids into `streams` "
            "contiguous streams first, then take window k of every stream.",
            _stream_by_stream,
        ),
        Mistake(
            "targets-not-shifted",
            "Y holds the next id of every position of X.",
            lambda *args: (batching.stream_windows(*args)[0],) * 2,
        ),
    ],
    hint="return the pair (X, Y).",
)
def check_stream_windows(ex) -> None:
    """Exercise 7.5 (4 checks): `stream_windows(ids, streams, window)`.

    Compares `(X, Y)` with `course_lib.batching.stream_windows` for two layouts.
    """
    rng = ex.rng(76)
    cases = [
        (rng.integers(0, 30, size=int(rng.integers(200, 260))), 4, 5),
        (rng.integers(0, 30, size=int(rng.integers(100, 130))), 3, 7),
    ]
    for ids, streams, window in cases:
        label = f"{len(ids)} ids, streams={streams}, window={window}"
        ex.case(
            label,
            ids,
            streams,
            window,
            values=False,
            checks=[Values(of="X"), Values(of="Y")],
        )


# -- 7.6 -------------------------------------------------------------------------------------


def _cosine_to(table, word_id):
    table = np.asarray(table, dtype=float)  # (vocab, dim)
    unit = table / np.linalg.norm(table, axis=1, keepdims=True)  # (vocab, dim)
    return unit @ unit[word_id]  # (vocab,)


def _by_score(scores, word_id, k, *, keep_self=False):
    order = np.argsort(-scores, kind="stable")
    if not keep_self:
        order = order[order != word_id]
    return order[:k]


def _neighbours_reference(table, word_id, k):
    return _by_score(_cosine_to(table, word_id), word_id, k)


@exercise(
    "7.6",
    student="nearest_neighbours(table, word_id, k)",
    reference=_neighbours_reference,
    mistakes=[
        Mistake(
            "dot-product",
            "divide every row by its length first: the plain dot product favours long "
            "vectors, cosine similarity compares directions only.",
            lambda table, word_id, k: _by_score(np.asarray(table) @ table[word_id], word_id, k),
        ),
        Mistake(
            "itself-included",
            "leave out the word itself: its cosine similarity with itself is 1, the largest.",
            lambda table, word_id, k: _by_score(
                _cosine_to(table, word_id), word_id, k, keep_self=True
            ),
        ),
        Mistake(
            "least-similar",
            "sort by decreasing similarity: the most similar word first.",
            lambda table, word_id, k: _by_score(-_cosine_to(table, word_id), word_id, k),
        ),
    ],
    hint="unit = table / np.linalg.norm(table, axis=1, keepdims=True); scores = unit @ "
    "unit[word_id]; sort by decreasing score and leave out word_id.",
    layout="(k,)",
)
def check_nearest_neighbours(ex) -> None:
    """Exercise 7.6 (5 checks): `nearest_neighbours(table, word_id, k) -> ids (k,)`.

    Embedding tables with drawn rows of very different lengths, so that a plain dot
    product picks other words than cosine similarity.
    """
    rng = ex.rng(76)
    for index, (vocab, dim, k) in enumerate(((30, 8, 5), (50, 16, 3))):
        directions = rng.standard_normal((vocab, dim))
        lengths = rng.uniform(0.2, 5.0, size=(vocab, 1))
        table = directions / np.linalg.norm(directions, axis=1, keepdims=True) * lengths
        word_id = int(rng.integers(0, vocab))
        ex.case(
            f"the {k} nearest of word {word_id} in a ({vocab}, {dim}) table",
            table,
            word_id,
            k,
            shape=(k,),
            exact=True,
            unchanged=index == 0,
        )


# -- 7.7 -------------------------------------------------------------------------------------


@exercise("7.7", student="answer_7_7()")
def check_missing_mask_answer(ex) -> None:
    """Exercise 7.7 (1 check): `answer_7_7()`, the letter of the chosen option.

    Inputs fixed by nature: a question has none, and its answer is the same under every
    grading seed (a lookup of the self-check's answer is the answer).
    """
    choice(
        ex,
        "the option answer_7_7() chose",
        right="b",
        wrong={
            "a": "nothing drops the padding without a mask: the zeros are read like any other "
            "token.",
            "c": "the mask does not speed up training; with it, masked steps carry the state "
            "unchanged, which is what the classifier needs.",
            "d": "with pre-padding the zeros come before the words, so the last state follows the "
            "last real word; with post-padding they come after it and overwrite the state.",
        },
    )
