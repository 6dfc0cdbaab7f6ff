"""Run a notebook cell by cell in a fresh kernel, surviving whatever the cells do.

`run_notebook` is the grader's executor (built on nbclient). Compared with running a
notebook top to bottom, it:

- never stops at an error: every cell runs, and each cell's outcome is recorded
  (`CellRun`: ok, error with its name and message, timeout, died, not-run);
- limits each cell's time (nbclient's `timeout`; the kernel is interrupted and, if it
  does not answer within `interrupt_grace` seconds, killed) and the whole notebook's
  wall-clock time (the kernel is killed and the remaining cells are marked not-run);
- survives kernel deaths (`os._exit`, a crash, out of memory): nbclient raises
  `DeadKernelError`, the cell is marked "died", and a new kernel is started that replays the
  cells which ran fine before (up to `max_restarts` times), then execution goes on;
- caps the output kept per cell, so a printing loop cannot fill the grader's memory;
- before every cell listed in `refresh_before` (the check cells), runs hidden code in the
  kernel that drops the modules named in `check_modules` from `sys.modules`, so the check
  cell's own import loads them afresh from disk (a check function monkeypatched or
  replaced by a student's cell is gone). If that hidden step fails, the cell is not run and
  is marked as an error.

Kernels run with `TF_CPP_MIN_LOG_LEVEL=3` and their process output sent to /dev/null.

The grader does not call `run_notebook` in its own process: `execute_job` writes the
notebook and a JSON job into the grading folder's `input` and runs this module's command
line, `python -m course_lib.grading.execute INPUT WORKDIR RESULT`, inside the sandbox
(`course_lib.grading.sandbox`) or, with `--no-sandbox`, as a plain subprocess. That command
applies the sandbox's limits, copies the student's data files into the working folder, runs
the notebook and writes one result file (`course_lib.grading.result_file`): the cells'
outcomes and the files the grader asked back (the probe records). `execute_job` reads it
back as untrusted (a regular file, bounded) and validates it: it comes from a process the
student's code could tamper with.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from course_lib.checks.contract import CHECKS_PACKAGE
from course_lib.grading.notebook_format import read_notebook, write_notebook
from course_lib.grading.outcomes import CellRun, CellStatus, KernelFault
from course_lib.grading.result_file import (
    ResultFileError,
    read_result,
    returned_files,
    write_result,
)
from course_lib.grading.sandbox import (
    SANDBOX_INPUT,
    SANDBOX_RESULT,
    SANDBOX_WORKDIR,
    GradingFolder,
    SandboxLimits,
    run_command,
    sandbox_command,
)
from course_lib.validation import shorten

# Exception name of the reply nbclient fabricates when a cell runs out of time.
_TIMEOUT_ENAME = "CellTimeout"
_MAX_ERROR_CHARS = 4_000


# The files of a job in the grading folder's input (written by nbformat or json, never pickles).
JOB_FILE, NOTEBOOK = "job.json", "notebook.ipynb"
# Characters of a cell's printed output kept in the result (the grader only shows them).
_RESULT_STDOUT_CHARS = 10_000
# Seconds the sandbox may take beyond the notebook's own limit (start-up, writing results).
_STARTUP_MARGIN = 120.0


@dataclass(frozen=True)
class ExecutionConfig:
    """Limits and environment of one notebook's execution.

    Args:
        cell_timeout: seconds one cell may run. Defaults to 300.
        notebook_timeout: wall-clock seconds for the whole notebook, kernel start-ups
            included. Defaults to 1800.
        interrupt_grace: seconds a timed-out kernel has to answer after the interrupt
            before it is killed. Defaults to 10.
        max_restarts: new kernels started after deaths or hangs. Defaults to 2.
        max_output_chars: characters of output kept per cell. Defaults to 100_000.
        check_modules: modules dropped from `sys.modules` before each check cell.
            Defaults to `("course_lib.checks",)`.
        kernel_name: a Jupyter kernel to use instead of the default, an IPython kernel
            running the Python that runs the grader (so it sees the same `course_lib`).
            Defaults to None.
        env: extra environment variables for the kernel. Defaults to none.
        startup_timeout: seconds a kernel may take to start. Defaults to 120.
        sandbox: whether the notebook runs in the bubblewrap sandbox. Defaults to True;
            False (`--no-sandbox`) runs students' code with the grader's rights.
        limits: the sandbox's resource limits. Defaults to `SandboxLimits()`.
        read_only_paths: more host folders the sandbox sees read-only at the same path
            (a course's own check modules, put on the kernel's path with `env`).
            Defaults to none.
    """

    cell_timeout: float = 300.0
    notebook_timeout: float = 1800.0
    interrupt_grace: float = 10.0
    max_restarts: int = 2
    max_output_chars: int = 100_000
    check_modules: tuple[str, ...] = (CHECKS_PACKAGE,)
    kernel_name: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    startup_timeout: float = 120.0
    sandbox: bool = True
    limits: SandboxLimits = field(default_factory=SandboxLimits)
    read_only_paths: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The settings as JSON-ready data (for the job file)."""
        data = dataclasses.asdict(self)
        data["env"] = dict(self.env)
        data["check_modules"] = list(self.check_modules)
        data["read_only_paths"] = list(self.read_only_paths)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ExecutionConfig:
        """The inverse of `to_json`."""
        data = dict(data)
        data["limits"] = SandboxLimits(**data["limits"])
        data["check_modules"] = tuple(data["check_modules"])
        data["read_only_paths"] = tuple(data["read_only_paths"])
        return cls(**data)


