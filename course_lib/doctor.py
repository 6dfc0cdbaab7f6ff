"""`rnn-course doctor`: what is wrong with a set-up, one line per problem with its fix.

The checks, in order: the Python version; the installed packages against the course's
requirements (those of the installed `rnn-course` package, else of the checkout's
pyproject.toml); TensorFlow imports and trains a tiny model (in a separate process, so a
crash is reported instead of killing the doctor); the Jupyter kernel that notebooks ask for
(`python3`) imports `course_lib`, the same copy as this command; enough free disk.

    $ rnn-course doctor
    ok       Python 3.11.9 (the course needs >=3.11)
    PROBLEM  keras 2.15.0 is installed; the course needs keras>=3.10,<4.
             fix: /home/me/.venv/bin/python -m pip install "keras>=3.10,<4"
    1 problem found.

On Colab (`!rnn-course doctor` in a notebook) the checks follow the notebooks' first cell:
Colab's own TensorFlow passes when it is at least the lowest the course supports
(`course_lib.colab`), and there is no kernel to check, the notebook's kernel being Colab's.

The exit code is 0 when everything is in place and 1 otherwise. This module imports only
the standard library and `packaging` at module level, so it works in a broken set-up.

Introduced in Chapter 0 (Introduction and set-up).
"""

from __future__ import annotations

import json
import math
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from course_lib.colab import running_on_colab, unmet_on_colab
from course_lib.requirements import (
    DISTRIBUTION,
    course_requirements,
    installed_version,
    unmet_requirement,
)

KERNEL_NAME = "python3"  # the kernelspec every course notebook names in its metadata
MIN_FREE_GB = 1.0
TENSORFLOW_TIMEOUT = 300.0

# Run in a separate Python: import TensorFlow and Keras, train a tiny recurrent model.
TINY_TRAINING = r"""
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import json
import numpy as np
import tensorflow as tf
import keras
report = {"tensorflow": tf.__version__, "keras": keras.__version__,
          "backend": keras.backend.backend()}
if report["backend"] == "tensorflow":  # another backend cannot run the course's code
    x = np.random.default_rng(0).normal(size=(64, 5, 2)).astype("float32")  # (B, T, F)
    y = x.sum(axis=(1, 2))[:, None]  # (B, 1)
    model = keras.Sequential(
        [keras.Input((5, 2)), keras.layers.SimpleRNN(4), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    report["loss"] = model.fit(x, y, epochs=2, batch_size=16, verbose=0).history["loss"]
print(json.dumps(report))
"""

# Run with the kernel's Python: where does it import course_lib from?
WHERE_IS_COURSE_LIB = "import course_lib, os; print(os.path.realpath(course_lib.__file__))"


@dataclass(frozen=True)
class Finding:
    """The outcome of one check: fine, or a problem with the command that fixes it."""

    check: str
    ok: bool
    message: str
    fix: str = ""

    def lines(self) -> list[str]:
        """The finding as printed: one line, and the fix on the next when there is one."""
        head = f"{'ok' if self.ok else 'PROBLEM':8} {self.message}"
        return [head] + ([f"{'':8} fix: {self.fix}"] if self.fix and not self.ok else [])


def _python_command() -> str:
    return shlex.quote(sys.executable)


def _pip_install(requirement: str) -> str:
    return f'{_python_command()} -m pip install "{requirement}"'


# -- the checks --------------------------------------------------------------------------------


def check_python(
    version: Sequence[int] | None = None, requires_python: str | None = None
) -> list[Finding]:
    """The Python version against the course's `requires-python` (default: >=3.11)."""
    version = tuple(sys.version_info[:3] if version is None else version)
    if requires_python is None:
        try:
            requires_python = course_requirements()[1]
        except (FileNotFoundError, KeyError):
            requires_python = ""
    requires_python = requires_python or ">=3.11"
    text = ".".join(str(part) for part in version)
    if SpecifierSet(requires_python).contains(text):
        return [Finding("python", True, f"Python {text} (the course needs {requires_python})")]
    return [
        Finding(
            "python",
            False,
            f"Python {text} is running; the course needs Python {requires_python}.",
            "install Python 3.11 (python.org, or `conda env create -f environment.yml`) and "
            "make a new environment with it",
        )
    ]


