"""Greedy decoding and beam search against exhaustive enumeration on a tiny vocabulary."""

import itertools

import numpy as np
import pytest

from course_lib import decoding

VOCABULARY, START, END, PAD = 4, 0, 3, 0  # tokens 1, 2 and the end token 3 can be emitted


def _log_softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _prefix_model(seed):
    """A step function whose next-token distribution depends on the whole prefix.

    The state holds each row's prefix so far (padded with -1); the logits of a prefix are
    drawn from a generator seeded with the prefix itself, so every prefix has its own
    distribution, as in a real decoder. Token 0 (the start token) is never emitted.
    """

    def logits_of(prefix, row_seed):
        rng = np.random.default_rng([seed, row_seed, *(int(t) + 1 for t in prefix)])
        logits = 2.0 * rng.standard_normal(VOCABULARY)
        logits[END] += len(prefix) - 2.5  # ending early is unlikely: optima are long
        logits[START] = -np.inf
        return logits

    def step(tokens, state):
        prefixes, row_seeds = state  # tokens fed so far (n, t), (n,)
        extended = np.concatenate([prefixes, tokens[:, None]], axis=1)  # (n, t + 1)
        logits = np.stack(
            [logits_of(p[1:], s) for p, s in zip(extended, row_seeds, strict=True)]
        )  # (n, V): the start token is not part of the prefix
        return _log_softmax(logits), (extended, row_seeds)

    return step, logits_of


def _exhaustive_best(logits_of, row_seed, max_len):
    """The most likely sequence over every sequence of at most `max_len` tokens."""
    best, best_score = None, -np.inf
    for length in range(1, max_len + 1):
        for body in itertools.product((1, 2, END), repeat=length):
            if END in body[:-1]:
                continue  # a sequence ends at its first end token
            if length < max_len and body[-1] != END:
                continue  # shorter sequences must have ended
            score = sum(_log_softmax(logits_of(body[:i], row_seed))[body[i]] for i in range(length))
            if score > best_score:
                best, best_score = body, score
    return list(best), best_score


def _initial_state(batch):
    return (np.zeros((batch, 0), dtype=np.int64), np.arange(batch))  # no token fed yet


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_wide_beam_finds_the_exhaustive_optimum(seed):
    max_len, batch = 4, 8
    step, logits_of = _prefix_model(seed)
    # 3 emitting choices per step: at most 3**4 = 81 sequences, so 81 beams keep them all.
    tokens, scores = decoding.beam_search(
        step, _initial_state(batch), beam_width=81, start=START, end=END, max_len=max_len
    )
    greedy, _ = decoding.greedy_decode(
        step, _initial_state(batch), start=START, end=END, max_len=max_len
    )
    lengths, greedy_misses = [], 0
    for row in range(batch):
        best, best_score = _exhaustive_best(logits_of, row, max_len)
        assert tokens[row, : len(best)].tolist() == best
        assert (tokens[row, len(best) :] == PAD).all()
        assert scores[row] == pytest.approx(best_score, abs=1e-9)
        lengths.append(len(best))
        greedy_misses += greedy[row, : len(best)].tolist() != best
    # The case is not trivial: the optima are long and greedy decoding misses some of them.
    assert np.mean(lengths) >= 2.5
    assert greedy_misses >= 1


def test_greedy_can_miss_the_optimum_that_beam_search_finds():
    # After the start token, 1 is likelier than 2 (0.6 vs 0.4), but 1 is followed by a
    # flat distribution and 2 by a sure end: the best sequence is [2, end] (0.4 vs 0.3).
    table = np.log(
        np.array(
            [
                [1e-12, 0.6, 0.4, 1e-12],  # after start
                [1e-12, 0.35, 0.35, 0.3],  # after 1
                [1e-12, 1e-12, 1e-12, 1.0],  # after 2
                [1.0, 1e-12, 1e-12, 1e-12],  # after end (unused)
            ]
        )
    )

    def step(tokens, state):
        return table[tokens], state

    state = np.zeros((1, 1))
    greedy, greedy_score = decoding.greedy_decode(step, state, start=START, end=END, max_len=3)
    beam, beam_score = decoding.beam_search(
        step, state, beam_width=2, start=START, end=END, max_len=3
    )
    assert greedy[0].tolist()[:2] == [1, 1]
    assert beam[0].tolist() == [2, END, PAD]
    assert np.exp(beam_score[0]) == pytest.approx(0.4)
    assert beam_score[0] > greedy_score[0]


