import numpy as np
import pytest

from course_lib.validation import (
    as_array,
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_shape,
    describe,
)


def test_as_array_names_argument_layout_and_received_shape():
    with pytest.raises(ValueError) as info:
        as_array(np.zeros((32, 10)), "x", ndim=3, layout="(batch, timesteps, features)")
    assert str(info.value) == "`x` must be 3-D (batch, timesteps, features); got shape (32, 10)."


def test_as_array_accepts_any_of_several_ndims():
    assert as_array([1.0, 2.0], "series", ndim=(1, 2)).shape == (2,)
    with pytest.raises(ValueError, match=r"`series` must be 1-D or 2-D; got shape \(1, 1, 1\)"):
        as_array(np.zeros((1, 1, 1)), "series", ndim=(1, 2))


def test_as_array_rejects_empty_non_numeric_and_non_finite():
    with pytest.raises(ValueError, match="`y` must not be empty; got shape"):
        as_array([], "y")
    with pytest.raises(ValueError, match="`y` must be a numeric array; got str"):
        as_array("abc", "y")
    with pytest.raises(ValueError, match="`y` must hold finite numbers; got 2 NaN"):
        as_array([1.0, np.nan, np.inf], "y", finite=True)


def test_check_shape_reports_expected_and_received():
    check_shape(np.zeros((3, 4)), "kernel", (3, None))
    with pytest.raises(ValueError, match=r"`kernel` must have shape \(3, 8\); got shape \(3, 4\)"):
        check_shape(np.zeros((3, 4)), "kernel", (3, 8))
    with pytest.raises(ValueError, match=r"`bias` must have shape \(8,\); got shape \(4,\)"):
        check_shape(np.zeros(4), "bias", (8,))


def test_check_int_and_float_bounds():
    assert check_int(np.int64(3), "units", minimum=1) == 3
    with pytest.raises(ValueError, match="`units` must be at least 1; got 0"):
        check_int(0, "units", minimum=1)
    with pytest.raises(ValueError, match="`units` must be an integer; got float 2.5"):
        check_int(2.5, "units")
    with pytest.raises(ValueError, match="`units` must be an integer; got bool"):
        check_int(True, "units")
    assert check_float(0.5, "train", minimum=0, maximum=1) == 0.5
    with pytest.raises(ValueError, match=r"`train` must be in \(0, 1\); got 1"):
        check_float(1.0, "train", minimum=0, maximum=1, inclusive=False)
    with pytest.raises(ValueError, match="`lr` must be a finite number; got nan"):
        check_float(float("nan"), "lr")


def test_check_bool_refuses_numbers_and_strings():
    assert check_bool(True, "flag") is True
    assert check_bool(np.bool_(False), "flag") is False
    for value, shown in ((1, "int 1"), ("yes", "str 'yes'"), (None, "NoneType None")):
        with pytest.raises(ValueError) as info:
            check_bool(value, "flag")
        assert str(info.value) == f"`flag` must be True or False; got {shown}."


def test_check_choice_lists_the_choices():
    assert check_choice("tanh", "activation", ["tanh", "relu"]) == "tanh"
    with pytest.raises(ValueError, match="`activation` must be one of 'tanh', 'relu'; got 'gelu'"):
        check_choice("gelu", "activation", ["tanh", "relu"])


def test_describe_shortens_long_values():
    assert describe(np.zeros((2, 3))) == "shape (2, 3)"
    assert len(describe("x" * 500)) < 80


def test_shorten_cuts_with_an_ellipsis_and_refuses_bad_arguments():
    from course_lib.validation import shorten

    assert shorten("x" * 10, 10) == "x" * 10
    assert shorten("x" * 11, 10) == "x" * 7 + "..."
    assert shorten(ValueError("a\n\n  b  "), 20, lines="join") == "a | b"
    with pytest.raises(ValueError, match=r"`limit` must be an int of at least 4; got 3"):
        shorten("text", 3)
    with pytest.raises(ValueError, match=r"`lines` must be one of .*; got 'all'"):
        shorten("text", 10, lines="all")
