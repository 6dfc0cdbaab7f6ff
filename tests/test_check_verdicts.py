"""Tests of the two modes of a check: probing records data, judging replays it elsewhere.

A check defined here (registered as `course_lib.checks.ch0`) probes in this process with
`RNN_COURSE_PROBE_DIR` set, then `judge` replays the records; the hostile tests, with a
real kernel-like subprocess per chapter, are in `tests/test_check_hostile.py`.
"""

import json
import sys
import types
import zipfile

import numpy as np
import pytest

from course_lib.checks import CallFailed, CheckFailed, CheckReport, records
from course_lib.checks.common import StudentFunction, expect_unchanged
from course_lib.checks.records import Encoder, Opaque, ProbeError, decode, load_probe
from course_lib.checks.verdicts import (
    GRADING_SEED_ENV,
    PROBE_DIR_ENV,
    Verdict,
    derive_seed,
    judge,
    parse_check_call,
)

SOURCE = "from course_lib.checks import ch0\n\nch0.check_double(double)"


def check_double(double) -> None:
    """Exercise 0.1 (4 checks): `double(x)` returns `2 * x` and leaves `x` unchanged."""
    report = CheckReport("0.1")
    twice = StudentFunction(report, double, "double")
    x = report.rng(3).standard_normal((2, 3))
    original = x.copy()
    got = twice(x)
    if report.judging:
        report.expect_shape("double(x)", got, (2, 3))
        report.expect_close("double(x)", got, 2 * original)
        expect_unchanged(report, got, {"x": original}, {"x": x}, "double(x)")
    n = int(report.rng(4).integers(1, 100))
    got = twice(n)
    if report.judging:
        report.expect_equal(f"double({n})", got, 2 * n)
    report.finish()


def check_unguarded(double) -> None:
    """A check that forgets `if report.judging:` (a bug the tests must catch)."""
    report = CheckReport("0.2")
    got = report.call(double, 1.0, name="double")
    report.expect_close("double(1)", got, 2.0)
    report.finish()


@pytest.fixture(autouse=True)
def ch0(monkeypatch):
    """Register this file's checks as the module `course_lib.checks.ch0`."""
    module = types.ModuleType("course_lib.checks.ch0")
    for function in (check_double, check_unguarded):
        function.__module__ = module.__name__
        setattr(module, function.__name__, function)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.delenv(PROBE_DIR_ENV, raising=False)
    monkeypatch.delenv(GRADING_SEED_ENV, raising=False)
    return module


def probe(monkeypatch, tmp_path, check, function, seed=None, capsys=None):
    """Run `check(function)` in probe mode into `tmp_path`; return what it printed."""
    monkeypatch.setenv(PROBE_DIR_ENV, str(tmp_path))
    if seed is None:
        monkeypatch.delenv(GRADING_SEED_ENV, raising=False)
    else:
        monkeypatch.setenv(GRADING_SEED_ENV, str(seed))
    try:
        check(function)
    finally:
        monkeypatch.delenv(PROBE_DIR_ENV)
        monkeypatch.delenv(GRADING_SEED_ENV, raising=False)
    return capsys.readouterr().out if capsys else None


def right(x):
    return 2 * x


def test_probe_records_and_prints_no_success_line(monkeypatch, tmp_path, capsys):
    out = probe(monkeypatch, tmp_path, check_double, right, seed=5, capsys=capsys)
    assert out == "Exercise 0.1: answers recorded for grading\n"
    assert "passed" not in out
    record = json.loads((tmp_path / "0.1.json").read_text())
    assert record["seed"] == 5 and [c["name"] for c in record["calls"]] == ["double"] * 2
    with np.load(tmp_path / "0.1.npz", allow_pickle=False) as npz:
        assert all(npz[key].dtype.kind in "biufc" for key in npz.files)


def test_judge_gives_full_marks_to_the_right_answer(monkeypatch, tmp_path):
    probe(monkeypatch, tmp_path, check_double, right, seed=5)
    assert judge(SOURCE, "0.1", tmp_path, 5) == Verdict("0.1", 4, 4, "")


def test_judge_reports_what_the_self_check_reports(monkeypatch, tmp_path):
    def wrong(x):
        x *= 3  # changes the caller's array, and the answer is wrong
        return x

    with pytest.raises(CheckFailed) as info:
        check_double(wrong)
    probe(monkeypatch, tmp_path, check_double, wrong)
    verdict = judge(SOURCE, "0.1", tmp_path, None)
    assert verdict.message == str(info.value)
    assert (verdict.passed, verdict.total) == (1, 4)  # only the shape holds
    assert "changed its input `x` in place" in verdict.message


