"""What every script in analysis/ does around its chart: read RUN_DIR, draw, save, or say why not."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from matplotlib.figure import Figure

from trustsim.analysis.errors import NotApplicable
from trustsim.analysis.figures import save
from trustsim.analysis.load import AnalysisError, Results, load


def main(name: str, draw: Callable[[Results], Figure], argv: list[str] | None = None) -> int:
    """``python analysis/NAME.py RUN_DIR``: write RUN_DIR/figures/NAME.png and .svg."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(f"usage: python analysis/{name}.py RUN_DIR", file=sys.stderr)
        return 2
    try:
        results = load(args[0])
    except AnalysisError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        figure = draw(results)
    except NotApplicable as reason:
        print(f"{name}: does not apply to {results.path}: {reason}")
        return 0
    for path in save(figure, Path(args[0]) / "figures", name):
        print(path)
    return 0
