"""Batch sweeps: every (design point, replication) run once, in parallel, streamed to disk, resumable.

Output folder:
- ``manifest.json``: the sweep as given, the resolved base scenario, the design, seeds, versions;
- ``design.parquet``: the design points; ``runs.parquet``: one row per run (parameters, seed,
  status, outcome measures); ``steps/part-*.parquet``: per-step measures, in chunks;
  ``failures.jsonl``: run id, parameters, seed, error and traceback of each failed run;
- ``journal.jsonl``: the append-only log of finished chunks, which makes a rerun resume.

Crash safety: a chunk's files are written under temporary names and renamed, then the chunk is
appended to the journal and flushed to disk. On a rerun, chunks that are not in the journal are
deleted and their runs done again: every run is recorded exactly once.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trustsim.config.loading import ConfigError
from trustsim.config.sweep import Sweep, scenario_with
from trustsim.execution import designs
from trustsim.execution.executors import make_executor, stream
from trustsim.execution.run import _json_default, package_versions, simulate, write_atomic

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
    """Every parameter path must exist and take every value the design gives it (before any run)."""
    for path in points.columns:
        values = points[path].drop_duplicates()
        many = len(values) > 50 and pd.api.types.is_numeric_dtype(values)
        extremes = values.iloc[[values.argmin(), values.argmax()]] if many else values
        for value in extremes:
            try:
                scenario_with(base, {path: value}, f"{source}: design", "parameter")
            except ConfigError as exc:
                raise ConfigError(f"{exc} (design parameter {path!r} = {value!r})") from None


@dataclass
class Task:
    run_id: int
    seed: int
    values: dict[str, Any]
    base: dict[str, Any]
    measures: list[str]
    stop: dict[str, Any] | None


def execute(task: Task) -> dict[str, Any]:
    """Run one sweep run; any error is caught and returned as a failed result."""
    started = time.perf_counter()
    try:
        # Sweeps keep model-level measures; dyad rows and attribution are for single runs.
        fixed = {"seed": task.seed, "record.model": True, "record.dyads": False, "record.attribution": False}
        scenario = scenario_with(task.base, {**task.values, **fixed}, f"run {task.run_id}")
        until = _stop_condition(task.stop)
        result = simulate(scenario, until=until)
        steps = result.model[task.measures].reset_index() if task.measures else None
        if steps is not None:
            steps.insert(0, "run_id", task.run_id)
        return {
            "run_id": task.run_id,
            "status": "ok",
            "outcome": result.summary,
            "steps": steps,
            "wall_time": time.perf_counter() - started,
            "error": None,
            "traceback": None,
        }
    except Exception as exc:  # a failing run is recorded and the sweep goes on
        return {
            "run_id": task.run_id,
            "status": "failed",
            "outcome": {},
            "steps": None,
            "wall_time": time.perf_counter() - started,
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
        }


def _stop_condition(stop: dict[str, Any] | None) -> Callable | None:
    if stop is None:
        return None
    measure, below, above = stop["measure"], stop.get("below"), stop.get("above")

    def until(model: Any) -> bool:
        value = model.datacollector.model_vars[measure][-1]
        return value < below if below is not None else value > above

    return until


@dataclass
class SweepStore:
    """The output folder: journal of finished chunks, chunk files, and the merged results."""

    out: Path
    chunk: int = 0
    done: set[int] = field(default_factory=set)

    @property
    def journal(self) -> Path:
        return self.out / "journal.jsonl"

    def open(self, manifest: dict[str, Any], points: pd.DataFrame) -> None:
        """Create the folder, or check that it holds this same sweep and recover what it holds."""
        manifest_path = self.out / "manifest.json"
        if manifest_path.exists():
            previous = json.loads(manifest_path.read_text())
            if previous.get("sweep") != manifest["sweep"] or previous.get("base") != manifest["base"]:
                raise ConfigError(f"{self.out}: holds a different sweep; choose another --out")
            manifest["wall_time_seconds"] = previous.get("wall_time_seconds", 0.0)
        else:
            (self.out / "steps").mkdir(parents=True, exist_ok=True)
            (self.out / "chunks").mkdir(exist_ok=True)
            write_atomic(self.out / "design.parquet", lambda p: points.reset_index().to_parquet(p))
            self.write_manifest(manifest)
        self._recover()

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        text = json.dumps(manifest, indent=2, default=_json_default) + "\n"
        write_atomic(self.out / "manifest.json", lambda p: p.write_text(text))

    def _recover(self) -> None:
        """Read the journal; delete chunk files it does not list (written before a crash)."""
        listed: set[int] = set()
        if self.journal.exists():
            text = self.journal.read_text()
            if text and not text.endswith("\n"):
                # a line cut short by the crash: drop it (its chunk is redone), so that the next
                # entry does not get appended to it
                text = text[: text.rfind("\n") + 1]
                write_atomic(self.journal, lambda p: p.write_text(text))
            for line in text.splitlines():
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by the crash: its chunk is redone
                listed.add(entry["chunk"])
                self.done.update(entry["runs"])
        self.chunk = max(listed, default=-1) + 1
        for folder in (self.out / "steps", self.out / "chunks"):
            for path in folder.iterdir():
                number = path.name.split("-")[-1].split(".")[0]
                if path.name.startswith(".") or not number.isdigit() or int(number) not in listed:
                    path.unlink()

    def write_chunk(self, rows: list[dict[str, Any]], steps: list[pd.DataFrame]) -> None:
        """Write one chunk's runs and steps, then record it in the journal (flushed to disk)."""
        number = self.chunk
        name = f"part-{number:06d}.parquet"
        frame = pd.DataFrame(rows)
        if "seed" in frame:  # 64-bit seeds: int64 in a chunk where all are < 2**63 merges to float64
            frame["seed"] = frame["seed"].astype(np.uint64)
        write_atomic(self.out / "chunks" / name, lambda p: frame.to_parquet(p, index=False))
        if steps:
            merged = pd.concat(steps, ignore_index=True)
            write_atomic(self.out / "steps" / name, lambda p: merged.to_parquet(p, index=False))
        with self.journal.open("a") as journal:
            journal.write(json.dumps({"chunk": number, "runs": [row["run_id"] for row in rows]}) + "\n")
            journal.flush()
            os.fsync(journal.fileno())
        self.done.update(row["run_id"] for row in rows)
        self.chunk += 1

    def finalize(self) -> pd.DataFrame:
        """Merge the chunks into runs.parquet (ordered by run id) and failures.jsonl."""
        parts = sorted((self.out / "chunks").glob("part-*.parquet"))
        runs = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True) if parts else pd.DataFrame()
        if not runs.empty:
            runs = _normalize(runs.sort_values("run_id", kind="stable").reset_index(drop=True))
        write_atomic(self.out / "runs.parquet", lambda p: runs.to_parquet(p, index=False))
        failed = runs[runs["status"] == "failed"] if not runs.empty else runs
        lines = [
            json.dumps(
                {
                    key: row[key]
                    for key in row.index
                    if key not in ("status",) and not (isinstance(row[key], float) and np.isnan(row[key]))
                },
                default=_json_default,
            )
            for _, row in failed.iterrows()
        ]
        write_atomic(self.out / "failures.jsonl", lambda p: p.write_text("".join(f"{x}\n" for x in lines)))
        return runs