def refresh_code(modules: Iterable[str]) -> str:
    """Return the hidden code that drops `modules` (and their submodules) from `sys.modules`."""
    names = tuple(sorted(set(modules)))
    return (
        "def __rnn_course_refresh(prefixes):\n"
        "    import importlib, sys\n"
        "    for name in list(sys.modules):\n"
        "        if name in prefixes or name.startswith(tuple(p + '.' for p in prefixes)):\n"
        "            del sys.modules[name]\n"
        "    importlib.invalidate_caches()\n"
        f"__rnn_course_refresh({names!r})\n"
        "del __rnn_course_refresh\n"
    )


def _message_size(msg: Mapping[str, Any]) -> int:
    content = msg.get("content", {})
    if msg.get("msg_type") == "stream":
        return len(content.get("text", ""))
    data = content.get("data", {}) or {}
    return sum(len(str(value)) for value in data.values())


class _ThisPythonKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel is IPython on `sys.executable`, whatever kernelspecs exist.

    A user's own `python3` kernelspec may point to another Python without `course_lib`.
    """

    @property
    def kernel_spec(self) -> KernelSpec:
        if self._kernel_spec is None:
            self._kernel_spec = KernelSpec(
                name="rnn-course",
                display_name="Python 3 (rnn-course grader)",
                language="python",
                argv=[
                    *(sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"),
                    # No SQLite history: its thread's "database or disk is full" lands in
                    # a cell's output when the student fills the sandbox's /tmp.
                    "--HistoryManager.enabled=False",
                ],
            )
        return self._kernel_spec


class _GraderClient(NotebookClient):
    """An nbclient `NotebookClient` that caps outputs and records each cell's reply."""

    def __init__(self, nb: nbformat.NotebookNode, max_output_chars: int, **kwargs: Any):
        super().__init__(nb, **kwargs)
        self.max_output_chars = max_output_chars
        self.replies: dict[int, dict[str, Any]] = {}
        self._used: dict[int, int] = {}
        self.on_cell_executed = self._remember_reply

    def reset_output_budget(self, cell_index: int) -> None:
        """Forget the output already counted for a cell (before it runs again)."""
        self._used.pop(cell_index, None)

    def _remember_reply(self, cell: Any, cell_index: int, execute_reply: Any) -> None:
        self.replies[cell_index] = execute_reply or {}

    def output(self, outs, msg, display_id, cell_index):
        """nbclient's output hook: keep at most `max_output_chars` characters per cell."""
        if msg.get("msg_type") == "error":
            content = msg["content"]
            content["evalue"] = shorten(content.get("evalue", ""), _MAX_ERROR_CHARS)
            content["traceback"] = [
                shorten(line, 2_000) for line in content.get("traceback", [])[-20:]
            ]
            return super().output(outs, msg, display_id, cell_index)
        used = self._used.get(cell_index, 0)
        if used > self.max_output_chars:  # already truncated: drop the rest
            return None
        size = _message_size(msg)
        if used + size <= self.max_output_chars:
            self._used[cell_index] = used + size
            return super().output(outs, msg, display_id, cell_index)
        budget = self.max_output_chars - used
        kept = None
        if msg.get("msg_type") == "stream" and budget > 0:
            msg["content"]["text"] = msg["content"]["text"][:budget]
            kept = super().output(outs, msg, display_id, cell_index)
        self._used[cell_index] = self.max_output_chars + 1
        notice = f"\n[output truncated by the grader after {self.max_output_chars} characters]\n"
        outs.append(nbformat.v4.new_output("stream", name="stderr", text=notice))
        return kept


