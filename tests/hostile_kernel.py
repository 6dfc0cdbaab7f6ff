"""A kernel-like process for `tests/test_check_hostile.py`: one notebook's check cells run on
the reference solutions and on hostile submissions, the way the grader's kernel runs them.

    python tests/hostile_kernel.py STEM OUT_DIR probe SEED [SEED ...]
    python tests/hostile_kernel.py STEM OUT_DIR patched SEED
    python tests/hostile_kernel.py STEM OUT_DIR selfcheck

`probe` and `patched` run as the grader's kernel does: the parent has written the inputs
into `OUT_DIR/<submission>/<seed>/` (and the self-check's inputs into `OUT_DIR/selfcheck/`),
and puts the grader's copy of `course_lib` first on the path, the answer key withheld; the
check cells only probe (`RNN_COURSE_PROBE_DIR`). `selfcheck` runs them as a student's own
notebook does, with the real package, and reports the scores. The scores go to stdout as
JSON: `{"selfcheck": {"wrong": {"1.1": 2, ...}, ...}}`. The submissions:

- `reference`: the solution notebook's functions (probed under every SEED);
- `stub`: every function raises `NotImplementedError`;
- `wrong`: the reference with every numeric answer moved (`x * 1.5 + 0.1`, ints + 1);
- `lookup`: functions that only return the answers the reference gave on the
  self-check's inputs (recorded by answering them) and raise otherwise;
- `patched` mode: `wrong`, after patching `numpy.abs`, `numpy.isfinite` and
  `numpy.allclose` for callers inside `course_lib` (the check's comparisons) as a hostile
  solution cell would.

Checks whose inputs are fixed by nature (they train a model) run only for `reference`
(with training memoized: the same data gives the same trained model).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from exercise_solutions import check_cells, load_solutions, unsolved  # noqa: E402

from course_lib.checks import CheckFailed  # noqa: E402
from course_lib.checks.contract import PROBE_DIR_ENV, probe_line  # noqa: E402


def run_cell(cell, namespace: dict, probe_dir: Path | None = None):
    """Run one check cell with the student's `namespace`; return the self-check score."""
    os.environ.pop(PROBE_DIR_ENV, None)
    if probe_dir is not None:
        os.environ[PROBE_DIR_ENV] = str(probe_dir)
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output):
            exec(compile(cell.source, f"check {cell.exercise}", "exec"), dict(namespace))
    except CheckFailed as failed:
        return failed.passed
    finally:
        os.environ.pop(PROBE_DIR_ENV, None)
    if probe_dir is not None:
        assert output.getvalue() == probe_line(cell.exercise) + "\n", output.getvalue()
        return None
    return cell.total


def moved(value):
    """A wrong answer of the same shape: numbers moved, containers kept."""
    if isinstance(value, bool | np.bool_) or value is None:
        return value
    if isinstance(value, int | np.integer):
        return value + 1
    if isinstance(value, float | np.floating):
        return value * 1.5 + 0.1
    if isinstance(value, np.ndarray) and value.dtype.kind in "iu":
        return value + 1
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value * 1.5 + 0.1
    if isinstance(value, tuple | list):
        return type(value)(moved(item) for item in value)
    if isinstance(value, dict):
        return {key: moved(item) for key, item in value.items()}
    return value


def wrong(function):
    @functools.wraps(function)
    def answer(*args, **kwargs):
        return moved(function(*args, **kwargs))

    return answer