def _normalize(runs: pd.DataFrame) -> pd.DataFrame:
    """The same columns and dtypes however the runs fell into chunks, so a resumed sweep's results
    equal an uninterrupted one's: a chunk where an outcome is always None (time_to_recovery), or
    that holds only failed runs, would otherwise leave an object column or change the column order."""
    runs = runs.infer_objects()
    last = [column for column in ("error", "traceback") if column in runs.columns]
    return runs[[column for column in runs.columns if column not in last] + last]


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
) -> SweepOutcome:
    """Run every run of the sweep not yet in ``out``'s journal; merge the results."""
    points, runs = plan(sweep)
    check_design(sweep, base, points, source)
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
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_time_seconds": 0.0,
    }
    store = SweepStore(out)
    store.open(manifest, points)
    todo = runs[~runs["run_id"].isin(store.done)]
    skipped = len(runs) - len(todo)
    stop = sweep.stop.model_dump() if sweep.stop else None
    measures = sweep.kept_measures()
    params = list(points.columns)
    values = todo[params].to_dict("records")
    tasks = (
        Task(int(run_id), int(seed), point, base, measures, stop)
        for run_id, seed, point in zip(todo["run_id"], todo["seed"], values, strict=True)
    )
    # object columns: a row of an all-numeric frame would be float64, rounding 64-bit seeds
    lookup = todo.set_index("run_id").astype(object)
    started = time.perf_counter()
    executor = make_executor(workers, dask)
    chunk_size = max(8, 4 * executor.workers)
    rows: list[dict[str, Any]] = []
    steps: list[pd.DataFrame] = []
    completed = failed = 0
    last_flush = time.monotonic()
    try:
        for result in stream(executor, execute, tasks, window=2 * executor.workers + 2):
            run = lookup.loc[result["run_id"]]
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
            completed += result["status"] == "ok"
            failed += result["status"] == "failed"
            if progress is not None:
                progress(completed + failed, failed, skipped)
            # at least chunk_size runs and 1 s apart (fast runs: fewer, larger files), or every 5 s
            since = time.monotonic() - last_flush
            if (len(rows) >= chunk_size and since > 1.0) or since > 5.0:
                store.write_chunk(rows, steps)
                rows, steps, last_flush = [], [], time.monotonic()
        if rows:
            store.write_chunk(rows, steps)
    finally:
        executor.close()
    wall = time.perf_counter() - started
    merged = store.finalize()
    manifest["wall_time_seconds"] = round(manifest["wall_time_seconds"] + wall, 3)
    manifest["completed"] = int((merged["status"] == "ok").sum()) if not merged.empty else 0
    manifest["failed"] = int((merged["status"] == "failed").sum()) if not merged.empty else 0
    store.write_manifest(manifest)
    return SweepOutcome(out, len(runs), manifest["completed"], manifest["failed"], skipped, wall)
