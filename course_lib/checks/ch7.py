"""Checks of the exercises of Chapter 7 (Variable-length sequences and real text).

- 7.1 `check_pad(pad)`: pad and truncate sequences of ids, before or after the tokens.
- 7.2 `check_masked_rnn_forward(masked_rnn_forward)`: a SimpleRNN that skips masked steps.
- 7.3 `check_masked_mean(masked_mean)`: the average of the outputs over the real steps.
- 7.4 `check_bucket_batches(bucket_batches)`: batches of sequences of similar length.
- 7.5 `check_stream_windows(stream_windows)`: a long sequence laid out for a stateful layer.

The checks follow the two-mode style: the student's code is only called through
`report.call`, and expected values are computed under `if report.judging:`. References:
`keras.utils.pad_sequences`, `course_lib.cells.simple_rnn_forward(..., mask=...)`
(tested against Keras), `keras.layers.GlobalAveragePooling1D` with a mask and
`course_lib.batching.stream_windows`.

Introduced in Chapter 7 (Variable-length sequences and real text).
"""

from __future__ import annotations

import numpy as np

from course_lib import batching, cells
from course_lib.checks.common import StudentFunction, cell_weights, diagnose, hint_for
from course_lib.checks.report import CallFailed, CheckReport

__all__ = [
    "check_bucket_batches",
    "check_masked_mean",
    "check_masked_rnn_forward",
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


def _pad_reference(sequences, maxlen, padding):
    import keras

    return keras.utils.pad_sequences(sequences, maxlen, padding=padding, truncating="post")


def _pad_mistakes(sequences, maxlen, padding):
    import keras

    other = "pre" if padding == "post" else "post"
    return [
        (
            f'padding="{padding}" puts the zeros {"after" if padding == "post" else "before"} '
            "the tokens.",
            lambda: _pad_reference(sequences, maxlen, other),
        ),
        (
            "cut a sequence longer than maxlen at its end: keep its first maxlen ids.",
            lambda: keras.utils.pad_sequences(sequences, maxlen, padding=padding),
        ),
    ]


def check_pad(pad) -> None:
    """Exercise 7.1 (5 checks): `pad(sequences, maxlen, padding="post")`.

    Compares with `keras.utils.pad_sequences(..., truncating="post")` for post- and
    pre-padding, with sequences shorter and longer than `maxlen`.
    """
    report = CheckReport("7.1")
    student = StudentFunction(report, pad, "pad")
    rng = report.rng(71)
    hand = [[int(t) for t in rng.integers(1, 10, size=n)] for n in (3, 1, 2)]
    cases = [
        (hand, 4, "post"),
        (hand, 4, "pre"),
        (_random_sequences(rng, 6, 8), 5, "post"),  # some longer than maxlen
        (_random_sequences(rng, 6, 8), 5, "pre"),
    ]
    results = [student(seqs, maxlen, padding=padding) for seqs, maxlen, padding in cases]
    if report.judging:
        first = results[0]
        report.expect_shape(
            f"pad({hand}, maxlen=4)",
            first,
            (3, 4),
            layout="(sequences, maxlen)",
            hint=hint_for(first, "one row per sequence, maxlen columns."),
        )
        for (seqs, maxlen, padding), got in zip(cases, results, strict=True):
            expected = _pad_reference(seqs, maxlen, padding)
            report.expect_close(
                f"pad({seqs if seqs is hand else 'random sequences'}, maxlen={maxlen}, "
                f'padding="{padding}")',
                got,
                expected,
                hint=diagnose(got, _pad_mistakes(seqs, maxlen, padding)),
            )
    report.finish()


# --------------------------------------------------------------------------------------
# 7.2 A masked SimpleRNN
# --------------------------------------------------------------------------------------


def _masked_rnn_mistakes(x, mask, w):
    reference = cells.simple_rnn_forward(x, **w, mask=mask, return_sequences=True)

    def reset_at_masked_steps():
        h = np.zeros((x.shape[0], w["recurrent_kernel"].shape[0]))  # (B, H)
        outputs = []
        for t in range(x.shape[1]):
            new = cells.simple_rnn_step(x[:, t], h, **w)
            h = np.where(mask[:, t, None], new, 0.0)
            outputs.append(h)
        return np.stack(outputs, axis=1)  # (B, T, H)

    return [
        (
            "use the mask: at a masked step keep the previous state.",
            lambda: cells.simple_rnn_forward(x, **w, return_sequences=True),
        ),
        (
            "at a masked step Keras repeats the previous output; zeros only before the first "
            "real step.",
            lambda: np.where(mask[:, :, None], reference, 0.0),
        ),
        (
            "carry the state over a masked step instead of resetting it to zeros.",
            reset_at_masked_steps,
        ),
    ]


def check_masked_rnn_forward(masked_rnn_forward) -> None:
    """Exercise 7.2 (4 checks): `masked_rnn_forward(x, mask, kernel, recurrent_kernel, bias)`.

    Compares the outputs `(batch, timesteps, units)` with
    `course_lib.cells.simple_rnn_forward(..., mask=mask, return_sequences=True)`, which
    agrees with `keras.layers.SimpleRNN` called with the same mask, for post-padding,
    pre-padding and masks with holes.
    """
    report = CheckReport("7.2")
    forward = StudentFunction(report, masked_rnn_forward, "masked_rnn_forward")
    rng = report.rng(72)
    w = cell_weights(report.seed(73), features=3, units=4)
    x = rng.standard_normal((4, 6, 3))  # (B, T, F)
    cases = {kind: _random_mask(rng, 4, 6, kind) for kind in ("post", "pre", "holes")}
    results = {
        kind: forward(x, mask, w["kernel"], w["recurrent_kernel"], w["bias"])
        for kind, mask in cases.items()
    }
    if report.judging:
        report.expect_shape(
            "outputs for x (4, 6, 3) and units=4",
            results["post"],
            (4, 6, 4),
            layout="(batch, timesteps, units)",
            hint=hint_for(results["post"], "return the output of every step, stacked on axis 1."),
        )
        for kind, mask in cases.items():
            got = results[kind]
            report.expect_close(
                f"outputs with {kind}-padding" if kind != "holes" else "outputs, mask with holes",
                got,
                cells.simple_rnn_forward(x, **w, mask=mask, return_sequences=True),
                atol=_ATOL,
                rtol=_RTOL,
                hint=diagnose(got, _masked_rnn_mistakes(x, mask, w)),
            )
    report.finish()


# --------------------------------------------------------------------------------------
# 7.3 Average over the real steps
# --------------------------------------------------------------------------------------


def _masked_mean_reference(outputs, mask):
    import keras

    pooled = keras.layers.GlobalAveragePooling1D()(outputs.astype("float32"), mask=mask)
    return np.asarray(keras.ops.convert_to_numpy(pooled), dtype=np.float64)  # (B, H)


def check_masked_mean(masked_mean) -> None:
    """Exercise 7.3 (4 checks): `masked_mean(outputs, mask)`.

    Compares with `keras.layers.GlobalAveragePooling1D()(outputs, mask=mask)`, for post-
    and pre-padding and a mask with holes.
    """
    report = CheckReport("7.3")
    student = StudentFunction(report, masked_mean, "masked_mean")
    rng = report.rng(74)
    outputs = rng.standard_normal((5, 7, 3))  # (B, T, H)
    cases = {kind: _random_mask(rng, 5, 7, kind) for kind in ("post", "pre", "holes")}
    results = {kind: student(outputs, mask) for kind, mask in cases.items()}
    if report.judging:
        report.expect_shape(
            "masked_mean of outputs (5, 7, 3)",
            results["post"],
            (5, 3),
            layout="(batch, units)",
            hint=hint_for(results["post"], "average over the time axis, axis 1."),
        )
        for kind, mask in cases.items():
            got = results[kind]
            weights = mask[:, :, None]  # (B, T, 1)
            mistakes = [
                ("leave the masked steps out of the average.", lambda: outputs.mean(axis=1)),
                (
                    "divide by the number of real steps of each sequence, not by timesteps.",
                    lambda w=weights: (outputs * w).sum(axis=1) / outputs.shape[1],
                ),
                (
                    "divide the sum by the number of real steps.",
                    lambda w=weights: (outputs * w).sum(axis=1),
                ),
            ]
            report.expect_close(
                f"masked_mean with {kind}-padding" if kind != "holes" else "mask with holes",
                got,
                _masked_mean_reference(outputs, mask),
                atol=_ATOL,
                rtol=_RTOL,
                hint=diagnose(got, mistakes),
            )
    report.finish()


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


def check_bucket_batches(bucket_batches) -> None:
    """Exercise 7.4 (4 checks): `bucket_batches(lengths, batch_size)`.

    Checks that the batches hold every index once, have `batch_size` indices (at most one
    batch, anywhere in the list, may have fewer), and need at most as many padded steps,
    `sum(batch size * longest length in the batch)`, as sorting by length and cutting in
    order gives. Any batching that meets these passes: the batches in any order, and layouts
    that pad fewer steps (sorting in descending order puts the short batch among the
    shortest sequences).
    """
    report = CheckReport("7.4")
    student = StudentFunction(report, bucket_batches, "bucket_batches")
    rng = report.rng(75)
    lengths = rng.integers(1, 40, size=50)  # (n,)
    batch_size = 8
    got = student(lengths.copy(), batch_size)
    if report.judging:
        n = len(lengths)
        batches = _as_batches(got, n)

        def expect(name, ok, message, hint=None):
            if isinstance(got, CallFailed):  # report the failed call once, then "not checked"
                return report.expect_equal(name, got, None)
            return report.expect(ok, message, hint=hint)

        expect(
            "the type of the result",
            batches is not None,
            f"bucket_batches must return a list of integer index arrays; got {type(got).__name__}.",
            "return e.g. [order[i : i + batch_size] for i in ...].",
        )
        batches = batches or []
        everything = np.sort(np.concatenate(batches)) if batches else np.array([], int)
        valid = np.array_equal(everything, np.arange(n))
        expect(
            "the indices",
            valid,
            f"the batches must hold every index 0..{n - 1} exactly once.",
            "split one ordering of all the indices into consecutive pieces.",
        )
        sizes = [len(b) for b in batches]
        short = [s for s in sizes if s != batch_size]
        expect(
            "the batch sizes",
            bool(sizes) and len(short) <= 1 and all(0 < s < batch_size for s in short),
            f"every batch must hold batch_size={batch_size} indices, except at most one "
            f"with fewer; got sizes {sizes}.",
        )
        steps = sum(len(b) * int(lengths[b].max()) for b in batches) if valid else -1
        ordered = np.sort(lengths)
        best = sum(
            len(ordered[i : i + batch_size]) * int(ordered[i : i + batch_size].max())
            for i in range(0, n, batch_size)
        )
        expect(
            "the padded steps",
            0 <= steps <= best,
            f"padding each batch to its longest sequence should cost at most {best} steps "
            f"(what sorting by length gives); your batches cost {steps}.",
            "sort the indices by length (np.argsort(lengths)) before cutting them into batches.",
        )
    report.finish()


# --------------------------------------------------------------------------------------
# 7.5 Streams for a stateful layer
# --------------------------------------------------------------------------------------


def check_stream_windows(stream_windows) -> None:
    """Exercise 7.5 (4 checks): `stream_windows(ids, streams, window)`.

    Compares `(X, Y)` with `course_lib.batching.stream_windows` for two layouts.
    """
    report = CheckReport("7.5")
    student = StudentFunction(report, stream_windows, "stream_windows")
    rng = report.rng(76)
    cases = [
        (rng.integers(0, 30, size=int(rng.integers(200, 260))), 4, 5),
        (rng.integers(0, 30, size=int(rng.integers(100, 130))), 3, 7),
    ]
    results = [student(ids.copy(), s, w) for ids, s, w in cases]
    if report.judging:
        for (ids, streams, window), got in zip(cases, results, strict=True):
            X, Y = batching.stream_windows(ids, streams, window)
            pair = got if isinstance(got, tuple | list) and len(got) == 2 else (got, None)
            count = (len(ids) - 1) // (streams * window)
            naive = ids[: count * streams * window].reshape(-1, window)
            mistakes = [
                (
                    "row b of batch k+1 must continue row b of batch k: cut the ids into "
                    "`streams` contiguous streams first, then take window k of every stream.",
                    lambda naive=naive: naive,
                ),
            ]
            report.expect_close(
                f"X for {len(ids)} ids, streams={streams}, window={window}",
                pair[0],
                X,
                hint=diagnose(pair[0], mistakes, "return the pair (X, Y)."),
            )
            report.expect_close(
                f"Y for {len(ids)} ids, streams={streams}, window={window}",
                pair[1],
                Y,
                hint=diagnose(
                    pair[1], [("Y holds the next id of every position of X.", lambda X=X: X)]
                ),
            )
    report.finish()
