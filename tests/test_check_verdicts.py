"""Tests of the probe protocol: the grader hands over inputs, the probe records answers as
data, the grader judges them with the cases it kept.

A check declared here (registered as `course_lib.checks.ch0`) is graded in this process:
`hand_inputs` writes the inputs, the check runs with `RNN_COURSE_PROBE_DIR` set (probing),
`judge` reads the answers. The hostile tests, with a kernel-like subprocess per chapter,
are in `tests/test_check_hostile.py`; the sandbox's own in `tests/test_withheld.py`.
"""

import dataclasses
import json
import sys
import types
import zipfile

import numpy as np
import pytest

from course_lib.checks import CheckFailed, records
from course_lib.checks.contract import PROBE_DIR_ENV, probe_files, probe_line
from course_lib.checks.exercise import Mistake, exercise, runs_in_notebook
from course_lib.checks.records import Encoder, Opaque, ProbeError, decode, load_answers
from course_lib.checks.verdicts import (
    Verdict,
    exercise_of_check_cell,
    hand_inputs,
    judge,
    parse_check_call,
)

SOURCE = "from course_lib.checks import ch0\n\nch0.check_double(double)"


@exercise(
    "0.1",
    student="double(x)",
    reference=lambda x: 2 * x,
    mistakes=[Mistake("triple", "double, do not triple.", lambda x: 3 * x)],
)
def check_double(ex) -> None:
    """Exercise 0.1 (4 checks): `double(x)` returns `2 * x` and leaves `x` unchanged."""
    ex.case("double(x)", ex.rng(3).standard_normal((2, 3)), shape=(2, 3), unchanged=True)
    n = int(ex.rng(4).integers(1, 100))
    ex.case(f"double({n})", n, exact=True)


@pytest.fixture(autouse=True)
def ch0(monkeypatch):
    """Register this file's checks as the module `course_lib.checks.ch0`."""
    module = types.ModuleType("course_lib.checks.ch0")
    check_double.__module__ = module.__name__
    module.check_double = check_double
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.delenv(PROBE_DIR_ENV, raising=False)
    return module


def graded(monkeypatch, tmp_path, function, seed=None, capsys=None, check=check_double):
    """Hand the inputs drawn with `seed` to `tmp_path`, probe there; return the cases."""
    cases = check.cases(seed)
    hand_inputs(check, cases, tmp_path)
    monkeypatch.setenv(PROBE_DIR_ENV, str(tmp_path))
    try:
        check(function)
    finally:
        monkeypatch.delenv(PROBE_DIR_ENV)
    if capsys is not None:
        assert capsys.readouterr().out == probe_line(check.id) + "\n"
    return cases


def right(x):
    return 2 * x


def test_the_probe_records_answers_and_prints_no_success_line(monkeypatch, tmp_path, capsys):
    graded(monkeypatch, tmp_path, right, seed=5, capsys=capsys)
    record = json.loads(probe_files(tmp_path, "0.1", "answers")[0].read_text())
    assert set(record) == {"format", "exercise", "calls"}
    assert [c["name"] for c in record["calls"]] == ["double"] * 2
    with np.load(probe_files(tmp_path, "0.1", "answers")[1], allow_pickle=False) as npz:
        assert all(npz[key].dtype.kind in "biufc" for key in npz.files)


def test_the_sandbox_gets_the_inputs_and_nothing_else(tmp_path):
    """No seed, no expected value, no reference: only what `double` is called with."""
    cases = check_double.cases(20261201)
    hand_inputs(check_double, cases, tmp_path)
    json_path, npz_path = probe_files(tmp_path, "0.1", "inputs")
    record = json.loads(json_path.read_text())
    assert set(record) == {"format", "exercise", "inputs"}
    assert "20261201" not in json_path.read_text() + str(npz_path.read_bytes())
    calls, arrays = records.load_inputs(tmp_path, "0.1")
    (x,), _ = records.decode_arguments(calls[0], arrays)
    np.testing.assert_array_equal(x, cases[0].args[0])
    assert records.decode_arguments(calls[1], arrays) == ((cases[1].args[0],), {})
    assert len(arrays) == 1  # x; the expected 2 * x is nowhere


