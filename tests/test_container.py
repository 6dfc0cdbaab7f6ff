"""The grader's container image (Containerfile) grades with its sandbox inside, least privilege.

Runs where a container engine works and `RNN_COURSE_TEST_CONTAINER` names it (`docker`,
`podman`, or the command with options, `podman --runtime runc`; the `sandbox` job of
`.github/workflows/test.yml` sets `docker`); `RNN_COURSE_TEST_CONTAINER_ARGS` adds options
to `build` and `run` that a machine needs (`--ulimit nofile=20000:20000`). The image is
built from this repository; the fixture class is graded inside it as an unprivileged user
with the security options the README gives and no capability; then each option is dropped
in turn and grading must stop before it starts (fail closed), which shows each is needed.
"""

import csv
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_cli import FIXTURES, solved_copy

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
COMMAND = shlex.split(os.environ.get("RNN_COURSE_TEST_CONTAINER", ""))
ENGINE = Path(COMMAND[0]).name if COMMAND else ""
MACHINE_ARGS = shlex.split(os.environ.get("RNN_COURSE_TEST_CONTAINER_ARGS", ""))
IMAGE = "rnn-course-grader-test"
# What bubblewrap needs that the engines' defaults forbid: creating user namespaces
# (seccomp), mounting inside them (AppArmor, where the host has it), a fresh /proc.
OPTIONS = {
    "docker": [
        ["--security-opt", "seccomp=unconfined"],
        ["--security-opt", "apparmor=unconfined"],
        ["--security-opt", "systempaths=unconfined"],
    ],
    "podman": [  # its seccomp filter allows user namespaces, not sethostname in them
        ["--security-opt", "seccomp=unconfined"],
        ["--security-opt", "unmask=/proc/*"],
    ],
}


@pytest.fixture(scope="module")
def image():
    if ENGINE not in OPTIONS or not shutil.which(COMMAND[0]):
        pytest.skip("set RNN_COURSE_TEST_CONTAINER=docker or podman where one works")
    build = [*COMMAND, "build", *MACHINE_ARGS, "-t", IMAGE, "-f", str(ROOT / "Containerfile")]
    build.append(str(ROOT))
    done = subprocess.run(build, capture_output=True, text=True, timeout=3600)
    assert done.returncode == 0, done.stderr[-3000:]
    return IMAGE


def grade_in_container(tmp_path: Path, options: list[list[str]]) -> subprocess.CompletedProcess:
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    argv = [*COMMAND, "run", *MACHINE_ARGS, "--rm"]
    if os.getuid() != 0:  # as the README says on Linux; as root, the image's own `grader`
        argv += ["--user", f"{os.getuid()}:{os.getgid()}"]
    else:
        out.chmod(0o777)
    for option in options:
        argv += option
    argv += [
        "-v", f"{tmp_path / 'class'}:/work/class:ro",
        "-v", f"{FIXTURES}:/work/fixtures:ro",
        "-v", f"{out}:/work/out",
        "-e", "PYTHONPATH=/work/fixtures", "-e", "HOME=/tmp",
        IMAGE, "grade", "class", "--release", "fixtures/exercises", "--out", "out/grades.csv",
        "--check-module", "fixture_checks", "--cell-timeout", "60",
    ]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, timeout=900)


def test_the_image_grades_in_its_sandbox_with_least_privilege(image, tmp_path):
    solved_copy(tmp_path / "class" / "alice" / "01_basics.ipynb")
    done = grade_in_container(tmp_path, OPTIONS[ENGINE])
    assert done.returncode == 0, done.stderr
    assert "in the bubblewrap sandbox" in done.stdout
    with (tmp_path / "out" / "grades.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["exercise"], r["status"], r["sandbox"]) for r in rows} == {
        ("1.1", "passed", "yes"),
        ("1.2", "passed", "yes"),
    }


@pytest.mark.parametrize("dropped", range(3))  # each option of OPTIONS[ENGINE] in turn
def test_without_each_option_grading_stops_before_it_starts(image, tmp_path, dropped):
    options = OPTIONS[ENGINE]
    if dropped >= len(options):
        pytest.skip(f"{ENGINE} needs {len(options)} options")
    solved_copy(tmp_path / "class" / "alice" / "01_basics.ipynb")
    done = grade_in_container(tmp_path, options[:dropped] + options[dropped + 1 :])
    if done.returncode == 0 and options[dropped][1].startswith("apparmor"):
        pytest.skip("this host has no AppArmor: the option changes nothing here")
    assert done.returncode == 2, done.stdout
    assert "nothing was graded: bubblewrap could not set up the grading sandbox" in done.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()
