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

import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import socket
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
from trustsim.execution.executors import make_executor, stream, watch_parent
from trustsim.execution.run import (
    NO_ROOM,
    code_version,
    fsync,
    json_default,
    package_versions,
    simulate,
    write_atomic,
)

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


@dataclass
class Estimate:
    seconds: float
    per_run: float
    probes: int
    error: str | None


def estimate_seconds(
    sweep: Sweep,
    base: dict[str, Any],
    points: pd.DataFrame,
    runs: pd.DataFrame,
    workers: int,
    budget: float = 5.0,
) -> Estimate:
    """How long the sweep will take: one warm-up run (imports, compiled kernels: paid once per worker),
    then up to eight runs spread evenly over the design (run time depends on the parameters), timed
    within ``budget`` seconds; their mean per run x runs / workers, plus the warm-up once per worker."""
    measures = sweep.kept_measures()
    stop = sweep.stop.model_dump() if sweep.stop else None

    def probe(index: int) -> tuple[float, str | None]:
        row = runs.iloc[index]
        task = Task(
            int(row["run_id"]), int(row["seed"]), {p: row[p] for p in points.columns}, base, measures, stop
        )
        started = time.perf_counter()
        result = execute(task)
        return time.perf_counter() - started, result["error"]

    warm_up, error = probe(0)
    times: list[float] = []
    spent = 0.0
    for index in np.unique(np.linspace(0, len(runs) - 1, min(8, len(runs))).round().astype(int)):
        seconds, failed = probe(int(index))
        times.append(seconds)
        error = error or failed
        spent += seconds
        if spent > budget:
            break
    per_run = float(np.mean(times)) if times else warm_up
    parallel = max(1, min(workers, len(runs)))
    total = per_run * len(runs) / parallel + (warm_up - per_run if warm_up > per_run else 0.0)
    return Estimate(total, per_run, len(times), error)


@dataclass
class Task:
    run_id: int
    seed: int
    values: dict[str, Any]
    base: dict[str, Any]
    measures: list[str]
    stop: dict[str, Any] | None
    code: str = ""  # SHA-256 of the sources the sweep runs: a worker with other code refuses
    parent: int | None = None  # pid of the sweep, for workers on this machine to watch


class WrongCode(Exception):
    """A worker imported other trustsim code than the sweep's (e.g. a ``trustsim/`` in its cwd)."""


def check_worker(code: str, parent: int | None) -> None:
    """In a worker: refuse to run other code than the sweep's, and exit when the sweep dies."""
    if code and code_version()["sha256"] != code:
        mine = code_version()
        raise WrongCode(
            f"a worker (pid {os.getpid()}) runs other trustsim code ({mine['sha256'][:12]} from "
            f"{mine['path']}) than the sweep ({code[:12]})"
        )
    if parent is not None and parent != os.getpid():
        watch_parent(parent)


def execute(task: Task) -> dict[str, Any]:
    """Run one sweep run; any error is caught and returned as a failed result."""
    check_worker(task.code, task.parent)
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


class SweepError(ConfigError):
    """A sweep that cannot go on, in one line (exit 2); the folder keeps what is done."""


LOCK = "sweep.lock"
# what a sweep folder may hold before its manifest is written (the lock, a torn manifest write)
BEFORE_MANIFEST = {LOCK, ".manifest.json.partial"}
CHUNK_NAME = re.compile(r"^\.?part-(\d{6})\.parquet(\.partial)?$")


