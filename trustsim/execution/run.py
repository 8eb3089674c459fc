"""Running one scenario and writing its records: model.parquet, dyads.parquet, manifest.json."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import platform
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trustsim.config.schema import Scenario
from trustsim.model import records
from trustsim.model.model import TrustModel
from trustsim.model.world import KIND_CODES

PACKAGES = ("trustsim", "mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "networkx")


@dataclass
class RunResult:
    model: pd.DataFrame
    dyads: pd.DataFrame | None
    attribution: pd.DataFrame | None
    summary: dict[str, Any]
    wall_time: float
    network: dict[str, Any]
    # The model-level measures of the initial state (step 0; NaN for those only a step has), when
    # the run records its measures: a sweep writes them as step 0 of steps.parquet.
    initial: dict[str, Any] = field(default_factory=dict)


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@cache
def code_version() -> dict[str, str]:
    """The code this process runs: trustsim's version, where it is imported from, and a SHA-256 of
    its sources (every .py and .yaml file under the package, by relative path), so two runs agree
    on the code exactly when the hashes do, wherever the package is installed."""
    import trustsim

    package = Path(trustsim.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".yaml") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return {"version": trustsim.__version__, "sha256": digest.hexdigest(), "path": str(package)}


def first_step(condition: np.ndarray) -> int | None:
    """The first step (1 for the first row) at which ``condition`` holds, or None."""
    hits = np.flatnonzero(condition)
    return int(hits[0]) + 1 if len(hits) else None


def summarize(steps: Mapping[str, Any], model: TrustModel) -> dict[str, Any]:
    """Outcome of a run from its measures at steps 1, 2, ... (a steps table, or its columns as
    arrays): final trust, time to recovery or to congealing, peak escalation. NumPy arithmetic
    (a mean is numpy's pairwise sum over the count, as pandas without bottleneck computes it).

    Empty when the model-level measures were not recorded (``record.model: false``).
    """
    if "mean_trust" not in steps or not len(steps["mean_trust"]):
        return {}

    def column(name: str) -> np.ndarray:
        return np.asarray(steps[name])

    config = model.config
    threshold = config.outcomes.recovery_threshold
    start = float(np.take(model.initial_trust.ravel(), model.flat_src_dst).mean())
    dyads = model.n_edges
    trust, congealed, escalatory = column("mean_trust"), column("congealed_dyads"), column("share_escalatory")
    return {
        "initial_mean_trust": start,
        "final_mean_trust": float(trust[-1]),
        "final_min_trust": float(column("min_trust")[-1]),
        "share_constructive": float(column("share_constructive").mean()),
        "share_escalatory": float(escalatory.mean()),
        "final_congealed_dyads": int(congealed[-1]),
        "dyads": dyads,
        "time_to_recovery": first_step(trust >= threshold) if start < threshold else None,
        "time_to_congealing": first_step(congealed >= dyads / 2),
        "peak_escalation": float(escalatory.max()),
        "peak_crises": int(column("crises").max()),
        "peak_mean_posture": float(column("mean_posture").max()),
        "final_mutual_security": float(column("mutual_security")[-1]),
        "final_national_security": float(column("national_security")[-1]),
    }


def simulate(
    config: Scenario,
    progress: Callable[[], None] | None = None,
    until: Callable[[TrustModel], bool] | None = None,
) -> RunResult:
    """Build the model from ``config`` and run it for ``config.steps`` steps (or ``until``)."""
    started = time.perf_counter()
    model = TrustModel(config)
    initial = initial_measures(model)[0]
    deferred = until is None and config.record.model  # nothing reads the collector before the end
    if deferred:
        model.deferred_collection()
    model.run(progress=progress, until=until)
    if deferred:  # the values and dtypes its DataCollector would hold (tests/test_batch.py)
        frame = pd.DataFrame({name: values[0] for name, values in model.deferred_columns().items()})
    else:
        frame = model.datacollector.get_model_vars_dataframe()
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="step")
    dyads = model.dyad_log.frame(model) if model.dyad_log is not None else None
    attribution = model.attribution.frame(model) if model.attribution is not None else None
    wall = time.perf_counter() - started
    summary = summarize(frame, model)
    return RunResult(frame, dyads, attribution, summary, wall, describe_network(model), initial)


def initial_measures(model: TrustModel) -> list[dict[str, Any]]:
    """Per copy of the model (one for a single run), its measures before the first step, as plain
    numbers; empty when the run does not record its measures."""
    if not model.config.record.model:
        return [{} for _ in range(model.copies)]
    values = records.measures(model)
    return [{name: column[b].item() for name, column in values.items()} for b in range(model.copies)]


def batchable(config: Scenario) -> bool:
    """Whether runs of ``config`` can step together (``TrustModel(config, copies=seeds)``), checked
    before anything is built (``TrustModel.batch_refusal``)."""
    return TrustModel.batch_refusal(config) is None


def simulate_batch(
    config: Scenario, seeds: list[int], until: Callable[[Any], bool] | None = None
) -> list[RunResult]:
    """The runs of ``config`` with each of ``seeds``, stepped together in one batched model, each
    exactly ``simulate`` of ``config`` with that seed (tests/test_batch.py). A run that meets
    ``until`` is cut at that step: the copies share no state, so the steps the batch takes after
    it change nothing of the others, and the run's records stop where its run alone would."""
    started = time.perf_counter()
    model = TrustModel(config, copies=seeds)
    initial = initial_measures(model)
    stopped: list[int | None] = [None] * len(seeds)
    deferred = until is None and config.record.model  # nothing reads the collectors before the end
    if deferred:
        model.deferred_collection()
    for _ in range(config.steps):
        model.step()
        if until is not None:
            for b, (_, view) in enumerate(model.collectors):
                if stopped[b] is None and until(view):
                    stopped[b] = model.steps
            if all(stop is not None for stop in stopped):
                break
    wall = (time.perf_counter() - started) / len(seeds)
    # Per copy, its steps table and the same columns as arrays (summarized before any frame).
    tables: list[tuple[pd.DataFrame, dict[str, np.ndarray]]] = []
    if deferred:
        # One frame for the whole batch, each copy's rows a slice of it: a frame per copy cost as
        # much as a tenth of a small batch. The same values and dtypes as the copy's collector.
        stacked, steps = model.deferred_columns(), model.steps
        whole = pd.DataFrame({name: values.reshape(-1) for name, values in stacked.items()})
        index = pd.RangeIndex(1, steps + 1, name="step")
        for b in range(len(seeds)):
            frame = whole.iloc[b * steps : (b + 1) * steps].set_axis(index, axis=0)
            tables.append((frame, {name: values[b] for name, values in stacked.items()}))
    else:
        for (collector, _), stop in zip(model.collectors, stopped, strict=True):
            # each copy's DataFrame as its collector's get_model_vars_dataframe would give it, cut
            # at its stop
            columns = {name: np.asarray(values[:stop]) for name, values in collector.model_vars.items()}
            index = pd.RangeIndex(1, len(columns["mean_trust"]) + 1, name="step")
            tables.append((pd.DataFrame(columns, index=index), columns))
    return [
        RunResult(frame, None, None, summarize(columns, view), wall, describe_network(view), start)
        for (frame, columns), (_, view), start in zip(tables, model.collectors, initial, strict=True)
    ]


def describe_network(model: TrustModel) -> dict[str, Any]:
    """The states and relations as run (generated networks included), for analysis."""
    kinds = {code: kind for kind, code in KIND_CODES.items()}
    half = model.first_half
    return {
        "states": model.codes,
        "blocs": [state.bloc for state in model.states],
        "edges": [
            [model.codes[a], model.codes[b], kinds[k]]
            for a, b, k in zip(model.src[half], model.dst[half], model.edge_kind[half], strict=True)
        ],
        "initiator": None if model.initiator is None else model.codes[model.initiator],
        "hops": model.hops.tolist(),
    }


def default_out_dir(name: Scenario | str, root: Path = Path("runs")) -> Path:
    """``runs/<name>-<UTC time>``: the default folder of a run, a sweep or the demo."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return root / f"{name if isinstance(name, str) else name.name}-{stamp}"


NO_ROOM = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def write_atomic(path: Path, write: Callable[[Path], None], durable: bool = False) -> None:
    """Write through a temporary name and rename, so a half-written file never looks complete; on
    failure the temporary file is removed. ``durable``: the file and then its folder are fsynced,
    so the file is on disk before anything that names it is written."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        write(partial)
        if durable:
            fsync(partial)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if durable:
        fsync(path.parent)


def fsync(path: Path) -> None:
    """Flush a file, or a folder's entries, to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def json_default(value: Any) -> Any:
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def write_run(result: RunResult, config: Scenario, out_dir: Path, source: str | None = None) -> Path:
    """Write the run's records into ``out_dir``; the manifest is written last."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(out_dir / "model.parquet", lambda p: result.model.reset_index().to_parquet(p, index=False))
    if result.dyads is not None:
        write_atomic(out_dir / "dyads.parquet", lambda p: result.dyads.to_parquet(p, index=False))
    if result.attribution is not None:
        write_atomic(out_dir / "attribution.parquet", lambda p: result.attribution.to_parquet(p, index=False))
    manifest = {
        "kind": "run",
        "scenario": config.name,
        "source": source,
        "seed": config.seed,
        "steps": config.steps,
        "config": config.model_dump(mode="json", by_alias=True),
        "versions": package_versions(),
        "wall_time_seconds": round(result.wall_time, 4),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "summary": result.summary,
        "network": result.network,
    }
    text = json.dumps(manifest, indent=2, default=json_default)
    write_atomic(out_dir / "manifest.json", lambda p: p.write_text(text + "\n"))
    return out_dir
