"""Sensitivity: Sobol' first- and total-order indices (sobol design) or Morris mu* (morris design) of
final mean trust, with 95% confidence intervals, computed with SALib.

    python analysis/sensitivity.py RUN_DIR       -> RUN_DIR/figures/sensitivity.{png,svg}

The indices as a table: ``trustsim.analysis.stats.sensitivity_indices(results, output=...)``.
"""

import sys

from trustsim.analysis.figures import sensitivity
from trustsim.analysis.script import main

if __name__ == "__main__":
    sys.exit(main("sensitivity", sensitivity))