def sweep_identity(manifest: dict[str, Any]) -> str:
    """A hash of what makes a sweep this sweep (its config and resolved base scenario)."""
    text = json.dumps({"sweep": manifest["sweep"], "base": manifest["base"]}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_error(exc: OSError, path: Path, done: int) -> SweepError:
    """A failed write as one line (the OS's words, not pyarrow's): a full disk, quota or file-size
    limit says how to go on."""
    reason = os.strerror(exc.errno) if exc.errno else (exc.strerror or str(exc).splitlines()[0])
    if exc.errno in NO_ROOM or "No space left" in str(exc):
        what = "the file size limit is reached" if exc.errno == errno.EFBIG else "the disk is full"
        return SweepError(
            f"{path}: cannot write: {what} ({reason}); {done} runs are saved: free some "
            "space and rerun the same command to resume"
        )
    return SweepError(f"{path}: cannot write ({reason}); rerun the same command to resume")


@dataclass
class SweepStore:
    """The output folder: lock, manifest, journal of verified chunks, chunk files, merged results.

    One process at a time holds the folder (an flock on ``sweep.lock``, released by the kernel
    when the process dies, however it dies). Each journal line names one chunk with its run ids,
    row counts and SHA-256 checksums; on resume every line is checked against its files, and a
    chunk that is missing, damaged, or repeats a run is dropped and its runs done again.
    """

    out: Path
    chunk: int = 0
    done: set[int] = field(default_factory=set)
    parameters: list[str] = field(default_factory=list)  # the design's, for the tidy steps table
    identity: str = ""
    code: str = ""
    created: bool = False
    _lock: Any = None

    @property
    def journal(self) -> Path:
        return self.out / "journal.jsonl"

    def open(
        self, manifest: dict[str, Any], points: pd.DataFrame, total: int, allow_code_change: bool = False
    ) -> None:
        """Take the folder, or check that it holds this same sweep and recover what it holds."""
        if self.out.exists() and not self.out.is_dir():
            raise SweepError(f"{self.out}: exists and is not a folder; choose another --out")
        self._refuse_foreign()
        self.created = not self.out.exists()
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SweepError(f"{self.out}: cannot create the folder ({exc.strerror})") from None
        self._take_lock()
        self._refuse_foreign()  # again, now that no other sweep can be writing it
        self.identity = sweep_identity(manifest)
        self.code = manifest["code"]["sha256"]
        manifest["identity"] = self.identity
        previous = self._read_manifest()
        if previous is not None:
            if previous.get("identity", sweep_identity(previous)) != self.identity:
                raise SweepError(f"{self.out}: holds a different sweep; choose another --out")
            self._check_code(previous, manifest, allow_code_change)
            manifest["created"] = previous.get("created", manifest["created"])
            manifest["wall_time_seconds"] = previous.get("wall_time_seconds", 0.0)
        self.write_manifest(manifest)
        for folder in ("steps", "chunks"):
            (self.out / folder).mkdir(exist_ok=True)
        if not (self.out / "design.parquet").exists():
            try:
                write_atomic(self.out / "design.parquet", lambda p: points.reset_index().to_parquet(p), True)
            except OSError as exc:
                raise _write_error(exc, self.out / "design.parquet", 0) from None
        self._recover(total)

    def _refuse_foreign(self) -> None:
        """--out must be new, empty, or a trustsim sweep folder: never wipe someone's files."""
        if not self.out.is_dir():
            return
        if (self.out / "manifest.json").exists():
            try:
                kind = json.loads((self.out / "manifest.json").read_text()).get("kind", "sweep")
            except (ValueError, UnicodeError, AttributeError):
                return  # damaged: _read_manifest decides, under the lock
            if kind != "sweep":
                raise SweepError(f"{self.out}: holds a trustsim {kind}, not a sweep; choose another --out")
            return
        names = {path.name for path in self.out.iterdir()}
        if (self.out / "journal.jsonl").exists() or names <= BEFORE_MANIFEST:
            return
        raise SweepError(
            f"{self.out}: is not empty and is not a trustsim sweep folder (no manifest.json); "
            "choose a new or empty --out"
        )

    def _take_lock(self) -> None:
        lock = (self.out / LOCK).open("a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.seek(0)
            try:
                holder = json.loads(lock.read() or "{}")
            except json.JSONDecodeError:
                holder = {}
            lock.close()
            raise SweepError(
                f"{self.out}: in use by another trustsim sweep (pid {holder.get('pid', '?')} on "
                f"{holder.get('host', '?')}, since {holder.get('since', '?')}); wait for it to end, "
                "or choose another --out"
            ) from None
        lock.seek(0)
        lock.truncate()
        since = datetime.now(UTC).isoformat(timespec="seconds")
        lock.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": since}) + "\n")
        lock.flush()
        self._lock = lock

    def close(self) -> None:
        """Release the folder (the lock file stays; it is free once no process holds it)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def discard(self) -> None:
        """Remove a folder this run created and wrote no results to (the sweep could not start)."""
        if self.created and not self.journal.exists():
            self.close()
            shutil.rmtree(self.out, ignore_errors=True)

    def _read_manifest(self) -> dict[str, Any] | None:
        """The manifest, or None for a new folder. A damaged manifest (never written so by
        trustsim: it is replaced atomically) is rebuilt when the journal shows the same sweep."""
        path = self.out / "manifest.json"
        if not path.exists():
            return None
        try:
            previous = json.loads(path.read_text())
        except (ValueError, UnicodeError):
            previous = None
        if not isinstance(previous, dict) or "sweep" not in previous or "base" not in previous:
            entries = self._journal_entries()
            if not entries or all(entry.get("sweep") == self.identity for entry in entries):
                return None  # nothing finished yet, or the journal vouches for it: rewrite it
            raise SweepError(f"{path}: damaged, and the journal is of another sweep; choose another --out")
        return previous

    def _check_code(self, previous: dict[str, Any], manifest: dict[str, Any], allow: bool) -> None:
        """A resume must run the code the sweep started with, unless the user says otherwise."""
        manifest["code_changes"] = previous.get("code_changes", [])
        before = previous.get("code") or {}
        if before.get("sha256") == self.code:
            return
        now = manifest["code"]
        if not allow:
            raise SweepError(
                f"{self.out}: was started under other code (trustsim {before.get('version', '?')}, "
                f"sources {str(before.get('sha256', 'unknown'))[:12]}); this is trustsim {now['version']}, "
                f"sources {now['sha256'][:12]} from {now['path']}; rerun with --allow-code-change to "
                "resume anyway (recorded in the manifest)"
            )
        manifest["code_changes"].append(
            {"from": before, "to": now, "at": datetime.now(UTC).isoformat(timespec="seconds")}
        )

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        text = json.dumps(manifest, indent=2, default=json_default) + "\n"
        try:
            write_atomic(self.out / "manifest.json", lambda p: p.write_text(text), durable=True)
        except OSError as exc:
            raise _write_error(exc, self.out / "manifest.json", len(self.done)) from None

    def _journal_entries(self) -> list[dict[str, Any]]:
        """The journal's well-formed lines (a torn or foreign line is left out)."""
        if not self.journal.exists():
            return []
        entries = []
        for line in self.journal.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if _well_formed(entry):
                entries.append(entry)
        return entries

    def _verified(self, entry: dict[str, Any], total: int) -> bool:
        """Whether a journal entry's files are there, whole, and hold runs not yet counted."""
        runs = entry["runs"]
        if entry["sweep"] != self.identity or len(set(runs)) != len(runs) or entry["rows"] != len(runs):
            return False
        if self.done.intersection(runs) or not all(0 <= run < total for run in runs):
            return False
        name = f"part-{entry['chunk']:06d}.parquet"
        chunk, steps = self.out / "chunks" / name, self.out / "steps" / name
        if not chunk.is_file() or file_sha256(chunk) != entry["sha256"]:
            return False
        if entry["steps"] is None:
            return not steps.exists()
        return steps.is_file() and file_sha256(steps) == entry["steps"]["sha256"]

    def _recover(self, total: int) -> None:
        """Keep the journaled chunks that verify; delete every other chunk file; rewrite the journal
        if anything was dropped. Their runs are then done again."""
        text = self.journal.read_text(errors="replace") if self.journal.exists() else ""
        kept: list[dict[str, Any]] = []
        chunks: set[int] = set()
        for entry in self._journal_entries():
            if entry["chunk"] not in chunks and self._verified(entry, total):
                kept.append(entry)
                chunks.add(entry["chunk"])
                self.done.update(entry["runs"])
        lines = "".join(json.dumps(entry) + "\n" for entry in kept)
        if lines != text:
            write_atomic(self.journal, lambda p: p.write_text(lines), durable=True)
        self.chunk = max(chunks, default=-1) + 1
        for folder in (self.out / "steps", self.out / "chunks"):
            for path in folder.iterdir():
                match = CHUNK_NAME.match(path.name)
                if match and (match[2] or path.name.startswith(".") or int(match[1]) not in chunks):
                    path.unlink()

    def write_chunk(self, rows: list[dict[str, Any]], steps: list[pd.DataFrame]) -> None:
        """Write one chunk's runs and steps, fsync them and the folders, then journal the chunk
        with its row counts and checksums (the journal line flushed and fsynced too)."""
        number = self.chunk
        name = f"part-{number:06d}.parquet"
        frame = pd.DataFrame(rows)
        if "seed" in frame:  # 64-bit seeds: int64 in a chunk where all are < 2**63 merges to float64
            frame["seed"] = frame["seed"].astype(np.uint64)
        chunk_path, steps_path = self.out / "chunks" / name, self.out / "steps" / name
        try:
            write_atomic(chunk_path, lambda p: frame.to_parquet(p, index=False), durable=True)
            entry: dict[str, Any] = {
                "chunk": number,
                "runs": [int(row["run_id"]) for row in rows],
                "rows": len(frame),
                "sha256": file_sha256(chunk_path),
                "steps": None,
                "sweep": self.identity,
                "code": self.code,
            }
            if steps:
                merged = pd.concat(steps, ignore_index=True)
                write_atomic(steps_path, lambda p: merged.to_parquet(p, index=False), durable=True)
                entry["steps"] = {"rows": len(merged), "sha256": file_sha256(steps_path)}
            new = not self.journal.exists()
            with self.journal.open("a") as journal:
                journal.write(json.dumps(entry) + "\n")
                journal.flush()
                os.fsync(journal.fileno())
            if new:
                fsync(self.out)
        except OSError as exc:
            raise _write_error(exc, self.out / "chunks" / name, len(self.done)) from None
        self.done.update(entry["runs"])
        self.chunk += 1

    def finalize(self) -> pd.DataFrame:
        """Merge the chunks into runs.parquet (ordered by run id) and failures.jsonl."""
        parts = sorted((self.out / "chunks").glob("part-*.parquet"))
        runs = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True) if parts else pd.DataFrame()
        if not runs.empty:
            if runs["run_id"].duplicated().any():  # the journal check makes this impossible
                raise SweepError(f"{self.out}: a run is recorded twice; rerun the same command to repair")
            runs = _normalize(runs.sort_values("run_id", kind="stable").reset_index(drop=True))
        failed = runs[runs["status"] == "failed"] if not runs.empty else runs
        lines = [
            json.dumps(
                {
                    key: row[key]
                    for key in row.index
                    if key not in ("status",) and not (isinstance(row[key], float) and np.isnan(row[key]))
                },
                default=json_default,
            )
            for _, row in failed.iterrows()
        ]
        tidy = tidy_steps(runs, sorted((self.out / "steps").glob("part-*.parquet")), self.parameters)
        try:
            write_atomic(self.out / "runs.parquet", lambda p: runs.to_parquet(p, index=False), durable=True)
            write_atomic(self.out / "steps.parquet", lambda p: tidy.to_parquet(p, index=False), durable=True)
            text = "".join(f"{x}\n" for x in lines)
            write_atomic(self.out / "failures.jsonl", lambda p: p.write_text(text), durable=True)
        except OSError as exc:
            raise _write_error(exc, self.out / "runs.parquet", len(self.done)) from None
        return runs


def tidy_steps(runs: pd.DataFrame, parts: list[Path], parameters: list[str]) -> pd.DataFrame:
    """One row per finished run and step, step 0 included, with the run's identity and design
    parameters as columns: ``steps.parquet``, for pandas, DuckDB or Polars without a join.

    Step 0 is the state before the first step: the model records its measures after each step, so
    step 0 holds the initial mean trust from the run's outcome summary and leaves the others empty."""
    ok = runs[runs["status"] == "ok"] if not runs.empty else runs
    keys = [c for c in ["run_id", "point", "replication", "seed", *parameters] if c in ok.columns]
    steps = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True) if parts else pd.DataFrame()
    if ok.empty or steps.empty:
        return pd.DataFrame(columns=[*keys, "step"])
    start = ok[["run_id"]].assign(step=0)
    if "mean_trust" in steps and "initial_mean_trust" in ok:
        start["mean_trust"] = ok["initial_mean_trust"].to_numpy()
    steps = pd.concat([start, steps], ignore_index=True).sort_values(["run_id", "step"], kind="stable")
    tidy = ok[keys].merge(steps, on="run_id", how="inner")
    if "seed" in tidy:
        tidy["seed"] = tidy["seed"].astype(np.uint64)
    return tidy.reset_index(drop=True)


