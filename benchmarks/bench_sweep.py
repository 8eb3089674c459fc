"""Benchmark of ``trustsim sweep`` against ``mesa.batch_run``: the same model, the same runs.

Speed (default): one grid, the random network of ``configs/random_network.yaml`` at N = 50 for 700
steps (about a second a run), congealing rate x hawk share, ``--replications`` seeds per point,
every model-level measure kept per step by both tools. It is run four ways, each in a fresh Python
process: ``mesa.batch_run`` with ``number_processes`` 1 and 2 (the model as a ``TrustModel``
subclass taking flat keyword parameters, per-step data collected, the result made a DataFrame), and
``trustsim.execution.sweep.run_sweep`` (what ``trustsim sweep`` runs) with 1 worker (in process) and
2 (a process pool), writing its folder. The runs are the same: the sweep uses common random numbers,
so replication r of every point has one seed, and batch_run gets those seeds as ``rng``; the table
checks that both produce the same final mean trust for every run.

The four cases are interleaved and repeated (``--repeat``, default 3), since the load on a shared
machine moves. Each row of the table is the case's best repeat (least wall time), with the median
beside it. It shows runs per second, the speed-up and the parallel efficiency t1 / (2 x t2) of 2
workers, and the median CPU time of the whole process tree (user + system; worker processes
included). CPU time is much less sensitive to other load than wall time. "CPU overhead" is the CPU
the 2-worker case spends beyond the same runs in one process: starting workers and moving results.
The table also shows the peak RSS of the parent process (``resource.getrusage``) and the peak
memory of the whole tree (parent, fork server and workers: their proportional set sizes summed,
sampled every second with psutil). Before each repeat, a "machine ceiling" times two pure-Python
CPU-bound processes against one alone. It is about 100% on an idle 2-core machine, and is the most
parallel efficiency any tool could show at that moment.

Batches (``--batches``): the small scenarios a sweep steps in batches (a design point's replications
in one batched model): the dyad and europe (explicit networks), and the quickstart sweep's scenario
(a generated small-world network of 40 states: each run of a batch holds its own seed's network).
``mesa.batch_run`` and ``trustsim sweep`` at 2 workers, interleaved, each in a fresh process, with the
throughput ratio (issue 11's goal: at least 10x), each on R and 2R replications: end to end at 2R,
and marginal, the runs 2R adds over R (what a tool pays once left out; ``batches_table``). Beside
them the cost of one run-step of the sweep in core time, wall time x 2 workers / run-steps, end to
end and marginal, the part spent in the workers' runs (runs.parquet's wall_time), and the anchor:
an empty Mesa 3.5 step with as many no-op agents and 3 reporters (``bench_batch.Empty``), in one
process (issue 11's goal: a run-step at most the empty Mesa step).

Memory (``--memory``): tiny runs (the dyad, 10 steps, per-step measures kept) at 100, 1,000 and
10,000 runs, with 2 workers, for the sweep and for batch_run. The sweep's parent should stay about
flat, since runs stream through a bounded window and are written in chunks; batch_run keeps every
row.

Usage::

    python benchmarks/bench_sweep.py                     # speed table (about 5 min on 2 cores)
    python benchmarks/bench_sweep.py --repeat 1 --replications 3    # a quick look
    python benchmarks/bench_sweep.py --batches --repeat 1   # batched small scenarios (about 8 min)
    python benchmarks/bench_sweep.py --memory            # memory table (about 5-8 min)
    python benchmarks/bench_sweep.py --memory --sizes 100 1000
    python benchmarks/bench_sweep.py --json              # records as one JSON list on stdout

Progress goes to stderr; with ``--json`` stdout carries the JSON list and nothing else.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from trustsim.config.loading import CONFIG_DIR, read_yaml
from trustsim.config.sweep import Sweep, scenario_with
from trustsim.execution.run import batchable
from trustsim.model.model import TrustModel

MASTER_SEED = 2024
# flat keyword -> dotted scenario path (batch_run passes keywords; the sweep names paths)
PATHS = {
    "congeal_rate": "trust.congeal_rate",
    "hawk": "network.policy_mix.hawk",
    "noise": "perception.noise",
    "step_enabled": "interventions.0.enabled",
}
QUICKSTART_STEP = {"step": 10, "actor": "S000", "action": "open_dialogue", "declared": True, "duration": 15}
WORKLOADS: dict[str, dict[str, Any]] = {
    # about a second a run on the shared 2-core machine
    "speed": {
        "base": "random_network",
        "set": {"network.n": 50},
        "steps": 700,
        "grid": {"congeal_rate": [0.01, 0.1], "hawk": [0.0, 0.3]},
    },
    # about 10 ms a run: many runs, for memory
    "tiny": {
        "base": "dyad",
        "set": {"interventions": []},
        "steps": 10,
        "grid": {"congeal_rate": [0.01, 0.1], "noise": [0.05, 0.2]},
    },
}
# Small scenarios, for --batches: many short runs, as a sweep of the dyad, europe or the quickstart
BATCHED: dict[str, dict[str, Any]] = {
    "dyad": {
        "base": "dyad",
        "set": {"interventions": []},
        "steps": 100,
        "grid": {"congeal_rate": [0.01, 0.1], "noise": [0.05, 0.2]},
        "replications": 128,
    },
    "europe": {
        "base": "europe",
        "set": {},
        "steps": 100,
        "grid": {"congeal_rate": [0.01, 0.1], "noise": [0.05, 0.2]},
        "replications": 64,
    },
    "quickstart": {
        "base": "random_network",
        "set": {"network.n": 40, "interventions": [QUICKSTART_STEP]},
        "steps": 80,
        "grid": {"step_enabled": [False, True], "congeal_rate": [0.01, 0.1]},
        "replications": 12,
    },
}
WORKLOADS.update(BATCHED)
FIXED = {"record.model": True, "record.dyads": False, "record.attribution": False}
_BASES: dict[str, dict[str, Any]] = {}


def base_data(workload: str) -> dict[str, Any]:
    """The workload's scenario as raw data (with its fixed settings), read once per process."""
    if workload not in _BASES:
        spec = WORKLOADS[workload]
        raw = read_yaml(CONFIG_DIR / f"{spec['base']}.yaml")
        scenario = scenario_with(raw, {**spec["set"], **FIXED, "steps": spec["steps"]}, spec["base"])
        _BASES[workload] = scenario.model_dump(mode="json", by_alias=True)
    return _BASES[workload]


