"""Scenario discovery: the PRIM box (EMA Workbench) where the step restored trust, its
coverage-density trade-off and extra-trees feature scores; the box's limits and a CART tree are
printed on stderr (stdout lists the files written, as every script here).

    python analysis/discovery.py RUN_DIR    -> RUN_DIR/figures/discovery.{png,svg}

``trustsim.analysis.discovery.discover(results)`` returns the cases, the peeling trajectory, the
chosen box, the tree and the scores, to adapt (another box, a deeper tree).
"""

import sys

from trustsim.analysis.discovery import discover
from trustsim.analysis.figures import scenario_discovery
from trustsim.analysis.script import main


def draw(results):
    found = discover(results)
    print(f"restored: {found.what}\nbox: {found.words}\n{found.tree}", file=sys.stderr)
    return scenario_discovery(results)


if __name__ == "__main__":
    sys.exit(main("discovery", draw))
