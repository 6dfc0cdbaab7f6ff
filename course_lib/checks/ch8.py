"""Checks of the exercises of Chapter 8 (Sequence to sequence).

- 8.1 `check_decoder_inputs(decoder_inputs)`: the teacher-forcing input, the target
  shifted right behind a start token.
- 8.2 `check_attention_weights(attention_weights)`: additive attention weights of one
  decoder step, with padding masked.
- 8.3 `check_greedy_decode(greedy_decode)`: the inference loop that feeds back its own
  most likely token.
- 8.4 `check_beam_step(beam_step)`: one step of beam search for one sequence.

References: `course_lib.attention` (tested against `keras.layers.AdditiveAttention`) and
`course_lib.decoding` (tested against exhaustive enumeration).

Introduced in Chapter 8 (Sequence to sequence).
"""

from __future__ import annotations

import numpy as np

from course_lib import attention, decoding
from course_lib.checks.common import StudentFunction, diagnose, expect_unchanged, hint_for
from course_lib.checks.report import CheckReport

__all__ = [
    "check_attention_weights",
    "check_beam_step",
    "check_decoder_inputs",
    "check_greedy_decode",
]

_ATOL, _RTOL = 1e-6, 1e-5


def _targets(rng: np.random.Generator, batch: int, steps: int, pad: int = 0) -> np.ndarray:
    """Random 0-padded target ids: tokens 3..12, each row's last real token the end id 2."""
    lengths = rng.integers(1, steps, size=batch)  # digits per row, at most steps - 1
    lengths[0] = steps - 1  # one full row
    y = np.full((batch, steps), pad, dtype=np.int64)
    for row, n in enumerate(lengths):
        y[row, :n] = rng.integers(3, 13, size=n)
        y[row, n] = 2
    return y


def check_decoder_inputs(decoder_inputs) -> None:
    """Exercise 8.1 (4 checks): `decoder_inputs(targets, start)`.

    Compares with `start` followed by `targets[:, :-1]` on a random batch of targets and a
    hand-sized one, and checks that the targets are not modified.
    """
    report = CheckReport("8.1")
    student = StudentFunction(report, decoder_inputs, "decoder_inputs")
    rng = report.rng(81)
    start = int(rng.integers(1, 3))  # 1 or 2: any id the targets do not use at the front
    small = np.array([[5, 7, 2, 0]])
    got = student(small.copy(), start)
    if report.judging:
        expected = np.concatenate([np.full((1, 1), start), small[:, :-1]], axis=1)
        mistakes = [
            ("shift to the right: the input at step t is the target at step t - 1.",
             lambda: np.concatenate([small[:, 1:], np.full((1, 1), start)], axis=1)),
            ("put the start token first, then drop the target's last step.",
             lambda: np.concatenate([np.full((1, 1), start), small], axis=1)),
            ("the first column holds the start token, not the first target token.",
             lambda: small),
        ]  # fmt: skip
        report.expect_close(
            f"decoder_inputs([[5, 7, 2, 0]], start={start})",
            got,
            expected,
            atol=0,
            rtol=0,
            hint=diagnose(got, mistakes, "concatenate a column of `start` with targets[:, :-1]."),
        )

    targets = _targets(rng, 6, 9)
    original = targets.copy()
    got = student(targets, start)
    if report.judging:
        expected = np.concatenate([np.full((6, 1), start), original[:, :-1]], axis=1)
        report.expect_shape(
            "decoder_inputs for targets (6, 9)",
            got,
            (6, 9),
            layout="(batch, target_timesteps)",
            hint=hint_for(got, "the decoder input is as long as the target."),
        )
        report.expect_close(
            "decoder_inputs for a random batch",
            got,
            expected,
            atol=0,
            rtol=0,
            hint=hint_for(got, "row by row: [start, y_0, y_1, ..., y_(T-2)]."),
        )
        expect_unchanged(report, got, {"targets": original}, {"targets": targets}, student.name)
    report.finish()


