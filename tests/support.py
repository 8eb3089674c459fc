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
