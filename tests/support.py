"""Helpers shared by the test modules."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def trustsim_command() -> list[str]:
    """The installed ``trustsim`` command beside this Python, else on PATH, else the module."""
    script = Path(sys.executable).with_name("trustsim")
    if script.exists():
        return [str(script)]
    found = shutil.which("trustsim")
    return [found] if found else [sys.executable, "-m", "trustsim.cli"]


CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright drives it through executable_path (no download)
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
