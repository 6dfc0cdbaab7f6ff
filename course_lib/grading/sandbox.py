"""The grading sandbox: one student's notebook runs in a bubblewrap (`bwrap`) container.

The grader never runs a student's code with the teacher's rights. The whole execution of one
notebook (the executor of `course_lib.grading.execute` and the kernel it starts) happens
inside one sandbox, which receives its input read-only (the notebook, a job description and
the student's data files, at `/grading/input`) and hands back exactly one file
(`/grading/result`, see `course_lib.grading.result_file`): the cells' outcomes and the
checks' probe records (JSON and `.npz`, never a pickle). The grader reads that file as
untrusted (`course_lib.grading.untrusted_files`) and validates everything in it.

What the sandbox promises (each promise has a hostile-submission test in
`tests/test_sandbox.py`, which also shows the attack succeeding with `--no-sandbox`):

- **No network**: its own network namespace, with only a loopback interface of its own.
- **Only what a Python kernel needs, read-only**: the system's `/usr` (and `/bin`, `/lib`...),
  a few files of `/etc` (`SYSTEM_ETC_FILES`), the Python installation, its site-packages
  and the `course_lib` package, all read-only, on a read-only `/`; nothing else of the
  host: no home folder, no submissions folder, no gradebook, no other student's files.
- **Nothing of the teacher's environment**: every process started for grading (the root
  launcher, `bwrap` and bwrap's own process 1 in the sandbox, the executor, the kernel)
  gets an explicit, minimal environment (`HOST_ENVIRONMENT` outside, `sandbox_environment`
  inside); a token in the grader's environment is in no `/proc/*/environ` of the sandbox.
- **Writable space in memory, bounded**: the working folder (`/submission`), `/tmp` and
  `/dev/shm` are in-memory file systems of at most `disk_bytes` each (`--disk-limit`,
  default 1 GiB) that vanish with the sandbox. On the grader's disk it writes one file,
  the result, no larger than `file_bytes` (`--file-size-limit`, default 256 MiB).
- **Its own processes**: a new PID namespace (it cannot see or signal the grader or other
  kernels), a new session (no terminal injection), and when the execution ends every
  process it started is killed with the namespace: nothing outlives it.
- **Limits in total** (`SandboxLimits`): the memory of all its processes together, their
  in-memory files included (`--memory-limit`, default 8 GiB; also the address space of
  each process), and its processes and threads together (`--process-limit`, default 1024),
  with a cgroup (`course_lib.grading.cgroups`: v1 when the grader runs as root, v2 through
  `systemd-run --scope` elsewhere); each file it writes (`--file-size-limit`); the
  executor's cell and notebook time limits, and a wall-clock limit on the whole sandbox.

Where no cgroup can be set up (a container without a writable cgroup file system, no
systemd user session, cgroup v1 without root), grading stops before it starts and says why
(fail closed), unless the teacher passes `--per-process-limits`. Then the memory limit
holds per process only (each process's address space; N processes may use N times the
limit, plus the in-memory files, at most 3 x `--disk-limit`), the process limit holds
through `RLIMIT_NPROC` only (counted per user, not per sandbox), and the summary line says
so; every other promise above still holds.

What it does not promise:

- It does not limit CPU time beyond the time limits, nor hide the CPU's and kernel's
  identity (`/proc/cpuinfo`, `uname`).
- It relies on the Linux kernel's namespaces; a kernel exploit escapes it (as it escapes
  Docker). bubblewrap's maintainers call it a tool to build sandboxes, not a policy: the
  policy is this module.
- The verdict is not decided here: student code can write anything into its result file.
  The grader treats it as untrusted data (`course_lib.checks.verdicts` judges the probes in
  the grader's own process, within a budget of items and bytes).

When the grader runs as root, the sandbox runs as the unprivileged user `nobody`
(processes of root ignore the process limit): a small launcher first bind-mounts the
folders the sandbox needs into a private mount namespace, so that `nobody` can reach them,
moves itself into the sandbox's cgroup, then drops its privileges and starts `bwrap`.
The grading folder is removed afterwards even when the grader is not root and the
student's code made its folders unreadable (`remove_tree`); a failure to remove it is
logged as a warning naming the folder.

Fail closed: `check_available()` runs a tiny sandbox once and raises `SandboxUnavailable`,
saying why and what to do, when it cannot be set up (no `bwrap`, user namespaces disabled,
AppArmor, no cgroup, macOS, Windows). `rnn-course grade` then stops before grading anything
unless the teacher passes `--no-sandbox` (or, for the cgroup, `--per-process-limits`).

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import course_lib
from course_lib.grading import cgroups

# Where the grading folder's parts appear inside the sandbox.
SANDBOX_WORKDIR = "/submission"  # the working folder (in memory)
SANDBOX_INPUT = "/grading/input"  # the notebook, the job and the data files (read-only)
SANDBOX_RESULT = "/grading/result"  # the one file it hands back
# The few files of /etc a Python kernel reads at start-up (libraries, time zone, user names).
SYSTEM_ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/nsswitch.conf",
    "/etc/passwd",
    "/etc/group",
    "/etc/hosts",
)
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# Environment variables passed into the sandbox from the grader's environment (OpenBLAS
# needs these on some processors, see the machine notes). Everything else is cleared.
PASSED_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "TZ", "LANG", "LC_ALL")
# The whole environment of the processes the grader starts on the host for a sandbox (the
# root launcher, bwrap, whose own process 1 in the sandbox keeps it): nothing of the teacher's.
HOST_ENVIRONMENT = {"PATH": "/usr/local/bin:/usr/bin:/bin"}
NOBODY = 65534
GIB, MIB = 1024**3, 1024**2

INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: "
    "`sudo dnf install bubblewrap`), or pass --no-sandbox to grade without it and accept "
    "that students' code runs with your rights"
)
PER_PROCESS_HINT = (
    "run the grader as root (cgroup v1), or in a systemd user session that delegates the "
    "memory and pids controllers (cgroup v2: `systemd-run --user --scope` must work), or "
    "pass --per-process-limits to grade with limits that hold per process only (N "
    "processes may then use N times the memory limit)"
)
_log = logging.getLogger(__name__)


class SandboxUnavailable(RuntimeError):
    """The grading sandbox cannot be set up on this machine; the message says why and what to do."""


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one sandboxed notebook execution.

    Args:
        memory_bytes: memory of the whole sandbox, its in-memory files included (a
            cgroup), and address space of each of its processes (`RLIMIT_AS`). Defaults to
            8 GiB (a TensorFlow kernel maps about 3 GiB before it trains anything).
        processes: processes and threads of the whole sandbox (a cgroup) and of its user
            (`RLIMIT_NPROC`). Defaults to 1024.
        file_bytes: size of any one file written (`RLIMIT_FSIZE`), the result file the
            grader reads back included. Defaults to 256 MiB.
        disk_bytes: size of each in-memory writable file system: the working folder,
            `/tmp` and `/dev/shm`. Defaults to 1 GiB.
        per_process_only: grade with per-process limits when no cgroup can cap the
            sandbox in total, instead of refusing to grade. Defaults to False.
    """

    memory_bytes: int = 8 * GIB
    processes: int = 1024
    file_bytes: int = 256 * MIB
    disk_bytes: int = 1 * GIB
    per_process_only: bool = False

    def __post_init__(self):
        for name in ("memory_bytes", "processes", "file_bytes", "disk_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"`{name}` must be a positive integer; got {value!r}.")
        if not isinstance(self.per_process_only, bool):
            raise ValueError(
                f"`per_process_only` must be True or False; got {self.per_process_only!r}."
            )

    def apply(self) -> None:
        """Set the per-process limits (soft and hard) on the calling process, inherited by its children."""
        import resource

        for kind, value in (
            (resource.RLIMIT_AS, self.memory_bytes),
            (resource.RLIMIT_NPROC, self.processes),
            (resource.RLIMIT_FSIZE, self.file_bytes),
        ):
            resource.setrlimit(kind, (value, value))


def parse_size(text: str) -> int:
    """Parse a size such as `"8G"`, `"512M"`, `"100k"` or `"4096"` (bytes) into bytes.

    Raises:
        ValueError: when `text` is not a positive size.
    """
    units = {"": 1, "K": 1024, "M": MIB, "G": GIB, "T": 1024 * GIB}
    raw = str(text).strip().upper().removesuffix("B").removesuffix("I")
    number, unit = (raw[:-1], raw[-1]) if raw and raw[-1] in units else (raw, "")
    try:
        value = float(number) * units[unit]
    except ValueError:
        value = -1
    if not value >= 1:
        raise ValueError(f"a size must be a positive number with K, M or G; got {text!r}")
    return int(value)


def _python_dirs() -> list[str]:
    """The folders of the Python installation and packages the kernel imports from."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths.add(str(Path(os.path.realpath(sys.executable)).parent.parent))
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        paths.add(sysconfig.get_paths()[key])
    try:
        import site

        paths.update(site.getsitepackages())
        user_site = site.getusersitepackages()
        if site.ENABLE_USER_SITE and user_site in sys.path:
            paths.add(user_site)
    except Exception:  # site may be reduced in embedded Pythons
        pass
    existing = sorted(os.path.realpath(p) for p in paths if p and os.path.isdir(p))
    # Keep only the outermost folders (a venv's site-packages lies inside sys.prefix).
    kept: list[str] = []
    for path in existing:
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


def course_package_dir() -> str:
    """The folder of the installed `course_lib` package (bound read-only in the sandbox)."""
    return os.path.realpath(Path(course_lib.__file__).parent)


@dataclass(frozen=True)
class _Bind:
    source: str
    target: str
    writable: bool = False


def _binds(folder: GradingFolder, read_only: Sequence[str] = ()) -> tuple[list[_Bind], list]:
    """The bind mounts (host -> sandbox) and the symbolic links of the sandbox's file system."""
    binds: list[_Bind] = []
    links: list[tuple[str, str]] = []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            links.append((os.readlink(path), path))
        elif os.path.isdir(path):
            binds.append(_Bind(path, path))
    binds += [_Bind(p, p) for p in SYSTEM_ETC_FILES if os.path.exists(p)]
    extra = [os.path.realpath(p) for p in read_only if os.path.exists(p)]
    for path in [*_python_dirs(), course_package_dir(), *extra]:
        if not any(path.startswith(b.source.rstrip("/") + "/") for b in binds):
            binds.append(_Bind(path, path))
    binds.append(_Bind(str(folder.input), SANDBOX_INPUT))
    binds.append(_Bind(str(folder.result), SANDBOX_RESULT, writable=True))
    return binds, links


def sandbox_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The whole environment of the sandboxed executor: nothing of the grader's but `PASSED_VARIABLES`."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp/home",
        "USER": "student",
        "LOGNAME": "student",
        "TMPDIR": "/tmp",
        "PYTHONPATH": str(Path(course_package_dir()).parent),
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "IPYTHONDIR": "/tmp/ipython",
        "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime",
        "JUPYTER_DATA_DIR": "/tmp/jupyter-data",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    env.update({k: os.environ[k] for k in PASSED_VARIABLES if k in os.environ})
    env.update(extra or {})
    return env


def _bwrap() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(f"the grading sandbox needs bubblewrap (`bwrap`): {INSTALL_HINT}.")
    return path


def _bwrap_argv(bwrap, binds, links, env, command, disk_bytes, sources=None) -> list[str]:
    size = ["--size", str(disk_bytes), "--tmpfs"]
    argv = [
        bwrap,
        "--unshare-all",  # user, pid, network, ipc, uts and cgroup namespaces of its own
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--hostname",
        "sandbox",
        "--clearenv",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        *size,
        "/dev/shm",
        # The private /tmp before the binds: folders bound later may lie under /tmp (a
        # course cloned into a temporary folder) and must land on top of it.
        *size,
        "/tmp",
        *size,
        SANDBOX_WORKDIR,
    ]
    for target, path in links:
        argv += ["--symlink", target, path]
    for i, bind in enumerate(binds):
        source = sources[i] if sources else bind.source
        argv += ["--bind" if bind.writable else "--ro-bind", source, bind.target]
    argv += ["--remount-ro", "/dev", "--remount-ro", "/"]  # their tmpfs is bwrap's, unbounded
    for key, value in sorted(env.items()):
        argv += ["--setenv", key, value]
    argv += ["--chdir", SANDBOX_WORKDIR, "--", *command]
    return argv


# Run by the grader's Python with -S when the grader is root: join the sandbox's cgroup, bind
# its sources into a private mount namespace where `nobody` can reach them, drop to `nobody`,
# exec bwrap.
_ROOT_LAUNCHER = r"""
import ctypes, json, os, sys
spec = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
def check(result, what):
    if result != 0:
        error = ctypes.get_errno()
        sys.stderr.write("rnn-course sandbox launcher: %s failed: %s\n" % (what, os.strerror(error)))
        sys.exit(125)
for procs in spec["cgroups"]:
    with open(procs, "w") as handle:
        handle.write(str(os.getpid()))
CLONE_NEWNS, MS_BIND, MS_REC, MS_PRIVATE = 0x00020000, 4096, 16384, 1 << 18
check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "making / private")
stage = spec["stage"]
check(libc.mount(b"tmpfs", stage.encode(), b"tmpfs", 0, b"mode=0755"), "mounting the stage")
for index, source in enumerate(spec["sources"]):
    point = os.path.join(stage, str(index))
    if os.path.isdir(source):
        os.mkdir(point)
    else:
        open(point, "w").close()
    check(libc.mount(source.encode(), point.encode(), None, MS_BIND | MS_REC, None), "binding " + source)
os.setgroups([])
os.setgid(spec["uid"])
os.setuid(spec["uid"])
os.execve(spec["argv"][0], spec["argv"], spec["env"])
"""


def remove_tree(root: str | os.PathLike) -> None:
    """Remove a folder the student's code wrote into, even where it made folders unreadable.

    Folders are made readable, writable and searchable by their owner on the way down (a
    grader that is not root cannot otherwise enter a folder of mode 000), links are
    removed, not followed.

    Raises:
        OSError: when something could not be removed (the message names it).
    """
    root = Path(root)
    if root.is_symlink():
        root.unlink()
        return
    if not root.exists():
        return
    _let_owner_in(root)
    for folder, dirs, _ in os.walk(root):  # top-down: each folder is opened before entered
        for name in dirs:
            _let_owner_in(os.path.join(folder, name))
    shutil.rmtree(root)


def _let_owner_in(path: str | os.PathLike) -> None:
    if not os.path.islink(path):
        with contextlib.suppress(OSError):
            os.chmod(path, stat.S_IRWXU)


class GradingFolder:
    """The one temporary folder of one notebook's grading, removed when the `with` block ends.

    Attributes:
        input: what the execution is given: the notebook, the job and, in `files`, the
            student's data files (`/grading/input`, read-only, in the sandbox).
        files: the student's data files, copied into the working folder by the executor.
        result: the one file the execution hands back (`/grading/result` in the sandbox).
        work: the working folder of an execution without the sandbox (`--no-sandbox`); the
            sandbox's own (`/submission`) is in memory.
        returned: the files the execution returned (the probe records), unpacked from
            `result` by the grader.
        stage: an empty mount point for the root launcher.

    Example:
    >>> with GradingFolder() as folder:
    ...     sorted(path.name for path in folder.root.iterdir())
    ['input', 'result', 'returned', 'stage', 'work']
    """

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="rnn-course-grade-"))
        os.chmod(self.root, 0o711)  # others may pass through (the sandbox's user), not list
        self.input, self.work = self.root / "input", self.root / "work"
        self.returned, self.stage = self.root / "returned", self.root / "stage"
        self.files, self.result = self.input / "files", self.root / "result"
        for folder in (self.input, self.files, self.work, self.returned, self.stage):
            folder.mkdir(mode=0o755)
            os.chmod(folder, 0o755)  # whatever the umask: the sandbox's user reads `input`
        self.result.touch(mode=0o600)
        self.groups: list[cgroups.ProcessGroup] = []

    def __enter__(self) -> GradingFolder:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def remove(self) -> list[str]:
        """Remove the folder and the sandboxes' cgroups; log and return what could not be."""
        problems = [p for p in (group.remove() for group in self.groups) if p]
        self.groups = []
        try:
            remove_tree(self.root)
        except OSError as error:
            problems.append(f"the grading folder {self.root} could not be removed ({error})")
        for problem in problems:
            _log.warning("rnn-course: %s", problem)
        return problems


