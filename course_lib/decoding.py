"""Decoding a sequence from a model that predicts one token at a time: greedy and beam search.

A decoder is given as a *step function*::

    log_probs, state = step(tokens, state)

that takes the previous token of every sequence, `tokens` of shape `(n,)`, and a state
whose arrays have `n` rows (one array, or a tuple, list or dict of arrays, e.g. the
decoder's hidden state and the encoder's outputs), and returns the log-probabilities of
the next token, `(n, vocabulary)`, and the new state. Greedy decoding keeps the most
likely token at every step; beam search keeps the `beam_width` most likely prefixes.
Both work on a whole batch at once and know nothing about the model behind `step`.

Introduced in Chapter 8 (Sequence to sequence).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.validation import as_array, check_int

__all__ = ["beam_search", "beam_search_step", "greedy_decode", "map_state"]

Step = Callable[[np.ndarray, Any], tuple[Any, Any]]


def map_state(function: Callable[[np.ndarray], np.ndarray], state: Any) -> Any:
    """Apply `function` to every array of a state (an array, or a tuple, list or dict of them).

    Example:
    >>> map_state(lambda a: a[:1], (np.zeros((3, 2)), {"h": np.ones((3, 4))}))[1]["h"].shape
    (1, 4)

    Introduced in Chapter 8 (Sequence to sequence).
    """
    if isinstance(state, dict):
        return {key: map_state(function, value) for key, value in state.items()}
    if isinstance(state, tuple | list):
        return type(state)(map_state(function, value) for value in state)
    return function(np.asarray(state))


def _first_array(state: Any) -> np.ndarray:
    if isinstance(state, dict):
        return _first_array(next(iter(state.values())))
    if isinstance(state, tuple | list):
        return _first_array(state[0])
    return np.asarray(state)


def _batch_size(state: Any) -> int:
    first = _first_array(state)
    if first.ndim == 0:
        raise ValueError(
            "`state` must hold arrays with one row per sequence, (batch, ...); got a scalar."
        )
    return int(first.shape[0])


def _log_probs(value: Any, rows: int) -> np.ndarray:
    log_probs = as_array(value, "log_probs returned by step", ndim=2, layout="(n, vocabulary)")
    if log_probs.shape[0] != rows:
        raise ValueError(
            f"`step` must return log_probs with one row per sequence ({rows}); got shape "
            f"{log_probs.shape}."
        )
    return log_probs


def greedy_decode(
    step: Step, state: Any, *, start: int, end: int, max_len: int, pad: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Decode by feeding back the most likely token at every step.

    Every sequence starts from `start`; a sequence is finished once it emits `end`, and the
    steps after that hold `pad`. Decoding stops when every sequence is finished or after
    `max_len` steps.

    Args:
        step: `step(tokens (n,), state) -> (log_probs (n, vocabulary), state)`.
        state: the initial state, arrays with `batch` rows (an array or a tuple, list or
            dict of arrays).
        start: the token fed at the first step.
        end: the token that ends a sequence (it is kept in the output).
        max_len: the most tokens to produce, at least 1.
        pad: the token written after `end`. Defaults to `0`.

    Returns:
        `(tokens, log_prob)`: int32 `(batch, max_len)` and the summed log-probability of
        each sequence's tokens up to and including `end`, float `(batch,)`.

    Example:
    >>> table = np.log([[0.1, 0.6, 0.3], [0.1, 0.2, 0.7], [1.0, 1e-9, 1e-9]])
    >>> step = lambda tokens, state: (table[tokens], state)
    >>> greedy_decode(step, np.zeros((1, 1)), start=0, end=2, max_len=4)[0].tolist()
    [[1, 2, 0, 0]]

    Introduced in Chapter 8 (Sequence to sequence).
    """
    max_len = check_int(max_len, "max_len", minimum=1)
    batch = _batch_size(state)
    tokens = np.full((batch, max_len), pad, dtype=np.int32)  # (B, T)
    total = np.zeros(batch)  # (B,)
    finished = np.zeros(batch, dtype=bool)  # (B,)
    previous = np.full(batch, start, dtype=np.int32)  # (B,)
    for t in range(max_len):
        log_probs, state = step(previous, state)
        log_probs = _log_probs(log_probs, batch)  # (B, V)
        chosen = log_probs.argmax(axis=1).astype(np.int32)  # (B,)
        total += np.where(finished, 0.0, log_probs[np.arange(batch), chosen])
        tokens[:, t] = np.where(finished, pad, chosen)
        finished |= chosen == end
        previous = chosen
        if finished.all():
            break
    return tokens, total


