"""Grading through Dask: a LocalCluster on 127.0.0.1 gives the local gradebook, row for row,
even when a worker is killed in the middle of a submission."""

import os
import signal
import threading
import time
from dataclasses import replace

import pytest

distributed = pytest.importorskip("distributed", reason="dask[distributed] is a dev dependency")

from course_lib.grading.class_grading import grade_submissions  # noqa: E402
from course_lib.grading.notebook_format import write_notebook  # noqa: E402
from tests.test_grade import (  # noqa: E402
    ADD,
    BASICS,
    CONFIG,
    MORE,
    RELEASE,
    SOLVED,
    copy_of,
)

# The judge imports fixture_checks in every grading process (pool and Dask workers).
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("fixture_checks_importable")]

# The slow solution sleeps 8 s, well inside the cell limit here.
LIMITS = replace(CONFIG, cell_timeout=40)
SLOW = {**SOLVED, "ex1_1-solution": "import time\n\ntime.sleep(8)\n\n" + ADD}


@pytest.fixture(scope="module")
def submissions(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    students = {
        "solved": {BASICS: copy_of(BASICS, SOLVED), MORE: copy_of(MORE, SOLVED)},
        "unsolved": {BASICS: copy_of(BASICS)},
        "slow": {BASICS: copy_of(BASICS, SLOW), MORE: copy_of(MORE, SOLVED)},
    }
    for student, notebooks in students.items():
        (root / student).mkdir()
        for name, nb in notebooks.items():
            write_notebook(nb, root / student / name)
    return root


def rows(results):
    return [(n.student, n.notebook, r) for n in results for r in n.results]


@pytest.fixture(scope="module")
def local(submissions, fixture_checks_importable):
    return grade_submissions(submissions, RELEASE, config=LIMITS, workers=2, progress=None)


@pytest.fixture(scope="module")
def client(fixture_checks_importable):
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_dask_gradebook_equals_the_local_one_row_for_row(submissions, local, client):
    lines = []
    results = grade_submissions(
        submissions, RELEASE, dask=client, config=LIMITS, progress=lines.append
    )
    assert rows(results) == rows(local)
    assert len(rows(local)) == 9 and {r.status for _, _, r in rows(local)} >= {"passed", "failed"}
    assert len(lines) == 6 and lines[-1].startswith("[6/6] ")


def test_a_worker_killed_mid_run_costs_only_its_submissions_retry(submissions, local, client):
    done = {}

    def run():
        done["results"] = grade_submissions(
            submissions, RELEASE, dask=client, config=LIMITS, progress=None
        )

    thread = threading.Thread(target=run)
    thread.start()
    victim = None
    deadline = time.monotonic() + 120
    while victim is None and time.monotonic() < deadline:
        for address, keys in client.processing().items():
            if any(f"-slow-{BASICS}-" in str(key) for key in keys):
                victim = address
        time.sleep(0.2)
    assert victim is not None, "the slow submission never started"
    time.sleep(3)  # inside the 8 s sleep of the slow solution
    pid = client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, signal.SIGKILL)
    thread.join(timeout=300)
    assert not thread.is_alive()
    assert rows(done["results"]) == rows(local)
    slow = next(n for n in done["results"] if (n.student, n.notebook) == ("slow", BASICS))
    assert [r.status for r in slow.results] == ["passed", "passed"]


def test_grade_command_with_dask_address(submissions, local, client, tmp_path, capsys):
    from course_lib.cli import main

    # The command has no option for the kernels' PYTHONPATH: give the workers the fixtures'.
    path = LIMITS.env["PYTHONPATH"]
    client.run(lambda: os.environ.__setitem__("PYTHONPATH", path))
    address = client.scheduler.address
    assert address.startswith("tcp://127.0.0.1:")
    out = tmp_path / "grades.csv"
    args = ["grade", str(submissions), "--out", str(out), "--release", str(RELEASE)]
    args += ["--dask", address, "--cell-timeout", "40", "--check-module", "fixture_checks"]
    assert main(args) == 0
    assert "[6/6] " in capsys.readouterr().out
    with out.open(encoding="utf-8") as handle:
        graded = [line.split(",")[:6] for line in handle.read().splitlines()[1:]]
    expected = [
        [s, n, r.exercise, f"{r.points:.2f}", f"{r.max_points:.2f}", r.status]
        for s, n, r in rows(local)
    ]
    assert graded == expected
