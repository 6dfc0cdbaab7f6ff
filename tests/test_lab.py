"""`make lab` opens JupyterLab for a student: no news prompt, no teacher menus.

JupyterLab's announcements plugin asks every new user whether to fetch Jupyter's news;
nbgrader, installed with `make test`'s tools, adds its teacher menus and server pages. The
Makefile starts JupyterLab with .jupyter/ on JUPYTER_CONFIG_PATH, which turns both off (Binder
reads the same folder as its home's configuration). The test starts JupyterLab the way the
Makefile does and reads the page configuration it serves.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MAKEFILE = (REPO / "Makefile").read_text(encoding="utf-8")
ANNOUNCEMENTS = "@jupyterlab/apputils-extension:announcements"
NBGRADER = "@jupyter/nbgrader"


def lab_environment() -> dict[str, str]:
    """The environment variables the Makefile's `lab` recipe sets, $(CURDIR) made REPO."""
    recipe = re.search(r"^lab:.*\n((?:\t.*\n?)+)", MAKEFILE, flags=re.MULTILINE)[1]
    assert "jupyter lab" in recipe, recipe
    found = dict(re.findall(r"(\w+)=\"([^\"]*)\"", recipe.split("jupyter lab")[0]))
    return {key: value.replace("$(CURDIR)", str(REPO)) for key, value in found.items()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, ""


@pytest.mark.slow
def test_make_lab_shows_no_news_prompt_and_no_teacher_menus(tmp_path):
    env = {**os.environ, **lab_environment(), "JUPYTER_CONFIG_DIR": str(tmp_path / "home")}
    assert env.get("JUPYTER_CONFIG_PATH") == str(REPO / ".jupyter")
    port, token = free_port(), "course-test"
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
    ]
    command += [f"--IdentityProvider.token={token}", f"--notebook-dir={tmp_path}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers; never a student's laptop
        command.append("--allow-root")
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        page, deadline = "", time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, page = get(f"http://127.0.0.1:{port}/lab?token={token}")
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(1)
        config = re.search(
            r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S
        )
        assert config, (
            f"JupyterLab did not start: {server.stderr.read().decode() if server.poll() is not None else page[:300]}"
        )
        page_config = json.loads(config[1])
        disabled = page_config["disabledExtensions"]
        assert ANNOUNCEMENTS in disabled, disabled
        installed = {e["name"] for e in page_config.get("federated_extensions", [])}
        if NBGRADER in installed:  # a contributor's .venv: nbgrader is there, and switched off
            assert NBGRADER in disabled, disabled
        assert get(f"http://127.0.0.1:{port}/formgrader?token={token}")[0] == 404
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