def beam_search_step(
    scores: Any, log_probs: Any, beam_width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step of beam search: the `beam_width` best extensions of all the beams together.

    Every beam `k` with score `scores[b, k]` (the log-probability of its prefix) can be
    extended by every token `v`, giving the candidate score
    `scores[b, k] + log_probs[b, k, v]`; the step keeps the `beam_width` best candidates
    of each batch row, over all beams and tokens at once (ties go to the lower beam, then
    the lower token).

    Args:
        scores: log-probabilities of the beams' prefixes, `(batch, beams)`.
        log_probs: log-probabilities of the next token for every beam,
            `(batch, beams, vocabulary)`.
        beam_width: how many candidates to keep, at least 1 and at most
            `beams * vocabulary`.

    Returns:
        `(new_scores, parents, tokens)`, each `(batch, beam_width)`, best first: the
        candidates' scores, the beam each one extends, and the token it appends.

    Example:
    >>> scores = np.log([[0.6, 0.4]])
    >>> log_probs = np.log([[[0.5, 0.5], [0.9, 0.1]]])
    >>> new_scores, parents, tokens = beam_search_step(scores, log_probs, 2)
    >>> parents.tolist(), tokens.tolist(), np.exp(new_scores).round(2).tolist()
    ([[1, 0]], [[0, 0]], [[0.36, 0.3]])

    Introduced in Chapter 8 (Sequence to sequence).
    """
    scores = as_array(scores, "scores", ndim=2, layout="(batch, beams)")
    log_probs = as_array(log_probs, "log_probs", ndim=3, layout="(batch, beams, vocabulary)")
    batch, beams = scores.shape
    if log_probs.shape[:2] != (batch, beams):
        raise ValueError(
            f"`log_probs` must have shape ({batch}, {beams}, vocabulary) to match `scores` "
            f"{scores.shape}; got shape {log_probs.shape}."
        )
    vocabulary = log_probs.shape[2]
    beam_width = check_int(beam_width, "beam_width", minimum=1, maximum=beams * vocabulary)
    candidates = (scores[:, :, None] + log_probs).reshape(batch, beams * vocabulary)  # (B, K*V)
    best = np.argsort(-candidates, axis=1, kind="stable")[:, :beam_width]  # (B, W)
    new_scores = np.take_along_axis(candidates, best, axis=1)  # (B, W)
    return new_scores, best // vocabulary, (best % vocabulary).astype(np.int32)


def beam_search(
    step: Step,
    state: Any,
    *,
    beam_width: int,
    start: int,
    end: int,
    max_len: int,
    pad: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Decode with beam search: keep the `beam_width` most likely prefixes at every step.

    A beam that has emitted `end` is finished: it keeps its score and appends `pad`. After
    `max_len` steps (or once every beam is finished) the beam with the highest total
    log-probability wins; scores are not normalised by length. With `beam_width=1` this is
    greedy decoding; with a beam as wide as the number of possible sequences it is an
    exhaustive search.

    Args:
        step: `step(tokens (n,), state) -> (log_probs (n, vocabulary), state)`; it is called
            with `n = batch * beam_width` rows.
        state: the initial state, arrays with `batch` rows (an array or a tuple, list or
            dict of arrays); every beam starts from its sequence's state.
        beam_width: number of prefixes kept per sequence, at least 1.
        start: the token fed at the first step.
        end: the token that ends a sequence.
        max_len: the most tokens to produce, at least 1.
        pad: the token written after `end`. Defaults to `0`.

    Returns:
        `(tokens, scores)`: the best sequence of each batch row, int32 `(batch, max_len)`,
        and its log-probability, float `(batch,)`.

    Example:
    >>> table = np.log([[0.1, 0.6, 0.3], [0.1, 0.2, 0.7], [1.0, 1e-9, 1e-9]])
    >>> step = lambda tokens, state: (table[tokens], state)
    >>> beam_search(step, np.zeros((1, 1)), beam_width=2, start=0, end=2, max_len=3)[0]
    array([[1, 2, 0]], dtype=int32)

    Introduced in Chapter 8 (Sequence to sequence).
    """
    beam_width = check_int(beam_width, "beam_width", minimum=1)
    max_len = check_int(max_len, "max_len", minimum=1)
    batch = _batch_size(state)
    width = beam_width
    state = map_state(lambda a: np.repeat(a, width, axis=0), state)  # (B*W, ...)
    scores = np.full((batch, width), -np.inf)  # (B, W): only beam 0 is alive at first
    scores[:, 0] = 0.0
    tokens = np.zeros((batch, width, 0), dtype=np.int32)  # (B, W, t)
    finished = np.zeros((batch, width), dtype=bool)  # (B, W)
    previous = np.full(batch * width, start, dtype=np.int32)  # (B*W,)
    rows = np.arange(batch)[:, None]  # (B, 1)
    for _ in range(max_len):
        log_probs, state = step(previous, state)
        log_probs = _log_probs(log_probs, batch * width)
        log_probs = log_probs.reshape(batch, width, -1).copy()  # (B, W, V)
        # A finished beam has one continuation, `pad`, which leaves its score unchanged.
        log_probs[finished] = -np.inf
        log_probs[finished, pad] = 0.0
        scores, parents, chosen = beam_search_step(scores, log_probs, width)  # (B, W) each
        tokens = np.concatenate([tokens[rows, parents], chosen[:, :, None]], axis=2)
        finished = finished[rows, parents] | (chosen == end)
        flat = (rows * width + parents).reshape(-1)  # (B*W,): the row each beam came from
        state = map_state(lambda a, flat=flat: a[flat], state)
        previous = chosen.reshape(-1)
        if finished.all():
            break
    best = scores.argmax(axis=1)  # (B,)
    out = np.full((batch, max_len), pad, dtype=np.int32)  # (B, T)
    out[:, : tokens.shape[2]] = tokens[np.arange(batch), best]
    return out, scores[np.arange(batch), best]
