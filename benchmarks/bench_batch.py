"""Runs one after another against the same runs as one batch, and both against an empty Mesa step.

For each small scenario (dyad, europe, and the quickstart's generated 40-state small world with its
announced step, where each run of a batch holds its own seed's network), times ``--runs`` runs of
``--steps`` steps with model measures recorded, as a sweep records them: one ``simulate`` after
another, and ``simulate_batch`` of all of them, in batches of at most 1,024 states as a sweep makes
them (``MAX_BATCH_STATES``, or ``--max-states``; each run in a batch bit-identical to its ``simulate``).
Beside them, in the same process, the anchor of issue 11: an empty Mesa 3.5 model with as many no-op
agents as the scenario has states and 3 model reporters, stepped as many times. Prints the cost per
run-step of each and the ratios. Best of ``--rounds`` alternating rounds.

Usage::

    python benchmarks/bench_batch.py                        # 64 runs of 100 steps, 3 rounds
    python benchmarks/bench_batch.py --runs 200 --steps 100 --rounds 5
    python benchmarks/bench_batch.py --runs 312 --max-states 4096   # batches beyond a sweep's cap
    python benchmarks/bench_batch.py --sizes 64 128 256 --runs 512  # µs a run-step by batch size

With ``--sizes``, it times instead ``--runs`` runs of each scenario in batches of each given number
of runs, one batch after another in this process, and prints µs per run-step for each: what a
sweep's ``batch_size`` and ``MAX_BATCH_STATES`` trade (docs/sweeps.md, "Batches").
"""

from __future__ import annotations

import argparse
import time

import mesa

QUICKSTART_STEP = "[{step: 10, actor: S000, action: open_dialogue, declared: true, duration: 15}]"
SCENARIOS = {
    "dyad": ("dyad", []),
    "europe": ("europe", []),
    "quickstart (40 states)": ("random_network", ["network.n=40", f"interventions={QUICKSTART_STEP}"]),
}
RECORD = ["record.model=true", "record.dyads=false", "record.attribution=false", "interventions=[]"]


class Idle(mesa.Agent):
    def step(self) -> None:
        pass


class Empty(mesa.Model):
    """The anchor: no-op agents and 3 model reporters."""

    def __init__(self, agents: int, seed: int) -> None:
        super().__init__(rng=seed)
        Idle.create_agents(self, agents)
        self.datacollector = mesa.DataCollector(
            model_reporters={"a": lambda m: 0.0, "b": lambda m: 1.0, "c": lambda m: len(m.agents)}
        )

    def step(self) -> None:
        self.agents.do("step")
        self.datacollector.collect(self)


def main(argv: list[str] | None = None) -> int:
    from trustsim.config.loading import load_scenario
    from trustsim.execution.plan import MAX_BATCH_STATES
    from trustsim.execution.run import simulate, simulate_batch

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=64)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--max-states",
        type=int,
        default=MAX_BATCH_STATES,
        help=f"states per batch at most (default {MAX_BATCH_STATES}, a sweep's MAX_BATCH_STATES)",
    )
    parser.add_argument("--sizes", type=int, nargs="+", help="runs a batch: time each size instead")
    args = parser.parse_args(argv)
    if args.sizes:
        return by_size(args)
    print(
        f"{args.runs} runs x {args.steps} steps, model measures recorded, batches of at most "
        f"{args.max_states} states; best of {args.rounds} rounds"
    )
    print(
        f"{'scenario':<24} {'one by one':>11} {'batch':>9} {'empty Mesa':>11}   "
        "µs per run-step; speed-up, batch / empty"
    )
    for label, (name, sets) in SCENARIOS.items():
        config = load_scenario(name, [*RECORD, *sets, f"steps={args.steps}"])
        agents = len(config.states) or config.network.n
        seeds = list(range(args.runs))
        size = max(1, args.max_states // agents)
        groups = [seeds[i : i + size] for i in range(0, len(seeds), size)]
        simulate_batch(config, seeds[:2])  # warm-up: imports, compiled kernels
        single, batch, empty = [], [], []
        for _ in range(args.rounds):
            started = time.perf_counter()
            for seed in seeds:
                simulate(config.model_copy(update={"seed": seed}))
            single.append(time.perf_counter() - started)
            started = time.perf_counter()
            for group in groups:
                simulate_batch(config, group)
            batch.append(time.perf_counter() - started)
            started = time.perf_counter()
            for seed in seeds:
                model = Empty(agents, seed)
                for _ in range(args.steps):
                    model.step()
            empty.append(time.perf_counter() - started)
        per = args.runs * args.steps / 1e6
        one, together, anchor = min(single) / per, min(batch) / per, min(empty) / per
        print(
            f"{label:<24} {one:>11.0f} {together:>9.0f} {anchor:>11.0f}   "
            f"{one / together:.1f}x; {together / anchor:.2f}"
        )
    return 0


def by_size(args: argparse.Namespace) -> int:
    """µs per run-step of ``args.runs`` runs stepped in batches of each of ``args.sizes`` runs."""
    from trustsim.config.loading import load_scenario
    from trustsim.execution.run import simulate_batch

    print(f"{args.runs} runs x {args.steps} steps, model measures recorded; best of {args.rounds} rounds")
    print(f"{'scenario':<24} {'runs a batch':>12} {'states':>7} {'µs per run-step':>16}")
    for label, (name, sets) in SCENARIOS.items():
        config = load_scenario(name, [*RECORD, *sets, f"steps={args.steps}"])
        agents = len(config.states) or config.network.n
        seeds = list(range(args.runs))
        simulate_batch(config, seeds[:2])  # warm-up: imports, compiled kernels
        for size in args.sizes:
            times = []
            for _ in range(args.rounds):
                started = time.perf_counter()
                for first in range(0, len(seeds), size):
                    simulate_batch(config, seeds[first : first + size])
                times.append(time.perf_counter() - started)
            per = min(times) / (args.runs * args.steps) * 1e6
            print(f"{label:<24} {size:>12} {size * agents:>7} {per:>16.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
