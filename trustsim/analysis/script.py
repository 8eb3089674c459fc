"""What every script in analysis/ does around its chart: read RUN_DIR, draw, save, or say why not;
with progress on stderr in a terminal (stdout lists the files written)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from matplotlib.figure import Figure

from trustsim.analysis.errors import NotApplicable
from trustsim.analysis.figures import save
from trustsim.analysis.load import AnalysisError, Results, load
from trustsim.progress import parts_progress


def main(name: str, draw: Callable[[Results], Figure], argv: list[str] | None = None) -> int:
    """``python analysis/NAME.py RUN_DIR``: write RUN_DIR/figures/NAME.png and .svg."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(f"usage: python analysis/{name}.py RUN_DIR", file=sys.stderr)
        return 2
    with parts_progress(name, 3) as tell:  # printing above the bar while it shows
        tell(f"reading {args[0]}")
        try:
            results = load(args[0])
        except AnalysisError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        tell("drawing")
        try:
            figure = draw(results)
        except NotApplicable as reason:
            print(f"{name}: does not apply to {results.path}: {reason}")
            return 0
        tell("saving")
        paths = save(figure, Path(args[0]) / "figures", name)
    for path in paths:
        print(path)
    return 0
