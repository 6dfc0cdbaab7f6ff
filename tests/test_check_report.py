"""Tests of `course_lib.checks.report`: the messages students see when a check fails."""

import numpy as np
import pytest

from course_lib.checks import (
    CallFailed,
    CheckFailed,
    CheckReport,
    Opaque,
    parse_result_line,
    result_line,
)
from course_lib.checks.exercise import exercise
from course_lib.checks.probe import call_safely


def failure_text(report: CheckReport) -> str:
    with pytest.raises(CheckFailed) as info:
        report.finish()
    return str(info.value)


def test_success_prints_exactly_one_line(capsys):
    report = CheckReport("4.2")
    assert report.expect_close("h", np.ones((2, 3)), np.ones((2, 3)))
    assert report.expect_shape("h", np.ones((2, 3)), (2, 3))
    report.finish()
    assert capsys.readouterr().out == "Exercise 4.2: passed 2 of 2 checks\n"


def test_failure_counts_passed_checks_and_lists_each_failure():
    report = CheckReport("4.2")
    report.expect_close("a", 1.0, 1.0)
    report.expect_close("b", 2.0, 3.0)
    report.expect_shape("c", np.zeros((2, 3)), (2, 4))
    with pytest.raises(CheckFailed) as info:
        report.finish()
    error = info.value
    assert isinstance(error, AssertionError)
    assert (error.exercise, error.passed, error.total) == ("4.2", 1, 3)
    lines = str(error).splitlines()
    assert lines[0] == "Exercise 4.2: passed 1 of 3 checks"
    assert len(lines) == 3 and all(line.startswith("  - ") for line in lines[1:])
    assert parse_result_line(str(error)) == ("4.2", 1, 3)


def test_shape_message_names_expected_and_received_shapes():
    report = CheckReport("4.2")
    assert not report.expect_shape("h", np.zeros((2, 3)), (2, 4), layout="(batch, units)")
    text = failure_text(report)
    assert "`h` has the wrong shape: expected (2, 4) (batch, units), got (2, 3)." in text
    assert "Hint:" in text


def test_shape_none_matches_any_length():
    report = CheckReport("1.1")
    assert report.expect_shape("x", np.zeros((7, 3)), (None, 3))
    assert not report.expect_shape("x", np.zeros((7, 3)), (None, 4))


def test_close_message_shows_expected_got_and_largest_difference():
    report = CheckReport("4.2")
    assert not report.expect_close("h", [1.0, 2.0, 3.5], [1.0, 2.0, 3.0], atol=1e-3)
    text = failure_text(report)
    assert "`h` values differ: expected [1., 2., 3.]" in text
    assert "got [1. , 2. , 3.5]" in text
    assert "1 of 3 values are off" in text
    assert "largest difference is 0.5 at index (2,)" in text
    assert "atol=0.001" in text


def test_close_respects_tolerances():
    report = CheckReport("1.1")
    assert report.expect_close("x", 1.0 + 1e-8, 1.0)
    assert report.expect_close("x", np.float32(0.1), 0.1)
    assert not report.expect_close("x", 1.01, 1.0, atol=1e-3, rtol=0)
    assert report.expect_close("x", 1.01, 1.0, atol=0.02)


def test_close_reports_shape_mismatch_instead_of_comparing():
    report = CheckReport("1.1")
    assert not report.expect_close("y", np.zeros(3), np.zeros(4))
    assert "`y` has shape (3,) but the expected values have shape (4,)" in failure_text(report)


def test_nan_answer_fails_with_a_clear_message():
    report = CheckReport("1.2")
    assert not report.expect_close("mean", float("nan"), 2.0)
    assert not report.expect_finite("loss", np.array([1.0, np.inf, np.nan]))
    text = failure_text(report)
    assert "`mean` contains NaN in 1 of 1 values" in text
    assert "expected 2., got nan" in text
    assert "`loss` should hold finite numbers; got 2 NaN or infinite values of 3" in text
    assert "first at index (1,)" in text
    assert "division by zero" in text


def test_garbage_answers_never_crash_the_check():
    class Broken:
        def __array__(self, *args, **kwargs):
            raise RuntimeError("no array for you")

        def __repr__(self):
            raise RuntimeError("no repr either")

        @property
        def shape(self):
            raise RuntimeError("no shape")

    report = CheckReport("3.1")
    for value in ["abc", None, Broken(), {"a": 1}, object()]:
        report.expect_close("x", value, [1.0, 2.0])
        report.expect_shape("x", value, (2,))
        report.expect_finite("x", value)
        report.expect_equal("x", value, 3)
    assert report.passed == 0 and report.total == 20
    text = failure_text(report)
    assert "`x` should be numbers like [1., 2.] (shape (2,)); got str 'abc'." in text
    assert "`x` has the wrong shape: expected (2,), got NoneType None." in text


def _checked(function, student="f(x)", value=1.0):
    """Self-check `function` with a declared one-case exercise; return the failure text."""

    @exercise("1.1", student=student, reference=lambda x: x)
    def check(ex):
        ex.case("f(1)", value, shape=())

    with pytest.raises(CheckFailed) as info:
        check(function)
    return str(info.value)


