"""`rnn-course doctor` on healthy and broken set-ups: one line per problem, with its fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from course_lib import doctor
from course_lib.cli import main
from course_lib.requirements import course_requirements

REPO = Path(__file__).resolve().parents[1]


def run_doctor_process(tmp_path: Path, *args: str, pythonpath: list[Path] = (), env=None):
    """`python -m course_lib doctor ARGS` in a new process, `pythonpath` put first."""
    environment = {**os.environ, **(env or {})}
    environment["PYTHONPATH"] = os.pathsep.join([*map(str, pythonpath), str(REPO)])
    return subprocess.run(
        [sys.executable, "-m", "course_lib", "doctor", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=600,
    )


def fake_distribution(site: Path, name: str, version: str) -> None:
    """A dist-info folder that importlib.metadata finds before the real one."""
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )


# -- the checks one by one -----------------------------------------------------------------


def test_course_requirements_are_those_of_pyproject():
    requirements, requires_python = course_requirements()
    names = {r.name for r in requirements}
    assert {"tensorflow", "keras", "numpy", "sphinx", "nbclient"} <= names
    # The tools of the book, the tests and the teacher are extras, not needed to run a notebook.
    tools = {"jupyter-book", "jupyterlab", "pytest", "nbval", "nbgrader", "dask", "ruff"}
    assert not names & tools, names & tools
    assert requires_python == ">=3.11"


TENSORFLOW = Requirement("tensorflow>=2.16,<2.22")


@pytest.mark.parametrize(
    ("version", "on_colab", "ok"),
    [
        ("2.19.0", False, True),
        ("2.23.0", False, False),  # past the range the course is tested with
        ("2.23.0", True, True),  # ... but Colab's own TensorFlow is kept
        ("2.15.1", True, False),  # not below the lowest the course supports, even on Colab
        (None, True, False),
    ],
)
def test_on_colab_a_newer_tensorflow_passes(version, on_colab, ok):
    installed = {"tensorflow": version}
    (finding,) = doctor.check_packages([TENSORFLOW], installed.get, on_colab=on_colab)
    assert finding.ok is ok, finding
    if not ok:
        assert finding.fix.endswith('pip install "tensorflow<2.22,>=2.16"')


def test_on_colab_there_is_no_kernel_to_check(monkeypatch):
    ran = []
    for name in doctor.CHECKS:
        monkeypatch.setitem(doctor.CHECKS, name, lambda name=name: ran.append(name) or [])
    doctor.run_doctor(out=lambda line: None, on_colab=True)
    assert ran == ["python", "packages", "tensorflow", "disk"]
    ran.clear()
    doctor.run_doctor(out=lambda line: None, on_colab=False)
    assert ran == ["python", "packages", "tensorflow", "kernel", "disk"]


def test_old_python_is_a_problem_with_a_fix():
    (finding,) = doctor.check_python((3, 10, 12), ">=3.11")
    assert not finding.ok and "Python 3.10.12" in finding.message and ">=3.11" in finding.message
    assert "Python 3.11" in finding.fix
    (finding,) = doctor.check_python((3, 11, 9), ">=3.11")
    assert finding.ok


def test_missing_and_wrong_packages_each_get_a_line_and_a_pip_command():
    requirements = [Requirement("keras>=3.10,<4"), Requirement("numpy>=1.26"), Requirement("x>=1")]
    installed = {"keras": "2.15.0", "numpy": "2.1.0"}
    findings = doctor.check_packages(requirements, version_of=installed.get)
    assert [f.ok for f in findings] == [False, False]
    keras, missing = findings
    assert keras.message == "keras 2.15.0 is installed; the course needs keras<4,>=3.10."
    assert keras.fix.endswith('-m pip install "keras<4,>=3.10"')
    assert sys.executable in keras.fix
    assert missing.message == "x is not installed; the course needs x>=1."


def test_packages_that_match_give_one_ok_line():
    (finding,) = doctor.check_packages(
        [Requirement("tensorflow==2.21.*")], version_of={"tensorflow": "2.21.0"}.get
    )
    assert finding.ok and "1 packages match" in finding.message


def test_little_free_disk_is_a_problem(tmp_path):
    (finding,) = doctor.check_disk(tmp_path, minimum_gb=1.0, free_bytes=lambda path: 200_000_000)
    assert not finding.ok and "only 0.20 GB free" in finding.message and finding.fix
    (finding,) = doctor.check_disk(tmp_path, minimum_gb=1.0, free_bytes=lambda path: 5 * 10**9)
    assert finding.ok


def kernelspec(root: Path, argv: list[str]) -> Path:
    folder = root / "kernels" / doctor.KERNEL_NAME
    folder.mkdir(parents=True)
    spec = {"argv": argv, "display_name": "Python 3", "language": "python"}
    (folder / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return root


def test_a_kernel_whose_python_does_not_exist_is_a_problem(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", str(kernelspec(tmp_path, [str(tmp_path / "no-python")])))
    (finding,) = doctor.check_kernel()
    assert not finding.ok and "cannot start its Python" in finding.message
    assert "ipykernel install --user --name python3" in finding.fix


@pytest.mark.skipif(os.name == "nt", reason="the fake kernel Python is a shell script")
def test_a_kernel_without_course_lib_is_a_problem(tmp_path, monkeypatch):
    # A Python that cannot import course_lib: isolated mode ignores PYTHONPATH, and the
    # kernel's environment points PYTHONPATH nowhere.
    wrapper = tmp_path / "python-without-course-lib"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -I -S "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    monkeypatch.setenv("JUPYTER_PATH", str(kernelspec(tmp_path, [str(wrapper), "-m", "x"])))
    (finding,) = doctor.check_kernel()
    assert not finding.ok and "cannot import course_lib" in finding.message


def test_a_kernel_with_another_copy_of_course_lib_is_a_problem(tmp_path, monkeypatch):
    other = tmp_path / "other" / "course_lib"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text("", encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(kernelspec(tmp_path, ["python", "-m", "x"])))
    monkeypatch.setenv("PYTHONPATH", str(other.parent))
    monkeypatch.chdir(tmp_path)  # not the repository, whose course_lib `python -c` would see
    (finding,) = doctor.check_kernel()
    assert not finding.ok and "another copy" in finding.message


def test_the_course_kernel_is_fine_here(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", str(kernelspec(tmp_path, ["python", "-m", "x"])))
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    (finding,) = doctor.check_kernel()
    assert finding.ok, finding


def test_a_check_that_crashes_is_reported_not_raised(monkeypatch):
    def broken():
        raise OSError("disk on fire")

    monkeypatch.setitem(doctor.CHECKS, "disk", broken)
    lines = []
    assert doctor.run_doctor(["disk"], out=lines.append) == 1
    assert "disk on fire" in lines[0] and lines[-1] == "1 problem found."


def test_unknown_check_names_are_a_value_error():
    with pytest.raises(ValueError, match="checks must be names from"):
        doctor.run_doctor(["pyhton"])


def test_cli_doctor_only_runs_the_checks_asked_for(capsys):
    assert main(["doctor", "--only", "python", "--only", "disk"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and out[0].startswith("ok       Python") and "GB free" in out[1]
    assert out[-1] == "Everything the course needs is in place."


# -- whole broken environments, in a new process ------------------------------------------


def test_a_broken_tensorflow_and_an_old_keras(tmp_path):
    """A TensorFlow that fails to import (as a broken install does) and Keras 2 metadata."""
    site = tmp_path / "site"
    (site / "tensorflow").mkdir(parents=True)
    (site / "tensorflow" / "__init__.py").write_text(
        'raise ImportError("DLL load failed while importing _pywrap_tensorflow_internal")\n',
        encoding="utf-8",
    )
    fake_distribution(site, "keras", "2.15.0")
    result = run_doctor_process(
        tmp_path, "--only", "packages", "--only", "tensorflow", pythonpath=[site]
    )
    lines = result.stdout.splitlines()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "PROBLEM  keras 2.15.0 is installed; the course needs keras<4,>=3.10." in lines
    assert any(
        line.startswith("PROBLEM  TensorFlow cannot import") and "DLL load failed" in line
        for line in lines
    ), lines
    (tensorflow,) = [r for r in course_requirements()[0] if r.name == "tensorflow"]
    assert any(f'pip install --force-reinstall "{tensorflow}"' in line for line in lines), lines
    assert lines[-1] == "2 problems found."


def test_on_colab_its_tensorflow_is_kept_and_a_fresh_runtime_is_the_fix(tmp_path):
    """Colab (its environment variable) with a TensorFlow past the course's range: accepted by
    the packages check; broken: the fix is a fresh runtime, not a TensorFlow of our choice."""
    site = tmp_path / "site"
    (site / "tensorflow").mkdir(parents=True)
    (site / "tensorflow" / "__init__.py").write_text('raise ImportError("broken")\n')
    fake_distribution(site, "tensorflow", "9.0.0")
    colab = {"COLAB_RELEASE_TAG": "release-colab_20261201-060000_RC00"}
    args = ("--only", "packages", "--only", "tensorflow")
    result = run_doctor_process(tmp_path, *args, pythonpath=[site], env=colab)
    lines = result.stdout.splitlines()
    assert not any("tensorflow 9.0.0" in line for line in lines), lines
    assert "fix: Runtime > Disconnect and delete runtime" in result.stdout
    elsewhere = run_doctor_process(tmp_path, *args, pythonpath=[site])
    assert "PROBLEM  tensorflow 9.0.0 is installed" in elsewhere.stdout


def test_keras_on_another_backend(tmp_path):
    result = run_doctor_process(tmp_path, "--only", "tensorflow", env={"KERAS_BACKEND": "numpy"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Keras runs on the numpy backend" in result.stdout


@pytest.mark.slow
def test_this_environment_is_healthy(tmp_path):
    result = run_doctor_process(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == ["ok"] * 5, lines
    assert lines[-1] == "Everything the course needs is in place."
