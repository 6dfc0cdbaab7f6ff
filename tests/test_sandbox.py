"""Hostile submissions against the grading sandbox: one test per promise of
`course_lib.grading.sandbox`.

A notebook of hostile cells, one attack per cell, runs through the grader's executor
(`execute_job`) twice: in the sandbox, where every promise must hold, and with
`--no-sandbox`, where the same attacks must succeed, so each test is known to be able to
fail. (The two runs are shared by the tests: a kernel start costs seconds.)
"""

from __future__ import annotations

import dataclasses
import functools
import os
import shutil
import socket
import stat
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import nbformat
import pytest
from conftest import FIXTURE_CHECK_MODULES, GRADING_FIXTURES

from course_lib.checks.records import ProbeError, load_answers
from course_lib.grading import sandbox
from course_lib.grading.class_grading import grade_task
from course_lib.grading.execute import ExecutionConfig, execute_job
from course_lib.grading.grade import ReleasedNotebook, grade_notebook
from course_lib.grading.outcomes import CellStatus, ExerciseStatus
from course_lib.grading.sandbox import GradingFolder, SandboxLimits, SandboxUnavailable

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the sandbox needs Linux"
)

ROOT = Path(__file__).resolve().parent.parent
LIMITS = SandboxLimits(
    memory_bytes=2 * 1024**3, processes=100, file_bytes=1024**2, disk_bytes=16 * 1024**2
)
TOKEN = f"planted-canvas-token-{uuid.uuid4().hex}"  # in the grader's environment during the runs
ATTACKS = {
    "write": """
        results = []
        for path in [{target!r}, {course_file!r}]:
            try:
                open(path, "w").write("pwned")
                results.append("wrote")
            except OSError as error:
                results.append(type(error).__name__)
        print(results)
    """,
    "read": """
        import os
        try:
            print(open({secret!r}).read())
        except OSError as error:
            print(type(error).__name__)
        home = {home!r}
        print(sorted(os.listdir(home)) if os.path.isdir(home) else "no home")
        print(sorted(os.listdir({root!r})))
    """,
    "look": """
        import os
        seen = []
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    seen.append(open(f"/proc/{{pid}}/cmdline", "rb").read().replace(b"\\0", b" ").decode())
                except OSError:
                    pass
        print("grader visible:", any("pytest" in c for c in seen))
        print("bob visible:", os.path.exists({bob!r}))
    """,
    "connect": """
        import socket
        try:
            s = socket.create_connection(("127.0.0.1", {port}), timeout=3)
            s.sendall(b"hello from the student")
            s.close()
            print("connected")
        except OSError as error:
            print(type(error).__name__)
    """,
    "detach": """
        import subprocess, sys
        code = (
            "import time, pathlib\\n"
            "time.sleep(3)\\n"
            "try: pathlib.Path({marker!r}).write_text('alive')\\n"
            "except OSError: pass\\n"
        )
        subprocess.Popen([sys.executable, "-c", code], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print("started")
    """,
    "memory": """
        import mmap
        try:
            block = mmap.mmap(-1, 6 * 1024**3)  # address space only: the pages stay untouched
            print("allocated", len(block) // 1024**3, "GiB")
            block.close()
        except (MemoryError, OSError) as error:
            print("refused:", type(error).__name__)
    """,
    "processes": """
        import os, time
        children = []
        try:
            for _ in range(120):
                pid = os.fork()
                if pid == 0:
                    time.sleep(2)
                    os._exit(0)
                children.append(pid)
            print("forked", len(children))
        except OSError:
            print("refused after", len(children))
        for pid in children:
            os.waitpid(pid, 0)
    """,
    "file size": """
        try:
            with open("big.bin", "wb") as handle:
                handle.write(b"x" * (3 * 1024**2))
            print("wrote 3 MiB")
        except OSError as error:
            print("refused:", error.errno)
    """,
    "environment": """
        import os
        pid1, seen = 0, []
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    data = open(f"/proc/{{pid}}/environ", "rb").read()
                except OSError:
                    continue
                pid1 = len(data) if pid == "1" else pid1
                if {token!r}.encode() in data:
                    seen.append(pid)
        print("read pid 1:", pid1 > 0)
        print("token seen:", bool(seen))
    """,
    "disk": """
        import os
        written = []
        for place in (".", "/tmp", "/dev/shm"):  # 24 files of 1 MiB, each under the file limit
            count = 0
            for i in range(24):
                try:
                    with open(os.path.join(place, f"{tag}-{{i}}"), "wb") as handle:
                        handle.write(b"x" * 1024**2)
                    count += 1
                except OSError:
                    break
            written.append(count)
        print(*written)
        if {sandboxed}:  # the teacher's own / is not for a test to write in
            for path in ("/{tag}", "/dev/{tag}"):
                try:
                    open(path, "w").write("x")
                    print("wrote", path)
                except OSError as error:
                    print(error.errno)
    """,
    "memory in total": """
        import os, signal, time
        children = []
        for _ in range(4):  # 4 x 600 MiB, each under the 2 GiB per-process limit
            pid = os.fork()
            if pid == 0:
                try:
                    block = b"x" * (600 * 1024**2)
                    time.sleep(4)
                    os._exit(0)
                finally:
                    os._exit(1)  # refused by the per-process limit (MemoryError)
            children.append(pid)
        ends = [os.waitpid(pid, 0)[1] for pid in children]
        print("held", sum(os.waitstatus_to_exitcode(e) == 0 for e in ends),
              "killed", sum(os.waitstatus_to_exitcode(e) == -signal.SIGKILL for e in ends),
              "refused", sum(os.waitstatus_to_exitcode(e) == 1 for e in ends))
    """,
}


