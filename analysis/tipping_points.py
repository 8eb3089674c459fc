"""Tipping points: where, along each numeric swept parameter, the probability of recovery crosses one
half, with a 95% bootstrap interval (runs resampled within each parameter value).

    python analysis/tipping_points.py RUN_DIR    -> RUN_DIR/figures/tipping_points.{png,svg}
"""

import sys

from trustsim.analysis.figures import tipping_points
from trustsim.analysis.script import main

if __name__ == "__main__":
    sys.exit(main("tipping_points", tipping_points))
