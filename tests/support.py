"""Helpers shared by the test modules."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest


def trustsim_command() -> list[str]:
    """The installed ``trustsim`` command beside this Python, else on PATH, else the module."""
    script = Path(sys.executable).with_name("trustsim")
    if script.exists():
        return [str(script)]
    found = shutil.which("trustsim")
    return [found] if found else [sys.executable, "-m", "trustsim.cli"]


CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright drives it through executable_path (no download)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]  # --user-data-dir=<tmp> is Playwright's user_data_dir (it refuses the flag itself)


def find_chromium() -> str | None:
    """A Chromium for Playwright to drive: ``$TRUSTSIM_CHROMIUM``, Debian's /usr/bin/chromium, one of
    ``CHROMIUM_NAMES`` on PATH, or the browser ``python -m playwright install chromium`` put in
    Playwright's cache; None if there is none (or Playwright itself is missing)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    given = os.environ.get("TRUSTSIM_CHROMIUM")
    for candidate in (given, CHROMIUM, *(shutil.which(name) for name in CHROMIUM_NAMES)):
        if candidate and Path(candidate).is_file():
            return candidate
    with sync_playwright() as playwright:
        own = playwright.chromium.executable_path
    return own if Path(own).is_file() else None


def require_chromium() -> str:
    """The Chromium to drive, else skip with the reason and what to install; in CI (``CI`` set),
    where the browser checks must run, fail instead."""
    found = find_chromium()
    if found:
        return found
    try:
        import playwright  # noqa: F401

        reason = (
            f"no Chromium found (looked at $TRUSTSIM_CHROMIUM, {CHROMIUM}, {', '.join(CHROMIUM_NAMES)} on "
            "PATH and Playwright's own browsers): install one, e.g. apt-get install chromium"
        )
    except ImportError:
        reason = "playwright is not installed: pip install -e '.[test]'"
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI runs the browser checks: they may not be skipped there)")
    pytest.skip(reason)


def show(label: str, values) -> None:
    """Print ``label``: mean [95% t interval] of ``values`` (one per seed), for ``pytest -s``: the
    figures a test's docstring quotes are the ones this prints."""
    from trustsim.patterns import interval

    mean, low, high = interval(values)
    print(f"{label}: {mean:+.3f} [{low:+.3f}, {high:+.3f}] over {len(values)} seeds")
