"""How far the runs of this tree part from another revision's: the actions and trust, step by step.

``benchmarks/trajectory_hashes.py`` says whether a run changed in any bit; this script says by how
much. It checks out ``--ref`` into a temporary git worktree, runs each case for ``--steps`` steps on
``--seeds`` seeds there and in this tree (each in a process of its own), and prints per case the
number of runs whose actions differ, the first step where any does, and the largest difference
of any trust entry at any step. A change that only moves the last bits of sums (another order of
adding the same terms) shows as equal actions and trust differences of about 1e-15.

Usage::

    python benchmarks/compare_revisions.py --ref 07cfac9              # random_network and N = 100
    python benchmarks/compare_revisions.py --ref HEAD~1 --steps 300 --seeds 10
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_against import ROOT, checked_out

CASES = {
    "random_network": [],
    "N = 100 complete": ["network.generator=complete", "network.n=100"],
    "europe": None,  # the scenario itself
}
RUN = """
import sys, numpy as np
from trustsim.config.loading import load_scenario
from trustsim.model.model import TrustModel

name, settings, out = sys.argv[1], sys.argv[2:-3], sys.argv[-1]
steps, seeds = int(sys.argv[-3]), int(sys.argv[-2])
arrays = {}
for seed in range(seeds):
    model = TrustModel(load_scenario(name, [*settings, f"seed={seed}", "record.dyads=false"]))
    actions, trust = [], []
    for _ in range(steps):
        model.step()
        actions.append(model.last.actions.copy())
        trust.append(model.trust.copy())
    arrays[f"actions{seed}"], arrays[f"trust{seed}"] = np.array(actions), np.array(trust)
np.savez(out, **arrays)
"""


def run(checkout: Path, case: str, steps: int, seeds: int, out: Path) -> dict[str, np.ndarray]:
    settings = CASES[case]
    name = "europe" if settings is None else "random_network"
    command = [sys.executable, "-c", RUN, name, *(settings or []), str(steps), str(seeds), str(out)]
    # In a folder of its own, so that the current directory (first on the path) adds no trustsim.
    environment = {**os.environ, "PYTHONPATH": str(checkout)}
    subprocess.run(command, cwd=out.parent, env=environment, check=True, timeout=3600)
    with np.load(out) as saved:
        return {key: saved[key] for key in saved.files}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", required=True, help="git revision to compare with")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    args = parser.parse_args(argv)
    rows = []
    with checked_out(args.ref) as reference, tempfile.TemporaryDirectory() as folder:
        for case in args.cases:
            print(f"{case}: ref, then this tree", file=sys.stderr, flush=True)
            before = run(reference, case, args.steps, args.seeds, Path(folder) / "before.npz")
            after = run(ROOT, case, args.steps, args.seeds, Path(folder) / "after.npz")
            parted, first, largest = 0, None, 0.0
            for seed in range(args.seeds):
                differs = (before[f"actions{seed}"] != after[f"actions{seed}"]).any(axis=1)
                if differs.any():
                    parted += 1
                    step = int(differs.argmax()) + 1
                    first = step if first is None else min(first, step)
                steps = int(differs.argmax()) if differs.any() else len(differs)  # before they part
                gap = np.abs(before[f"trust{seed}"][:steps] - after[f"trust{seed}"][:steps])
                largest = max(largest, float(gap.max()) if gap.size else 0.0)
            rows.append((case, parted, first, largest))
    print(f"{args.steps} steps, seeds 0-{args.seeds - 1}; ref = {args.ref}")
    header = ("runs whose actions differ", "first such step", "largest trust difference")
    print(f"{'case':<20} {header[0]:>26} {header[1]:>16} {header[2]:>25}")
    for case, parted, first, largest in rows:
        shown = "-" if first is None else str(first)
        print(f"{case:<20} {f'{parted} of {args.seeds}':>26} {shown:>16} {largest:>25.2e}")
    print("(the trust difference is over the steps before a run's actions first differ)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
