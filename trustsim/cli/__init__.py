"""The ``trustsim`` command line. Each module registers its commands on the one Typer ``app``:
``runs`` (run, validate), ``sweeps`` (sweep, report, demo), ``docs`` (claims, patterns) and
``play`` (viz, match, list)."""

from __future__ import annotations

# isort: off
from trustsim.cli import clock  # noqa: F401 (first: the command's start, for time estimates)
from trustsim.cli.common import app

# Importing a module registers its commands, in this order in ``trustsim --help``.
from trustsim.cli import runs, sweeps, docs, play  # noqa: F401
# isort: on


def main() -> None:
    app()


__all__ = ["app", "main"]
