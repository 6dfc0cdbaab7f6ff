"""tests/find_browser.py finds a browser where people have one, and says how to get one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from find_browser import HOW_TO_GET_ONE, BrowserNotFound, candidates, find_browser

SCRIPT = Path(__file__).resolve().parent / "find_browser.py"


def fake_executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def nothing_on_path(name: str) -> None:
    return None


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_rnn_chromium_wins_over_everything(tmp_path, home):
    chosen = fake_executable(tmp_path / "my" / "chrome")
    on_path = fake_executable(tmp_path / "bin" / "chromium")
    found = find_browser(
        {"RNN_CHROMIUM": str(chosen)},
        system="Linux",
        home=home,
        which=lambda name: str(on_path) if name == "chromium" else None,
    )
    assert found == chosen


def test_rnn_chromium_set_but_missing_is_an_error_not_a_fallback(tmp_path, home):
    on_path = fake_executable(tmp_path / "bin" / "chromium")
    with pytest.raises(BrowserNotFound, match="RNN_CHROMIUM=/no/such/browser"):
        find_browser(
            {"RNN_CHROMIUM": "/no/such/browser"},
            system="Linux",
            home=home,
            which=lambda name: str(on_path) if name == "chromium" else None,
        )


@pytest.mark.parametrize("name", ["chromium", "chromium-browser", "google-chrome"])
def test_debian_ubuntu_and_chrome_names_on_path(tmp_path, home, name):
    binary = fake_executable(tmp_path / "bin" / name)
    found = find_browser(
        {}, system="Linux", home=home, which=lambda n: str(binary) if n == name else None
    )
    assert found == binary


def test_candidates_on_macos_include_google_chrome_in_applications(home):
    places = candidates({}, system="Darwin", home=home, which=nothing_on_path)
    assert Path("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome") in places
    assert home / "Applications/Google Chrome.app/Contents/MacOS/Google Chrome" in places


def test_candidates_on_linux_include_debian_snap_and_chrome_places(home):
    places = candidates({}, system="Linux", home=home, which=nothing_on_path)
    for place in ("/usr/lib/chromium/chromium", "/snap/bin/chromium", "/opt/google/chrome/chrome"):
        assert Path(place) in places


def test_candidates_on_windows_include_program_files(tmp_path, home):
    env = {"PROGRAMFILES": str(tmp_path / "pf")}
    places = candidates(env, system="Windows", home=home, which=nothing_on_path)
    assert tmp_path / "pf/Google/Chrome/Application/chrome.exe" in places


@pytest.mark.parametrize(
    "system, cache, executable",
    [
        ("Linux", ".cache/ms-playwright", "chrome-linux64/chrome"),
        (
            "Darwin",
            "Library/Caches/ms-playwright",
            "chrome-mac/Chromium.app/Contents/MacOS/Chromium",
        ),
    ],
)
def test_a_browser_playwright_installed_newest_first(home, system, cache, executable):
    fake_executable(home / cache / "chromium-1100" / executable)
    newest = fake_executable(home / cache / "chromium-1255" / executable)
    # The system places (/usr/bin/chromium...) of this machine must not interfere.
    places = candidates({}, system=system, home=home, which=nothing_on_path)
    playwright = [p for p in places if "ms-playwright" in str(p) and p.is_file()]
    assert playwright[0] == newest


def test_playwright_browsers_path_is_searched(tmp_path, home):
    binary = fake_executable(tmp_path / "pw" / "chromium-1200" / "chrome-linux" / "chrome")
    places = candidates(
        {"PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "pw")},
        system="Linux",
        home=home,
        which=nothing_on_path,
    )
    assert binary in places


def test_no_browser_anywhere_names_the_ways_to_get_one(home):
    # A system nobody recognises: only PATH and Playwright's caches (empty) are searched.
    with pytest.raises(BrowserNotFound) as error:
        find_browser({}, system="Plan9", home=home, which=nothing_on_path)
    message = str(error.value)
    for way in (
        "apt-get install chromium",
        "snap install chromium",
        "Google Chrome",
        "playwright install chromium",
        "RNN_CHROMIUM",
    ):
        assert way in message
    assert message == HOW_TO_GET_ONE


def test_script_exits_1_with_the_message_when_rnn_chromium_is_wrong(tmp_path):
    env = {**os.environ, "RNN_CHROMIUM": str(tmp_path / "none"), "PATH": ""}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--install"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 1
    assert "RNN_CHROMIUM" in result.stderr and result.stdout == ""


def test_script_prints_the_browser_it_found(tmp_path):
    binary = fake_executable(tmp_path / "chromium")
    env = {**os.environ, "RNN_CHROMIUM": str(binary)}
    result = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, env=env)
    assert result.returncode == 0 and result.stdout.strip() == str(binary)


def test_install_is_tried_when_nothing_is_found_then_a_clear_message(monkeypatch, capsys):
    import find_browser as module

    monkeypatch.delenv("RNN_CHROMIUM", raising=False)
    attempts = []

    def nothing():
        raise BrowserNotFound(HOW_TO_GET_ONE)

    monkeypatch.setattr(module, "find_browser", nothing)
    monkeypatch.setattr(module, "install_with_playwright", lambda: attempts.append(1) or False)
    assert module.main([]) == 1 and attempts == [], "no install without --install"
    assert module.main(["--install"]) == 1 and attempts == [1]
    captured = capsys.readouterr()
    assert captured.out == "" and "playwright install chromium" in captured.err


def test_the_browser_playwright_installed_is_used(monkeypatch, capsys, tmp_path):
    import find_browser as module

    monkeypatch.delenv("RNN_CHROMIUM", raising=False)
    installed = []

    def after_install():
        if not installed:
            raise BrowserNotFound(HOW_TO_GET_ONE)
        return tmp_path / "chrome"

    monkeypatch.setattr(module, "find_browser", after_install)
    monkeypatch.setattr(module, "install_with_playwright", lambda: installed.append(1) or True)
    assert module.main(["--install"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "chrome")