def check_packages(
    requirements: Iterable[Requirement] | None = None,
    version_of: Callable[[str], str | None] = installed_version,
    on_colab: bool | None = None,
) -> list[Finding]:
    """Every requirement of the course against what is installed; one finding per problem.

    On Colab (`on_colab`, default: `colab.running_on_colab()`) Colab's own TensorFlow passes
    when it is at least the lowest version the course supports.
    """
    colab = running_on_colab() if on_colab is None else on_colab
    unmet = unmet_on_colab if colab else unmet_requirement
    if requirements is None:
        try:
            requirements = course_requirements()[0]
        except (FileNotFoundError, KeyError):
            return [
                Finding(
                    "packages",
                    False,
                    f"the {DISTRIBUTION} package is not installed and no pyproject.toml was "
                    "found next to course_lib.",
                    f"{_python_command()} -m pip install -e .   (in the course repository)",
                )
            ]
    requirements = list(requirements)
    problems = []
    for requirement in requirements:
        problem = unmet(requirement, version_of(requirement.name))
        if problem:
            problems.append(Finding("packages", False, problem, _pip_install(str(requirement))))
    if problems:
        return problems
    return [
        Finding("packages", True, f"{len(requirements)} packages match the course's requirements")
    ]


def _reinstall_tensorflow() -> str:
    """How to repair TensorFlow: a fresh Colab runtime, elsewhere the course's range again."""
    if running_on_colab():
        return "Runtime > Disconnect and delete runtime, then run the notebook from the top"
    try:
        tensorflow = [str(r) for r in course_requirements()[0] if r.name == "tensorflow"]
    except (FileNotFoundError, KeyError):
        tensorflow = []
    requirement = tensorflow[0] if tensorflow else "tensorflow"
    return f'{_python_command()} -m pip install --force-reinstall "{requirement}"'


def check_tensorflow(
    python: str | None = None, timeout: float = TENSORFLOW_TIMEOUT
) -> list[Finding]:
    """TensorFlow and Keras import and train a tiny SimpleRNN, in a separate process."""
    command = [python or sys.executable, "-c", TINY_TRAINING]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    reinstall = _reinstall_tensorflow()
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        return [
            Finding(
                "tensorflow",
                False,
                f"TensorFlow did not import and train a tiny model within {timeout:.0f} s.",
                "close other programs and try again; if it still hangs: " + reinstall,
            )
        ]
    output = result.stdout.strip().splitlines()
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if result.returncode != 0 and backend != "tensorflow":
        output = [json.dumps({"backend": backend})]  # Keras failed on the backend it was told
    elif result.returncode != 0 or not output:
        errors = [line for line in result.stderr.strip().splitlines() if line.strip()]
        last = errors[-1] if errors else f"exit code {result.returncode}"
        if result.returncode < 0:
            last = f"the process was killed by signal {-result.returncode} ({last})"
        return [
            Finding(
                "tensorflow",
                False,
                f"TensorFlow cannot import or train a tiny model: {last}",
                reinstall,
            )
        ]
    report = json.loads(output[-1])
    if report["backend"] != "tensorflow":
        return [
            Finding(
                "tensorflow",
                False,
                f"Keras runs on the {report['backend']} backend; the course uses TensorFlow.",
                "unset KERAS_BACKEND (or set it to tensorflow) and remove `backend` from "
                "~/.keras/keras.json",
            )
        ]
    if not all(math.isfinite(value) for value in report["loss"]):
        return [
            Finding(
                "tensorflow",
                False,
                f"TensorFlow trains a tiny model to a loss that is not finite: {report['loss']}",
                reinstall,
            )
        ]
    return [
        Finding(
            "tensorflow",
            True,
            f"TensorFlow {report['tensorflow']} and Keras {report['keras']} train a tiny model "
            f"(loss {report['loss'][0]:.2f} -> {report['loss'][-1]:.2f})",
        )
    ]


def _kernel_python(argv: list[str]) -> str:
    # jupyter_client starts a kernelspec whose argv[0] is "python" (or python3, python3.11)
    # with the Python that runs Jupyter itself.
    names = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info)}
    return sys.executable if argv and argv[0] in names else (argv[0] if argv else "")