def _attention_case(rng: np.random.Generator, batch=3, timesteps=6, dim=4, units=5):
    query = rng.standard_normal((batch, dim))
    keys = rng.standard_normal((batch, timesteps, dim))
    W1 = 0.7 * rng.standard_normal((dim, units))
    W2 = 0.7 * rng.standard_normal((dim, units))
    v = rng.standard_normal(units)
    lengths = rng.integers(1, timesteps + 1, size=batch)
    lengths[0] = timesteps
    mask = np.arange(timesteps)[None, :] < lengths[:, None]  # (B, T)
    return query, keys, W1, W2, v, mask


def _attention_mistakes(query, keys, W1, W2, v, mask):
    scores = attention.additive_scores(query, keys, W1, W2, v)  # (B, T)

    def softmax(s, axis=-1):
        e = np.exp(s - s.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    return [
        ("turn the scores into weights with a softmax over the source positions.",
         lambda: np.where(mask, scores, 0.0)),
        ("the padding (mask False) must get weight 0: set its scores to -inf before the softmax.",
         lambda: softmax(scores)),
        ("the softmax runs over the source positions (axis=-1), not over the batch.",
         lambda: softmax(np.where(mask, scores, -np.inf), axis=0)),
        ("apply tanh to W1 q + W2 k before multiplying by v.",
         lambda: attention.masked_softmax(((query @ W1)[:, None] + keys @ W2) @ v, mask)),
        ("mask after the softmax is not enough: the weights must still sum to 1.",
         lambda: np.where(mask, softmax(scores), 0.0)),
    ]  # fmt: skip


def check_attention_weights(attention_weights) -> None:
    """Exercise 8.2 (4 checks): `attention_weights(query, keys, W1, W2, v, mask)`.

    Compares with `course_lib.attention.additive_attention` on a batch with padding and on
    one without (`mask=None`), and checks that the inputs are not modified.
    """
    report = CheckReport("8.2")
    student = StudentFunction(report, attention_weights, "attention_weights")
    rng = report.rng(82)
    query, keys, W1, W2, v, mask = _attention_case(rng)
    arrays = {"query": query, "keys": keys, "W1": W1, "W2": W2, "v": v, "mask": mask}
    originals = {name: a.copy() for name, a in arrays.items()}
    got = student(query, keys, W1, W2, v, mask)
    if report.judging:
        o = originals  # the inputs as they were before the call
        expected = attention.additive_attention(
            o["query"], o["keys"], o["W1"], o["W2"], o["v"], mask=o["mask"]
        )[1]
        report.expect_shape(
            "attention weights for keys (3, 6, 4)",
            got,
            (3, 6),
            layout="(batch, timesteps)",
            hint="one weight per source position: scores of shape (batch, timesteps).",
        )
        report.expect_close(
            "attention weights with padding masked",
            got,
            expected,
            atol=_ATOL,
            rtol=_RTOL,
            hint=diagnose(
                got,
                _attention_mistakes(o["query"], o["keys"], o["W1"], o["W2"], o["v"], o["mask"]),
                "e_j = v . tanh(q W1 + k_j W2); weights = softmax(e) over j, -inf where masked.",
            ),
        )
        expect_unchanged(report, got, originals, arrays, student.name)

    query, keys, W1, W2, v, _ = _attention_case(rng, batch=2, timesteps=4, dim=3, units=6)
    got = student(query, keys, W1, W2, v, None)
    if report.judging:
        report.expect_close(
            "attention weights with mask=None",
            got,
            attention.additive_attention(query, keys, W1, W2, v)[1],
            atol=_ATOL,
            rtol=_RTOL,
            hint=hint_for(got, "with mask=None every position counts."),
        )
    report.finish()


def _markov_step(tables: np.ndarray):
    """A step function whose next-token distribution depends on the token and the step.

    The state is an int array `(n, 1)` counting the steps taken; `tables[t, token]` holds
    the log-probabilities after `token` at step `t`.
    """

    def step(tokens, state):
        t = np.minimum(np.asarray(state)[:, 0], len(tables) - 1)
        return tables[t, np.asarray(tokens)], np.asarray(state) + 1

    return step


def _random_tables(rng, steps, vocabulary, end):
    logits = 2.0 * rng.standard_normal((steps, vocabulary, vocabulary))
    logits[:, :, end] += np.linspace(-3.0, 2.0, steps)[:, None]  # ending grows likelier
    logits -= logits.max(axis=-1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))  # (T, V, V)