def test_judge_gives_full_marks_to_the_right_answer(monkeypatch, tmp_path):
    cases = graded(monkeypatch, tmp_path, right, seed=5)
    verdict = judge(check_double, cases, tmp_path)
    assert dataclasses.replace(verdict, checks=()) == Verdict("0.1", 4, 4, "")
    assert len(verdict.checks) == 4 and all(check.passed for check in verdict.checks)


def test_judge_reports_what_the_self_check_reports(monkeypatch, tmp_path):
    def wrong(x):
        x *= 3  # changes the caller's array, and the answer is wrong
        return x

    with pytest.raises(CheckFailed) as info:
        check_double(wrong)
    cases = graded(monkeypatch, tmp_path, wrong)
    verdict = judge(check_double, cases, tmp_path)
    assert verdict.message == str(info.value)
    assert (verdict.passed, verdict.total) == (1, 4)  # only the shape holds
    assert "changed its input `x` in place" in verdict.message
    assert verdict.diagnoses == ("triple", "triple") == info.value.diagnoses


def test_grading_seed_gives_fresh_inputs_drawn_in_the_grader(monkeypatch, tmp_path):
    seen = []

    def spy(x):
        seen.append(np.array(x))
        return 2 * x

    graded(monkeypatch, tmp_path / "a", spy, seed=1)
    graded(monkeypatch, tmp_path / "b", spy, seed=2)
    check_double(spy)  # self-check: the fixed inputs
    assert not np.array_equal(seen[0], seen[2]) and not np.array_equal(seen[2], seen[4])
    np.testing.assert_array_equal(seen[4], np.random.default_rng(3).standard_normal((2, 3)))


def test_answers_hard_coded_for_the_self_check_fail_when_graded(monkeypatch, tmp_path):
    table = {}

    def recorder(x):
        table[np.asarray(x).tobytes()] = 2 * x
        return 2 * x

    check_double(recorder)

    def lookup(x):
        return table.get(np.asarray(x).tobytes(), np.zeros_like(x))

    check_double(lookup)  # passes the self-check ...
    cases = graded(monkeypatch, tmp_path, lookup, seed=9)
    assert judge(check_double, cases, tmp_path).passed < 4  # ... not the graded run


def test_failed_calls_and_the_unsolved_stub_are_judged(monkeypatch, tmp_path):
    calls = []

    def todo(x):
        calls.append(x)
        raise NotImplementedError("Exercise 0.1: write double")

    cases = graded(monkeypatch, tmp_path, todo)
    assert len(calls) == 1  # the stub is not called again for the second case
    verdict = judge(check_double, cases, tmp_path)
    assert (verdict.passed, verdict.total) == (0, 4)
    assert "not solved yet" in verdict.message
    assert "replace the `raise NotImplementedError(...)` line of double" in verdict.message

    def broken(x):
        raise TypeError("bad operand")

    cases = graded(monkeypatch, tmp_path, broken)
    verdict = judge(check_double, cases, tmp_path)
    assert "calling double(...) raised TypeError: bad operand" in verdict.message