def _well_formed(entry: Any) -> bool:
    """The shape of a journal line: chunk number, run ids, row count, checksums."""
    if not isinstance(entry, dict):
        return False
    steps = entry.get("steps", False)
    return (
        type(entry.get("chunk")) is int
        and entry["chunk"] >= 0
        and isinstance(entry.get("runs"), list)
        and all(type(run) is int for run in entry["runs"])
        and type(entry.get("rows")) is int
        and isinstance(entry.get("sha256"), str)
        and isinstance(entry.get("sweep"), str)
        and (steps is None or (isinstance(steps, dict) and isinstance(steps.get("sha256"), str)))
    )


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
    allow_code_change: bool = False,
) -> SweepOutcome:
    """Run every run of the sweep not yet in ``out``'s journal; merge the results."""
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
    store = SweepStore(out, parameters=list(points.columns))
    try:
        store.open(manifest, points, len(runs), allow_code_change)
        try:
            executor = make_executor(workers, dask)
        except BaseException:
            store.discard()
            raise
        try:
            return _run(sweep, store, manifest, points, runs, executor, source, progress)
        finally:
            executor.close()
    finally:
        store.close()


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
    stop = sweep.stop.model_dump() if sweep.stop else None
    measures = sweep.kept_measures()
    params = list(points.columns)
    values = todo[params].to_dict("records")
    parent = os.getpid() if executor.local else None
    code, base = manifest["code"]["sha256"], manifest["base"]
    tasks = (
        Task(int(run_id), int(seed), point, base, measures, stop, code, parent)
        for run_id, seed, point in zip(todo["run_id"], todo["seed"], values, strict=True)
    )
    # object columns: a row of an all-numeric frame would be float64, rounding 64-bit seeds
    lookup = todo.set_index("run_id").astype(object)
    started = time.perf_counter()
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
    except (SweepError, KeyboardInterrupt):
        raise
    except Exception as exc:  # the pool or the cluster failed: keep what finished, say so in one line
        if rows:
            store.write_chunk(rows, steps)
        what = "a worker" if isinstance(exc, WrongCode) else executor.name
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else "no details"
        raise SweepError(
            f"{source}: {what} failed ({type(exc).__name__}: {detail[:300]}); {len(store.done)} of "
            f"{len(runs)} runs are saved in {store.out}: rerun the same command to resume"
        ) from None
    if rows:
        store.write_chunk(rows, steps)
    wall = time.perf_counter() - started
    merged = store.finalize()
    manifest["wall_time_seconds"] = round(manifest["wall_time_seconds"] + wall, 3)
    manifest["completed"] = int((merged["status"] == "ok").sum()) if not merged.empty else 0
    manifest["failed"] = int((merged["status"] == "failed").sum()) if not merged.empty else 0
    store.write_manifest(manifest)
    return SweepOutcome(store.out, len(runs), manifest["completed"], manifest["failed"], skipped, wall)