class _Run:
    """One execution of one notebook: kernels, deadline and the record of every cell."""

    def __init__(self, nb, workdir, config, refresh_before):
        self.nb = nb
        self.workdir = str(workdir)
        self.config = config
        self.refresh_before = set(refresh_before)
        self.deadline = time.monotonic() + config.notebook_timeout
        self.runs: dict[int, CellRun] = {}
        self.limit = config.cell_timeout
        self.client: _GraderClient | None = None

    # -- kernels -----------------------------------------------------------------------------

    def _new_client(self) -> _GraderClient:
        if self.config.kernel_name:
            kernel = {"kernel_name": self.config.kernel_name}
        else:
            kernel = {"kernel_name": "rnn-course", "kernel_manager_class": _ThisPythonKernelManager}
        return _GraderClient(
            self.nb,
            max_output_chars=self.config.max_output_chars,
            **kernel,
            timeout_func=lambda cell: self.limit,
            interrupt_on_timeout=True,
            error_on_timeout={
                "ename": _TIMEOUT_ENAME,
                "evalue": "the cell ran out of time",
                "traceback": [],
            },
            allow_errors=True,
            record_timing=False,
            shutdown_kernel="immediate",
            startup_timeout=int(self.config.startup_timeout),
            resources={"metadata": {"path": self.workdir}},
        )

    def _kernel_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["TF_CPP_MIN_LOG_LEVEL"] = "3"
        env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
        env.update(self.config.env)
        return env

    def _remaining(self) -> float:
        return self.deadline - time.monotonic()

    # -- one cell ----------------------------------------------------------------------------

    def _execute(self, index: int, limit: float, store_history: bool = True) -> CellRun:
        """Execute cell `index` with a time limit; return its outcome (no fault handling)."""
        cell = self.nb.cells[index]
        client = self.client
        self.limit = max(limit, 0.5)
        client.replies.pop(index, None)
        client.reset_output_budget(index)
        start = time.monotonic()
        try:
            client.execute_cell(cell, index, store_history=store_history)
        except DeadKernelError:
            return CellRun(index, CellStatus.DIED, seconds=time.monotonic() - start)
        except CellTimeoutError:
            return CellRun(index, CellStatus.TIMEOUT, seconds=time.monotonic() - start)
        seconds = time.monotonic() - start
        stdout = "".join(
            str(out.get("text", ""))
            for out in cell.get("outputs", [])
            if out.get("output_type") == "stream" and out.get("name") == "stdout"
        )
        content = client.replies.get(index, {}).get("content", {})
        if content.get("status") == "error":
            ename = str(content.get("ename", ""))
            if ename == _TIMEOUT_ENAME:
                return CellRun(index, CellStatus.TIMEOUT, stdout=stdout, seconds=seconds)
            evalue = shorten(content.get("evalue", ""), _MAX_ERROR_CHARS)
            return CellRun(index, CellStatus.ERROR, ename, evalue, stdout, seconds)
        return CellRun(index, CellStatus.OK, stdout=stdout, seconds=seconds)

    def _run_hidden(self, code: str, limit: float) -> CellRun:
        """Run `code` in the kernel as an invisible cell (not stored in the notebook)."""
        self.nb.cells.append(nbformat.v4.new_code_cell(code))
        try:
            return self._execute(len(self.nb.cells) - 1, limit, store_history=False)
        finally:
            self.nb.cells.pop()

    def _run_cell(self, index: int) -> tuple[CellRun, KernelFault | None]:
        """Run cell `index` with all the grader's rules; return its outcome and any fault.

        The fault is None or a `KernelFault`: `DIED`, `STUCK` (did not answer an
        interrupt) or `DEADLINE` (the notebook's time is up).
        """
        cell = self.nb.cells[index]
        if cell.get("cell_type") != "code" or not str(cell.get("source", "")).strip():
            return CellRun(index, CellStatus.OK), None
        if index in self.refresh_before:
            remaining = self._remaining()
            if remaining <= 0:
                return self._deadline_run(index), KernelFault.DEADLINE
            refreshed = self._run_hidden(
                refresh_code(self.config.check_modules), min(60.0, remaining)
            )
            if refreshed.status == CellStatus.DIED:
                detail = "the kernel died while the grader reloaded the check modules"
                return CellRun(index, CellStatus.DIED, detail=detail), KernelFault.DIED
            if refreshed.status == CellStatus.TIMEOUT:
                detail = "the kernel hung while the grader reloaded the check modules"
                return CellRun(index, CellStatus.TIMEOUT, detail=detail), KernelFault.STUCK
            if refreshed.status == CellStatus.ERROR:
                evalue = (
                    "the grader could not reload the check modules before this cell: "
                    f"{refreshed.ename}: {refreshed.evalue}"
                )
                return CellRun(index, CellStatus.ERROR, "GraderError", evalue), None
        remaining = self._remaining()
        if remaining <= 0:
            return self._deadline_run(index), KernelFault.DEADLINE
        limited_by_deadline = remaining < self.config.cell_timeout
        run = self._execute(index, min(self.config.cell_timeout, remaining))
        if run.status == CellStatus.DIED:
            run.detail = "the kernel died while running this cell"
            return run, KernelFault.DIED
        if run.status != CellStatus.TIMEOUT:
            return run, None
        if limited_by_deadline:
            run.detail = self._deadline_detail()
            return run, KernelFault.DEADLINE
        run.detail = f"the cell ran longer than the {self.config.cell_timeout:g} s limit"
        # Is the kernel back? A probe with no output needs no long wait for IOPub messages.
        self.client.iopub_timeout, saved = 1, self.client.iopub_timeout
        try:
            grace = min(self.config.interrupt_grace, max(self._remaining(), 0))
            probe = self._run_hidden("pass", grace)
        finally:
            self.client.iopub_timeout = saved
        if probe.status == CellStatus.OK:
            return run, None
        run.detail += " and the kernel did not respond to the interrupt"
        return run, KernelFault.STUCK

    def _deadline_detail(self) -> str:
        return f"the notebook ran longer than its {self.config.notebook_timeout:g} s limit"

    def _deadline_run(self, index: int) -> CellRun:
        return CellRun(index, CellStatus.TIMEOUT, detail=self._deadline_detail())

    # -- the whole notebook ------------------------------------------------------------------

    def _mark_not_run(self, start: int, reason: str) -> None:
        for index in range(start, len(self.nb.cells)):
            self.runs.setdefault(index, CellRun(index, CellStatus.NOT_RUN, detail=reason))

    def _replay(self, upto: int) -> str | None:
        """Re-run the cells before `upto` that ran fine (not the refreshed check cells)."""
        for index in range(upto):
            earlier = self.runs.get(index)
            if earlier is None or earlier.status != CellStatus.OK or index in self.refresh_before:
                continue
            cell = self.nb.cells[index]
            if cell.get("cell_type") != "code" or not str(cell.get("source", "")).strip():
                continue
            remaining = self._remaining()
            if remaining <= 0:
                return self._deadline_detail()
            saved = (cell.get("outputs"), cell.get("execution_count"))
            run = self._execute(index, min(self.config.cell_timeout, remaining))
            cell["outputs"], cell["execution_count"] = saved
            if run.status in (CellStatus.DIED, CellStatus.TIMEOUT):
                return f"cell {index} {run.status} again while the grader restored the kernel"
        return None

    def run(self) -> list[CellRun]:
        start, restarts, reason = 0, 0, None
        while start < len(self.nb.cells):
            if self._remaining() <= 0:
                self._mark_not_run(start, self._deadline_detail())
                break
            self.client = self._new_client()
            fault_index, fault = None, None
            try:
                with self.client.setup_kernel(
                    cwd=self.workdir,
                    env=self._kernel_env(),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                ):
                    if start > 0:
                        failed = self._replay(start)
                        if failed:
                            self._mark_not_run(start, f"not run: {failed}")
                            break
                    for index in range(start, len(self.nb.cells)):
                        run, fault = self._run_cell(index)
                        self.runs[index] = run
                        if fault:
                            fault_index = index
                            break
            except Exception as error:  # the kernel could not start, or nbclient broke
                self._mark_not_run(start, f"not run: the kernel failed ({shorten(error, 300)})")
                break
            if fault is None:
                break
            reason = {
                KernelFault.DIED: f"the kernel died in cell {fault_index}",
                KernelFault.STUCK: f"cell {fault_index} hung and the kernel was stopped",
                KernelFault.DEADLINE: self._deadline_detail(),
            }[fault]
            if fault == KernelFault.DEADLINE or restarts >= self.config.max_restarts:
                self._mark_not_run(fault_index + 1, f"not run: {reason}")
                break
            restarts += 1
            start = fault_index + 1
        self.client = None
        return [self.runs[i] for i in range(len(self.nb.cells))]


