"""The grading sandbox: one student's notebook runs in a bubblewrap (`bwrap`) container.

The grader never runs a student's code with the teacher's rights. The whole execution of one
notebook (the executor of `course_lib.grading.execute` and the kernel it starts) happens
inside one sandbox, which talks to the grader only through files in its working folder:
the grader writes the notebook and a job description there, and reads back a JSON result
and the checks' probe records (JSON and `.npz`, never a pickle), which it validates before
using them.

What the sandbox promises (each promise has a hostile-submission test in
`tests/test_sandbox.py`, which also shows the attack succeeding with `--no-sandbox`):

- **No network**: its own network namespace, with only a loopback interface of its own.
- **Only what a Python kernel needs, read-only**: the system's `/usr` (and `/bin`, `/lib`...),
  a few files of `/etc` (`SYSTEM_ETC_FILES`), the Python installation, its site-packages
  and the `course_lib` package, all read-only; nothing else of the host: no home folder,
  no submissions folder, no gradebook, no other student's files.
- **One private writable folder** (the working copy, mounted at `/submission`) and a
  private `/tmp` (a folder of its own on disk, deleted afterwards).
- **Its own processes**: a new PID namespace (it cannot see or signal the grader or other
  kernels), a new session (no terminal injection), and when the execution ends every
  process it started is killed with the namespace: nothing outlives it.
- **Limits** (`SandboxLimits`, command-line options of `rnn-course grade`): address space
  per process (`--memory-limit`, default 8 GiB), processes and threads
  (`--process-limit`, default 1024), size of any file written (`--file-size-limit`,
  default 256 MiB), plus the executor's cell and notebook time limits; a wall-clock limit
  on the whole sandbox backs them up.

What it does not promise:

- It limits disk use only per file: many files, or a large `/tmp`, can still fill the disk
  of the grading folder's file system (it is deleted after each notebook).
- It does not limit CPU time beyond the time limits, nor hide the CPU's and kernel's
  identity (`/proc/cpuinfo`, `uname`).
- It relies on the Linux kernel's namespaces; a kernel exploit escapes it (as it escapes
  Docker). bubblewrap's maintainers call it a tool to build sandboxes, not a policy: the
  policy is this module.
- The verdict is not decided here: student code can write anything into its own result
  files. The grader treats them as untrusted data (`course_lib.checks.verdicts` judges the
  probes in the grader's own process).

When the grader runs as root, the sandbox runs as the unprivileged user `nobody`
(processes of root ignore the process limit): a small launcher first bind-mounts the
folders the sandbox needs into a private mount namespace, so that `nobody` can reach them,
then drops its privileges and starts `bwrap`.

Fail closed: `check_available()` runs a tiny sandbox once and raises `SandboxUnavailable`,
saying why and what to do, when it cannot be set up (no `bwrap`, user namespaces disabled,
AppArmor, macOS, Windows). `rnn-course grade` then stops before grading anything unless
the teacher passes `--no-sandbox`.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import course_lib

# Where the working copy appears inside the sandbox.
SANDBOX_WORKDIR = "/submission"
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
NOBODY = 65534
GIB, MIB = 1024**3, 1024**2

INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: "
    "`sudo dnf install bubblewrap`), or pass --no-sandbox to grade without it and accept "
    "that students' code runs with your rights"
)


class SandboxUnavailable(RuntimeError):
    """The grading sandbox cannot be set up on this machine; the message says why and what to do."""


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one sandboxed notebook execution (applied with `setrlimit`).

    Args:
        memory_bytes: address space of each process (`RLIMIT_AS`). Defaults to 8 GiB
            (a TensorFlow kernel maps about 3 GiB before it trains anything).
        processes: processes and threads of the sandbox (`RLIMIT_NPROC`, counted in the
            sandbox's own user namespace). Defaults to 1024.
        file_bytes: size of any one file written (`RLIMIT_FSIZE`). Defaults to 256 MiB.
    """

    memory_bytes: int = 8 * GIB
    processes: int = 1024
    file_bytes: int = 256 * MIB

    def __post_init__(self):
        for name in ("memory_bytes", "processes", "file_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"`{name}` must be a positive integer; got {value!r}.")

    def apply(self) -> None:
        """Set these limits (soft and hard) on the calling process, inherited by its children."""
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


def _mounts(
    workdir: Path, tmpdir: Path, read_only: Sequence[str] = (), course_package: str | None = None
) -> tuple[list[_Bind], list[tuple[str, str]]]:
    """The bind mounts and the symbolic links of the sandbox's file system."""
    # The private /tmp first: folders bound later may lie under /tmp (a course cloned into
    # a temporary folder) and must land on top of it, not be hidden by it.
    binds: list[_Bind] = [_Bind(str(tmpdir), "/tmp", writable=True)]
    links: list[tuple[str, str]] = []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            links.append((os.readlink(path), path))
        elif os.path.isdir(path):
            binds.append(_Bind(path, path))
    binds += [_Bind(p, p) for p in SYSTEM_ETC_FILES if os.path.exists(p)]
    extra = [os.path.realpath(p) for p in read_only if os.path.exists(p)]
    package = [course_package_dir()] if course_package is None else []
    for path in [*_python_dirs(), *package, *extra]:
        if not any(path.startswith(b.source.rstrip("/") + "/") for b in binds):
            binds.append(_Bind(path, path))
    if course_package is not None:  # a replacement, on top of whatever holds the package
        binds.append(_Bind(os.path.realpath(course_package), course_package_dir()))
    binds.append(_Bind(str(workdir), SANDBOX_WORKDIR, writable=True))
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


def _bwrap_argv(bwrap, binds, links, env, command, sources=None) -> list[str]:
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
    ]
    for target, path in links:
        argv += ["--symlink", target, path]
    for i, bind in enumerate(binds):
        source = sources[i] if sources else bind.source
        argv += ["--bind" if bind.writable else "--ro-bind", source, bind.target]
    for key, value in sorted(env.items()):
        argv += ["--setenv", key, value]
    argv += ["--chdir", SANDBOX_WORKDIR, "--", *command]
    return argv


