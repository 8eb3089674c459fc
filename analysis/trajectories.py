"""Trust trajectories: mean trust over time per condition with 95% confidence bands across
replications, and trust within versus across blocs.

    python analysis/trajectories.py RUN_DIR      -> RUN_DIR/figures/trajectories.{png,svg}

To adapt: ``results.tidy_steps()`` is one row per run and step with every kept measure, the swept
parameters and a ``condition`` label; plot any measure the same way.
"""

import sys

from trustsim.analysis.figures import trust_trajectories
from trustsim.analysis.script import main

if __name__ == "__main__":
    sys.exit(main("trajectories", trust_trajectories))
