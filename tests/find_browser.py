"""Find a Chromium-family browser for the browser test of the website, where people have one.

Looked for in this order; the first that exists wins:

1. `RNN_CHROMIUM`, when set (a path, or a command name on PATH). Set but not found is an
   error, never a fallback: the reader asked for that browser.
2. On PATH: `chromium` (Debian), `chromium-browser` (Ubuntu, Fedora), `google-chrome`,
   `google-chrome-stable`, `chrome`, `msedge`.
3. Where installers put them: Debian's `/usr/lib/chromium/chromium`, Ubuntu's snap
   `/snap/bin/chromium`, `/opt/google/chrome/chrome`; on macOS Google Chrome and Chromium
   in `/Applications` and `~/Applications`; on Windows Chrome and Edge under Program Files.
4. The Chromium that Playwright installed (`python -m playwright install chromium`), in
   Playwright's cache (`PLAYWRIGHT_BROWSERS_PATH`, `~/.cache/ms-playwright`,
   `~/Library/Caches/ms-playwright`, `%LOCALAPPDATA%\\ms-playwright`).

As a script (`make site` runs it) it prints the browser's path, or exits 1 with a message
naming every way to get one. With `--install`, when nothing is found it first runs
Playwright's own browser install (which needs the internet), then looks again.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

PATH_NAMES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
    "msedge",
)

LINUX_PLACES = (
    "/usr/bin/chromium",
    "/usr/lib/chromium/chromium",
    "/snap/bin/chromium",
    "/usr/bin/google-chrome",
    "/opt/google/chrome/chrome",
)
MAC_APPS = (
    "Google Chrome.app/Contents/MacOS/Google Chrome",
    "Chromium.app/Contents/MacOS/Chromium",
    "Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing",
)
WINDOWS_PLACES = (
    "Google/Chrome/Application/chrome.exe",
    "Chromium/Application/chrome.exe",
    "Microsoft/Edge/Application/msedge.exe",
)

# The executable inside one of Playwright's chromium-NNNN folders, per platform.
PLAYWRIGHT_EXECUTABLES = (
    "chrome-linux64/chrome",
    "chrome-linux/chrome",
    "chrome-mac-arm64/Chromium.app/Contents/MacOS/Chromium",
    "chrome-mac/Chromium.app/Contents/MacOS/Chromium",
    "chrome-mac-arm64/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing",
    "chrome-mac-x64/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing",
    "chrome-win64/chrome.exe",
    "chrome-win/chrome.exe",
)

HOW_TO_GET_ONE = """\
No Chromium-family browser found for the browser test of the website. Any of these works:
  - Debian:          sudo apt-get install chromium fonts-liberation
  - Ubuntu:          sudo snap install chromium   (or: sudo apt-get install chromium-browser)
  - macOS, Windows:  install Google Chrome (https://www.google.com/chrome/)
  - anywhere:        .venv/bin/python -m playwright install chromium   (needs the internet;
                     on Linux also `.venv/bin/python -m playwright install-deps chromium`)
  - or point RNN_CHROMIUM at a Chromium or Chrome binary you have."""


class BrowserNotFound(RuntimeError):
    """No browser was found (the message says where it looked and how to get one)."""


def _executable(path: Path) -> bool:
    return path.is_file() and (os.name == "nt" or os.access(path, os.X_OK))


def _playwright_caches(env: Mapping[str, str], home: Path) -> list[Path]:
    caches = []
    if env.get("PLAYWRIGHT_BROWSERS_PATH") not in (None, "", "0"):
        caches.append(Path(env["PLAYWRIGHT_BROWSERS_PATH"]))
    caches += [home / ".cache" / "ms-playwright", home / "Library" / "Caches" / "ms-playwright"]
    if env.get("LOCALAPPDATA"):
        caches.append(Path(env["LOCALAPPDATA"]) / "ms-playwright")
    return caches


def candidates(
    env: Mapping[str, str] | None = None,
    *,
    system: str | None = None,
    home: Path | None = None,
    which: Callable[[str], str | None] | None = None,
) -> list[Path]:
    """Every place a browser may be, in the order they are tried (RNN_CHROMIUM excluded)."""
    env = os.environ if env is None else env
    system = system or platform.system()
    home = home or Path.home()
    if which is None:

        def which(name: str) -> str | None:
            return shutil.which(name, path=env.get("PATH"))

    places: list[Path] = [Path(found) for name in PATH_NAMES if (found := which(name))]
    if system == "Linux":
        places += [Path(p) for p in LINUX_PLACES]
    elif system == "Darwin":
        places += [
            root / app
            for root in (Path("/Applications"), home / "Applications")
            for app in MAC_APPS
        ]
    elif system == "Windows":
        roots = [env.get(k) for k in ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA")]
        places += [Path(root) / p for root in roots if root for p in WINDOWS_PLACES]
    for cache in _playwright_caches(env, home):
        # Newest Playwright build first (chromium-1255 before chromium-1200).
        builds = sorted(
            cache.glob("chromium-*"),
            key=lambda p: int(p.name.split("-")[-1]) if p.name.split("-")[-1].isdigit() else 0,
            reverse=True,
        )
        places += [build / exe for build in builds for exe in PLAYWRIGHT_EXECUTABLES]
    return places


def find_browser(
    env: Mapping[str, str] | None = None,
    *,
    system: str | None = None,
    home: Path | None = None,
    which: Callable[[str], str | None] | None = None,
) -> Path:
    """Return the browser to test with.

    Args:
        env: environment variables to read. Defaults to `os.environ`.
        system: `platform.system()` to assume ("Linux", "Darwin", "Windows").
        home: the home folder. Defaults to `Path.home()`.
        which: looks a command up on PATH. Defaults to `shutil.which` on `env["PATH"]`.

    Returns:
        The path of an existing Chromium, Chrome or Edge executable.

    Raises:
        BrowserNotFound: if `RNN_CHROMIUM` names no executable, or no browser is found.
    """
    env = os.environ if env is None else env
    wanted = env.get("RNN_CHROMIUM", "").strip()
    if wanted:
        path = Path(wanted).expanduser()
        if not _executable(path):
            found = (which or (lambda name: shutil.which(name, path=env.get("PATH"))))(wanted)
            if not found:
                raise BrowserNotFound(
                    f"RNN_CHROMIUM={wanted} is not an executable file or a command on PATH. "
                    "Point it at a Chromium or Chrome binary, or unset it to let the test "
                    "look for one."
                )
            path = Path(found)
        return path
    for place in candidates(env, system=system, home=home, which=which):
        if _executable(place):
            return place
    raise BrowserNotFound(HOW_TO_GET_ONE)


def install_with_playwright() -> bool:
    """Run Playwright's own Chromium install (needs the internet); True if it succeeded."""
    command = [sys.executable, "-m", "playwright", "install", "chromium"]
    print("No browser found; trying `" + " ".join(command[1:]) + "` ...", file=sys.stderr)
    try:
        # Its progress goes to stderr: stdout carries only the browser's path (`make site`).
        result = subprocess.run(command, check=False, timeout=900, stdout=sys.stderr)
        return result.returncode == 0
    except (OSError, subprocess.TimeoutExpired) as error:
        print(f"Playwright's install failed: {error}", file=sys.stderr)
        return False


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        print(find_browser())
        return 0
    except BrowserNotFound as error:
        if "--install" not in argv or os.environ.get("RNN_CHROMIUM", "").strip():
            print(error, file=sys.stderr)
            return 1
    if install_with_playwright():
        try:
            print(find_browser())
            return 0
        except BrowserNotFound:
            pass
    print(HOW_TO_GET_ONE, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
