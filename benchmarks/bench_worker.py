"""What a sweep's worker spends besides its runs: warming up, and the garbage collector's full passes.

Three measurements, the first two in fresh processes forked from this one after it has imported what a sweep
imports (as ``trustsim sweep`` forks its workers), on the tasks of a europe sweep (512 runs of 100
steps in tasks of ``--batch`` runs, as ``bench_sweep.py --batches`` runs it):

- **warm-up**: a worker's first task, started cold, against the same task after
  ``worker.warm_up`` (one step of the base scenario: the compiled kernels loaded), and the
  warm-up's own time;
- **full collections**: ``--tasks`` tasks in a warmed-up worker that freezes what it holds
  (``executors.settle``, ``gc.freeze``) and in one that does not, with the time the collector
  spent in full (generation 2) passes, from ``gc.callbacks``, and the objects frozen;
- **Parquet**: the steps of all the tasks' runs written as pandas writes them by default and as a
  sweep writes them (``merge.write_parquet``: dictionaries only for columns that are not floats),
  with the files' sizes;
- **Dask** (``--dask``): a LocalCluster of two workers, started and given ``2 * --tasks`` tasks, its
  workers warmed up and settled as a sweep's are (``dask_worker.Settle``) and not; the start (for the
  settled cluster, its workers' warm-ups included), the tasks and the whole.

Usage::

    python benchmarks/bench_worker.py                 # about a minute
    python benchmarks/bench_worker.py --rounds 5 --tasks 6
    python benchmarks/bench_worker.py --dask          # the Dask case too (about two minutes)
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_sweep  # the europe workload of the sweep benchmark
import pandas as pd

from trustsim.execution import merge
from trustsim.execution.plan import batches, make_task, plan
from trustsim.execution.worker import execute, warm_up


def tasks(batch: int) -> tuple[dict[str, Any], list[Any]]:
    sweep = bench_sweep.sweep_spec("europe", 128)
    base = bench_sweep.base_data("europe")
    points, runs = plan(sweep)
    return base, [make_task(sweep, base, group, list(points.columns)) for group in batches(runs, batch)]


def in_child(measure: Any) -> dict[str, float]:
    """``measure()`` in a forked child; its dict of floats back through a pipe."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: measure, report, leave without cleaning up the parent's state
        os.close(read)
        try:
            os.write(write, repr(measure()).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    return eval(text)  # a dict of floats we wrote ourselves


def warm_up_case(base: dict[str, Any], work: list[Any]) -> dict[str, float]:
    def cold() -> dict[str, float]:
        gc.freeze()
        started = time.perf_counter()
        execute(work[0])
        first = time.perf_counter() - started
        started = time.perf_counter()
        execute(work[1])
        return {"cold first task": first, "second task": time.perf_counter() - started}

    def warmed() -> dict[str, float]:
        gc.freeze()
        started = time.perf_counter()
        warm_up(base)
        warming = time.perf_counter() - started
        gc.collect()
        gc.freeze()
        started = time.perf_counter()
        execute(work[0])
        return {"warm-up": warming, "first task, warmed up": time.perf_counter() - started}

    return {**in_child(cold), **in_child(warmed)}


def collections_case(base: dict[str, Any], work: list[Any], count: int) -> dict[str, float]:
    def run(freeze: bool) -> dict[str, float]:
        warm_up(base)  # as a sweep's parent does before it forks the workers
        if freeze:  # as each worker then does (``executors.settle``)
            gc.freeze()
        passes: list[float] = []
        began: list[float] = []

        def watch(phase: str, info: dict[str, int]) -> None:
            if info["generation"] == 2:
                if phase == "start":
                    began.append(time.perf_counter())
                else:
                    passes.append(time.perf_counter() - began.pop())

        gc.callbacks.append(watch)
        started = time.perf_counter()
        for index in range(count):
            execute(work[index % len(work)])
        wall = time.perf_counter() - started
        label = "frozen" if freeze else "not frozen"
        frozen = {"objects frozen": gc.get_freeze_count()} if freeze else {}
        return {
            **frozen,
            f"{label}: tasks": wall,
            f"{label}: full passes": len(passes),
            f"{label}: in them": sum(passes),
        }

    return {**in_child(lambda: run(False)), **in_child(lambda: run(True))}


def parquet_case(work: list[Any], rounds: int) -> dict[str, float]:
    """The steps of all the tasks' runs written with pandas' default and with
    ``merge.write_parquet``: the best time of ``rounds`` writes, and the file's size."""
    steps = pd.concat([execute(task)[0]["steps"] for task in work], ignore_index=True)
    found: dict[str, float] = {"Parquet: rows": len(steps)}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "steps.parquet"
        for label, write in (
            ("pandas default", lambda: steps.to_parquet(path, index=False)),
            ("write_parquet", lambda: merge.write_parquet(steps, path)),
        ):
            times = []
            for _ in range(rounds):
                started = time.perf_counter()
                write()
                times.append(time.perf_counter() - started)
            found[f"Parquet, {label}: s"] = min(times)
            found[f"Parquet, {label}: MB"] = path.stat().st_size / 1e6
    return found


def dask_case(base: dict[str, Any], work: list[Any], count: int) -> dict[str, float]:
    """A LocalCluster of 2 workers, settled as a sweep's (``DaskCluster`` with ``warm``) and not (the
    same cluster without its plugin), given ``2 * count`` tasks; seconds to start, for the tasks, in all."""
    from functools import partial

    from trustsim.execution.executors import DaskCluster

    class Unsettled(DaskCluster):
        def _settle(self, warm: Any) -> None:
            pass

    found: dict[str, float] = {}
    for label, kind in (("Dask, not settled", Unsettled), ("Dask, settled", DaskCluster)):
        started = time.perf_counter()
        cluster = kind("local", 2, warm=partial(warm_up, base))
        ready = time.perf_counter()
        try:
            pending = {cluster.submit(execute, work[index % len(work)]) for index in range(2 * count)}
            while pending:
                _, pending = cluster.wait_first(pending)
        finally:
            done = time.perf_counter()
            cluster.close()
        found[f"{label}: start"] = ready - started
        found[f"{label}: tasks"] = done - ready
        found[f"{label}: all"] = done - started
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=4, help="tasks per worker for the collections case")
    parser.add_argument("--batch", type=int, default=128, help="runs per task (default 128, the sweep's)")
    parser.add_argument("--dask", action="store_true", help="also time a Dask LocalCluster's workers")
    args = parser.parse_args(argv)
    base, work = tasks(args.batch)
    in_child(lambda: warm_up(base) or {})  # numba's cache written if it was not; this process stays cold
    results: dict[str, list[float]] = {}
    for round_ in range(args.rounds):
        print(f"round {round_ + 1}/{args.rounds}", file=sys.stderr, flush=True)
        found = {**warm_up_case(base, work), **collections_case(base, work, args.tasks)}
        if args.dask:  # in a child: a Dask client leaves threads behind, and this process forks
            found.update(in_child(lambda: dask_case(base, work, args.tasks)))
        for key, value in found.items():
            results.setdefault(key, []).append(value)
    # in a child, so that this process never loads the kernels (each round's workers start cold)
    for key, value in in_child(lambda: parquet_case(work, args.rounds)).items():
        results.setdefault(key, []).append(value)
    print(f"europe, tasks of {args.batch} runs x 100 steps; median (min-max) of {args.rounds} rounds, s")
    for key, values in results.items():
        print(f"{key:<32} {statistics.median(values):10.3f}   ({min(values):.3f}-{max(values):.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
