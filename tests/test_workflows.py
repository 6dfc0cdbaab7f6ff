"""The GitHub Actions workflows call the Makefile, on the right triggers, with Python 3.11."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from course_lib import install_cell

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO / ".github" / "workflows"
MAKEFILE = (REPO / "Makefile").read_text(encoding="utf-8")


def load(name: str) -> dict:
    path = WORKFLOWS / name
    assert path.is_file(), f"missing workflow {path.relative_to(REPO)}"
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean True.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def runs(workflow: dict) -> list[str]:
    """Every shell line the workflow runs."""
    return [
        line.strip()
        for step in steps(workflow)
        for line in str(step.get("run", "")).splitlines()
        if line.strip()
    ]


def uses(workflow: dict, action: str) -> list[dict]:
    return [step for step in steps(workflow) if str(step.get("uses", "")).startswith(action + "@")]


def triggers(workflow: dict) -> set[str]:
    on = workflow["on"]
    return {on} if isinstance(on, str) else set(on)


def make_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w-]*):", MAKEFILE, flags=re.MULTILINE))


@pytest.mark.parametrize("name", ["test.yml", "pages.yml", "weekly-latest.yml"])
def test_python_311_and_make_targets_that_exist(name):
    workflow = load(name)
    pythons = [
        step.get("with", {}).get("python-version")
        for step in uses(workflow, "actions/setup-python")
    ]
    # A string: YAML reads an unquoted 3.10 as the number 3.1.
    assert pythons and all(version == "3.11" for version in pythons), pythons
    called = {m for line in runs(workflow) for m in re.findall(r"^make\s+([\w-]+)", line)}
    assert called, f"{name} runs no make target"
    assert called <= make_targets(), f"{name} calls make targets the Makefile lacks: {called}"
    assert uses(workflow, "actions/checkout")


def test_test_workflow_runs_make_test_on_push_and_pull_request():
    workflow = load("test.yml")
    assert {"push", "pull_request"} <= triggers(workflow)
    assert "make test" in runs(workflow)
    # The browser test needs Chromium: installed by apt when the runner lacks it.
    assert any("apt-get install" in line and "chromium" in line for line in runs(workflow))


def test_pages_workflow_builds_with_make_book_and_deploys_the_built_site():
    workflow = load("pages.yml")
    on = workflow["on"]
    assert "workflow_dispatch" in on and "main" in on["push"]["branches"]
    assert "make book" in runs(workflow)
    book_html = re.search(r"^BOOK_HTML\s*:?=\s*(.+)$", MAKEFILE, flags=re.MULTILINE)
    expected = "book/_build/html"
    if book_html and "$(BOOK_DIR)" in book_html[1]:
        book_dir = re.search(r"^BOOK_DIR\s*:?=\s*(\S+)", MAKEFILE, flags=re.MULTILINE)[1]
        expected = book_html[1].strip().replace("$(BOOK_DIR)", book_dir)
    (upload,) = uses(workflow, "actions/upload-pages-artifact")
    assert upload["with"]["path"].rstrip("/") == expected
    assert uses(workflow, "actions/deploy-pages")
    assert workflow["permissions"]["pages"] == "write"
    assert workflow["permissions"]["id-token"] == "write"
    deploy = next(
        job
        for job in workflow["jobs"].values()
        if uses({"jobs": {"j": job}}, "actions/deploy-pages")
    )
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy.get("needs")


def test_pages_workflow_publishes_this_repository_pinned_to_this_commit():
    """The repository it runs in and its commit are written in before the build; the build
    stops while a page names the placeholder; the published notebooks are pushed to the
    branch the config's launch buttons then name."""
    workflow = load("pages.yml")
    lines = runs(workflow)
    (publish,) = [line for line in lines if line.startswith("make publish ")]
    assert 'URL="${{ github.server_url }}/${{ github.repository }}"' in publish
    assert 'COMMIT="${{ github.sha }}"' in publish and 'BRANCH="$PUBLISHED_BRANCH"' in publish
    (check,) = [line for line in lines if "course_lib.install_cell check-site" in line]
    assert check.endswith("book/_build/html")
    (push,) = [line for line in lines if line.startswith("git push")]
    assert push.endswith('"HEAD:refs/heads/$PUBLISHED_BRANCH"')
    order = [lines.index(line) for line in (publish, "make book", check, push)]
    assert order == sorted(order), "publish, build, check, push: in this order"
    assert workflow["env"]["PUBLISHED_BRANCH"] == install_cell.PUBLISHED_BRANCH
    assert workflow["permissions"]["contents"] == "write"
    assert "publish:" in MAKEFILE and "course_lib.install_cell publish" in MAKEFILE


def test_weekly_workflow_tests_the_newest_releases_with_jupyter_book_1():
    workflow = load("weekly-latest.yml")
    on = workflow["on"]
    assert "workflow_dispatch" in on
    (cron,) = [entry["cron"] for entry in on["schedule"]]
    minute, hour, day, month, weekday = cron.split()
    assert day == month == "*" and weekday != "*", f"not weekly: {cron!r}"
    lines = runs(workflow)
    upgrade = [line for line in lines if "pip install" in line and "--upgrade" in line]
    assert upgrade, "the newest releases are not installed"
    assert all(package in upgrade[0] for package in ("tensorflow", "keras", "jupyter-book"))
    assert re.search(r"jupyter-book[^\"' ]*<2", upgrade[0]), "jupyter-book must stay < 2"
    assert lines.index(upgrade[0]) < lines.index("make test"), "upgrade before make test"
    # The environment is set up first, so `make test` keeps the upgraded packages.
    assert lines.index("make setup") < lines.index(upgrade[0])