def _greedy_mistakes(step, batch, start, end, max_len):
    def run(feed_back=True, stop=True, first=None):
        state = np.zeros((batch, 1), dtype=np.int64)
        previous = np.full(batch, start if first is None else first)
        out = np.zeros((batch, max_len), dtype=np.int64)
        finished = np.zeros(batch, dtype=bool)
        for t in range(max_len):
            log_probs, state = step(previous, state)
            chosen = log_probs.argmax(axis=1)
            out[:, t] = np.where(finished & stop, 0, chosen)
            finished |= chosen == end
            previous = chosen if feed_back else np.full(batch, start)
        return out

    return [
        ("feed back the token you just chose: it is the next step's input.",
         lambda: run(feed_back=False)),
        ("after a sequence emits `end`, write 0 (padding) in its later steps.",
         lambda: run(stop=False)),
        ("the first input is the `start` token.", lambda: run(first=0)),
    ]  # fmt: skip


def check_greedy_decode(greedy_decode) -> None:
    """Exercise 8.3 (4 checks): `greedy_decode(step, state, start, end, max_len)`.

    Runs the student's loop on a random step function whose next-token distribution
    depends on the previous token and the step, and compares with
    `course_lib.decoding.greedy_decode` for a batch, and for a case where every sequence
    ends at once.
    """
    report = CheckReport("8.3")
    student = StudentFunction(report, greedy_decode, "greedy_decode")
    rng = report.rng(83)
    vocabulary = 6
    start, end = 0, int(rng.integers(1, vocabulary))
    max_len, batch = int(rng.integers(6, 10)), int(rng.integers(4, 8))
    step = _markov_step(_random_tables(rng, max_len, vocabulary, end))
    state = np.zeros((batch, 1), dtype=np.int64)
    got = student(step, state, start, end, max_len)
    if report.judging:
        expected, _ = decoding.greedy_decode(step, state, start=start, end=end, max_len=max_len)
        report.expect_shape(
            f"tokens for batch={batch}, max_len={max_len}",
            got,
            (batch, max_len),
            layout="(batch, max_len)",
            hint=hint_for(got, "return an int array (batch, max_len), padded with 0."),
        )
        report.expect_close(
            "greedy tokens",
            got,
            expected,
            atol=0,
            rtol=0,
            hint=diagnose(
                got,
                _greedy_mistakes(step, batch, start, end, max_len),
                "at each step: log_probs, state = step(previous, state); take the argmax.",
            ),
        )
        report.expect(
            isinstance(got, np.ndarray) and np.issubdtype(got.dtype, np.integer),
            f"the tokens should be an integer NumPy array; got {type(got).__name__}"
            + (f" of dtype {got.dtype}" if isinstance(got, np.ndarray) else "")
            + ".",
            hint="argmax returns integers; build the output with np.zeros(..., dtype=int).",
        )

    # Every sequence ends at the first step: one `end`, then padding.
    end, max_len, batch = int(rng.integers(1, vocabulary)), int(rng.integers(3, 9)), 2
    sure_end = np.full((max_len, vocabulary, vocabulary), -20.0)
    sure_end[:, :, end] = 0.0
    state = np.zeros((batch, 1), dtype=np.int64)
    got = student(_markov_step(sure_end), state, start, end, max_len)
    if report.judging:
        expected = np.zeros((batch, max_len), dtype=np.int64)
        expected[:, 0] = end
        report.expect_close(
            "tokens when every sequence ends at the first step",
            got,
            expected,
            atol=0,
            rtol=0,
            hint=hint_for(got, "keep `end` in the output, then 0 for the remaining steps."),
        )
    report.finish()