def test_without_inputs_from_the_grader_nothing_is_recorded(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(PROBE_DIR_ENV, str(tmp_path))
    check_double(right)
    assert capsys.readouterr().out.startswith("Exercise 0.1: answers could not be recorded")
    with pytest.raises(ProbeError, match="no answers were recorded"):
        load_answers(tmp_path, "0.1")


def test_too_few_or_mismatched_records_fail_the_checks_without_a_crash(monkeypatch, tmp_path):
    cases = graded(monkeypatch, tmp_path, right)
    path = probe_files(tmp_path, "0.1", "answers")[0]
    record = json.loads(path.read_text())
    record["calls"] = record["calls"][:1]
    path.write_text(json.dumps(record))
    verdict = judge(check_double, cases, tmp_path)
    assert (verdict.passed, verdict.total) == (3, 4)
    assert "no answer was recorded for this call" in verdict.message
    record["calls"][0]["name"] = "triple"
    path.write_text(json.dumps(record))
    verdict = judge(check_double, cases, tmp_path)
    assert verdict.passed == 0 and "do not match this check" in verdict.message


def _answers(tmp_path):
    return probe_files(tmp_path, "0.1", "answers")


@pytest.mark.parametrize(
    "damage",
    [
        lambda j, n: j.unlink(),
        lambda j, n: j.write_text("{not json"),
        lambda j, n: j.write_text('{"format": 2, "exercise": "0.2"}'),
        lambda j, n: j.write_text(
            json.dumps({"format": 2, "exercise": "0.1", "calls": [{"name": 3}]})
        ),
        lambda j, n: j.write_text(
            json.dumps(
                {
                    "format": 2,
                    "exercise": "0.1",
                    "calls": [{"name": "double", "result": {"t": "pickle", "v": "gASV"}}],
                }
            )
        ),
        lambda j, n: n.write_bytes(b"PK\x03\x04 not a zip"),
        lambda j, n: np.savez(n.with_suffix(""), a0=np.array([{"a": 1}], dtype=object)),
        lambda j, n: j.write_text("[" * 100_000 + "]" * 100_000),
    ],
)
def test_missing_or_invalid_records_raise_probe_error(monkeypatch, tmp_path, damage):
    cases = graded(monkeypatch, tmp_path, right)
    damage(*_answers(tmp_path))
    with pytest.raises(ProbeError) as info:
        judge(check_double, cases, tmp_path)
    assert "Exercise 0.1" in str(info.value)


def test_object_arrays_are_never_unpickled(monkeypatch, tmp_path):
    graded(monkeypatch, tmp_path, right)
    np.save(tmp_path / "a0.npy", np.array([object()], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(_answers(tmp_path)[1], "w") as archive:
        archive.write(tmp_path / "a0.npy", "a0.npy")
    with pytest.raises(ProbeError, match="damaged"):
        load_answers(tmp_path, "0.1")


def test_oversized_records_are_refused(monkeypatch, tmp_path):
    graded(monkeypatch, tmp_path, right)
    monkeypatch.setattr(records, "LIMITS", records.Limits(json_bytes=100))
    with pytest.raises(ProbeError, match="refused: it is larger than 100 bytes"):
        load_answers(tmp_path, "0.1")


def test_symlinked_records_are_refused(monkeypatch, tmp_path):
    graded(monkeypatch, tmp_path / "real", right)
    _answers(tmp_path)[0].symlink_to(_answers(tmp_path / "real")[0])
    with pytest.raises(ProbeError, match="refused: it is a link"):
        load_answers(tmp_path, "0.1")


def round_trip(value):
    encoder = Encoder()
    return decode(encoder.encode(value), encoder.arrays)


def test_records_keep_types_dtypes_and_shapes():
    value = {
        "a": np.arange(6, dtype=np.float32).reshape(2, 3),
        "b": (1, 2.5, "s", None, True, [np.int64(3), np.float32(0.5)]),
        "c": [np.bool_(True), complex(1, 2), float("nan")],
        1: np.zeros((0, 4), dtype=np.int8),
    }
    got = round_trip(value)
    assert got["a"].dtype == np.float32 and got["a"].shape == (2, 3)
    assert type(got["b"]) is tuple and type(got["b"][5]) is list
    assert got["b"][:5] == (1, 2.5, "s", None, True)
    assert type(got["b"][5][0]) is np.int64 and type(got["b"][5][1]) is np.float32
    assert type(got["c"][0]) is np.bool_ and got["c"][1] == complex(1, 2)
    assert np.isnan(got["c"][2]) and got[1].shape == (0, 4) and got[1].dtype == np.int8


def test_objects_that_are_not_data_are_recorded_by_description():
    class Model:
        def __repr__(self):
            return "Model()"

    got = round_trip([Model(), np.array([object()]), {(1, 2): 3}])
    assert all(isinstance(item, Opaque) for item in got)
    assert got[0].description == "Model Model()" and not got[0]


def test_caps_turn_huge_answers_into_a_description():
    got = round_trip("x" * 10**6)
    assert isinstance(got, Opaque) and "too large" in got.description
    got = round_trip(list(range(300_000)))
    assert isinstance(got, Opaque)
    nested: list = []
    for _ in range(40):
        nested = [nested]
    assert isinstance(round_trip(nested), Opaque)


def test_float_subclasses_are_recorded_as_plain_floats():
    class Sneaky(float):
        def __eq__(self, other):
            return True

        __hash__ = float.__hash__

    got = round_trip(Sneaky(1.5))
    assert type(got) is float and got == 1.5


def test_inputs_must_be_data():
    with pytest.raises(ValueError, match="inputs of a check must be data"):
        records.encode_inputs([((object(),), {})])


def test_a_model_where_data_is_expected_is_judged_by_its_description_only(monkeypatch, tmp_path):
    class Model:
        def __array__(self, *args, **kwargs):  # a hostile object that pretends to be data
            return np.full((2, 3), 7.0)

    cases = graded(monkeypatch, tmp_path, lambda x: Model())
    verdict = judge(check_double, cases, tmp_path)
    assert verdict.passed == 1  # only "inputs unchanged": the answer reached the grader as text
    assert "got Model <" in verdict.message


def test_parse_check_call_resolves_the_check_and_names_the_student_objects(ch0):
    function, args, kwargs = parse_check_call(
        "from course_lib.checks import ch0\n\nch0.check_double(double, seed=3)"
    )
    assert function is ch0.check_double and args[0].__name__ == "double"
    assert kwargs == {"seed": 3}
    for bad in ("import os\nos.system('x')", "ch0.check_double(double)", "print(1)\nprint(2)"):
        with pytest.raises((ValueError, AttributeError)):
            parse_check_call(bad)
    assert exercise_of_check_cell(SOURCE, "0.1") is check_double
    with pytest.raises(ValueError, match="checks Exercise 0.1"):
        exercise_of_check_cell(SOURCE, "0.2")
    with pytest.raises(ValueError, match="one name of the notebook"):
        exercise_of_check_cell(SOURCE.replace("(double)", "(double, seed=3)"), "0.1")


def test_a_student_function_under_another_name_is_judged_the_same(monkeypatch, tmp_path):
    def my_double(x):  # the notebook then says `double = my_double`
        return 2 * x

    cases = graded(monkeypatch, tmp_path, my_double)
    assert judge(check_double, cases, tmp_path).passed == 4


def test_a_declaration_that_cannot_work_is_refused_when_it_is_written():
    def draw(ex):
        ex.case("x", 1.0)

    with pytest.raises(ValueError, match="`id` must be an exercise id"):
        exercise("one", student="f(x)")(draw)
    with pytest.raises(ValueError, match="must be marked @runs_in_notebook"):
        exercise("0.3", student="f(x)", call=lambda f, x: f(x))(draw)
    runs_in_notebook(call := lambda f, x: f(x))
    assert exercise("0.3", student="f(x)", call=call)(draw).call is call
    twice = [Mistake("a", "", abs), Mistake("a", "", abs)]
    with pytest.raises(ValueError, match="distinct ids"):
        exercise("0.3", student="f(x)", mistakes=twice)(draw)
    nothing = exercise("0.3", student="f(x)")(draw)  # no reference, no expected value
    with pytest.raises(ValueError, match="checks nothing"):
        nothing.cases(None)


@runs_in_notebook
def _given(answer):
    return answer


@exercise(
    "0.4",
    student="answer",
    call=_given,
    mistakes=[Mistake("c-confuses-h-and-c", "h is the output, c the memory.", lambda: "c")],
)
def check_quiz(ex) -> None:
    """A multiple-choice question: the student's object is a value, handed over by a call."""
    ex.case("the answer to question 1", expected="b", exact=True)


def test_a_multiple_choice_answer_is_a_value_through_a_call(monkeypatch, tmp_path):
    check_quiz("b")
    with pytest.raises(CheckFailed) as info:
        check_quiz("c")
    assert "h is the output" in str(info.value) and info.value.diagnoses == ("c-confuses-h-and-c",)
    cases = graded(monkeypatch, tmp_path, "c", check=check_quiz)
    verdict = judge(check_quiz, cases, tmp_path)
    assert (verdict.passed, verdict.diagnoses) == (0, ("c-confuses-h-and-c",))
