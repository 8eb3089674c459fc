"""A sweep's plan: its runs and their seeds, checked before any run, grouped into tasks, and timed.

A run's seed comes from the master seed and the run's identity only; the tasks (a design point's
runs, in batches) decide where and with what else a run is computed, never what it computes.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trustsim.config.checks import MAX_DYAD_ROWS, generated_edges
from trustsim.config.errors import ConfigError
from trustsim.config.sweep import Sweep, scenario_with
from trustsim.execution import designs, merge
from trustsim.execution.executors import make_executor
from trustsim.execution.run import write_atomic
from trustsim.execution.worker import Task, execute, state_count, warm_up

RUN_COLUMNS = ["run_id", "point", "replication", "seed"]


def run_seed(master_seed: int, point: int, replication: int, common_random_numbers: bool) -> int:
    """A run's seed from the master seed and the run's identity (NumPy SeedSequence).

    It does not depend on worker count, order or backend. With common random numbers the seed
    depends on the replication only, so every point's replication r shares its random stream.
    """
    key = (replication,) if common_random_numbers else (point, replication)
    state = np.random.SeedSequence(master_seed, spawn_key=key).generate_state(2, dtype=np.uint32)
    return int(state[0]) << 32 | int(state[1])


def plan(sweep: Sweep) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The design points and the runs (point x replication), each run with its seed."""
    points = designs.points(sweep.design, sweep.master_seed)
    rows = []
    for point in range(len(points)):
        for replication in range(sweep.replications):
            seed = run_seed(sweep.master_seed, point, replication, sweep.common_random_numbers)
            rows.append((point * sweep.replications + replication, point, replication, seed))
    runs = pd.DataFrame(rows, columns=RUN_COLUMNS)
    runs = runs.join(points, on="point")
    return points, runs


def check_design(sweep: Sweep, base: dict[str, Any], points: pd.DataFrame, source: str) -> None:
    """Every parameter path must exist and take every value the design gives it (before any run).
    A sampled design's bounds are checked first, so that an impossible bound is named as one."""
    for path, ends in sweep.design.bounds.items():
        for end in ends:
            try:
                scenario_with(base, {path: end}, f"{source}: design.bounds.{path}", "bound")
            except ConfigError as exc:
                reason = str(exc).rsplit(f"{path}: ", 1)[-1]
                raise ConfigError(
                    f"{source}: design.bounds.{path}: the bound {end!r} of [{ends[0]}, {ends[1]}] is out of "
                    f"range: {reason}"
                ) from None
    for path in points.columns:
        values = points[path].drop_duplicates()
        many = len(values) > 50 and pd.api.types.is_numeric_dtype(values)
        extremes = values.iloc[[values.argmin(), values.argmax()]] if many else values
        for value in extremes:
            try:
                scenario_with(base, {path: value}, f"{source}: design", "parameter")
            except ConfigError as exc:
                raise ConfigError(f"{exc} (design parameter {path!r} = {value!r})") from None
    check_dyad_rows(sweep, base, points, source)


def check_dyad_rows(sweep: Sweep, base: dict[str, Any], points: pd.DataFrame, source: str) -> None:
    """With ``dyads: true``, the rows of the sweep's dyads.parquet (runs x steps x directed dyads)
    must stay within the dyad-row limit of a run's dyads.parquet: refused before anything is made."""
    if not sweep.dyads:
        return
    structural = {"steps", "network", "relations", "states"}
    varies = any(path.split(".")[0] in structural for path in points.columns)
    rows = [scenario_with(base, {}, f"{source}: base")] if not varies else None
    total = 0
    for point, values in enumerate(points.to_dict("records") if varies else [{}]):
        scenario = scenario_with(base, values, f"{source}: design") if rows is None else rows[0]
        edges = generated_edges(scenario.network) if scenario.network is not None else len(scenario.relations)
        runs = sweep.replications if varies else sweep.replications * len(points)
        total += runs * scenario.steps * 2 * edges
        if total > MAX_DYAD_ROWS:
            counted = (
                f"{runs:,} runs x {scenario.steps:,} steps x {2 * edges:,} directed dyads"
                if not varies
                else f"the runs of the first {point + 1:,} of {len(points):,} design points"
            )
            raise ConfigError(
                f"{source}: dyads: the sweep's dyads.parquet would hold {total:,} rows ({counted}); "
                f"at most {MAX_DYAD_ROWS:,} (set dyads: false, or fewer runs or steps)"
            )


MAX_BATCH_STATES = 2048  # states of all the runs in one batched model: a task's size (docs/sweeps.md)


