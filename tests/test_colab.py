"""The course on Colab: what the install cell installs there, and a run on a Colab-like machine.

The slow test builds a virtual environment that looks like a fresh Colab runtime (Python
3.11, Colab's TensorFlow 2.19 and Keras 3.8 preinstalled with its data-science packages,
no course), publishes a snapshot of this checkout as the Pages workflow does (into a local
git repository, `file://`), and runs the published chapter 1 and exercise 1 top to bottom
on a kernel of that environment, each in a fresh layer as Colab gives each notebook its own
runtime: the install cell must install the course at the published commit, quietly (no
pip `ERROR` line), keep Colab's TensorFlow, and `rnn-course doctor` must then find nothing
wrong. Run it alone with `pytest tests/test_colab.py -m slow -s` to see what it prints;
RNN_COURSE_COLAB_IMAGE=DIR keeps the Colab-like environment in DIR for the next run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement

from course_lib import colab, install_cell
from course_lib.grading.notebook_format import SOLUTION, cell_role, grade_id

REPO = Path(__file__).resolve().parents[1]

COURSE = [
    Requirement("tensorflow>=2.16,<2.22"),
    Requirement("keras>=3.10,<4"),
    Requirement("numpy>=1.26"),
]


@pytest.mark.parametrize(
    ("installed", "wanted"),
    [
        ({"tensorflow": "2.19.0", "keras": "3.8.0", "numpy": "2.0.2"}, ["keras<4,>=3.10"]),
        ({"tensorflow": "2.23.0", "keras": "3.11.0", "numpy": "2.0.2"}, []),  # Colab's is kept
        ({"tensorflow": "2.15.1", "keras": "3.11.0", "numpy": "2.0.2"}, ["tensorflow<2.22,>=2.16"]),
        ({"keras": "3.11.0", "numpy": "1.26.4"}, ["tensorflow<2.22,>=2.16"]),
    ],
)
def test_what_the_install_cell_installs_on_colab(installed, wanted):
    assert colab.requirements_to_install(COURSE, installed.get) == wanted


def test_install_requirements_runs_pip_quietly_only_for_what_is_missing(monkeypatch, capsys):
    monkeypatch.setattr(colab, "course_requirements", lambda: (COURSE, ">=3.11"))
    installed = {"numpy": "2.0.2", "tensorflow": "2.20.0"}
    commands = []
    wanted = colab.install_requirements(run=commands.append, version_of=installed.get)
    assert wanted == ["keras<4,>=3.10"]
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--quiet"]
    assert commands == [[*pip, "keras<4,>=3.10"]]
    assert "keras<4,>=3.10" in capsys.readouterr().out
    installed["keras"] = "3.11.0"
    assert colab.install_requirements(run=commands.append, version_of=installed.get) == []
    assert len(commands) == 1, "nothing missing: pip is not run"


def test_colab_is_recognised_by_its_environment_variable(monkeypatch):
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    assert not colab.running_on_colab()  # no google.colab here either
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab_20261201-060000_RC00")
    assert colab.running_on_colab()


# -- a Colab-like machine ------------------------------------------------------------------

# A fresh Colab runtime as the issue found it: its TensorFlow, an older Keras than the
# course needs, and the data-science packages it ships; no course, no Sphinx, no nbclient.
COLAB_PACKAGES = [
    "tensorflow==2.19.0",
    "keras==3.8.0",
    "numpy==2.0.2",
    "pandas",
    "matplotlib",
    "scikit-learn",
    "statsmodels",
    "ipykernel",
    "packaging",
]
NOTEBOOK = "01_sequences_hidden_state.ipynb"


def run(command: list, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


def python_of(environment: Path) -> Path:
    return environment / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def site_packages(python: Path) -> str:
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    return run([str(python), "-c", code]).stdout.strip()


def colab_image(path: Path) -> Path:
    """A virtual environment with Colab's preinstalled packages, made at `path`; or the one
    the environment variable RNN_COURSE_COLAB_IMAGE names, made by an earlier run (runs
    never write into it: the notebooks install into fresh layers on top)."""
    given = os.environ.get("RNN_COURSE_COLAB_IMAGE")
    if given and python_of(Path(given)).exists():
        return python_of(Path(given))
    path = Path(given or path)
    venv.EnvBuilder(with_pip=True, symlinks=os.name != "nt").create(path)
    python = python_of(path)
    # Colab's pip is recent; venv's own (23.2) cannot read a `git+file://` requirement.
    run([str(python), "-m", "pip", "install", "--quiet", "--quiet", "--upgrade", "pip>=24"])
    run([str(python), "-m", "pip", "install", "--quiet", "--quiet", *COLAB_PACKAGES])
    return python


def fresh_runtime(path: Path, image: Path) -> Path:
    """A new environment on top of the image, as Colab gives every notebook its own runtime:
    it sees the image's packages (a .pth line) and installs into its own site-packages."""
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(path)
    python = python_of(path)
    pth = Path(site_packages(python)) / "colab-image.pth"
    pth.write_text(site_packages(image) + "\n", encoding="utf-8")
    return python


def published_snapshot(root: Path) -> tuple[Path, str]:
    """This checkout as committed files in a git repository at `root`, published from it
    (`file://`) the way the Pages workflow publishes: returns the repository and the commit."""
    listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=REPO)
    for name in filter(None, listed.stdout.split("\0")):
        if (REPO / name).is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, root / name)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org"]
    run([*git, "init", "--quiet", "--initial-branch=main"], cwd=root)
    run([*git, "add", "--all"], cwd=root)
    run([*git, "commit", "--quiet", "--message", "snapshot"], cwd=root)
    commit = run(["git", "rev-parse", "HEAD"], cwd=root).stdout.strip()
    install_cell.publish(root, root.as_uri(), commit)
    run([*git, "checkout", "--quiet", "-b", install_cell.PUBLISHED_BRANCH], cwd=root)
    run([*git, "commit", "--quiet", "--all", "--message", "published"], cwd=root)
    return root, commit


