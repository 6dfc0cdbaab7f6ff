"""Caps on a sandbox as a whole: its memory and its processes counted together (Linux cgroups).

Limits set with `setrlimit` hold per process: a submission that forks ten processes may use
ten times the memory limit. A control group (cgroup) counts every process of the sandbox
together, its in-memory files (`/tmp`, `/dev/shm`, the working folder) included. Two ways to
get one, tried in this order by `find_method`:

- **cgroup v1** (hybrid machines such as the course's development machines), when the grader
  runs as root: a group is made below the grader's own group in the `memory` and `pids`
  hierarchies (`memory.limit_in_bytes`, `memory.memsw.limit_in_bytes` when swap is
  accounted, `pids.max`); the sandbox's launcher moves itself into it before it drops to
  `nobody`, and its processes inherit it.
- **cgroup v2 through systemd** (most teachers' Linux machines: Debian 12, Ubuntu 22.04 and
  later): the sandbox is started by `systemd-run --user --scope` (as root, by the system
  manager) with `MemoryMax`, `MemorySwapMax=0` and `TasksMax`. systemd ignores a property
  whose controller it was not delegated, so `find_method` first runs a tiny scope and reads
  its `memory.max` and `pids.max` back: the method is used only when both hold.

Elsewhere (no systemd user session, a container without a writable cgroup file system, v1
without root) there is no method, and `find_method` says why; `course_lib.grading.sandbox`
decides what happens then.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

V1, SYSTEMD = "cgroup v1", "systemd"
_V1_CONTROLLERS = ("memory", "pids")
# Environment variables `systemd-run --user` needs to find the user's manager.
_USER_BUS_VARIABLES = ("XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS")
_HOST_PATH = "/usr/local/bin:/usr/bin:/bin"
# Run in a test scope: print the memory.max and pids.max of the group it runs in.
_READ_OWN_LIMITS = r"""
import os
path = [l.split(":", 2)[2] for l in open("/proc/self/cgroup").read().splitlines() if l.startswith("0::")][0].strip()
for root in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
    where = root + path
    if os.path.exists(where + "/memory.max"):
        swap = where + "/memory.swap.max"
        print(open(where + "/memory.max").read().strip(), open(where + "/pids.max").read().strip(),
              open(swap).read().strip() if os.path.exists(swap) else "0")
        break
"""


def _v1_places() -> dict[str, Path]:
    """controller -> the grader's own group in that v1 hierarchy (memory and pids only)."""
    mounts: dict[str, tuple[str, Path]] = {}  # controller -> (root in the hierarchy, mount point)
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        before, _, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if len(tail) >= 3 and tail[0] == "cgroup":
            for controller in set(tail[2].split(",")) & set(_V1_CONTROLLERS):
                mounts[controller] = (fields[3], Path(fields[4]))
    places = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            if controller in mounts:
                root, point = mounts[controller]
                places[controller] = point / os.path.relpath(path, root)
    return places


def _v1_reason() -> str | None:
    """Why cgroup v1 cannot be used here, or None when it can."""
    if os.geteuid() != 0:
        return "cgroup v1 needs the grader to run as root"
    try:
        places = _v1_places()
    except OSError as error:
        return f"cannot read this process's cgroups ({error.strerror})"
    missing = [c for c in _V1_CONTROLLERS if c not in places]
    if missing:
        return f"no cgroup v1 {' and '.join(missing)} hierarchy"
    for place in places.values():
        probe = place / f"rnn-course-probe-{uuid.uuid4().hex[:8]}"
        try:
            probe.mkdir()
            probe.rmdir()
        except OSError as error:
            return f"cannot make a cgroup in {place} ({error.strerror})"
    return None


def _systemd_prefix(memory_bytes: int, processes: int) -> list[str]:
    """The command that runs the rest of an argv in a new scope with these limits."""
    systemd_run = shutil.which("systemd-run", path=_HOST_PATH)
    if systemd_run is None:
        return []
    user = [] if os.geteuid() == 0 else ["--user"]
    passed = [f"{k}={os.environ[k]}" for k in _USER_BUS_VARIABLES if k in os.environ]
    return [
        shutil.which("env", path=_HOST_PATH) or "/usr/bin/env",
        "-i",
        f"PATH={_HOST_PATH}",
        *passed,
        systemd_run,
        *user,
        "--scope",
        "--quiet",
        "--collect",
        "-p",
        f"MemoryMax={memory_bytes}",
        "-p",
        "MemorySwapMax=0",
        "-p",
        f"TasksMax={processes}",
        "--",
        shutil.which("env", path=_HOST_PATH) or "/usr/bin/env",
        "-i",  # what runs in the scope gets none of systemd-run's variables
        f"PATH={_HOST_PATH}",
    ]