def test_grading_seed_gives_fresh_inputs_and_must_match(monkeypatch, tmp_path):
    seen = []

    def spy(x):
        seen.append(np.array(x))
        return 2 * x

    probe(monkeypatch, tmp_path / "a", check_double, spy, seed=1)
    probe(monkeypatch, tmp_path / "b", check_double, spy, seed=2)
    check_double(spy)  # self-check: the fixed inputs
    assert not np.array_equal(seen[0], seen[2]) and not np.array_equal(seen[2], seen[4])
    np.testing.assert_array_equal(seen[4], np.random.default_rng(3).standard_normal((2, 3)))
    assert derive_seed(1, "0.1", 3) != derive_seed(2, "0.1", 3) != derive_seed(1, "0.1", 4)
    assert judge(SOURCE, "0.1", tmp_path / "b", 2).passed == 4
    with pytest.raises(ProbeError, match="other inputs"):
        judge(SOURCE, "0.1", tmp_path / "b", 1)


def test_answers_hard_coded_for_the_self_check_fail_when_graded(monkeypatch, tmp_path):
    table = {}

    def recorder(x):
        table[np.asarray(x).tobytes()] = 2 * x
        return 2 * x

    check_double(recorder)

    def lookup(x):
        return table.get(np.asarray(x).tobytes(), np.zeros_like(x))

    check_double(lookup)  # passes the self-check ...
    probe(monkeypatch, tmp_path, check_double, lookup, seed=9)
    assert judge(SOURCE, "0.1", tmp_path, 9).passed < 4  # ... not the graded run


def test_unguarded_expectation_is_a_clear_error_when_probing(monkeypatch, tmp_path):
    with pytest.raises(RuntimeError, match="under `if report.judging:`"):
        probe(monkeypatch, tmp_path, check_unguarded, right)


def test_failed_calls_and_the_unsolved_stub_are_replayed(monkeypatch, tmp_path):
    def todo(x):
        raise NotImplementedError("Exercise 0.1: write double")

    probe(monkeypatch, tmp_path, check_double, todo)
    verdict = judge(SOURCE, "0.1", tmp_path, None)
    assert (verdict.passed, verdict.total) == (0, 4)
    assert "not solved yet" in verdict.message
    assert "replace the `raise NotImplementedError(...)` line of double" in verdict.message

    def broken(x):
        raise TypeError("bad operand")

    probe(monkeypatch, tmp_path, check_double, broken)
    verdict = judge(SOURCE, "0.1", tmp_path, None)
    assert "calling double(...) raised TypeError: bad operand" in verdict.message


def test_too_few_or_mismatched_records_fail_the_checks_without_a_crash(monkeypatch, tmp_path):
    probe(monkeypatch, tmp_path, check_double, right)
    path = tmp_path / "0.1.json"
    record = json.loads(path.read_text())
    record["calls"] = record["calls"][:1]
    path.write_text(json.dumps(record))
    verdict = judge(SOURCE, "0.1", tmp_path, None)
    assert (verdict.passed, verdict.total) == (3, 4)
    assert "no answer was recorded for this call" in verdict.message
    record["calls"][0]["name"] = "triple"
    path.write_text(json.dumps(record))
    verdict = judge(SOURCE, "0.1", tmp_path, None)
    assert verdict.passed == 0 and "do not match this check" in verdict.message


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.with_suffix(".json").unlink(),
        lambda p: p.with_suffix(".json").write_text("{not json"),
        lambda p: p.with_suffix(".json").write_text('{"format": 1, "exercise": "0.2"}'),
        lambda p: p.with_suffix(".json").write_text(
            json.dumps({"format": 1, "exercise": "0.1", "seed": None, "calls": [{"name": 3}]})
        ),
        lambda p: p.with_suffix(".json").write_text(
            json.dumps(
                {
                    "format": 1,
                    "exercise": "0.1",
                    "seed": None,
                    "calls": [{"name": "double", "result": {"t": "pickle", "v": "gASV"}}],
                }
            )
        ),
        lambda p: p.with_suffix(".npz").write_bytes(b"PK\x03\x04 not a zip"),
        lambda p: np.savez(p.with_suffix(".npz"), a0=np.array([{"a": 1}], dtype=object)),
        lambda p: p.with_suffix(".json").write_text("[" * 100_000 + "]" * 100_000),
    ],
)
def test_missing_or_invalid_records_raise_probe_error(monkeypatch, tmp_path, damage):
    probe(monkeypatch, tmp_path, check_double, right)
    damage(tmp_path / "0.1.json")
    with pytest.raises(ProbeError) as info:
        judge(SOURCE, "0.1", tmp_path, None)
    assert "Exercise 0.1" in str(info.value)


