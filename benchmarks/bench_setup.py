"""What building a batch's model costs, part by part: a sweep builds one per task, before its steps.

For each small scenario, as a sweep batches it (``--copies`` runs of europe and the dyad, the
quickstart's 40-state small world with its announced step in as many runs as fit
``MAX_BATCH_STATES``), builds ``TrustModel(config, copies=seeds)`` ``--rounds`` times in a process
whose modules are frozen out of the collector's full passes (as a sweep's workers are,
``executors.settle``), and prints the median build and, per part of ``TrustModel.__init__`` (each
wrapped with a timer), its median share: the worlds (one per seed for a generated network), their
union (``world.replicate``), Mesa's network of cells and the agents, the edges and the operators
built on them, the random streams, the copies' collectors.

Usage::

    python benchmarks/bench_setup.py                  # 5 rounds
    python benchmarks/bench_setup.py --rounds 11 --copies 64
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_stages import Timers  # the timer wrapped around a function

QUICKSTART_STEP = "[{step: 10, actor: S000, action: open_dialogue, declared: true, duration: 15}]"
RECORD = ["record.model=true", "record.dyads=false", "record.attribution=false"]
SCENARIOS = {
    "dyad": ("dyad", []),
    "europe": ("europe", []),
    "quickstart (40 states)": ("random_network", ["network.n=40", f"interventions={QUICKSTART_STEP}"]),
}
PARTS = {  # label: (module, class or "", function)
    "worlds (build_world)": ("trustsim.model.model", "", "build_world"),
    "their union (replicate)": ("trustsim.model.model", "", "replicate"),
    "Mesa's Network": ("trustsim.model.model", "", "Network"),
    "agents (State)": ("trustsim.model.model", "", "State"),
    "edges and operators (_build_edges)": ("trustsim.model.model", "TrustModel", "_build_edges"),
    "repertoires": ("trustsim.model.model", "TrustModel", "_build_repertoires"),
    "random streams": ("trustsim.model.kernels", "", "stream_list"),
    "collectors (CopyView)": ("trustsim.model.records", "", "CopyView"),
}


def instrument(timers: Timers) -> None:
    """Put ``bench_stages``'s timer around each part of ``PARTS``, where ``TrustModel.__init__``
    looks it up."""
    import importlib

    for label, (module, cls, name) in PARTS.items():
        owner: Any = importlib.import_module(module)
        timers.wrap(getattr(owner, cls) if cls else owner, name, label)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--copies", type=int, default=128, help="runs a batch (default 128, a sweep's)")
    args = parser.parse_args(argv)
    from trustsim.config.loading import load_scenario
    from trustsim.execution.plan import MAX_BATCH_STATES
    from trustsim.model.model import TrustModel

    timers = Timers()
    instrument(timers)
    seconds = timers.seconds
    print(f"median of {args.rounds} builds, ms (share of the build)")
    for label, (name, settings) in SCENARIOS.items():
        config = load_scenario(name, [*RECORD, *settings])
        states = len(config.states) if config.network is None else config.network.n
        copies = min(args.copies, MAX_BATCH_STATES // states)
        TrustModel(config, copies=list(range(copies)))  # modules loaded
        gc.collect()
        gc.freeze()
        builds: list[float] = []
        parts: dict[str, list[float]] = {part: [] for part in PARTS}
        for round_ in range(args.rounds):
            timers.clear()
            started = time.perf_counter()
            TrustModel(config, copies=list(range(round_, round_ + copies)))
            builds.append(time.perf_counter() - started)
            for part in PARTS:
                parts[part].append(seconds[part])
        build = statistics.median(builds)
        print(f"\n{label}, {copies} runs: {build * 1e3:.1f} ms ({build / copies * 1e6:.0f} µs a run)")
        for part, values in sorted(parts.items(), key=lambda item: -statistics.median(item[1])):
            value = statistics.median(values)
            print(f"  {part:<36} {value * 1e3:7.2f}  ({100 * value / build:.0f}%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
