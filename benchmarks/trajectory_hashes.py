"""Fingerprints of whole trajectories, to check that a speed-up changes no result, bit for bit.

Runs each case for 60 steps and hashes, after every step, trust, hardness, posture, the actions,
the perceived values, the attribution rows recorded (if any) and every model measure; then a batch
of three europe runs (``simulate_batch``) by its measures. Run it before and after a change and
compare the two printouts: any difference in any bit of any of these changes a hash.

Usage::

    python benchmarks/trajectory_hashes.py > before.txt   # ... change ...
    python benchmarks/trajectory_hashes.py | diff before.txt -

``--set KEY=VALUE`` (repeatable) adds an override to every case, as ``trustsim run --set`` does:
after a change of a default, ``--set`` with the old value shows whether the old runs come back.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_model import CASES, overrides

from trustsim.config.loading import load_scenario
from trustsim.execution.run import simulate_batch
from trustsim.model.model import TrustModel

STEPS = 60
SCENARIOS = {
    "europe": ("europe", []),
    "dyad": ("dyad", []),
    "random_network": ("random_network", []),
    "hysteresis": ("hysteresis", []),
    "europe, bayesian rule": ("europe", ["trust.rule=bayesian"]),
    "europe, trust decay": ("europe", ["trust.decay=0.02"]),
    "N = 100 complete": ("random_network", overrides(CASES[1], False, False, STEPS)),
    "N = 500 sparse": ("random_network", overrides(CASES[2], False, False, STEPS)),
    "N = 100 with attribution": ("random_network", overrides(CASES[1], True, False, STEPS)),
}


def fingerprint(name: str, options: list[str]) -> str:
    model = TrustModel(load_scenario(name, [*options, f"steps={STEPS}"]))
    digest = hashlib.sha256()
    for _ in range(STEPS):
        model.step()
        for array in (model.trust, model.hardness, model.posture, model.last.actions, model.last.perceived):
            digest.update(np.ascontiguousarray(array).tobytes())
        if model.attribution is not None and model.attribution.chunks:
            chunk = model.attribution.chunks[-1]
            for column in chunk.values() if isinstance(chunk, dict) else chunk:
                digest.update(np.ascontiguousarray(column).tobytes())
        for values in model.measures.values():
            digest.update(np.asarray(values, dtype=float).tobytes())
    return digest.hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE")
    settings = parser.parse_args(argv).settings
    for label, (name, options) in SCENARIOS.items():
        print(f"{label:<28} {fingerprint(name, [*options, *settings])}", flush=True)
    batch = ["steps=40", "record.dyads=false", "record.attribution=false", *settings]
    config = load_scenario("europe", batch)
    digest = hashlib.sha256()
    for result in simulate_batch(config, [1, 2, 3]):
        digest.update(result.model.to_numpy().tobytes())
    print(f"{'europe, a batch of three':<28} {digest.hexdigest()[:16]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