def test_object_arrays_are_never_unpickled(monkeypatch, tmp_path):
    probe(monkeypatch, tmp_path, check_double, right)
    np.save(tmp_path / "a0.npy", np.array([object()], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(tmp_path / "0.1.npz", "w") as archive:
        archive.write(tmp_path / "a0.npy", "a0.npy")
    with pytest.raises(ProbeError, match="damaged"):
        load_probe(tmp_path, "0.1")


def test_oversized_records_are_refused(monkeypatch, tmp_path):
    probe(monkeypatch, tmp_path, check_double, right)
    monkeypatch.setattr(records, "LIMITS", records.Limits(json_bytes=100))
    with pytest.raises(ProbeError, match="refused: it is larger than 100 bytes"):
        load_probe(tmp_path, "0.1")


def test_symlinked_records_are_refused(monkeypatch, tmp_path):
    probe(monkeypatch, tmp_path / "real", check_double, right)
    (tmp_path / "0.1.json").symlink_to(tmp_path / "real" / "0.1.json")
    with pytest.raises(ProbeError, match="refused: it is a link"):
        load_probe(tmp_path, "0.1")


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


def test_self_check_returns_data_copies_and_models_as_they_are():
    report = CheckReport("0.3")
    x = np.ones(3, dtype=np.float32)
    got = report.call(lambda: x, name="f")
    assert got is not x and got.dtype == np.float32
    model = object()
    assert report.call(lambda: model, name="g") is model


def test_not_checked_records_one_failure_for_a_failed_call():
    report = CheckReport("0.4")
    failed = report.call(lambda: 1 / 0, name="f")
    assert isinstance(failed, CallFailed)
    assert not report.not_checked("the returned dict", failed)
    assert not report.not_checked("its keys", failed)
    assert not report.not_checked("the model", Opaque("<Model object>"))
    with pytest.raises(CheckFailed) as info:
        report.finish()
    text = str(info.value)
    assert (
        "`the returned dict`: expected a result, but calling f() raised ZeroDivisionError" in text
    )
    assert "`its keys` not checked: calling f() raised the same error" in text
    assert "`the model` not checked: got <Model object>." in text
    assert "expected 0" not in text


def test_report_default_tolerances():
    report = CheckReport("0.5", atol=0.1, rtol=0.0)
    assert report.expect_close("x", 1.05, 1.0)
    assert not report.expect_close("x", 1.05, 1.0, atol=0.01)


def test_parse_check_call_resolves_the_check_and_names_the_student_objects(ch0):
    function, args, kwargs = parse_check_call(
        "from course_lib.checks import ch0\n\nch0.check_double(double, seed=3)"
    )
    assert function is ch0.check_double and args[0].__name__ == "double"
    assert kwargs == {"seed": 3}
    for bad in ("import os\nos.system('x')", "ch0.check_double(double)", "print(1)\nprint(2)"):
        with pytest.raises((ValueError, AttributeError)):
            parse_check_call(bad)


def test_judge_in_a_clean_process_ignores_a_probe_environment(monkeypatch, tmp_path):
    probe(monkeypatch, tmp_path, check_double, right)
    monkeypatch.setenv(PROBE_DIR_ENV, str(tmp_path / "elsewhere"))
    assert judge(SOURCE, "0.1", tmp_path, None).passed == 4
    assert not (tmp_path / "elsewhere").exists()


def test_a_student_function_under_another_name_is_judged_the_same(monkeypatch, tmp_path):
    def my_double(x):  # the notebook then says `double = my_double`
        return 2 * x

    probe(monkeypatch, tmp_path, check_double, my_double)
    assert judge(SOURCE, "0.1", tmp_path, None).passed == 4


def test_a_check_that_inspects_a_model_directly_is_caught_when_judged(monkeypatch, tmp_path):
    def check_model(make):
        report = CheckReport("0.6")
        model = report.call(make, name="make")
        if report.judging:
            report.expect(hasattr(model, "predict"), "the model should have predict")
        report.finish()

    class Model:
        def predict(self):
            return 1

    check_model.__module__ = "course_lib.checks.ch0"
    sys.modules["course_lib.checks.ch0"].check_model = check_model
    check_model(Model)  # self-check: the model itself is there
    probe(monkeypatch, tmp_path, check_model, Model)
    source = "from course_lib.checks import ch0\nch0.check_model(make)"
    assert judge(source, "0.6", tmp_path, None).passed == 0  # judged: only its description