def _systemd_reason() -> str | None:
    """Why `systemd-run --scope` cannot cap a sandbox here, or None when it can."""
    memory, processes = 96 * 1024 * 1024, 64
    prefix = _systemd_prefix(memory, processes)
    if not prefix:
        return "no systemd-run"
    try:
        done = subprocess.run(
            [*prefix, sys.executable, "-S", "-c", _READ_OWN_LIMITS],
            capture_output=True,
            timeout=30,
            env={"PATH": _HOST_PATH},
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"systemd-run failed ({error})"
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        return f"systemd-run failed ({lines[-1] if lines else f'exit code {done.returncode}'})"
    if done.stdout.split() != [str(memory).encode(), str(processes).encode(), b"0"]:
        return "systemd-run's scope does not get the memory and pids limits (not delegated)"
    return None


@functools.cache
def find_method() -> tuple[str | None, str]:
    """How this machine can cap a sandbox in total: `(V1 or SYSTEMD, "")` or `(None, why not)`.

    Decided once per process (the systemd test starts a scope).
    """
    v1 = _v1_reason()
    if v1 is None:
        return V1, ""
    systemd = _systemd_reason()
    if systemd is None:
        return SYSTEMD, ""
    return None, f"{v1}; {systemd}"


class ProcessGroup:
    """One cgroup that caps one sandbox's memory (RAM, swap and in-memory files) and processes.

    Args:
        method: `V1` or `SYSTEMD` (from `find_method`).
        memory_bytes: the memory of all its processes together.
        processes: its processes and threads together.

    Attributes:
        join_files: (v1) the `cgroup.procs` files the sandbox's launcher writes its pid to.

    Example:
    >>> group = ProcessGroup(V1, memory_bytes=2 * 1024**3, processes=256)  # doctest: +SKIP
    >>> argv = group.wrap(["bwrap", "..."])  # doctest: +SKIP
    >>> group.remove()  # after the sandbox ended: None, or why it could not  # doctest: +SKIP
    """

    def __init__(self, method: str, memory_bytes: int, processes: int):
        if method not in (V1, SYSTEMD):
            raise ValueError(f"`method` must be {V1!r} or {SYSTEMD!r}; got {method!r}.")
        self.method, self.memory_bytes, self.processes = method, memory_bytes, processes
        self.folders: list[Path] = []
        self.join_files: list[str] = []
        if method == V1:
            self._make_v1()

    def _make_v1(self) -> None:
        name = f"rnn-course-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        try:
            for controller, place in sorted(_v1_places().items()):
                folder = place / name
                folder.mkdir()
                self.folders.append(folder)
                self.join_files.append(str(folder / "cgroup.procs"))
                if controller == "memory":
                    (folder / "memory.limit_in_bytes").write_text(str(self.memory_bytes))
                    swap = folder / "memory.memsw.limit_in_bytes"
                    if swap.exists():  # memory + swap: swapping out does not escape the cap
                        swap.write_text(str(self.memory_bytes))
                else:
                    (folder / "pids.max").write_text(str(self.processes))
        except OSError:
            self.remove()
            raise

    def wrap(self, argv: list[str]) -> list[str]:
        """The command that runs `argv` in this group (v1: `argv` itself; the launcher joins)."""
        if self.method == SYSTEMD:
            return [*_systemd_prefix(self.memory_bytes, self.processes), *argv]
        return list(argv)

    def remove(self, patience: float = 10.0) -> str | None:
        """Kill what is left in the group and remove it; return None, or why it could not."""
        deadline = time.monotonic() + patience
        left = list(self.folders)
        while left:
            for folder in list(left):
                try:
                    pids = (folder / "cgroup.procs").read_text().split()
                    for pid in pids:
                        try:
                            os.kill(int(pid), signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                    if not pids:
                        folder.rmdir()
                        left.remove(folder)
                except FileNotFoundError:
                    left.remove(folder)
                except OSError:
                    pass  # busy: its processes are still exiting
            if left and time.monotonic() > deadline:
                return f"the cgroup(s) {', '.join(map(str, left))} could not be removed"
            if left:
                time.sleep(0.05)
        self.folders = []
        return None