class Listener:
    """A TCP listener on 127.0.0.1 that records what connecting clients send; stops by itself."""

    def __init__(self, lifetime: float = 900.0):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.server.settimeout(0.5)
        self.port = self.server.getsockname()[1]
        self.received: list[bytes] = []
        self.stop = threading.Event()
        self.deadline = time.monotonic() + lifetime
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            self.received.append(conn.recv(100))
            conn.close()

    def close(self):
        self.stop.set()
        self.thread.join(5)
        self.server.close()


def _run(sources, sandboxed: bool, env=None, measure=None):
    """Execute cells of `sources` as the grader does; `measure(folder)` before it is removed."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    config = ExecutionConfig(sandbox=sandboxed, limits=LIMITS, cell_timeout=60)
    with GradingFolder() as folder:
        runs = execute_job(nb, folder, config, env=env)
        if measure is not None:
            measure(folder)
        return runs


def _measure(host: dict, folder: GradingFolder) -> None:
    """Bytes the execution left under the grading folder (the grader's disk)."""
    host["bytes"] = sum(p.lstat().st_size for p in folder.root.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def attacked():
    """Run every attack in the sandbox and without it; return what each cell printed."""
    sandbox.check_available()  # CI installs bubblewrap: fail here, never skip
    base = ROOT / f".planted-{uuid.uuid4().hex[:8]}"  # the teacher's files, in the repository
    tag = f"rnn-course-attack-{base.name[9:]}"
    (base / "submissions" / "bob").mkdir(parents=True)
    listener = Listener()
    course_file = Path(sandbox.course_package_dir()) / "checks" / f"planted_{base.name[9:]}.py"
    paths = {
        "secret": base / "secret.txt",
        "target": base / "written-by-student.txt",
        "marker": base / "still-alive.txt",
        "bob": base / "submissions" / "bob" / "01.ipynb",
        "course_file": course_file,
    }
    try:
        for folder in (base, base / "submissions", base / "submissions" / "bob"):
            os.chmod(folder, 0o777)  # so that only the sandbox, not permissions, stops a user
        paths["secret"].write_text("the teacher's secret")
        paths["bob"].write_text("bob's answers")
        values = {k: str(v) for k, v in paths.items()}
        values.update(home=str(Path.home()), root=str(ROOT), port=listener.port)
        values.update(token=TOKEN, tag=tag)
        os.environ["CANVAS_API_TOKEN"] = TOKEN  # the teacher's token, in the grader's environment
        outcome = {}
        for mode, sandboxed in (("sandbox", True), ("no-sandbox", False)):
            sources = [
                textwrap.dedent(cell).format(**values, sandboxed=sandboxed)
                for cell in ATTACKS.values()
            ]
            host: dict[str, int] = {}
            runs = _run(sources, sandboxed, measure=functools.partial(_measure, host))
            time.sleep(5)  # give a detached process the time to act
            outcome[mode] = {
                "runs": dict(zip(ATTACKS, runs, strict=True)),
                "out": {name: run.stdout.strip() for name, run in zip(ATTACKS, runs, strict=True)},
                "received": list(listener.received),
                "target": paths["target"].exists(),
                "course_file": course_file.exists(),
                "marker": paths["marker"].exists(),
                "host bytes": host["bytes"],
                "host files": len(_planted_files(tag)),
            }
            for path in (paths["target"], paths["marker"], course_file, *_planted_files(tag)):
                path.unlink(missing_ok=True)
        yield outcome
    finally:
        os.environ.pop("CANVAS_API_TOKEN", None)
        listener.close()
        course_file.unlink(missing_ok=True)
        for path in _planted_files(tag):
            path.unlink(missing_ok=True)
        shutil.rmtree(base, ignore_errors=True)


def _planted_files(tag: str) -> list[Path]:
    """What the disk attack wrote into the host's /tmp and /dev/shm (never its /)."""
    return [*Path("/tmp").glob(f"{tag}-*"), *Path("/dev/shm").glob(f"{tag}-*")]


def test_every_attack_ran(attacked):
    for mode in ("sandbox", "no-sandbox"):
        statuses = {name: run.status for name, run in attacked[mode]["runs"].items()}
        assert set(statuses.values()) == {CellStatus.OK}, (mode, statuses)


def test_writes_outside_its_folder_are_refused(attacked):
    inside, outside = attacked["sandbox"], attacked["no-sandbox"]
    assert "wrote" not in inside["out"]["write"]
    assert not inside["target"] and not inside["course_file"]
    assert outside["out"]["write"] == "['wrote', 'wrote']"
    assert outside["target"] and outside["course_file"]


def test_the_teachers_files_cannot_be_read(attacked):
    inside = attacked["sandbox"]["out"]["read"].splitlines()
    assert inside[0] == "FileNotFoundError"
    # At most the Python installation's folder, when it lives in the home folder (pyenv).
    assert inside[1] in ("no home", "[]", "['.pyenv']", "['.local']"), inside[1]
    # Of the repository only the course package (and a virtual environment inside it).
    assert inside[2] in ("['course_lib']", "['.venv', 'course_lib']"), inside[2]
    outside = attacked["no-sandbox"]["out"]["read"].splitlines()
    assert outside[0] == "the teacher's secret"
    assert "tests" in outside[2] and ".planted" in outside[2]


def test_other_submissions_and_the_grader_are_out_of_sight(attacked):
    assert attacked["sandbox"]["out"]["look"].splitlines() == [
        "grader visible: False",
        "bob visible: False",
    ]
    assert attacked["no-sandbox"]["out"]["look"].splitlines() == [
        "grader visible: True",
        "bob visible: True",
    ]


def test_no_network(attacked):
    assert attacked["sandbox"]["out"]["connect"] != "connected"
    assert attacked["sandbox"]["received"] == []
    assert attacked["no-sandbox"]["out"]["connect"] == "connected"
    assert attacked["no-sandbox"]["received"] == [b"hello from the student"]


def test_nothing_outlives_the_grading(attacked):
    """A detached process (new session) that acts after the run: how a blank notebook once
    rewrote the finished gradebook."""
    assert attacked["sandbox"]["out"]["detach"] == "started"
    assert not attacked["sandbox"]["marker"]
    assert attacked["no-sandbox"]["marker"]


def test_memory_past_the_limit_fails_inside(attacked):
    assert attacked["sandbox"]["out"]["memory"].startswith("refused:")
    assert attacked["no-sandbox"]["out"]["memory"] == "allocated 6 GiB"


def test_processes_past_the_limit_fail_inside(attacked):
    assert attacked["sandbox"]["out"]["processes"].startswith("refused after")
    assert attacked["no-sandbox"]["out"]["processes"] == "forked 120"


def test_files_past_the_size_limit_fail_inside(attacked):
    assert attacked["sandbox"]["out"]["file size"] == "refused: 27"  # EFBIG
    assert attacked["no-sandbox"]["out"]["file size"] == "wrote 3 MiB"


def test_nothing_of_the_teachers_environment_reaches_the_sandbox(attacked):
    """bwrap's own process 1 once carried the grader's whole environment (/proc/1/environ)."""
    assert attacked["sandbox"]["out"]["environment"].splitlines() == [
        "read pid 1: True",  # the test looked where the token used to be
        "token seen: False",
    ]
    assert "token seen: True" in attacked["no-sandbox"]["out"]["environment"]


def test_disk_is_bounded_in_total_and_nothing_lands_on_the_graders_disk(attacked):
    """Many files, each under the file-size limit, in the working folder, /tmp and /dev/shm."""
    inside = attacked["sandbox"]
    written = [int(n) for n in inside["out"]["disk"].splitlines()[0].split()]
    assert all(n <= 16 for n in written), written  # 16 MiB each: --disk-limit
    assert inside["out"]["disk"].splitlines()[1:] == ["30", "30"]  # EROFS: / and /dev
    assert inside["host bytes"] < 1024**2 and inside["host files"] == 0
    outside = attacked["no-sandbox"]
    assert outside["out"]["disk"] == "24 24 24"
    assert outside["host bytes"] >= 24 * 1024**2 and outside["host files"] == 48


def test_memory_is_bounded_in_total(attacked):
    """Processes each under the per-process limit, together above the sandbox's limit."""
    held, killed, refused = (
        int(n) for n in attacked["sandbox"]["out"]["memory in total"].split()[1::2]
    )
    assert (refused, held + killed) == (0, 4), (held, killed, refused)  # each was allowed...
    assert killed >= 1  # ...and the cgroup stopped them together
    assert attacked["no-sandbox"]["out"]["memory in total"] == "held 4 killed 0 refused 0"


FIFO_ATTACK = """
import os, signal
executor = os.getppid()
result = open(f"/proc/{executor}/cmdline", "rb").read().split(b"\\0")[-2].decode()
try:
    os.unlink(result)
    os.mkfifo(result)
    print("replaced")
except OSError as error:
    print("refused", error.errno)
os.kill(executor, signal.SIGKILL)  # before it writes its own result
"""


def _fifo_attack(sandboxed: bool) -> dict:
    """Run FIFO_ATTACK; what the grader made of it, and whether the result became a FIFO."""
    seen: dict = {}

    def look(folder):
        seen["fifo"] = stat.S_ISFIFO(os.lstat(folder.result).st_mode)

    done = threading.Thread(
        target=lambda: seen.update(
            runs=_run([FIFO_ATTACK, "print('after')"], sandboxed, measure=look)
        ),
        daemon=True,
    )
    done.start()
    done.join(300)  # the grader must come back, whatever the result file is
    assert not done.is_alive(), "the grader blocked on the result file"
    return seen


def test_a_fifo_in_place_of_the_result_file_does_not_block_the_grader():
    inside, outside = _fifo_attack(sandboxed=True), _fifo_attack(sandboxed=False)
    # Without the sandbox the student can replace the file, and a plain open() would hang
    # (tests/test_untrusted_files.py shows it).
    assert outside["fifo"]
    assert [run.status for run in outside["runs"]] == [CellStatus.NOT_RUN] * 2
    assert (
        "the result file is refused: result is a FIFO (a named pipe)" in outside["runs"][0].detail
    )
    # In the sandbox the result file is a mount point: it cannot be replaced at all.
    assert not inside["fifo"]
    assert [run.status for run in inside["runs"]] == [CellStatus.NOT_RUN] * 2
    assert "does not start with one line of JSON" in inside["runs"][0].detail


GRADING = GRADING_FIXTURES
FIXTURE_CONFIG = ExecutionConfig(
    cell_timeout=30,
    notebook_timeout=120,
    check_modules=FIXTURE_CHECK_MODULES,
    env={"PYTHONPATH": str(GRADING)},
    read_only_paths=(str(GRADING),),
    limits=LIMITS,
)


def test_a_notebook_that_is_a_link_is_not_graded(tmp_path):
    """Cloned repositories keep links: one to a classmate's notebook, one to a teacher's file."""
    sandbox.check_available(LIMITS)
    release = ReleasedNotebook.read(GRADING / "exercises" / "01_basics.ipynb")
    submissions, secret = tmp_path / "submissions", tmp_path / "teacher" / "secret.txt"
    (submissions / "alice").mkdir(parents=True)
    (submissions / "eve" / "exercises").mkdir(parents=True)
    (submissions / "mallory").mkdir()
    secret.parent.mkdir()
    secret.write_text(f"CANVAS_API_TOKEN={TOKEN}")
    alice = submissions / "alice" / "01_basics.ipynb"
    shutil.copy(release.path, alice)
    mallory = submissions / "mallory" / "01_basics.ipynb"
    mallory.symlink_to(alice)
    eve = submissions / "eve" / "exercises" / "01_basics.ipynb"
    eve.symlink_to(secret)
    # What a plain reader does: graded as alice's work; the teacher's file quoted in the error.
    assert nbformat.read(mallory, as_version=4) == nbformat.read(alice, as_version=4)
    with pytest.raises(Exception, match="CANVAS_API_TOKEN"):
        nbformat.read(eve, as_version=4)
    for student in ("mallory", "eve"):
        result = grade_task(str(submissions / student), release, FIXTURE_CONFIG, seed=1)
        assert [(r.status, r.message) for r in result.results] == [
            (ExerciseStatus.INVALID, "not graded: 01_basics.ipynb is a link")
        ] * 2
        assert TOKEN not in repr(result)


def test_a_probe_folder_replaced_by_a_file_gives_each_exercise_a_status(tmp_path, monkeypatch):
    """It once stopped the whole notebook with "the grader failed"."""
    sandbox.check_available(LIMITS)
    monkeypatch.syspath_prepend(str(GRADING))  # the judge imports fixture_checks here too
    nb = nbformat.read(GRADING / "exercises" / "01_basics.ipynb", as_version=4)
    attack = (
        "import os, shutil\n"
        "probes = os.environ['RNN_COURSE_PROBE_DIR']\n"
        "shutil.rmtree(probes, ignore_errors=True)\n"
        "open(probes, 'w').write('not a folder')\n\n"
        "def add(a, b):\n    return a + b\n"
    )
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "ex1_1-solution":
            cell.source = attack
    nbformat.write(nb, tmp_path / "01_basics.ipynb")
    result = grade_notebook(tmp_path / "01_basics.ipynb", GRADING / "exercises" / "01_basics.ipynb",
                            config=FIXTURE_CONFIG, seed=1)  # fmt: skip
    assert [(r.exercise, r.status) for r in result.results] == [
        ("1.1", ExerciseStatus.ERROR),
        ("1.2", ExerciseStatus.ERROR),
    ]
    for r in result.results:
        assert f"no answers were recorded for Exercise {r.exercise}" in r.message
        assert "or could not write them" in r.message
    # The grader reads records only from a folder of its own; a file there is refused too.
    (tmp_path / "probes").write_text("a file")
    with pytest.raises(NotADirectoryError):
        os.lstat(tmp_path / "probes" / "1.1.answers.json")  # how the grader used to fail
    with pytest.raises(ProbeError, match="record of Exercise 1.1 is refused"):
        load_answers(tmp_path / "probes", "1.1")


def test_a_forged_result_is_rejected():
    """Student code that kills the executor and leaves its own result gets every cell not-run."""
    forge = textwrap.dedent(
        """
        import json, os, signal
        open(".rnn-course-result.json", "w").write(json.dumps({"runs": "all passed"}))
        os.kill(os.getppid(), signal.SIGKILL)  # the executor, before it writes its own
        """
    )
    runs = _run([forge, "print('after')"], sandboxed=True)
    assert [run.status for run in runs] == [CellStatus.NOT_RUN] * 2
    assert "gave no valid result" in runs[0].detail


def test_without_a_cgroup_grading_stops_unless_per_process_limits_are_accepted(monkeypatch):
    monkeypatch.setattr(sandbox.cgroups, "find_method", lambda: (None, "no cgroup here (a test)"))
    monkeypatch.setattr(sandbox, "_AVAILABLE", None)
    with pytest.raises(
        SandboxUnavailable, match=r"no cgroup here \(a test\).*--per-process-limits"
    ):
        sandbox.check_available(LIMITS)
    with GradingFolder() as folder, pytest.raises(SandboxUnavailable, match="in total"):
        sandbox.sandbox_command(folder, ["true"], limits=LIMITS)
    per_process = dataclasses.replace(LIMITS, per_process_only=True)
    sandbox.check_available(per_process)  # a sandbox runs, without a cgroup
    assert sandbox.total_limits() == (
        "memory and processes limited per process only (no cgroup here (a test))"
    )
    with GradingFolder() as folder:
        sandbox.sandbox_command(folder, ["true"], limits=per_process)
        assert folder.groups == []


def test_a_cgroup_caps_and_is_removed():
    method, why_not = sandbox.cgroups.find_method()
    assert method is not None, why_not  # CI grades as root on cgroup v1: it must have one
    assert sandbox.total_limits() == f"memory and processes capped in total by {method}"
    with GradingFolder() as folder:
        sandbox.sandbox_command(folder, ["true"], limits=LIMITS)
        (group,) = folder.groups
        if method == sandbox.cgroups.V1:
            names = ("memory.limit_in_bytes", "pids.max")
            limits = {
                n: (f / n).read_text().strip()
                for f in group.folders
                for n in names
                if (f / n).exists()
            }
            assert limits["memory.limit_in_bytes"] == str(LIMITS.memory_bytes)
            assert limits["pids.max"] == str(LIMITS.processes)
            folders = list(group.folders)
    if method == sandbox.cgroups.V1:
        assert not any(f.exists() for f in folders)


def test_unavailable_sandbox_fails_closed(monkeypatch):
    monkeypatch.setattr(sandbox, "_AVAILABLE", None)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SandboxUnavailable, match="install bubblewrap.*--no-sandbox"):
        sandbox.check_available()
    monkeypatch.setattr(sandbox.sys, "platform", "darwin")
    with pytest.raises(SandboxUnavailable, match="needs Linux.*this is darwin.*--no-sandbox"):
        sandbox.check_available()


def test_limits_are_validated():
    with pytest.raises(ValueError, match="`processes` must be a positive integer; got 0"):
        SandboxLimits(processes=0)
    assert sandbox.parse_size("8G") == 8 * 1024**3
    assert sandbox.parse_size("512MiB") == 512 * 1024**2
    with pytest.raises(ValueError, match="a size must be a positive number.*got 'lots'"):
        sandbox.parse_size("lots")


def test_a_course_under_tmp_is_still_seen(tmp_path, monkeypatch):
    """A course cloned into a temporary folder (as CI does) lies under /tmp, which the
    sandbox replaces with its own: the course must be bound on top of it, not hidden."""
    copy = tmp_path / "clone" / "course_lib"
    shutil.copytree(sandbox.course_package_dir(), copy)
    monkeypatch.setattr(sandbox, "course_package_dir", lambda: str(copy))
    monkeypatch.setattr(sandbox, "_AVAILABLE", None)
    assert str(copy).startswith("/tmp/")
    sandbox.check_available()  # imports course_lib inside the sandbox
    with GradingFolder() as folder:
        code = (
            f"import course_lib; open({sandbox.SANDBOX_RESULT!r}, 'w').write(course_lib.__file__)"
        )
        argv = sandbox.sandbox_command(folder, [sys.executable, "-c", code])
        assert sandbox.run_command(argv, timeout=60)[0] == 0
        assert folder.result.read_text() == str(copy / "__init__.py")