def _cgroup_method(limits: SandboxLimits) -> str | None:
    """The cgroup method of this machine; SandboxUnavailable when none and `limits` needs one."""
    method, why_not = cgroups.find_method()
    if method is None and not limits.per_process_only:
        raise SandboxUnavailable(
            "no cgroup can cap the grading sandbox's memory and processes in total here "
            f"({why_not}): {PER_PROCESS_HINT}"
        )
    return method


def sandbox_command(
    folder: GradingFolder,
    command: Sequence[str],
    env: Mapping[str, str] | None = None,
    *,
    read_only: Sequence[str] = (),
    limits: SandboxLimits | None = None,
) -> list[str]:
    """The command that runs `command` inside the sandbox, in its working folder `/submission`.

    Args:
        folder: the grading folder (its `input` at `/grading/input`, its `result` file at
            `/grading/result`); the sandbox's cgroup is removed with it.
        command: the program and its arguments, as seen inside the sandbox.
        env: extra environment variables inside the sandbox.
        read_only: more host files or folders to show read-only at the same path.
            Defaults to none.
        limits: the resource limits. Defaults to `SandboxLimits()`.

    Returns:
        The argv to run on the host with `run_command` (`bwrap ...`, the root launcher then
        `bwrap`, either behind `systemd-run` when that gives the cgroup).

    Raises:
        SandboxUnavailable: when no cgroup can cap the sandbox and `limits` does not allow
            per-process limits only.
    """
    limits = limits or SandboxLimits()
    bwrap = _bwrap()
    method = _cgroup_method(limits)
    group = cgroups.ProcessGroup(method, limits.memory_bytes, limits.processes) if method else None
    if group is not None:
        folder.groups.append(group)
    binds, links = _binds(folder, read_only)
    full_env = sandbox_environment(env)
    if os.geteuid() != 0:
        argv = _bwrap_argv(bwrap, binds, links, full_env, command, limits.disk_bytes)
        return group.wrap(argv) if group else argv
    os.chown(folder.result, NOBODY, NOBODY)
    stage = str(folder.stage)
    sources = [os.path.join(stage, str(i)) for i in range(len(binds))]
    argv = _bwrap_argv(bwrap, binds, links, full_env, command, limits.disk_bytes, sources)
    spec = {
        "stage": stage,
        "sources": [b.source for b in binds],
        "uid": NOBODY,
        "argv": argv,
        "env": HOST_ENVIRONMENT,
        "cgroups": group.join_files if group else [],
    }
    launcher = [sys.executable, "-S", "-c", _ROOT_LAUNCHER, json.dumps(spec)]
    return group.wrap(launcher) if group else launcher


