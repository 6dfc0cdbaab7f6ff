"""Checks of the exercises of Chapter 8 (Sequence to sequence).

- 8.1 `check_decoder_inputs(decoder_inputs)`: the teacher-forcing input, the target
  shifted right behind a start token.
- 8.2 `check_attention_weights(attention_weights)`: additive attention weights of one
  decoder step, with padding masked.
- 8.3 `check_greedy_decode(greedy_decode)`: the inference loop that feeds back its own
  most likely token.
- 8.4 `check_beam_step(beam_step)`: one step of beam search for one sequence.
- 8.5 `check_exposure_bias_answer(answer_8_5)`: why a decoder is better fed the truth than
  running free (multiple choice).
- 8.6 `check_attention_answer(answer_8_6)`: why attention keeps long inputs right, and what
  its heat map shows (multiple choice).

References: `course_lib.attention` (tested against `keras.layers.AdditiveAttention`) and
`course_lib.decoding` (tested against exhaustive enumeration).

Introduced in Chapter 8 (Sequence to sequence).
"""

from __future__ import annotations

import numpy as np

from course_lib import attention, decoding
from course_lib.checks.concepts import choice
from course_lib.checks.exercise import Expect, Mistake, Values, exercise, runs_in_notebook

__all__ = [
    "check_attention_answer",
    "check_attention_weights",
    "check_beam_step",
    "check_decoder_inputs",
    "check_exposure_bias_answer",
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


def _shifted(targets, start):
    """The reference: `start`, then the targets without their last step."""
    return np.concatenate([np.full((len(targets), 1), start), targets[:, :-1]], axis=1)


@exercise(
    "8.1",
    student="decoder_inputs(targets, start)",
    reference=_shifted,
    mistakes=[
        Mistake(
            "shifted-left",
            "shift to the right: the input at step t is the target at step t - 1.",
            lambda targets, start: np.concatenate(
                [targets[:, 1:], np.full((len(targets), 1), start)], axis=1
            ),
        ),
        Mistake(
            "last-step-kept",
            "put the start token first, then drop the target's last step.",
            lambda targets, start: np.concatenate(
                [np.full((len(targets), 1), start), targets], axis=1
            ),
        ),
        Mistake(
            "start-token-missing",
            "the first column holds the start token, not the first target token.",
            lambda targets, start: targets,
        ),
    ],
    hint="concatenate a column of `start` with targets[:, :-1].",
    atol=0.0,
    rtol=0.0,
    layout="(batch, target_timesteps)",
)
def check_decoder_inputs(ex) -> None:
    """Exercise 8.1 (4 checks): `decoder_inputs(targets, start)`.

    Compares with `start` followed by `targets[:, :-1]` on a random batch of targets and a
    hand-sized one, and checks that the targets are not modified.
    """
    rng = ex.rng(81)
    start = int(rng.integers(1, 3))  # 1 or 2: any id the targets do not use at the front
    ex.case(f"decoder_inputs([[5, 7, 2, 0]], start={start})", np.array([[5, 7, 2, 0]]), start)
    ex.case(
        "decoder_inputs for a random batch, targets (6, 9)",
        _targets(rng, 6, 9),
        start,
        shape=(6, 9),
        shape_hint="the decoder input is as long as the target.",
        hint="row by row: [start, y_0, y_1, ..., y_(T-2)].",
        unchanged=True,
    )


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


def _weights(query, keys, W1, W2, v, mask=None):
    """The reference: the weights of `course_lib.attention.additive_attention`."""
    return attention.additive_attention(query, keys, W1, W2, v, mask=mask)[1]


def _softmax(s, axis=-1):
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _scores(query, keys, W1, W2, v, mask=None):
    return attention.additive_scores(query, keys, W1, W2, v)  # (B, T)


_ATTENTION_MISTAKES = [
    Mistake(
        "softmax-forgotten",
        "turn the scores into weights with a softmax over the source positions.",
        lambda *args: np.where(args[5], _scores(*args), 0.0),
    ),
    Mistake(
        "padding-not-masked",
        "the padding (mask False) must get weight 0: set its scores to -inf before the softmax.",
        lambda *args: _softmax(_scores(*args)),
    ),
    Mistake(
        "softmax-over-batch",
        "the softmax runs over the source positions (axis=-1), not over the batch.",
        lambda *args: _softmax(np.where(args[5], _scores(*args), -np.inf), axis=0),
    ),
    Mistake(
        "tanh-forgotten",
        "apply tanh to W1 q + W2 k before multiplying by v.",
        lambda query, keys, W1, W2, v, mask: attention.masked_softmax(
            ((query @ W1)[:, None] + keys @ W2) @ v, mask
        ),
    ),
    Mistake(
        "masked-after-softmax",
        "mask after the softmax is not enough: the weights must still sum to 1.",
        lambda *args: np.where(args[5], _softmax(_scores(*args)), 0.0),
    ),
]


@exercise(
    "8.2",
    student="attention_weights(query, keys, W1, W2, v, mask)",
    reference=_weights,
    withhold=[attention.additive_attention, attention.additive_scores, attention.masked_softmax],
    mistakes=_ATTENTION_MISTAKES,
    hint="e_j = v . tanh(q W1 + k_j W2); weights = softmax(e) over j, -inf where masked.",
    atol=_ATOL,
    rtol=_RTOL,
    layout="(batch, timesteps)",
)
def check_attention_weights(ex) -> None:
    """Exercise 8.2 (4 checks): `attention_weights(query, keys, W1, W2, v, mask)`.

    Compares with `course_lib.attention.additive_attention` on a batch with padding and on
    one without (`mask=None`), and checks that the inputs are not modified.
    """
    rng = ex.rng(82)
    ex.case(
        "attention weights with padding masked, keys (3, 6, 4)",
        *_attention_case(rng),
        shape=(3, 6),
        shape_hint="one weight per source position: scores of shape (batch, timesteps).",
        unchanged=True,
    )
    query, keys, W1, W2, v, _ = _attention_case(rng, batch=2, timesteps=4, dim=3, units=6)
    ex.case(
        "attention weights with mask=None",
        query,
        keys,
        W1,
        W2,
        v,
        None,
        hint="with mask=None every position counts.",
    )


@runs_in_notebook
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


@runs_in_notebook
def _with_step(greedy_decode, tables, state, start, end, max_len):
    """How 8.3 calls the student's function: with a step function made from the tables."""
    return greedy_decode(_markov_step(tables), state, start, end, max_len)


def _greedy(tables, state, start, end, max_len):
    """The reference: `course_lib.decoding.greedy_decode` with the tables' step function."""
    step = _markov_step(tables)
    return decoding.greedy_decode(step, state, start=start, end=end, max_len=max_len)[0]


def _greedy_run(tables, state, start, end, max_len, *, feed_back=True, stop=True, first=None):
    """A greedy loop done wrong in one way (the mistakes)."""
    step, batch = _markov_step(tables), len(state)
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


def _is_int_array(got):
    if isinstance(got, np.ndarray) and np.issubdtype(got.dtype, np.integer):
        return None
    dtype = f" of dtype {got.dtype}" if isinstance(got, np.ndarray) else ""
    return f"the tokens should be an integer NumPy array; got {type(got).__name__}{dtype}."


@exercise(
    "8.3",
    student="greedy_decode(step, state, start, end, max_len)",
    reference=_greedy,
    withhold=[decoding.greedy_decode],
    call=_with_step,
    mistakes=[
        Mistake(
            "no-feedback",
            "feed back the token you just chose: it is the next step's input.",
            lambda *args: _greedy_run(*args, feed_back=False),
        ),
        Mistake(
            "no-padding-after-end",
            "after a sequence emits `end`, write 0 (padding) in its later steps.",
            lambda *args: _greedy_run(*args, stop=False),
        ),
        Mistake(
            "start-token-missing",
            "the first input is the `start` token.",
            lambda *args: _greedy_run(*args, first=0),
        ),
    ],
    hint="at each step: log_probs, state = step(previous, state); take the argmax.",
    atol=0.0,
    rtol=0.0,
    layout="(batch, max_len)",
)
def check_greedy_decode(ex) -> None:
    """Exercise 8.3 (4 checks): `greedy_decode(step, state, start, end, max_len)`.

    Runs the student's loop on a random step function whose next-token distribution
    depends on the previous token and the step, and compares with
    `course_lib.decoding.greedy_decode` for a batch, and for a case where every sequence
    ends at once.
    """
    rng = ex.rng(83)
    vocabulary = 6
    start, end = 0, int(rng.integers(1, vocabulary))
    max_len, batch = int(rng.integers(6, 10)), int(rng.integers(4, 8))
    tables = _random_tables(rng, max_len, vocabulary, end)
    ex.case(
        f"greedy tokens for batch={batch}, max_len={max_len}",
        tables,
        np.zeros((batch, 1), dtype=np.int64),
        start,
        end,
        max_len,
        shape=(batch, max_len),
        shape_hint="return an int array (batch, max_len), padded with 0.",
        checks=[
            Expect(
                _is_int_array,
                name="the tokens' type",
                hint="argmax returns integers; build the output with np.zeros(..., dtype=int).",
            )
        ],
    )
    # Every sequence ends at the first step: one `end`, then padding.
    end, max_len, batch = int(rng.integers(1, vocabulary)), int(rng.integers(3, 9)), 2
    sure_end = np.full((max_len, vocabulary, vocabulary), -20.0)
    sure_end[:, :, end] = 0.0
    expected = np.zeros((batch, max_len), dtype=np.int64)
    expected[:, 0] = end
    ex.case(
        "tokens when every sequence ends at the first step",
        sure_end,
        np.zeros((batch, 1), dtype=np.int64),
        start,
        end,
        max_len,
        expected=expected,
        mistakes=(),
        hint="keep `end` in the output, then 0 for the remaining steps.",
    )


def _beam(scores, log_probs, beam_width):
    """The reference: `course_lib.decoding.beam_search_step` for one sequence."""
    return tuple(a[0] for a in decoding.beam_search_step(scores[None], log_probs[None], beam_width))


def _picked(values, width, vocabulary, descending=True):
    flat = values.reshape(-1)
    order = np.argsort(-flat if descending else flat, kind="stable")[:width]
    return flat[order], order // vocabulary, order % vocabulary


_BEAM_MISTAKES = [
    Mistake(
        "beam-scores-ignored",
        "add each beam's score to its log-probabilities: rank prefixes, not tokens.",
        lambda scores, log_probs, width: _picked(
            np.broadcast_to(log_probs, (len(scores), log_probs.shape[1])), width, log_probs.shape[1]
        ),
    ),
    Mistake(
        "smallest-kept",
        "keep the largest scores (best first), not the smallest.",
        lambda scores, log_probs, width: _picked(
            scores[:, None] + log_probs, width, log_probs.shape[1], descending=False
        ),
    ),
    Mistake(
        "best-token-per-beam",
        "rank all beams and tokens together, not the best token of each beam.",
        lambda scores, log_probs, width: (
            np.take_along_axis(
                scores[:, None] + log_probs,
                np.argsort(-log_probs, axis=1, kind="stable")[:, :1],
                axis=1,
            )[:width, 0],
            None,
            None,
        ),
    ),
]


def _parents_and_tokens(answer):
    return [answer[1], answer[2]]


@exercise(
    "8.4",
    student="beam_step(scores, log_probs, beam_width)",
    reference=_beam,
    withhold=[decoding.beam_search_step, decoding.beam_search],
    returns=("new_scores", "parents", "tokens"),
    mistakes=_BEAM_MISTAKES,
    hint="candidates = scores[:, None] + log_probs; keep the 3 largest of all of them.",
    atol=_ATOL,
    rtol=_RTOL,
)
def check_beam_step(ex) -> None:
    """Exercise 8.4 (4 checks): `beam_step(scores, log_probs, beam_width)`.

    Compares the returned `(new_scores, parents, tokens)` with
    `course_lib.decoding.beam_search_step` on a random case with 3 beams and 5 tokens, and
    on a hand-sized one where the best candidate extends the second beam.
    """
    rng = ex.rng(84)
    scores = np.sort(np.log(rng.dirichlet(np.ones(3))))[::-1].copy()  # (K,), best first
    log_probs = np.log(rng.dirichlet(np.ones(5), size=3))  # (K, V)
    ex.case(
        "beam_step for 3 beams and 5 tokens",
        scores,
        log_probs,
        3,
        structure=True,
        values=False,
        checks=[
            Values(of="new_scores", name="new_scores for 3 beams and 5 tokens"),
            Values(
                of=_parents_and_tokens,
                name="(parents, tokens) for 3 beams and 5 tokens",
                atol=0.0,
                rtol=0.0,
                hint="flat index i of the (K * V) candidates: parent i // V, token i % V.",
            ),
        ],
    )
    # By hand: beams of probability 0.6 and 0.4; the second beam's sure token wins.
    p = rng.uniform(0.55, 0.65)
    ex.case(
        f"beam_step for beams of probability {p:.2f} and {1 - p:.2f}",
        np.log([p, 1 - p]),
        np.log([[0.5, 0.5], [0.95, 0.05]]),
        2,
        values=False,
        checks=[
            Values(
                of=_parents_and_tokens,
                name=f"(parents, tokens) for beams of probability {p:.2f} and {1 - p:.2f}",
                atol=0.0,
                rtol=0.0,
                mistakes=(),
                hint=f"{1 - p:.2f} x 0.95 = {(1 - p) * 0.95:.2f} beats {p:.2f} x 0.5 = "
                f"{p * 0.5:.2f}: the best extension can come from a beam that is not the best.",
            )
        ],
    )


# -- 8.5 -------------------------------------------------------------------------------------


@exercise("8.5", student="answer_8_5()")
def check_exposure_bias_answer(ex) -> None:
    """Exercise 8.5 (1 check): `answer_8_5()`, the letter of the chosen option.

    Inputs fixed by nature: a question has none, and its answer is the same under every
    grading seed (a lookup of the self-check's answer is the answer).
    """
    choice(
        ex,
        "the option answer_8_5() chose",
        right="b",
        wrong={
            "a": "it is the same network on the same test set; only what it is fed differs.",
            "c": "the bottleneck lowers both curves alike (their early fall); the gap between them"
            " opens after the decoder's own mistakes.",
            "d": "beam search keeps several prefixes, but each is still built from the model's own"
            " predictions: a free-running decoder still meets prefixes it never saw in "
            "training.",
        },
    )


# -- 8.6 -------------------------------------------------------------------------------------


@exercise("8.6", student="answer_8_6()")
def check_attention_answer(ex) -> None:
    """Exercise 8.6 (1 check): `answer_8_6()`, the letter of the chosen option.

    Inputs fixed by nature: a question has none, and its answer is the same under every
    grading seed (a lookup of the self-check's answer is the answer).
    """
    choice(
        ex,
        "the option answer_8_6() chose",
        right="c",
        wrong={
            "a": "nobody tells the model where to look: the alignment is learned from pairs of "
            "strings alone, because looking at the right word is the easiest way to get the "
            "digit right.",
            "b": "attention changes what the decoder reads at each step, not how it is trained: it"
            " is still trained with teacher forcing and still runs free at inference.",
            "d": "the encoder without attention keeps a summary of a fixed size whatever the "
            "input's length; the information to pass on grows with the input, and that is "
            "what attention removes.",
        },
    )