def test_weekly_workflow_also_tests_the_lowest_tensorflow_of_the_range():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (tensorflow,) = [Requirement(r) for r in project["dependencies"] if r.startswith("tensorflow")]
    (lowest,) = [s.version for s in tensorflow.specifier if s.operator == ">="]
    workflow = load("weekly-latest.yml")
    (job,) = workflow["jobs"].values()
    assert set(job["strategy"]["matrix"]["tensorflow"]) == {"newest", "lowest"}
    assert job["strategy"].get("fail-fast") is False
    steps_by_leg = {
        leg: [s for s in job["steps"] if s.get("if") == f"matrix.tensorflow == '{leg}'"]
        for leg in ("newest", "lowest")
    }
    (install,) = steps_by_leg["lowest"]
    assert f'pip install "tensorflow=={lowest}.*"' in install["run"], (lowest, install["run"])
    (upgrade,) = steps_by_leg["newest"]
    assert "--upgrade tensorflow" in upgrade["run"]
    lines = runs(workflow)
    assert (
        lines.index("make setup") < lines.index(install["run"].strip()) < lines.index("make test")
    )


def recipe(target: str) -> list[str]:
    """The shell lines of a Makefile target, with the variables of the environment's tools
    written as a student types them inside the activated conda environment."""
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n?)+)", MAKEFILE, flags=re.MULTILINE)
    assert match, f"the Makefile has no target {target!r}"
    lines = [line.strip() for line in match[1].splitlines()]
    return [line.replace("$(PY)", "python").replace("$(BIN)/", "") for line in lines]


def job_running_on_other_systems(workflow: dict) -> dict:
    jobs = [job for job in workflow["jobs"].values() if "matrix.os" in str(job.get("runs-on", ""))]
    assert len(jobs) == 1, "test.yml needs one job with an `os` matrix beside the Linux job"
    return jobs[0]


def test_unit_tests_and_exercise_checks_run_on_macos_and_windows_with_conda():
    workflow = load("test.yml")
    job = job_running_on_other_systems(workflow)
    systems = job["strategy"]["matrix"]["os"]
    assert any(s.startswith("macos-") for s in systems), systems
    assert any(s.startswith("windows-") for s in systems), systems
    assert job["strategy"].get("fail-fast") is False, "one system failing must not hide another"
    # A login shell: setup-miniconda activates the environment in ~/.bash_profile.
    assert job["defaults"]["run"]["shell"].startswith("bash -el")

    lone = {"jobs": {"job": job}}
    (conda,) = uses(lone, "conda-incubator/setup-miniconda")
    environment = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    assert conda["with"]["environment-file"] == "environment.yml"
    assert conda["with"]["activate-environment"] == environment["name"]
    assert not uses(lone, "actions/setup-python"), "Python comes from environment.yml"

    lines = runs(lone)
    assert "python -m pip install --no-deps -e ." in lines, "the README's conda route"
    # environment.yml is the student's set: the tests bring their own tools (pytest, nbval).
    assert 'python -m pip install -e ".[test]"' in lines
    # The Makefile's commands, so the systems run the same tests as `make test`.
    (unit,) = recipe("unit")
    assert unit.startswith("MPLBACKEND=Agg ")
    assert unit.removeprefix("MPLBACKEND=Agg ") in lines
    step = next(s for s in steps(lone) if unit.removeprefix("MPLBACKEND=Agg ") in str(s.get("run")))
    assert step["env"]["MPLBACKEND"] == "Agg"
    for target in ("exercises-check", "solutions"):
        for command in recipe(target):
            assert command in lines, f"{target}: {command!r} is not run on the other systems"


def test_the_linux_job_still_runs_make_test_beside_the_other_systems():
    workflow = load("test.yml")
    linux = [job for job in workflow["jobs"].values() if job.get("runs-on") == "ubuntu-latest"]
    assert len(linux) == 1 and "make test" in runs({"jobs": {"job": linux[0]}})


def test_recipe_reads_the_makefile():
    assert recipe("exercises-check") == ["rnn-course assign --check"]
    with pytest.raises(AssertionError, match="no target"):
        recipe("no-such-target")


def _sandbox_steps_before(lines: list[str], command: str) -> None:
    """bubblewrap installed and its namespaces allowed before `command` runs."""
    install = [
        i for i, line in enumerate(lines) if "apt-get install" in line and "bubblewrap" in line
    ]
    sysctl = [
        i for i, line in enumerate(lines)
        if "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0" in line
    ]  # fmt: skip
    assert install and sysctl, "bubblewrap must be installed and user namespaces allowed"
    target = next(i for i, line in enumerate(lines) if command in line)
    assert install[0] < target and sysctl[0] < target, f"the sandbox comes after {command!r}"


@pytest.mark.parametrize("name", ["test.yml", "weekly-latest.yml"])
def test_workflows_give_the_sandbox_what_ubuntu_24_04_lacks(name):
    _sandbox_steps_before(runs(load(name)), "make test")


def test_a_job_shows_the_sandbox_tests_and_the_container_passing():
    workflow = load("test.yml")
    job = workflow["jobs"]["sandbox"]
    assert job["runs-on"] == "ubuntu-24.04"
    lone = {"jobs": {"job": job}}
    lines = runs(lone)
    _sandbox_steps_before(lines, "tests/test_sandbox.py")
    assert "make setup" in lines and lines.index("make setup") < len(lines) - 1
    command = " ".join(lines[lines.index("make setup") + 1 :])
    assert "-v" in command.split()  # every test named in the log
    for test in ("test_sandbox.py", "test_cli_lms.py", "test_gradescope_scripts.py"):
        assert f"tests/{test}" in command
    step = next(s for s in steps(lone) if "tests/test_container.py" in str(s.get("run")))
    assert step["env"]["RNN_COURSE_TEST_CONTAINER"] == "docker"