def run_command(
    argv: Sequence[str], timeout: float, env: Mapping[str, str] | None = None
) -> tuple[int, str]:
    """Run `argv` in a new session; after `timeout` seconds kill its whole process group.

    Args:
        argv: the command.
        timeout: seconds it may run.
        env: its whole environment. Defaults to `HOST_ENVIRONMENT` (nothing of the
            grader's own).

    Returns:
        `(exit code, the end of what it wrote to stderr)`; the exit code is negative when a
        signal ended it (-9 also after the timeout).
    """
    process = subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=dict(env) if env is not None else dict(HOST_ENVIRONMENT),
    )
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process.pid)
        _, stderr = process.communicate()
    finally:
        _kill_group(process.pid)  # whatever is left in its process group
    return process.returncode, (stderr or b"").decode(errors="replace")[-2000:]


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def total_limits() -> str:
    """How a sandbox's memory and processes are capped on this machine, for the teacher's summary.

    Returns:
        `"memory and processes capped in total by cgroup v1"` (or `by systemd`), or
        `"memory and processes limited per process only (...why)"`.
    """
    method, why_not = cgroups.find_method()
    if method:
        return f"memory and processes capped in total by {method}"
    return f"memory and processes limited per process only ({why_not})"


_AVAILABLE: bool | None = None