class BatchTrustModel(TrustModel):
    """``TrustModel`` with flat keyword parameters, the way ``mesa.batch_run`` builds a model:
    ``BatchTrustModel(workload="speed", congeal_rate=0.1, hawk=0.3, seed=...)``."""

    def __init__(self, workload: str = "speed", seed: int | None = None, **params: Any) -> None:
        values = {PATHS[name]: value for name, value in params.items()}
        config = scenario_with(base_data(workload), {**values, "seed": seed or 0}, "batch_run")
        super().__init__(config)


def sweep_spec(workload: str, replications: int) -> Sweep:
    spec = WORKLOADS[workload]
    return Sweep.model_validate(
        {
            "name": f"bench-{workload}",
            "base": f"{spec['base']}.yaml",
            "design": {
                "kind": "grid",
                "parameters": {PATHS[name]: values for name, values in spec["grid"].items()},
            },
            "replications": replications,
            "master_seed": MASTER_SEED,
            "common_random_numbers": True,  # replication r of every point: one seed, as batch_run's rng
            "measures": "all",
        }
    )


# The sampler of PeakMemory, a process of its own: with a sampling thread in this process, the
# sweep's pool could not fork its workers (executors.start_method) and the benchmark would time
# what a user's sweep does not do.
SAMPLER = """
import contextlib, select, sys, psutil
root, me, peak = psutil.Process(int(sys.argv[1])), psutil.Process().pid, 0
while True:
    done = select.select([sys.stdin], [], [], 1.0)[0]
    total = 0
    for proc in [root, *root.children(recursive=True)]:
        if proc.pid != me:  # proportional set size: pages shared between processes counted once
            with contextlib.suppress(psutil.Error):
                total += proc.memory_full_info().pss
    peak = max(peak, total)
    if done:
        break
print(peak)
"""