def key_of(value) -> str:
    """What a lookup table keys on: the data among the arguments (not models or generators)."""
    if isinstance(value, np.ndarray):
        digest = hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()[:16]
        return f"array{value.dtype}{value.shape}{digest}"
    if isinstance(value, bool | int | float | str | np.generic) or value is None:
        return repr(value)
    if isinstance(value, tuple | list):
        return "[" + ",".join(key_of(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{key_of(v)}" for k, v in sorted(value.items())) + "}"
    return type(value).__name__


def lookup_pair(function):
    """`(recorder, lookup)`: the recorder answers with `function` and fills the table."""
    table: dict[str, object] = {}

    def recorder(*args, **kwargs):
        result = function(*args, **kwargs)
        table[key_of((args, kwargs))] = result
        return result

    def lookup(*args, **kwargs):
        key = key_of((args, kwargs))
        if key not in table:
            raise NotImplementedError("no answer recorded for these inputs")
        return table[key]

    return recorder, lookup


def memoized_training(function):
    cache: dict[str, object] = {}

    @functools.wraps(function)
    def train(*args, **kwargs):
        key = key_of((args, kwargs))
        if key not in cache:
            cache[key] = function(*args, **kwargs)
        return cache[key]

    return train


def patch_numpy() -> None:
    """What a hostile solution cell does: blind the check's comparisons, keep its own maths."""
    real_abs, real_isfinite, real_allclose = np.abs, np.isfinite, np.allclose

    def from_checks() -> bool:
        module = sys._getframe(2).f_globals.get("__name__", "")
        return module.startswith("course_lib")

    def fake_abs(x, *args, **kwargs):
        return (
            np.zeros_like(real_abs(x, *args, **kwargs))
            if from_checks()
            else real_abs(x, *args, **kwargs)
        )

    def fake_isfinite(x, *args, **kwargs):
        result = real_isfinite(x, *args, **kwargs)
        return np.ones_like(result) if from_checks() else result

    def fake_allclose(*args, **kwargs):
        return True if from_checks() else real_allclose(*args, **kwargs)

    np.abs, np.isfinite, np.allclose = fake_abs, fake_isfinite, fake_allclose
    np.absolute = fake_abs


def main(stem: str, out: Path, mode: str, seeds: list[int]) -> dict:
    S = vars(load_solutions(stem))
    cells = check_cells(stem)
    scores: dict[str, dict[str, int | None]] = {}

    def namespace(transform) -> dict:
        names = {name for cell in cells for name in cell.names}
        return {**S, **{name: transform(S[name]) for name in names}}

    tested = [cell for cell in cells if not cell.fixed_by_nature]
    wrong_ns = namespace(wrong)
    if mode == "patched":
        patch_numpy()
        for cell in tested:
            run_cell(cell, wrong_ns, out / "patched" / str(seeds[0]))
        return {"selfcheck": scores}
    pairs = {name: lookup_pair(S[name]) for cell in cells for name in cell.names}
    recorders = {**S, **{name: pair[0] for name, pair in pairs.items()}}
    lookups = {**S, **{name: pair[1] for name, pair in pairs.items()}}
    if mode == "selfcheck":
        for cell in tested:
            scores.setdefault("wrong", {})[cell.exercise] = run_cell(cell, wrong_ns)
            run_cell(cell, recorders)  # the self-check fills the lookup table
            scores.setdefault("lookup", {})[cell.exercise] = run_cell(cell, lookups)
        patch_numpy()
        for cell in tested:
            scores.setdefault("patched", {})[cell.exercise] = run_cell(cell, wrong_ns)
        return {"selfcheck": scores}
    reference = namespace(lambda f: f)
    for cell in cells:
        if cell.fixed_by_nature:
            reference[cell.names[0]] = memoized_training(S[cell.names[0]])
    stub = namespace(lambda f: unsolved)
    for cell in cells:
        for seed in seeds:
            run_cell(cell, reference, out / "reference" / str(seed))
    for cell in tested:
        run_cell(cell, stub, out / "stub" / str(seeds[0]))
        run_cell(cell, wrong_ns, out / "wrong" / str(seeds[0]))
        run_cell(cell, recorders, out / "selfcheck")  # the self-check's inputs fill the table
        run_cell(cell, lookups, out / "lookup" / str(seeds[0]))
    return {"selfcheck": scores}


if __name__ == "__main__":
    stem, out, mode, *seeds = sys.argv[1:]
    result = main(stem, Path(out), mode, [int(seed) for seed in seeds])
    sys.stdout.flush()
    print("RESULT " + json.dumps(result))