def run_notebook(
    nb: nbformat.NotebookNode,
    workdir: str | Path,
    config: ExecutionConfig | None = None,
    *,
    refresh_before: Iterable[int] = (),
) -> list[CellRun]:
    """Execute `nb` in place, cell by cell, in a fresh kernel whose working directory is `workdir`.

    Args:
        nb: the notebook; its cells get their outputs (capped) as they run.
        workdir: the kernel's working directory (a temporary folder when grading).
        config: limits and environment. Defaults to `ExecutionConfig()`.
        refresh_before: indices of cells before which the check modules are dropped
            from `sys.modules` (the check cells).

    Returns:
        One `CellRun` per cell of `nb`, in order.
    """
    config = config or ExecutionConfig()
    return _Run(nb, workdir, config, refresh_before).run()


# -- one job, in or out of the sandbox -----------------------------------------------------------


def _validated_runs(data: Any, cells: int) -> list[CellRun]:
    """The `CellRun`s of a result file's runs, or ValueError saying what is wrong with them."""
    if not isinstance(data, list):
        raise ValueError("the result holds no list of runs")
    if len(data) != cells:
        raise ValueError(f"the result has {len(data)} cells, the notebook {cells}")
    texts = {
        "ename": 300,
        "evalue": _MAX_ERROR_CHARS,
        "stdout": _RESULT_STDOUT_CHARS,
        "detail": 500,
    }
    validated = []
    for index, run in enumerate(data):
        if not isinstance(run, dict) or run.get("index") != index:
            raise ValueError(f"cell {index} of the result is malformed")
        status = CellStatus(run.get("status"))  # ValueError for an unknown status
        seconds = run.get("seconds", 0.0)
        if not isinstance(seconds, int | float) or isinstance(seconds, bool):
            raise ValueError(f"cell {index}: seconds is not a number")
        fields = {}
        for key, limit in texts.items():
            value = run.get(key, "")
            if not isinstance(value, str):
                raise ValueError(f"cell {index}: {key} is not text")
            fields[key] = shorten(value, limit)
        validated.append(CellRun(index, status, seconds=float(seconds), **fields))
    return validated


