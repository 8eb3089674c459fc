"""Progress on stderr for every command that runs long, as ``trustsim sweep`` shows it (Rich): what
runs, a bar, parts done of all and the time left. Only in a terminal: a pipe or a log gets nothing,
and stdout (tables, JSON, the lines a command prints) never carries it. Every layer's entry points
use it (the command line, ``python -m trustsim.validation``, the scripts in analysis/), so it sits
below them all and imports nothing of trustsim."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)


def progress_bar(label: str, *columns: ProgressColumn, console: Console | None = None) -> Progress:
    """A bar on ``console`` (default: stderr): ``label`` (Rich markup), the bar, parts done of all,
    ``columns`` and the time left; gone once the work is done. Lines printed to stdout while it shows
    go above it in a terminal, and straight to stdout when stdout is a pipe or a file."""
    console = console or Console(stderr=True)
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        *columns,
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
        redirect_stdout=sys.stdout.isatty(),
    )


@contextmanager
def parts_progress(label: str, total: int, console: Console | None = None) -> Iterator[Callable[[str], None]]:
    """Progress over ``total`` named parts, for a ``progress`` callback told each part's name as it
    starts: the bar counts the parts before it as done (the time left is measured on finished work)
    and names the one under way; all are done when the block ends."""
    with progress_bar(f"[bold]{label}[/]", TextColumn("{task.description}"), console=console) as bar:
        task = bar.add_task("", total=total)
        started = 0

        def tell(name: str) -> None:
            nonlocal started
            bar.update(task, completed=started, description=name)
            started += 1

        yield tell
        bar.update(task, completed=started)