def batch_size(sweep: Sweep, base: dict[str, Any], runs: int, workers: int) -> int:
    """Runs per task: the sweep's ``batch_size``, but at most ``MAX_BATCH_STATES`` states in one
    batched model, and small enough that every worker gets two tasks or more. Results never
    depend on it (each run in a batch is its run alone)."""
    fits = max(1, MAX_BATCH_STATES // max(1, state_count(base)))
    share = max(1, math.ceil(runs / (2 * max(1, workers))))
    return max(1, min(sweep.batch_size, fits, share))


def batches(runs: pd.DataFrame, size: int) -> Iterator[pd.DataFrame]:
    """The runs (in run order) in groups of at most ``size`` consecutive runs of one design point."""
    point = runs["point"].to_numpy()
    start = 0
    while start < len(point):
        end = min(start + size, len(point))
        other = np.flatnonzero(point[start:end] != point[start])
        end = start + int(other[0]) if len(other) else end
        yield runs.iloc[start:end]
        start = end


def make_task(sweep: Sweep, base: dict[str, Any], runs: pd.DataFrame, parameters: list[str]) -> Task:
    """The task of one batch of runs (of one design point)."""
    values = runs.iloc[:1][parameters].to_dict("records")[0]
    return Task(
        [int(run) for run in runs["run_id"]],
        [int(seed) for seed in runs["seed"]],
        values,
        base,
        sweep.kept_measures(),
        sweep.stop.model_dump() if sweep.stop else None,
        dyads=sweep.dyads,
    )


@dataclass
class Estimate:
    """What ``trustsim sweep`` will take, in parts, each measured by ``estimate_seconds``."""

    seconds: float  # the runs on warm workers
    per_run: float
    probes: int
    error: str | None
    warm_up: float = 0.0  # starting the workers (imports, compiled kernels) and stopping them
    overhead: float = 0.0  # the command's own start before any run (imports, the plan)
    storing: float = 0.0  # writing the results' chunks and merging them

    @property
    def total(self) -> float:
        return self.overhead + self.warm_up + self.seconds + self.storing


def estimate_seconds(
    sweep: Sweep,
    base: dict[str, Any],
    points: pd.DataFrame,
    runs: pd.DataFrame,
    workers: int,
    budget: float = 5.0,
    overhead: float = 0.0,
) -> Estimate:
    """How long the sweep will take, each part measured as the sweep would pay it, on its own
    executor (``make_executor``: the process pool for more than one worker):

    - warm-up: one batch per worker on freshly started workers, less what those runs take, plus
      stopping the workers (fork server, imports and compiled kernels: paid once per sweep);
    - runs: up to eight batches spread evenly over the design (run time depends on the
      parameters), a round of ``workers`` at a time while within ``budget`` seconds; their mean
      time per run x runs / the workers the sweep keeps busy;
    - storing: the probes' results written as the sweep writes its chunks and merged, per run x runs;
    - ``overhead``: what the caller spent before (the command's imports and plan), given by it.
    """
    size = batch_size(sweep, base, len(runs), workers)
    parameters = list(points.columns)

    def task_at(index: int) -> Task:
        start = index - int(runs["replication"].iloc[index]) % size  # the batch the sweep would run
        return make_task(sweep, base, next(batches(runs.iloc[start:], size)), parameters)

    parallel = max(1, min(workers, math.ceil(len(runs) / size)))
    probes = [int(i) for i in np.unique(np.linspace(0, len(runs) - 1, min(8, len(runs))).round().astype(int))]
    results: list[dict[str, Any]] = []
    started = time.perf_counter()
    executor = make_executor(workers, None, warm=partial(warm_up, base))
    try:
        first = [executor.submit(execute, task_at(0)) for _ in range(parallel)]
        warm = [result for future in first for result in future.result()]
        warm_wall = time.perf_counter() - started
        spent, probed = 0.0, 0
        for round_start in range(0, len(probes), parallel):
            began = time.perf_counter()
            round_ = probes[round_start : round_start + parallel]
            pending = [executor.submit(execute, task_at(i)) for i in round_]
            results += [result for future in pending for result in future.result()]
            probed += len(pending)
            spent += time.perf_counter() - began
            if spent > budget:
                break
    finally:
        stopping = time.perf_counter()
        executor.close()
        stopped = time.perf_counter() - stopping
    errors = [result["error"] for result in warm + results if result["error"]]
    per_run = float(np.mean([result["wall_time"] for result in results or warm]))
    # the warm-up batches ran side by side, each on its own worker
    starting = max(0.0, warm_wall - per_run * len(warm) / parallel) + stopped
    return Estimate(
        per_run * len(runs) / parallel,
        per_run,
        probed,
        errors[0] if errors else None,
        starting,
        overhead,
        _storing(results or warm) * len(runs),
    )


def _storing(results: list[dict[str, Any]]) -> float:
    """Per run: writing ``results`` as a sweep writes a chunk (runs and steps tables to Parquet,
    durably: ``write_atomic``), then reading and writing them again as its merge does."""
    rows = [{"run_id": r["run_id"], "status": r["status"], **r["outcome"]} for r in results]
    steps = [r["steps"] for r in results if r["steps"] is not None]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        for name, frame in (("runs", pd.DataFrame(rows)), ("steps", pd.concat(steps) if steps else None)):
            if frame is None:
                continue
            path, merged = Path(folder) / f"{name}.parquet", Path(folder) / f"merged-{name}.parquet"
            write_atomic(path, lambda p, frame=frame: merge.write_parquet(frame, p), durable=True)
            write_atomic(
                merged, lambda p, path=path: merge.write_parquet(pd.read_parquet(path), p), durable=True
            )
    return (time.perf_counter() - started) / max(1, len(results))
