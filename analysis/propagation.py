"""Propagation: how a small constructive step changes trust in its initiator one, two and three hops
away, over time. For a sweep with an ``interventions.N.enabled`` parameter: with-minus-without on
paired runs (common random numbers); for a single run: from the attribution record (run with
``--set record.attribution=true``), else the levels of trust in the initiator by distance.

    python analysis/propagation.py RUN_DIR       -> RUN_DIR/figures/propagation.{png,svg}
"""

import sys

from trustsim.analysis.figures import propagation
from trustsim.analysis.script import main

if __name__ == "__main__":
    sys.exit(main("propagation", propagation))