def check_kernel(kernel_name: str = KERNEL_NAME) -> list[Finding]:
    """The Jupyter kernel the notebooks name imports course_lib, the copy this command uses."""
    install = f"{_python_command()} -m ipykernel install --user --name {kernel_name}"
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    except ImportError:
        return [
            Finding(
                "kernel",
                False,
                "jupyter_client is not installed (Jupyter is missing).",
                _pip_install("jupyterlab>=4"),
            )
        ]
    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        return [
            Finding("kernel", False, f"there is no Jupyter kernel named {kernel_name!r}.", install)
        ]
    python = _kernel_python(list(spec.argv))
    env = {**os.environ, **(spec.env or {})}
    try:
        result = subprocess.run(
            [python, "-c", WHERE_IS_COURSE_LIB],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return [
            Finding(
                "kernel",
                False,
                f"the Jupyter kernel {kernel_name!r} cannot start its Python {python}: {error}",
                install,
            )
        ]
    if result.returncode != 0:
        return [
            Finding(
                "kernel",
                False,
                f"the Jupyter kernel {kernel_name!r} ({python}) cannot import course_lib.",
                install,
            )
        ]
    theirs = Path(result.stdout.strip().splitlines()[-1])
    ours = Path(__file__).resolve().parent / "__init__.py"
    if theirs.resolve() != ours.resolve():
        return [
            Finding(
                "kernel",
                False,
                f"the Jupyter kernel {kernel_name!r} imports course_lib from {theirs.parent}, "
                f"this command from {ours.parent}: notebooks would run another copy.",
                install,
            )
        ]
    return [Finding("kernel", True, f"the Jupyter kernel {kernel_name!r} imports course_lib")]


def check_disk(
    path: str | Path = ".",
    minimum_gb: float = MIN_FREE_GB,
    free_bytes: Callable[[Path], int] | None = None,
) -> list[Finding]:
    """At least `minimum_gb` gigabytes free where the notebooks run (default: here)."""
    path = Path(path).resolve()
    free = (free_bytes or (lambda p: shutil.disk_usage(p).free))(path)
    gb = free / 1e9
    if gb >= minimum_gb:
        return [Finding("disk", True, f"{gb:.1f} GB free in {path}")]
    return [
        Finding(
            "disk",
            False,
            f"only {gb:.2f} GB free in {path}; the course needs at least {minimum_gb:g} GB.",
            "free some space: delete old files, empty the trash, or `pip cache purge`",
        )
    ]


CHECKS: dict[str, Callable[[], list[Finding]]] = {
    "python": check_python,
    "packages": check_packages,
    "tensorflow": check_tensorflow,
    "kernel": check_kernel,
    "disk": check_disk,
}
# On Colab the notebook's kernel is Colab's own: nothing to check unless asked for.
SKIPPED_ON_COLAB = ("kernel",)


def run_doctor(
    checks: Iterable[str] | None = None,
    out: Callable[[str], None] = print,
    on_colab: bool | None = None,
) -> int:
    """Run the checks, print one line per finding (with the fix), return the exit code.

    Args:
        checks: names of the checks to run, from `CHECKS`. Defaults to all of them, except
            `SKIPPED_ON_COLAB` on Colab.
        out: where the lines go. Defaults to `print`.
        on_colab: whether this runs on Colab. Defaults to `colab.running_on_colab()`.

    Returns:
        0 when every check passed, 1 otherwise.

    Example:
    >>> from course_lib.doctor import run_doctor
    >>> exit_code = run_doctor(["python", "disk"])  # doctest: +SKIP
    """
    if checks is None:
        colab = running_on_colab() if on_colab is None else on_colab
        checks = [name for name in CHECKS if not (colab and name in SKIPPED_ON_COLAB)]
    names = list(checks)
    unknown = [name for name in names if name not in CHECKS]
    if unknown:
        raise ValueError(f"checks must be names from {list(CHECKS)}; got {unknown}")
    problems = 0
    for name in names:
        try:
            findings = CHECKS[name]()
        except Exception as error:  # a check that breaks is a finding, not a crash
            findings = [Finding(name, False, f"the {name} check itself failed: {error!r}")]
        for finding in findings:
            problems += not finding.ok
            for line in finding.lines():
                out(line)
    if problems:
        out(f"{problems} problem{'s' if problems > 1 else ''} found.")
        return 1
    out("Everything the course needs is in place.")
    return 0
