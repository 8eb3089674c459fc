"""Batch sweeps: every (design point, replication) run once, in parallel, streamed to disk, resumable.

Output folder:
- ``manifest.json``: the sweep as given, the resolved base scenario, the design, seeds, versions;
- ``design.parquet``: the design points; ``runs.parquet``: one row per run (parameters, seed,
  status, outcome measures); ``steps.parquet``: one row per run and step, step 0 (the initial
  state) included, with the design parameters as columns; ``dyads.parquet`` (``dyads: true``): each
  run's per-dyad records with its run id; ``failures.jsonl``: run id, parameters, seed, error and
  traceback of each failed run;
- ``journal.jsonl`` with ``chunks/``, ``steps/`` (and ``dyads/``): the verified chunks a rerun
  resumes from (``trustsim.execution.store``).

A worker is handed one task per batch of a design point's runs (``trustsim.execution.plan``), and
steps them together in one batched model when the model allows (``trustsim.execution.worker``):
the results are the same, bit for bit, whatever the batching, the worker count or the backend.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from trustsim.config.sweep import Sweep
from trustsim.execution import designs
from trustsim.execution.executors import make_executor, stream
from trustsim.execution.plan import (
    RUN_COLUMNS,
    Estimate,
    batch_size,
    batches,
    check_design,
    estimate_seconds,
    make_task,
    plan,
    run_seed,
)
from trustsim.execution.run import code_version, package_versions
from trustsim.execution.store import SweepError, SweepStore, file_sha256
from trustsim.execution.worker import Task, WrongCode, execute, warm_up

__all__ = [
    "RUN_COLUMNS",
    "Estimate",
    "SweepError",
    "SweepOutcome",
    "SweepStore",
    "Task",
    "WrongCode",
    "check_design",
    "estimate_seconds",
    "execute",
    "file_sha256",
    "plan",
    "run_seed",
    "run_sweep",
]


@dataclass
class SweepOutcome:
    out: Path
    total: int
    completed: int
    failed: int
    skipped: int
    wall_time: float


def run_sweep(
    sweep: Sweep,
    base: dict[str, Any],
    source: str,
    out: Path,
    workers: int | None = None,
    dask: str | None = None,
    progress: Callable[[int, int, int], None] | None = None,
    allow_code_change: bool = False,
    started: Callable[[], None] | None = None,
) -> SweepOutcome:
    """Run every run of the sweep not yet in ``out``'s journal; merge the results. ``progress`` is
    told (finished, failed, skipped) as runs come in; ``started()`` is called once the workers are
    up and the folder is open, before the first run (to start a progress display)."""
    points, runs = plan(sweep)
    check_design(sweep, base, points, source)
    code = code_version()
    manifest = {
        "kind": "sweep",
        "name": sweep.name,
        "source": source,
        "sweep": sweep.model_dump(mode="json"),
        "base": base,
        "design": {
            "kind": sweep.design.kind,
            "points": len(points),
            "parameters": list(points.columns),
            "problem": designs.problem(sweep.design) if sweep.design.bounds else None,
        },
        "master_seed": sweep.master_seed,
        "replications": sweep.replications,
        "common_random_numbers": sweep.common_random_numbers,
        "runs": len(runs),
        "versions": package_versions(),
        "code": code,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_time_seconds": 0.0,
    }
    store = SweepStore(out, parameters=list(points.columns), dyads=sweep.dyads)
    # The workers start before the folder is opened, so that a forked worker holds none of its
    # files (its lock above all), and before ``started`` lets the caller start threads of its own
    # (a progress bar's): a pool forks only while this process runs one thread (start_method).
    executor = make_executor(workers, dask, warm=partial(warm_up, base))
    try:
        try:
            store.open(manifest, points, len(runs), allow_code_change)
            if started is not None:
                started()
            return _run(sweep, store, manifest, points, runs, executor, source, progress)
        finally:
            store.close()
    finally:
        executor.close()


def _run(
    sweep: Sweep,
    store: SweepStore,
    manifest: dict[str, Any],
    points: pd.DataFrame,
    runs: pd.DataFrame,
    executor: Any,
    source: str,
    progress: Callable[[int, int, int], None] | None,
) -> SweepOutcome:
    todo = runs[~runs["run_id"].isin(store.done)]
    skipped = len(runs) - len(todo)
    params = list(points.columns)
    parent = os.getpid() if executor.local else None
    code, base = manifest["code"]["sha256"], manifest["base"]
    size = batch_size(sweep, base, len(todo), executor.workers)
    tasks = (
        replace(make_task(sweep, base, group, params), code=code, parent=parent)
        for group in batches(todo, size)
    )
    # object columns: a row of an all-numeric frame would be float64, rounding 64-bit seeds; one
    # dict per run, since a frame's .loc per result is slow
    lookup = todo.set_index("run_id").astype(object).to_dict("index")
    started = time.perf_counter()
    chunk_size = max(8, 4 * executor.workers)
    rows: list[dict[str, Any]] = []
    steps: list[pd.DataFrame] = []
    initial: list[dict[str, Any]] = []
    dyads: list[pd.DataFrame] = []
    completed = failed = 0
    last_flush = time.monotonic()
    try:
        for results in stream(executor, execute, tasks, window=2 * executor.workers + 2):
            for result in results:
                run = lookup[result["run_id"]]
                row = {
                    "run_id": result["run_id"],
                    "point": int(run["point"]),
                    "replication": int(run["replication"]),
                    "seed": int(run["seed"]),
                }
                row.update({p: run[p] for p in params})
                row.update(
                    status=result["status"],
                    wall_time=result["wall_time"],
                    **result["outcome"],
                    error=result["error"],
                    traceback=result["traceback"],
                )
                rows.append(row)
                if result["steps"] is not None:
                    steps.append(result["steps"])
                if result["initial"] is not None:
                    initial.append(result["initial"])
                if result["dyads"] is not None:
                    dyads.append(result["dyads"])
                completed += result["status"] == "ok"
                failed += result["status"] == "failed"
            if progress is not None:
                progress(completed + failed, failed, skipped)
            # at least chunk_size runs and 1 s apart (fast runs: fewer, larger files), or every 5 s
            since = time.monotonic() - last_flush
            if (len(rows) >= chunk_size and since > 1.0) or since > 5.0:
                store.write_chunk(rows, steps, initial, dyads)
                rows, steps, initial, dyads, last_flush = [], [], [], [], time.monotonic()
    except (SweepError, KeyboardInterrupt):
        raise
    except Exception as exc:  # the pool or the cluster failed: keep what finished, say so in one line
        if rows:
            store.write_chunk(rows, steps, initial, dyads)
        what = "a worker" if isinstance(exc, WrongCode) else executor.name
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else "no details"
        raise SweepError(
            f"{source}: {what} failed ({type(exc).__name__}: {detail[:300]}); {len(store.done)} of "
            f"{len(runs)} runs are saved in {store.out}: rerun the same command to resume"
        ) from None
    if rows:
        store.write_chunk(rows, steps, initial, dyads)
    wall = time.perf_counter() - started
    merged = store.finalize()
    manifest["wall_time_seconds"] = round(manifest["wall_time_seconds"] + wall, 3)
    manifest["completed"] = int((merged["status"] == "ok").sum()) if not merged.empty else 0
    manifest["failed"] = int((merged["status"] == "failed").sum()) if not merged.empty else 0
    store.write_manifest(manifest)
    return SweepOutcome(store.out, len(runs), manifest["completed"], manifest["failed"], skipped, wall)