def check_available(limits: SandboxLimits | None = None) -> None:
    """Set up a tiny sandbox once; raise `SandboxUnavailable` saying why when that fails.

    Args:
        limits: the limits grading will use (whether per-process limits are accepted).
            Defaults to `SandboxLimits()`.

    Raises:
        SandboxUnavailable: on a system other than Linux, without `bwrap`, when bwrap
            cannot create its namespaces (user namespaces disabled, AppArmor), or when no
            cgroup can cap the sandbox in total and `limits` does not accept per-process
            limits.
    """
    global _AVAILABLE
    limits = limits or SandboxLimits()
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable(
            f"the grading sandbox needs Linux (bubblewrap); this is {sys.platform}. Grade on a "
            "Linux machine or virtual machine, or pass --no-sandbox to grade without it and "
            "accept that students' code runs with your rights"
        )
    _bwrap()
    _cgroup_method(limits)
    if _AVAILABLE:
        return
    with GradingFolder() as folder:
        code = f"import course_lib, pathlib; pathlib.Path({SANDBOX_RESULT!r}).write_text('ok')"
        argv = sandbox_command(folder, [sys.executable, "-c", code], limits=limits)
        returncode, stderr = run_command(argv, timeout=60)
        ok = folder.result.read_bytes() == b"ok"
    if returncode != 0 or not ok:
        detail = stderr.strip().splitlines()
        why = detail[-1] if detail else f"exit code {returncode}"
        raise SandboxUnavailable(
            f"bubblewrap could not set up the grading sandbox ({why}). Unprivileged user "
            "namespaces may be disabled (sysctl kernel.unprivileged_userns_clone=1) or "
            "blocked by AppArmor (Ubuntu 24.04: allow bwrap in an AppArmor profile); "
            f"otherwise {INSTALL_HINT}"
        )
    _AVAILABLE = True