def solved_exercise(published: Path) -> nbformat.NotebookNode:
    """The published exercise notebook with every answer written in, as a student would."""
    exercise = nbformat.read(published / "exercises" / NOTEBOOK, as_version=4)
    solutions = nbformat.read(published / "solutions" / NOTEBOOK, as_version=4)
    answers = {grade_id(c): c.source for c in solutions.cells if cell_role(c) == SOLUTION}
    for cell in exercise.cells:
        if cell_role(cell) == SOLUTION:
            cell.source = answers[grade_id(cell)]
    return exercise


def execute(notebook, python: Path, folder: Path, env: dict) -> tuple[float, str]:
    """Run `notebook` top to bottom on a kernel of `python`, in `folder`.

    Returns:
        The seconds it took, and what the kernel and its child processes (pip) wrote to
        their standard output and error, which the notebook's outputs may miss.
    """
    from nbclient import NotebookClient

    kernels = folder / "jupyter" / "kernels" / "colab"
    kernels.mkdir(parents=True)
    argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec = {"argv": argv, "display_name": "Colab-like", "language": "python", "env": env}
    (kernels / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    saved = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(folder / "jupyter")
    start = time.monotonic()
    log = folder / "kernel-output.txt"
    try:
        content = folder / "content"  # Colab's working folder: no repository in sight
        content.mkdir()
        client = NotebookClient(
            notebook,
            kernel_name="colab",
            timeout=900,
            resources={"metadata": {"path": str(content)}},
        )
        with open(log, "w", encoding="utf-8") as written:
            client.execute(stdout=written, stderr=written)
    finally:
        if saved is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = saved
    return time.monotonic() - start, log.read_text(encoding="utf-8", errors="replace")


def printed(cell) -> str:
    return "".join(output.get("text", "") for output in cell.get("outputs", []))


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="Colab runs Linux")
def test_a_published_chapter_and_exercise_run_on_a_colab_like_machine(tmp_path):
    start = time.monotonic()
    image = colab_image(tmp_path / "colab-image")
    built = time.monotonic() - start
    published, commit = published_snapshot(tmp_path / "repository")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(COLAB_RELEASE_TAG="release-colab_like", PYTHONNOUSERSITE="1")
    probe = "import course_lib"
    report = [f"Colab image ({', '.join(COLAB_PACKAGES[:3])} ...) built in {built:.0f} s"]

    notebooks = {
        "chapter": nbformat.read(published / "book" / NOTEBOOK, as_version=4),
        "exercise": solved_exercise(published),
    }
    for name, notebook in notebooks.items():
        python = fresh_runtime(tmp_path / f"runtime-{name}", image)
        missing = subprocess.run(
            [str(python), "-c", probe], env=env, capture_output=True, cwd=tmp_path
        )
        assert missing.returncode != 0, "the fresh runtime must not see course_lib yet"
        first = next(c for c in notebook.cells if c.cell_type == "code")
        assert install_cell.is_install_cell(first) and commit in first.source
        seconds, kernel_output = execute(notebook, python, tmp_path / f"run-{name}", env)

        output = printed(first)
        report.append(f"{name} {NOTEBOOK}: top to bottom in {seconds:.0f} s; install cell:")
        report += [f"    {line}" for line in output.splitlines()]
        plain = re.sub(r"\x1b\[[0-9;]*m", "", output + kernel_output)  # pip colours ERROR red
        errors = [
            line
            for line in plain.splitlines()
            if line.startswith("ERROR") or "dependency conflicts" in line
        ]
        assert not errors, "pip's errors:\n" + "\n".join(errors)
        assert "Installed the course package and keras<4,>=3.10" in output, output
        found = run(
            [
                str(python),
                "-c",
                "import importlib.metadata as m, json, tensorflow as tf; "
                "d = m.distribution('rnn-course'); "
                "print(json.dumps({'url': json.loads(d.read_text('direct_url.json')), "
                "'tensorflow': tf.__version__, 'keras': m.version('keras')}))",
            ],
            env=env,
            cwd=tmp_path,
        )
        versions = json.loads(found.stdout.splitlines()[-1])
        assert versions["url"]["vcs_info"]["commit_id"] == commit, "the published commit"
        assert versions["tensorflow"] == "2.19.0", "Colab's TensorFlow is kept"
        assert versions["keras"] != "3.8.0"
        if name == "exercise":
            checks = [printed(c) for c in notebook.cells if "Exercise 1." in printed(c)]
            assert len(checks) >= 4 and all("passed" in c for c in checks), checks
            report += [f"    {line}" for c in checks for line in c.splitlines()]

    doctor = subprocess.run(
        [str(python), "-m", "course_lib", "doctor"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    report.append("rnn-course doctor on the Colab-like runtime:")
    report += [f"    {line}" for line in doctor.stdout.splitlines()]
    print("\n".join(report))
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "kernel" not in doctor.stdout, "no kernel check on Colab"
    assert "TensorFlow 2.19.0" in doctor.stdout


def test_solved_exercise_fills_every_solution_cell():
    exercise = solved_exercise(REPO)
    solutions = [c for c in exercise.cells if cell_role(c) == SOLUTION]
    assert solutions and not any("NotImplementedError" in c.source for c in solutions)