def test_a_call_that_raises_is_explained_once():
    def gru_step(x):
        raise TypeError("unsupported operand type(s)")

    text = _checked(gru_step, student="gru_step(x)")
    assert (
        "`f(1)`: expected a result, but calling gru_step(...) raised TypeError: "
        "unsupported operand type(s)." in text
    )
    assert "`f(1)` not checked: calling gru_step(...) raised the same error (see above)." in text


def test_calls_catch_system_exit_and_not_implemented():
    def leave(x):
        raise SystemExit(3)

    def todo(x):
        raise NotImplementedError("Exercise 1.1: write add")

    assert "calling f(...) raised SystemExit: 3" in _checked(leave)
    text = _checked(todo, student="add(x)")
    assert "NotImplementedError: Exercise 1.1: write add (the exercise is not solved yet)" in text
    assert "replace the `raise NotImplementedError(...)` line of add with your code" in text


def test_calls_let_keyboard_interrupt_through_so_timeouts_work():
    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        call_safely(interrupted, (), {}, "interrupted")


def test_a_call_of_a_non_function_fails_cleanly():
    assert "add is not a function; got int 3" in _checked(3, student="add(x)")


def test_calls_capture_and_bound_what_the_function_prints(capsys):
    def chatty(x):
        print("y" * 1_000_000)
        return x + 1

    text = _checked(chatty, student="chatty(x)")
    assert capsys.readouterr().out == ""
    assert "chatty printed 1000001 characters while being checked" in text
    assert len(text) < 2_000


def test_huge_error_messages_are_shortened():
    def boom(x):
        raise ValueError("x" * 1_000_000)

    assert len(_checked(boom)) < 1_000


def test_expect_with_message_and_callable_condition():
    report = CheckReport("2.1")
    assert report.expect(True, "always")
    assert not report.expect(lambda: 1 / 0, "the loss should go down")
    assert not report.expect(False, "the loss should be below 0.1; got 0.5", hint="train longer")
    text = failure_text(report)
    assert "the loss should go down (checking it raised ZeroDivisionError" in text
    assert "the loss should be below 0.1; got 0.5 Hint: train longer" in text


def test_expect_equal_compares_exactly():
    report = CheckReport("2.1")
    assert report.expect_equal("n", 3, 3)
    assert report.expect_equal("ids", np.array([1, 2]), np.array([1, 2]))
    assert not report.expect_equal("n", 3, 4)
    assert "`n`: expected 4, got 3." in failure_text(report)


def test_finish_without_checks_is_a_bug_in_the_check():
    with pytest.raises(RuntimeError, match="recorded no checks"):
        CheckReport("1.1").finish()


@pytest.mark.parametrize("bad", ["4", "4.2.1", "ex4.2", 4.2, None])
def test_exercise_id_is_validated(bad):
    with pytest.raises(ValueError, match="chapter.number"):
        CheckReport(bad)


def test_result_line_round_trip():
    assert result_line("4.2", 3, 5) == "Exercise 4.2: passed 3 of 5 checks"
    assert parse_result_line("Exercise 4.2: passed 3 of 5 checks\n  - ...") == ("4.2", 3, 5)
    assert parse_result_line("Exercise 4.2: passed three of 5 checks") is None
    assert parse_result_line("NameError: add") is None


def test_an_error_inside_the_check_is_reported_not_raised():
    report = CheckReport("1.1")
    assert not report.expect_close("x", 1.0, "not a number")  # a bug in the check itself
    assert "`x` could not be checked: ValueError" in failure_text(report)


def test_close_message_for_a_single_number():
    report = CheckReport("1.1")
    assert not report.expect_close("add(2, 3)", -1.0, 5.0)
    text = failure_text(report)
    assert "`add(2, 3)` is wrong: expected 5., got -1.; the difference is 6" in text


def test_not_checked_records_one_failure_for_a_failed_call():
    report = CheckReport("0.4")
    failed = CallFailed("f()", "ZeroDivisionError: division by zero")
    assert not report.not_checked("the returned dict", failed)
    assert not report.not_checked("its keys", failed)
    assert not report.not_checked("the model", Opaque("<Model object>"))
    text = failure_text(report)
    assert (
        "`the returned dict`: expected a result, but calling f() raised ZeroDivisionError" in text
    )
    assert "`its keys` not checked: calling f() raised the same error" in text
    assert "`the model` not checked: got <Model object>." in text
    assert "expected 0" not in text


def test_report_default_tolerances_and_diagnoses():
    report = CheckReport("0.5", atol=0.1, rtol=0.0)
    assert report.expect_close("x", 1.05, 1.0)
    assert not report.expect_close("x", 1.05, 1.0, atol=0.01, diagnosis="off-by-0.05")
    with pytest.raises(CheckFailed) as info:
        report.finish()
    assert info.value.diagnoses == ("off-by-0.05",)