# Run by the grader's Python with -S when the grader is root: bind the sandbox's sources into
# a private mount namespace where `nobody` can reach them, drop to `nobody`, exec bwrap.
_ROOT_LAUNCHER = r"""
import ctypes, json, os, sys
spec = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
def check(result, what):
    if result != 0:
        error = ctypes.get_errno()
        sys.stderr.write("rnn-course sandbox launcher: %s failed: %s\n" % (what, os.strerror(error)))
        sys.exit(125)
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
os.execv(spec["argv"][0], spec["argv"])
"""


class GradingFolder:
    """The one temporary folder of one notebook's grading, deleted when the `with` block ends.

    `work` is the working copy (the notebook, its data files, the job and the results;
    `/submission` inside the sandbox), `tmp` the sandbox's `/tmp`, and `stage` an empty
    mount point for the root launcher.

    Example:
    >>> with GradingFolder() as folder:
    ...     (folder.work / "notebook.ipynb").exists()
    False
    """

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="rnn-course-grade-"))
        os.chmod(self.root, 0o711)  # others may pass through (the sandbox's user), not list
        self.work, self.tmp, self.stage = self.root / "work", self.root / "tmp", self.root / "stage"
        for folder in (self.work, self.tmp, self.stage):
            folder.mkdir()

    def __enter__(self) -> GradingFolder:
        return self

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def sandbox_command(
    folder: GradingFolder,
    command: Sequence[str],
    env: Mapping[str, str] | None = None,
    *,
    read_only: Sequence[str] = (),
    course_package: str | os.PathLike | None = None,
) -> list[str]:
    """The command that runs `command` inside the sandbox, `folder.work` at `/submission`.

    Args:
        folder: the grading folder (its `work` becomes `/submission`, its `tmp` `/tmp`).
        command: the program and its arguments, as seen inside the sandbox.
        env: extra environment variables inside the sandbox.
        read_only: more host files or folders to show read-only at the same path.
            Defaults to none.
        course_package: a folder to show read-only where the `course_lib` package is (the
            grader's copy with the answer keys withheld). Defaults to the package itself.

    Returns:
        The argv to run on the host (`bwrap ...`, or the root launcher then `bwrap`).
    """
    bwrap = _bwrap()
    package = None if course_package is None else str(course_package)
    binds, links = _mounts(folder.work, folder.tmp, read_only, package)
    full_env = sandbox_environment(env)
    if os.geteuid() != 0:
        return _bwrap_argv(bwrap, binds, links, full_env, command)
    stage = str(folder.stage)
    for place in (folder.work, folder.tmp):
        for root, dirs, files in os.walk(place):
            for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
                os.lchown(name, NOBODY, NOBODY)
    sources = [os.path.join(stage, str(i)) for i in range(len(binds))]
    argv = _bwrap_argv(bwrap, binds, links, full_env, command, sources)
    spec = {"stage": stage, "sources": [b.source for b in binds], "uid": NOBODY, "argv": argv}
    return [sys.executable, "-S", "-c", _ROOT_LAUNCHER, json.dumps(spec)]


def run_command(
    argv: Sequence[str], timeout: float, env: Mapping[str, str] | None = None
) -> tuple[int, str]:
    """Run `argv` in a new session; after `timeout` seconds kill its whole process group.

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
        env=dict(env) if env is not None else None,
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


_AVAILABLE: bool | None = None


def check_available() -> None:
    """Set up a tiny sandbox once; raise `SandboxUnavailable` saying why when that fails.

    Raises:
        SandboxUnavailable: on a system other than Linux, without `bwrap`, or when bwrap
            cannot create its namespaces (user namespaces disabled, AppArmor).
    """
    global _AVAILABLE
    if _AVAILABLE:
        return
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable(
            f"the grading sandbox needs Linux (bubblewrap); this is {sys.platform}. Grade on a "
            "Linux machine or virtual machine, or pass --no-sandbox to grade without it and "
            "accept that students' code runs with your rights"
        )
    _bwrap()
    with GradingFolder() as folder:
        code = "import course_lib, pathlib; pathlib.Path('ok').write_text('ok')"
        argv = sandbox_command(folder, [sys.executable, "-c", code])
        returncode, stderr = run_command(argv, timeout=60)
        ok = (folder.work / "ok").is_file()
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
