"""Tipping maps: P(recovery) over the two numeric swept parameters that matter most, with 95%
bootstrap intervals per cell and the boundary P(recovery) = 1/2 drawn; with an on/off step, the
step's paired effect on final mean trust over the same cells.

    python analysis/tipping_maps.py RUN_DIR    -> RUN_DIR/figures/tipping_maps.{png,svg}

The cells and their intervals are ``trustsim.analysis.stats.tipping_map(results)``, a DataFrame.
"""

import sys

from trustsim.analysis.figures import tipping_maps
from trustsim.analysis.script import main

if __name__ == "__main__":
    sys.exit(main("tipping_maps", tipping_maps))
