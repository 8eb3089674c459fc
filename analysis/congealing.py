"""Congealing: the hysteresis loop (trust against a shared threat raised then lowered; see
configs/hysteresis.yaml) and survival curves of the time to recovery (Kaplan-Meier).

    python analysis/congealing.py RUN_DIR   -> RUN_DIR/figures/hysteresis.* and survival.*
"""

import sys

from trustsim.analysis.figures import hysteresis, survival
from trustsim.analysis.script import main

if __name__ == "__main__":
    code = main("hysteresis", hysteresis)
    sys.exit(code if code else main("survival", survival))