class PeakMemory:
    """Peak memory of this process's whole tree (PSS summed over processes), sampled every second
    by a process of its own (reading a process's PSS costs about 8 ms: more often would steal the
    workers' CPU)."""

    def __init__(self) -> None:
        self.tree_peak = 0
        self.sampler: subprocess.Popen | None = None

    def __enter__(self) -> PeakMemory:
        self.sampler = subprocess.Popen(
            [sys.executable, "-c", SAMPLER, str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.sampler is not None
        out, _ = self.sampler.communicate("")  # closes its stdin: one last sample, then the peak
        self.tree_peak = int(out.strip() or 0)


def spin(loops: int = 5_000_000) -> float:
    """Seconds of pure-Python CPU work (no memory, no I/O)."""
    started = time.perf_counter()
    total = 0
    for i in range(loops):
        total += i
    return time.perf_counter() - started


def machine_ceiling() -> dict[str, Any]:
    """How much two CPU-bound processes get right now, against one alone: the most any tool could
    reach. On an idle 2-core machine both ratios are about 100%; other load lowers them."""
    import multiprocessing
    from concurrent import futures

    load = os.getloadavg()[0]
    alone = min(spin() for _ in range(2))
    context = multiprocessing.get_context("forkserver")
    with futures.ProcessPoolExecutor(2, mp_context=context) as pool:
        list(pool.map(spin, [10, 10]))  # start both workers first
        pair = max(pool.map(spin, [5_000_000, 5_000_000]))
    return {
        "tool": "ceiling",
        "alone_seconds": round(alone, 3),
        "pair_seconds": round(pair, 3),
        "efficiency_ceiling": round(alone / pair, 3),
        "load_before": round(load, 2),
    }


def tree_cpu_seconds() -> float:
    """CPU time (user + system) of this process and every process it started, once they are done:
    waited children through this process's counters, the fork server's workers through its own."""
    import psutil

    me = psutil.Process()
    total = sum(me.cpu_times()[:4])  # user, system, children_user, children_system
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += sum(child.cpu_times()[:4])
    return total


def run_case(tool: str, workers: int, workload: str, replications: int) -> dict[str, Any]:
    """One measurement, in this (fresh) process."""
    from trustsim.execution.sweep import plan, run_seed

    if tool == "empty":
        return empty_case(workload, replications)
    sweep = sweep_spec(workload, replications)
    base_data(workload)  # read the scenario before timing, as the sweep's load_sweep does
    runs = len(plan(sweep)[1])
    in_workers = None
    load = os.getloadavg()[0]
    cpu_before = tree_cpu_seconds()
    with PeakMemory() as memory:
        started = time.perf_counter()
        if tool == "batch_run":
            import pandas as pd
            from mesa.batchrunner import batch_run

            seeds = [run_seed(MASTER_SEED, 0, r, True) for r in range(replications)]
            rows = batch_run(
                BatchTrustModel,
                parameters={"workload": workload, **WORKLOADS[workload]["grid"]},
                number_processes=workers,
                rng=seeds,
                max_steps=WORKLOADS[workload]["steps"],
                data_collection_period=1,
                display_progress=False,
            )
            frame = pd.DataFrame(rows)
            finals = frame[frame["Step"] == frame["Step"].max()]["mean_trust"]
            failed = 0
        else:
            from trustsim.execution.sweep import run_sweep

            with tempfile.TemporaryDirectory() as folder:
                base = base_data(workload)
                outcome = run_sweep(sweep, base, "bench", Path(folder) / "out", workers=workers)
                import pandas as pd

                table = pd.read_parquet(Path(folder) / "out" / "runs.parquet")
                finals, in_workers = table["final_mean_trust"], float(table["wall_time"].sum())
                failed = outcome.failed
        wall = time.perf_counter() - started
        cpu = tree_cpu_seconds() - cpu_before  # the pools are shut down: their workers are counted
    return {
        "tool": tool,
        "workers": workers,
        "workload": workload,
        "runs": runs,
        "failed": failed,
        "wall_seconds": round(wall, 3),
        "runs_per_second": round(runs / wall, 3),
        "cpu_seconds": round(cpu, 2),
        "peak_parent_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_tree_mb": round(memory.tree_peak / 2**20, 1),
        "load_before": round(load, 2),
        "final_mean_trust_sum": round(float(sum(sorted(finals))), 9),
        "steps": WORKLOADS[workload]["steps"],
        "in_workers_seconds": None if in_workers is None else round(in_workers, 3),
    }


def empty_case(workload: str, replications: int) -> dict[str, Any]:
    """The anchor: as many runs of an empty Mesa model (no-op agents, 3 reporters) with as many
    agents as the scenario has states, stepped as many times, one after another in this process."""
    from bench_batch import Empty

    spec = WORKLOADS[workload]
    data = base_data(workload)
    agents = len(data["states"]) if data.get("states") else int(data["network"]["n"])
    runs = replications * len(list(itertools.product(*spec["grid"].values())))
    started = time.perf_counter()
    for seed in range(runs):
        model = Empty(agents, seed)
        for _ in range(spec["steps"]):
            model.step()
    wall = time.perf_counter() - started
    return {
        "tool": "empty",
        "workers": 1,
        "workload": workload,
        "runs": runs,
        "steps": spec["steps"],
        "agents": agents,
        "wall_seconds": round(wall, 3),
        "us_per_step": round(wall / (runs * spec["steps"]) * 1e6, 2),
        "load_before": round(os.getloadavg()[0], 2),
    }


def measure(tool: str, workers: int, workload: str, replications: int) -> dict[str, Any]:
    """Run one case in a fresh interpreter, so peak memory and imports are its own."""
    command = [sys.executable, __file__, "--case", tool, str(workers), workload, str(replications)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"case {tool} x{workers} failed")
    record = json.loads(done.stdout.strip().splitlines()[-1])
    if tool == "empty":
        print(
            f"  empty Mesa {workload}: {record['agents']} agents, {record['us_per_step']:.1f} µs a step",
            file=sys.stderr,
            flush=True,
        )
        return record
    print(
        f"  {tool:9s} {workload:10s} workers={workers} runs={record['runs']:>6}: "
        f"{record['wall_seconds']:8.2f} s, "
        f"{record['runs_per_second']:7.2f} runs/s, parent {record['peak_parent_mb']:7.1f} MB, "
        f"all {record['peak_tree_mb']:7.1f} MB (load {record['load_before']})",
        file=sys.stderr,
        flush=True,
    )
    return record


def measure_ceiling() -> dict[str, Any]:
    command = [sys.executable, __file__, "--case", "ceiling", "2", "-", "0"]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    record = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"  ceiling: one process {record['alone_seconds']:.2f} s, "
        f"two at once {record['pair_seconds']:.2f} s: "
        f"{record['efficiency_ceiling']:.0%} (load {record['load_before']})",
        file=sys.stderr,
        flush=True,
    )
    return record


def speed_table(records: list[dict[str, Any]]) -> str:
    """One row per tool and worker count: its best repeat (least wall time), the median beside it,
    and the median CPU time of the whole process tree (less sensitive to other load than wall time).
    Efficiency is t1 / (workers x t), on the best wall times; CPU overhead is the extra CPU time
    the parallel case spends over the same runs in one process (starting workers, moving results)."""
    best: dict[tuple[str, int], dict[str, Any]] = {}
    walls: dict[tuple[str, int], list[float]] = {}
    cpus: dict[tuple[str, int], list[float]] = {}
    for r in records:
        key = (r["tool"], r["workers"])
        walls.setdefault(key, []).append(r["wall_seconds"])
        cpus.setdefault(key, []).append(r["cpu_seconds"])
        if key not in best or r["wall_seconds"] < best[key]["wall_seconds"]:
            best[key] = r
    lines = [
        "| tool | workers | runs | wall (s) best | wall (s) median | runs/s (best) | speed-up "
        "| parallel efficiency | CPU (s) median | CPU overhead | peak RSS parent (MB) "
        "| peak PSS all processes (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, r in best.items():
        one = (r["tool"], 1)
        speedup = best[one]["wall_seconds"] / r["wall_seconds"]
        cpu = statistics.median(cpus[key])
        overhead = cpu / statistics.median(cpus[one]) - 1
        lines.append(
            f"| {'mesa.batch_run' if r['tool'] == 'batch_run' else 'trustsim sweep'} | {r['workers']} "
            f"| {r['runs']} | {r['wall_seconds']:.1f} | {statistics.median(walls[key]):.1f} "
            f"| {r['runs_per_second']:.2f} | {speedup:.2f} | {speedup / r['workers']:.0%} "
            f"| {cpu:.1f} | {overhead:+.0%} | {r['peak_parent_mb']:.0f} | {r['peak_tree_mb']:.0f} |"
        )
    loads = [r["load_before"] for r in records]
    lines.append(f"\n1-minute load average before the cases: {min(loads):.1f} to {max(loads):.1f}")
    return "\n".join(lines)


def batches_table(records: list[dict[str, Any]]) -> str:
    """Per scenario, at 2 workers: batch_run and the sweep on R and 2R replications (least wall time
    of the repeats). End to end is the 2R case as a user meets it; marginal is the cost of the R
    runs the 2R case adds, t(2R) - t(R), which leaves out what a tool pays once (the sweep: its fork
    server importing trustsim, the workers' warm-up, writing the folder). The run-step costs are
    core time: wall x 2 workers / run-steps, against the empty Mesa step in one process."""
    fastest = {}
    for r in sorted(records, key=lambda r: -r["wall_seconds"]):
        fastest[(r["workload"], r["tool"], r["runs"])] = r  # the fastest repeat wins
    lines = [
        "| scenario | runs x steps | batched | batch_run runs/s | sweep runs/s | sweep / batch_run "
        "end to end | marginal (goal >= 10) | sweep µs per run-step, end to end | marginal | in the runs "
        "| empty Mesa step (µs) | marginal / empty (goal <= 1) |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for workload in BATCHED:
        sizes = sorted({r["runs"] for r in records if r["workload"] == workload and r["tool"] == "sweep"})
        empty = next((r for r in records if r["workload"] == workload and r["tool"] == "empty"), None)
        if len(sizes) != 2 or empty is None:
            continue
        small, large = sizes
        (anchor_small, anchor), (sweep_small, sweep) = (
            (fastest[(workload, tool, small)], fastest[(workload, tool, large)])
            for tool in ("batch_run", "sweep")
        )
        added = (large - small) * sweep["steps"]  # run-steps the larger case adds

        # runs per second of the added runs, the sweep's over batch_run's; none when the 2R case
        # took no longer than the R case (the machine's noise was larger than the added runs)
        extra = sweep["wall_seconds"] - sweep_small["wall_seconds"]
        sweep_marginal_us = extra * 2 / added * 1e6
        marginal = ["noise"] * 3
        if extra > 0:
            ratio = (anchor["wall_seconds"] - anchor_small["wall_seconds"]) / extra
            per_empty = sweep_marginal_us / empty["us_per_step"]
            marginal = [f"{ratio:.1f}x", f"{sweep_marginal_us:.0f}", f"{per_empty:.1f}"]
        end_to_end_us = sweep["wall_seconds"] * 2 / (large * sweep["steps"]) * 1e6
        in_runs = sweep["in_workers_seconds"] / (large * sweep["steps"]) * 1e6
        batched = "yes" if batchable(scenario_with(base_data(workload), {}, workload)) else "no"
        lines.append(
            f"| {workload} | {large} x {sweep['steps']} | {batched} | {anchor['runs_per_second']:.1f} "
            f"| {sweep['runs_per_second']:.1f} | {sweep['runs_per_second'] / anchor['runs_per_second']:.1f}x "
            f"| {marginal[0]} | {end_to_end_us:.0f} | {marginal[1]} | {in_runs:.0f} "
            f"| {empty['us_per_step']:.1f} | {marginal[2]} |"
        )
    sums: dict[tuple[str, int], set[float]] = {}
    for r in records:
        if r["tool"] != "empty":
            sums.setdefault((r["workload"], r["runs"]), set()).add(r["final_mean_trust_sum"])
    same = all(len(values) == 1 for values in sums.values())
    lines.append(
        "\nsame results from batch_run and the sweep (sum of final mean trust over the runs): "
        + ("yes" if same else f"NO ({sums})")
    )
    loads = [r["load_before"] for r in records]
    lines.append(f"1-minute load average before the cases: {min(loads):.1f} to {max(loads):.1f}")
    return "\n".join(lines)


def memory_table(records: list[dict[str, Any]]) -> str:
    lines = [
        "| tool | workers | runs | wall time (s) | runs/s | peak RSS parent (MB) "
        "| peak memory all processes, PSS (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in records:
        lines.append(
            f"| {'mesa.batch_run' if r['tool'] == 'batch_run' else 'trustsim sweep'} | {r['workers']} "
            f"| {r['runs']} | {r['wall_seconds']:.1f} | {r['runs_per_second']:.1f} "
            f"| {r['peak_parent_mb']:.0f} | {r['peak_tree_mb']:.0f} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replications", type=int, default=6, help="seeds per point (speed; default 6)")
    parser.add_argument("--repeat", type=int, default=3, help="repeats of each case (speed; default 3)")
    parser.add_argument("--memory", action="store_true", help="the memory table instead of speed")
    parser.add_argument(
        "--batches", action="store_true", help="batched small scenarios against batch_run and empty Mesa"
    )
    parser.add_argument("--scenarios", nargs="+", default=list(BATCHED), help="for --batches (default: all)")
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[100, 1000, 10000],
        help="runs (memory; default: 100 1000 10000)",
    )
    parser.add_argument("--json", action="store_true", help="print the records as one JSON list only")
    parser.add_argument("--case", nargs=4, help=argparse.SUPPRESS)  # one measurement (internal)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.case:
        tool, workers, workload, replications = args.case
        if tool == "ceiling":
            print(json.dumps(machine_ceiling()))
        else:
            print(json.dumps(run_case(tool, int(workers), workload, int(replications))))
        return
    print(
        f"bench_sweep: {platform.python_version()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}",
        file=sys.stderr,
        flush=True,
    )
    records = []
    if args.batches:
        for _ in range(args.repeat):
            for workload in args.scenarios:
                replications = BATCHED[workload]["replications"]
                for factor in (1, 2):  # two sizes: what the larger adds is the marginal cost
                    for tool in ("batch_run", "sweep"):
                        records.append(measure(tool, 2, workload, factor * replications))
                records.append(measure("empty", 1, workload, replications))
        table = batches_table(records)
    elif args.memory:
        points = len(WORKLOADS["tiny"]["grid"]["congeal_rate"]) * len(WORKLOADS["tiny"]["grid"]["noise"])
        for size in args.sizes:
            for tool in ("sweep", "batch_run"):
                records.append(measure(tool, 2, "tiny", max(1, size // points)))
        table = memory_table(records)
    else:
        # interleaved and repeated: on a shared machine the load moves; the table shows the best
        cases = [(tool, workers) for tool in ("batch_run", "sweep") for workers in (1, 2)]
        for _ in range(args.repeat):
            records.append(measure_ceiling())
            for tool, workers in cases:
                records.append(measure(tool, workers, "speed", args.replications))
        ceilings = [r for r in records if r["tool"] == "ceiling"]
        records = [r for r in records if r["tool"] != "ceiling"]
        table = speed_table(records)
        sums = {r["final_mean_trust_sum"] for r in records}
        same = "yes" if len(sums) == 1 else f"NO ({sorted(sums)})"
        table += f"\n\nsame results from every case (sum of final mean trust over the runs): {same}"
        table += (
            "\n\nmachine ceiling (two pure-Python CPU-bound processes against one alone, before each "
            "repeat): " + ", ".join(f"{c['efficiency_ceiling']:.0%}" for c in ceilings)
        )
        records += ceilings
    if args.json:
        print(json.dumps(records, indent=2))
    else:
        print(table)


if __name__ == "__main__":
    main()
