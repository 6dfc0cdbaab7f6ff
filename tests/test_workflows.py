"""The GitHub Actions workflows call the Makefile, on the right triggers, with Python 3.11."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

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
