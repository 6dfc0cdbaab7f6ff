"""Edit distance and the digit error rate, against a brute-force definition."""

import itertools

import numpy as np
import pytest

from course_lib.edit_distance import digit_error_rate, edit_distance


def _by_recursion(a, b):
    """The definition, written as a recursion: the reference for short strings."""
    if not a or not b:
        return len(a) + len(b)
    return min(
        _by_recursion(a[1:], b) + 1,
        _by_recursion(a, b[1:]) + 1,
        _by_recursion(a[1:], b[1:]) + (a[0] != b[0]),
    )


def test_agrees_with_the_recursive_definition_on_every_short_pair():
    strings = ["".join(p) for n in range(4) for p in itertools.product("012", repeat=n)]
    for a in strings[::3]:
        for b in strings:
            assert edit_distance(a, b) == _by_recursion(a, b), (a, b)


def test_is_a_metric_on_random_digit_strings():
    rng = np.random.default_rng(0)
    draws = [rng.integers(0, 10, size=rng.integers(0, 8)) for _ in range(30)]
    for a, b in itertools.product(draws[:10], draws):
        d = edit_distance(a, b)
        assert d == edit_distance(b, a)
        assert abs(len(a) - len(b)) <= d <= max(len(a), len(b))
        assert (d == 0) == (a.tolist() == b.tolist())


def test_kinds_of_sequence_agree():
    assert edit_distance("4071", "471") == edit_distance([4, 0, 7, 1], np.array([4, 7, 1])) == 1
    assert edit_distance("", "123") == 3 and edit_distance((), ()) == 0


def test_digit_error_rate_divides_by_the_reference_length():
    assert digit_error_rate(["12", "345"], ["12", "345"]) == 0.0
    assert digit_error_rate(["12", "345"], ["1", "3445"]) == pytest.approx(2 / 5)
    assert digit_error_rate(["1"], ["2222"]) == 4.0  # insertions can exceed 1


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="one sequence per reference"):
        digit_error_rate(["12"], ["1", "2"])
    with pytest.raises(ValueError, match="at least one symbol"):
        digit_error_rate([""], [""])
    with pytest.raises(ValueError, match="`hypothesis` must be"):
        edit_distance("12", 12)
    with pytest.raises(ValueError, match="`reference` must be 1-D"):
        edit_distance(np.zeros((2, 2)), "1")