def execute_job(
    nb: nbformat.NotebookNode,
    folder: GradingFolder,
    config: ExecutionConfig,
    *,
    refresh_before: Iterable[int] = (),
    env: Mapping[str, str] | None = None,
    returned: str = "",
    course_package: str | os.PathLike | None = None,
) -> list[CellRun]:
    """Run `nb` in a working folder of its own, in the sandbox unless `config.sandbox` is False.

    Args:
        nb: the notebook to run (not modified).
        folder: the grading folder; the student's data files are in `folder.files`.
        config: limits and settings; `config.sandbox` chooses the sandbox.
        refresh_before: indices of the check cells (see `run_notebook`).
        env: extra environment variables for the executor and its kernel. Defaults to none.
        returned: a folder of the working folder whose files come back into
            `folder.returned` (the probe records); "" for none. Defaults to "".
        course_package: a folder the sandbox shows where `course_lib` is (the package with
            the answer keys withheld). Defaults to the installed package.

    Returns:
        One `CellRun` per cell. When the executor gives no valid result (it was killed, or
        the student's code overwrote it), every cell is "not-run" with the reason.
    """
    env = dict(env or {})
    write_notebook(nb, folder.input / NOTEBOOK)
    job = {
        "config": config.to_json(),
        "refresh_before": sorted(set(refresh_before)),
        "returned": returned,
    }
    (folder.input / JOB_FILE).write_text(json.dumps(job), encoding="utf-8")
    module = [sys.executable, "-m", "course_lib.grading.execute"]
    if config.sandbox:
        command = [*module, SANDBOX_INPUT, SANDBOX_WORKDIR, SANDBOX_RESULT]
        argv = sandbox_command(
            folder,
            command,
            env,
            read_only=config.read_only_paths,
            limits=config.limits,
            course_package=course_package,
        )
        process_env = None  # run_command's own: nothing of the grader's
    else:
        argv = [*module, str(folder.input), str(folder.work), str(folder.result)]
        process_env = {**os.environ, **config.env, **env}
    code, stderr = run_command(argv, config.notebook_timeout + _STARTUP_MARGIN, process_env)
    try:
        runs = read_result(folder.result, config.limits.file_bytes, folder.returned)
        return _validated_runs(runs, len(nb.cells))
    except (ResultFileError, ValueError) as error:
        last = stderr.strip().splitlines()[-1:] or [f"exit code {code}"]
        reason = (
            f"not run: the notebook's execution gave no valid result ({shorten(error, 200)}; "
            f"{shorten(last[0], 300)})"
        )
        return [CellRun(i, CellStatus.NOT_RUN, detail=reason) for i in range(len(nb.cells))]


def main(argv: list[str] | None = None) -> int:
    """`python -m course_lib.grading.execute INPUT WORKDIR RESULT`: run the job, write the result.

    Applies the sandbox's limits first when the job is sandboxed, copies the data files of
    `INPUT/files` into `WORKDIR`, runs `INPUT/notebook.ipynb` there and writes `RESULT`.
    Used by `execute_job`.
    """
    source, workdir, result = map(Path, argv if argv is not None else sys.argv[1:])
    job = json.loads((source / JOB_FILE).read_text(encoding="utf-8"))
    config = ExecutionConfig.from_json(job["config"])
    if config.sandbox:
        config.limits.apply()
    shutil.copytree(source / "files", workdir, dirs_exist_ok=True)
    nb = read_notebook(source / NOTEBOOK)
    runs = run_notebook(nb, workdir, config, refresh_before=job["refresh_before"])
    data = [dataclasses.asdict(run) for run in runs]
    for run in data:
        run["stdout"] = run["stdout"][:_RESULT_STDOUT_CHARS]
    back = returned_files(workdir / job["returned"]) if job["returned"] else []
    write_result(result, data, back, config.limits.file_bytes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
