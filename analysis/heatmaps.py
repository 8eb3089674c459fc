"""Outcome heatmaps over two swept parameters: final mean trust, probability of recovery and of
congealing, the other parameters averaged over.

    python analysis/heatmaps.py RUN_DIR [X_PARAMETER Y_PARAMETER]   -> RUN_DIR/figures/heatmaps.*

By default X and Y are the first two swept parameters. To hold the others fixed instead of
averaging, filter ``results.runs`` before drawing (e.g. ``results.runs = results.runs[mask]``).
"""

import sys

from trustsim.analysis.figures import outcome_heatmaps
from trustsim.analysis.script import main

if __name__ == "__main__":
    axes = sys.argv[2:4]
    sys.exit(main("heatmaps", lambda results: outcome_heatmaps(results, *axes), sys.argv[1:2]))