@pytest.mark.parametrize("seed", [0, 1])
def test_beam_of_width_one_is_greedy(seed):
    step, _ = _prefix_model(seed)
    greedy, greedy_score = decoding.greedy_decode(
        step, _initial_state(5), start=START, end=END, max_len=5
    )
    beam, beam_score = decoding.beam_search(
        step, _initial_state(5), beam_width=1, start=START, end=END, max_len=5
    )
    np.testing.assert_array_equal(greedy, beam)
    np.testing.assert_allclose(greedy_score, beam_score)


def test_greedy_pads_after_the_end_token_and_stops_early():
    calls = []

    def step(tokens, state):
        calls.append(tokens.copy())
        log_probs = np.full((len(tokens), VOCABULARY), -5.0)
        log_probs[:, END] = -0.1  # always ends at once
        return log_probs, state

    tokens, score = decoding.greedy_decode(
        step, np.zeros((2, 3)), start=START, end=END, max_len=6, pad=PAD
    )
    assert tokens.tolist() == [[END, PAD, PAD, PAD, PAD, PAD]] * 2
    assert len(calls) == 1
    np.testing.assert_allclose(score, [-0.1, -0.1])


def test_beam_search_step_ranks_all_beams_together():
    scores = np.log([[0.5, 0.3, 0.2]])
    log_probs = np.log([[[0.5, 0.5], [0.9, 0.1], [1.0, 1e-9]]])
    new_scores, parents, tokens = decoding.beam_search_step(scores, log_probs, 3)
    # candidates: 0.25, 0.25, 0.27, 0.03, 0.2, ~0: best 0.27 (beam 1, token 0), then ties.
    assert parents.tolist() == [[1, 0, 0]]
    assert tokens.tolist() == [[0, 0, 1]]
    np.testing.assert_allclose(np.exp(new_scores), [[0.27, 0.25, 0.25]])


def test_beam_search_reorders_every_array_of_the_state():
    seen = []

    def step(tokens, state):
        seen.append(state["row"].copy())
        log_probs = np.log(np.full((len(tokens), 3), 1 / 3))
        return log_probs, state

    decoding.beam_search(step, {"row": np.array([10, 20])}, beam_width=2, start=0, end=2, max_len=3)
    # Each sequence's beams keep its own row of the state: 10, 10 then 20, 20.
    for state in seen:
        assert state.tolist() == [10, 10, 20, 20]


def test_map_state_keeps_the_structure():
    state = (np.zeros((3, 2)), [np.ones((3, 1))], {"h": np.arange(3)})
    got = decoding.map_state(lambda a: a[[2, 0]], state)
    assert isinstance(got, tuple) and isinstance(got[1], list) and set(got[2]) == {"h"}
    assert got[2]["h"].tolist() == [2, 0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"beam_width": 0}, "`beam_width` must be at least 1"),
        ({"beam_width": 2, "max_len": 0}, "`max_len` must be at least 1"),
    ],
)
def test_bad_arguments_raise_value_errors(kwargs, message):
    step, _ = _prefix_model(0)
    arguments = {"start": START, "end": END, "max_len": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        decoding.beam_search(step, _initial_state(1), **arguments)


def test_step_returning_the_wrong_shape_is_reported():
    def step(tokens, state):
        return np.zeros((len(tokens) + 1, 3)), state

    with pytest.raises(ValueError, match="one row per sequence"):
        decoding.greedy_decode(step, np.zeros((2, 1)), start=0, end=2, max_len=3)


def test_beam_search_step_checks_shapes():
    with pytest.raises(ValueError, match="`log_probs` must have shape"):
        decoding.beam_search_step(np.zeros((1, 2)), np.zeros((1, 3, 4)), 2)
    with pytest.raises(ValueError, match="`beam_width` must be at most 8"):
        decoding.beam_search_step(np.zeros((1, 2)), np.zeros((1, 2, 4)), 9)
