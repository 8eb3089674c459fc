"""Action mix over time (constructive, neutral, escalatory) and the self-view versus other-view gap
of the steps taken: the countervailing rights that feed a security-dilemma spiral.

    python analysis/action_mix.py RUN_DIR        -> RUN_DIR/figures/action_mix.{png,svg}
"""

import sys

from trustsim.analysis.figures import action_mix
from trustsim.analysis.script import main

if __name__ == "__main__":
    sys.exit(main("action_mix", action_mix))
