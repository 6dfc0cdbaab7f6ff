"""A generated class with known mistakes, as a grading run records it, for the class report.

`known_class()` returns the `NotebookResult`s of eight students on one notebook of two
exercises, whose counts the tests know by construction (`EXPECTED`), with two planted copies
in Exercise 1.2 (renamed variables, reordered lines, comments) and honest different answers.
"""

from __future__ import annotations

from course_lib.checks.report import CheckOutcome
from course_lib.grading.outcomes import ExerciseResult, ExerciseStatus, NotebookResult

NOTEBOOK = "01_basics.ipynb"
BIAS_HINT = "the bias goes inside the tanh, not after it."
TANH_HINT = "apply the tanh activation to x_t @ kernel + h @ recurrent_kernel + bias."

STARTER = '''def run_rnn(x, h0, kernel, recurrent_kernel, bias):
    """Run a simple RNN over the timesteps of x; return every state, (batch, timesteps, units)."""
    # TODO: loop over the timesteps, apply the step, stack the states.
    raise NotImplementedError("Exercise 1.2: run the RNN over time")
'''

ORIGINAL = '''def run_rnn(x, h0, kernel, recurrent_kernel, bias):
    """Run a simple RNN over the timesteps of x; return every state, (batch, timesteps, units)."""
    states = []
    h = h0
    batch, timesteps, features = x.shape
    for t in range(timesteps):
        pre = x[:, t, :] @ kernel + h @ recurrent_kernel + bias
        h = np.tanh(pre)
        states.append(h)
    out = np.stack(states, axis=1)
    assert out.shape[:2] == (batch, timesteps)
    return out
'''

# The original with every name changed, lines reordered, comments and blank lines added.
PLANTED_COPY = '''def run_rnn(x, h0, kernel, recurrent_kernel, bias):
    """Run a simple RNN over the timesteps of x; return every state, (batch, timesteps, units)."""
    n_batch, n_steps, n_features = x.shape   # unpack the shape first
    state = h0
    collected = []

    for step in range(n_steps):
        # the pre-activation of this step
        a = x[:, step, :] @ kernel + state @ recurrent_kernel + bias
        state = np.tanh(a)
        collected.append(state)
    result = np.stack(collected, axis=1)
    assert result.shape[:2] == (n_batch, n_steps)
    return result
'''

HONEST_SCAN = '''def run_rnn(x, h0, kernel, recurrent_kernel, bias):
    """Run a simple RNN over the timesteps of x; return every state, (batch, timesteps, units)."""
    inputs = np.einsum("btf,fu->btu", x, kernel) + bias
    h = h0
    out = np.empty(inputs.shape)
    for t in range(inputs.shape[1]):
        h = np.tanh(inputs[:, t] + h.dot(recurrent_kernel))
        out[:, t] = h
    return out
'''

HONEST_RECURSIVE = '''def run_rnn(x, h0, kernel, recurrent_kernel, bias):
    """Run a simple RNN over the timesteps of x; return every state, (batch, timesteps, units)."""
    if x.shape[1] == 0:
        return np.zeros((x.shape[0], 0, h0.shape[-1]))
    first = np.tanh(np.matmul(x[:, 0], kernel) + np.matmul(h0, recurrent_kernel) + bias)
    rest = run_rnn(x[:, 1:], first, kernel, recurrent_kernel, bias)
    return np.concatenate([first[:, None, :], rest], axis=1)
'''

SHORT = '''def run_rnn(x, h0, kernel, recurrent_kernel, bias):
    """Run a simple RNN over the timesteps of x; return every state, (batch, timesteps, units)."""
    return keras_rnn(x, h0)
'''

STEP_CHECKS = ("shape: h_t for a random batch", "values: h_t for a random batch",
               "unchanged: h_t for a random batch", "values: h_t with large weights")  # fmt: skip

# What the tests expect of `known_class()`, by construction.
EXPECTED = {
    "students": 8,
    "mistakes_1_1": [("bias-after-tanh", 3, BIAS_HINT), ("no-tanh", 1, TANH_HINT)],
    "values_random_batch_passed": 2,  # of 6 judged: ada and bob
    "judged_1_1": 6,
    "problems": {
        ("dan", "1.1", "error"),
        ("eve", "1.1", "missing"),
        ("eve", "1.2", "missing"),
        ("fay", "1.2", "timeout"),
    },  # fmt: skip
    "planted": ("ada", "gus"),
}


def _step_checks(diagnosis: str | None, hint: str | None) -> tuple[CheckOutcome, ...]:
    if diagnosis is None:
        return tuple(CheckOutcome(name, True) for name in STEP_CHECKS)
    return (
        CheckOutcome(STEP_CHECKS[0], True),
        CheckOutcome(STEP_CHECKS[1], False, diagnosis, hint),
        CheckOutcome(STEP_CHECKS[2], True),
        CheckOutcome(STEP_CHECKS[3], False, diagnosis, hint),
    )


def _result(student, exercise, points, worth, status, checks=(), solution="", message=""):
    diagnoses = tuple(c.diagnosis for c in checks if c.diagnosis)
    return ExerciseResult(student, NOTEBOOK, exercise, points, worth, ExerciseStatus(status),
                          message, diagnoses, tuple(checks), solution)  # fmt: skip


def known_class(names: dict[str, str] | None = None) -> list[NotebookResult]:
    """Eight students' results on `NOTEBOOK` (see `EXPECTED`); `names` renames students."""
    names = names or {}
    plan = {  # student -> (1.1: diagnosis or None, or a status; 1.2: answer or status)
        "ada": (None, ORIGINAL),
        "bob": (None, HONEST_SCAN),
        "cid": ("bias-after-tanh", HONEST_RECURSIVE),
        "dan": ("error", SHORT),
        "eve": ("missing", "missing"),
        "fay": ("bias-after-tanh", "timeout"),
        "gus": ("bias-after-tanh", PLANTED_COPY),
        "ivy": ("no-tanh", STARTER),
    }
    hints = {"bias-after-tanh": BIAS_HINT, "no-tanh": TANH_HINT}
    results = []
    for number, (student, (first, second)) in enumerate(plan.items()):
        name = names.get(student, student)
        rows = []
        if first in ("error", "missing"):
            message = "the check raised NameError: np" if first == "error" else "not found"
            rows.append(_result(name, "1.1", 0.0, 2.0, first, message=message))
        else:
            checks = _step_checks(first, hints.get(first))
            points = 2.0 if first is None else 1.0
            rows.append(_result(name, "1.1", points, 2.0, "passed" if first is None else
                                "partial", checks, "return np.tanh(x @ w + h @ u + b)"))  # fmt: skip
        if second in ("missing", "timeout"):
            rows.append(_result(name, "1.2", 0.0, 3.0, second, message=f"{second}: check cell"))
        else:
            passed = second is not STARTER
            checks = (CheckOutcome("values: every state", passed),)
            rows.append(_result(name, "1.2", 3.0 if passed else 0.0, 3.0,
                                "passed" if passed else "failed", checks, second))  # fmt: skip
        results.append(
            NotebookResult(
                name, NOTEBOOK, rows, seconds=10.0 + number, seed=7, submitted=first != "missing"
            )  # fmt: skip
        )
    return results


STARTERS = {NOTEBOOK: {"1.1": "def rnn_step(...):\n    raise NotImplementedError", "1.2": STARTER}}