def _beam_mistakes(scores, log_probs, width):
    total = scores[:, None] + log_probs  # (K, V)
    vocabulary = log_probs.shape[1]

    def pick(values, descending=True):
        flat = values.reshape(-1)
        order = np.argsort(-flat if descending else flat, kind="stable")[:width]
        return flat[order], order // vocabulary, order % vocabulary

    per_beam = np.argsort(-log_probs, axis=1, kind="stable")[:, :1]
    return [
        ("add each beam's score to its log-probabilities: rank prefixes, not tokens.",
         lambda: pick(np.broadcast_to(log_probs, total.shape))[0]),
        ("keep the largest scores (best first), not the smallest.",
         lambda: pick(total, descending=False)[0]),
        ("rank all beams and tokens together, not the best token of each beam.",
         lambda: np.take_along_axis(total, per_beam, axis=1)[:width, 0]),
    ]  # fmt: skip


def check_beam_step(beam_step) -> None:
    """Exercise 8.4 (4 checks): `beam_step(scores, log_probs, beam_width)`.

    Compares the returned `(new_scores, parents, tokens)` with
    `course_lib.decoding.beam_search_step` on a random case with 3 beams and 5 tokens, and
    on a hand-sized one where the best candidate extends the second beam.
    """
    report = CheckReport("8.4")
    student = StudentFunction(report, beam_step, "beam_step")
    rng = report.rng(84)
    scores = np.sort(np.log(rng.dirichlet(np.ones(3))))[::-1].copy()  # (K,), best first
    log_probs = np.log(rng.dirichlet(np.ones(5), size=3))  # (K, V)
    got = student(scores, log_probs, 3)
    parts = got if isinstance(got, tuple | list) and len(got) == 3 else None
    if report.judging:
        expected = [a[0] for a in decoding.beam_search_step(scores[None], log_probs[None], 3)]
        report.expect(
            parts is not None,
            f"beam_step should return (new_scores, parents, tokens); got {type(got).__name__}.",
            hint="end with `return new_scores, parents, tokens`.",
        )
        got_scores = parts[0] if parts is not None else got
        report.expect_close(
            "new_scores for 3 beams and 5 tokens",
            got_scores,
            expected[0],
            atol=_ATOL,
            rtol=_RTOL,
            hint=diagnose(
                got_scores,
                _beam_mistakes(scores, log_probs, 3),
                "candidates = scores[:, None] + log_probs; keep the 3 largest of all of them.",
            ),
        )
        got_choice = [parts[1], parts[2]] if parts is not None else got
        report.expect_close(
            "(parents, tokens) for 3 beams and 5 tokens",
            got_choice,
            [expected[1], expected[2]],
            atol=0,
            rtol=0,
            hint=hint_for(
                got_choice, "flat index i of the (K * V) candidates: parent i // V, token i % V."
            ),
        )

    # By hand: beams of probability 0.6 and 0.4; the second beam's sure token wins.
    p = rng.uniform(0.55, 0.65)
    scores = np.log([p, 1 - p])
    log_probs = np.log([[0.5, 0.5], [0.95, 0.05]])
    got = student(scores, log_probs, 2)
    parts = got if isinstance(got, tuple | list) and len(got) == 3 else None
    if report.judging:
        expected = [a[0] for a in decoding.beam_search_step(scores[None], log_probs[None], 2)]
        report.expect_close(
            f"(parents, tokens) for beams of probability {p:.2f} and {1 - p:.2f}",
            [parts[1], parts[2]] if parts is not None else got,
            [expected[1], expected[2]],
            atol=0,
            rtol=0,
            hint=f"{1 - p:.2f} x 0.95 = {(1 - p) * 0.95:.2f} beats {p:.2f} x 0.5 = {p * 0.5:.2f}: "
            "the best extension can come from a beam that is not the best.",
        )
    report.finish()
