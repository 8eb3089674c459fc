"""What a sweep's worker runs: one task, a batch of runs of one design point.

The runs of a task step together in one batched model (``simulate_batch``: each run in it exactly
its run alone) when the model takes them as a batch; otherwise, and whenever the batch fails, each
run goes alone (``simulate``), so that every run gets its own outcome or its own error. Either way a
run's results depend on its parameters and its seed only.
"""

from __future__ import annotations

import contextlib
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from trustsim.config.schema import Scenario
from trustsim.config.sweep import scenario_with
from trustsim.execution.executors import watch_parent
from trustsim.execution.run import RunResult, batchable, code_version, simulate, simulate_batch


@dataclass
class Task:
    """Runs of one design point (``values``), one per seed: the unit a worker is handed."""

    run_ids: list[int]
    seeds: list[int]
    values: dict[str, Any]
    base: dict[str, Any]
    measures: list[str]
    stop: dict[str, Any] | None
    code: str = ""  # SHA-256 of the sources the sweep runs: a worker with other code refuses
    parent: int | None = None  # pid of the sweep, for workers on this machine to watch
    dyads: bool = False  # keep each run's per-dyad records (a sweep's ``dyads: true``)


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


def execute(task: Task) -> list[dict[str, Any]]:
    """Run the task's runs, batched when the model allows; one result per run, in the task's order.
    A run's error is caught and returned as its failed result."""
    check_worker(task.code, task.parent)
    until = _stop_condition(task.stop)
    if len(task.seeds) > 1:
        started = time.perf_counter()
        try:
            scenario = run_scenario(task, task.run_ids[0], task.seeds[0])
            batch = simulate_batch(scenario, task.seeds, until=until) if batchable(scenario) else None
        except Exception:  # refused or failed: each run alone says what is wrong with it
            batch = None
        if batch is not None:
            wall = (time.perf_counter() - started) / len(task.seeds)
            results = [
                _ok(task, run_id, result, wall, steps=False)
                for run_id, result in zip(task.run_ids, batch, strict=True)
            ]
            if task.measures:  # the batch's steps in one table, carried by its first run's result
                results[0]["steps"] = steps_table(task.measures, task.run_ids, [r.model for r in batch])
            return results
    return [_alone(task, run_id, seed, until) for run_id, seed in zip(task.run_ids, task.seeds, strict=True)]


WARM_UP_STATES = 200  # larger scenarios are not warmed up: their runs dwarf the kernels' loading


def state_count(base: dict[str, Any]) -> int:
    """The states of one run of ``base`` (a scenario as data): listed, or generated."""
    return len(base.get("states") or []) or int((base.get("network") or {}).get("n") or 1)


def warm_up(base: dict[str, Any]) -> None:
    """One step of the sweep's base scenario, two runs batched when it batches, to load the
    compiled kernels its runs call (numba reads each from its cache at its first call: about 0.3 s
    a process). A sweep calls it before it forks its workers, or a fork server's worker as it
    starts (``executors.settle``), instead of each worker in its first task. Only for scenarios of
    up to ``WARM_UP_STATES`` states: building a larger one, in the sweep's own process, costs
    seconds and memory for the same saving. What fails here is left for the runs to report."""
    if state_count(base) > WARM_UP_STATES:
        return
    fixed = {"record.model": True, "record.dyads": False, "record.attribution": False}
    with contextlib.suppress(Exception):
        scenario = scenario_with(base, fixed, "warm-up")
        if batchable(scenario):
            simulate_batch(scenario, [scenario.seed, scenario.seed + 1], until=_first_step)
        else:
            simulate(scenario, until=_first_step)


def _first_step(model: Any) -> bool:
    return True


def run_scenario(task: Task, run_id: int, seed: int) -> Scenario:
    """The scenario of one run: the point's values and the seed on the base; model-level measures
    kept, dyad rows only when the sweep asks, attribution never (it is for single runs)."""
    fixed = {"seed": seed, "record.model": True, "record.dyads": task.dyads, "record.attribution": False}
    return scenario_with(task.base, {**task.values, **fixed}, f"run {run_id}")


def _alone(task: Task, run_id: int, seed: int, until: Callable | None) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = simulate(run_scenario(task, run_id, seed), until=until)
        return _ok(task, run_id, result, time.perf_counter() - started)
    except Exception as exc:  # a failing run is recorded and the sweep goes on
        return {
            "run_id": run_id,
            "status": "failed",
            "outcome": {},
            "steps": None,
            "initial": None,
            "dyads": None,
            "wall_time": time.perf_counter() - started,
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
        }


def steps_table(measures: list[str], run_ids: list[int], frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The steps tables of runs as one: ``run_id``, ``step`` and the kept measures, each run's rows
    in step order, the runs in the given order; the same columns, values and dtypes as each run's
    table stacked. A batch hands its steps to the sweep so, in one table rather than one per run:
    building, pickling and unpickling 64 small frames had cost about a third of a europe task.
    The frames are stacked by one ``pd.concat``, not read a column at a time from each."""
    lengths = [len(frame) for frame in frames]
    whole = pd.concat(frames)
    columns: dict[str, Any] = {
        "run_id": np.repeat(np.asarray(run_ids, dtype=np.int64), lengths),
        "step": whole.index.to_numpy(),
    }
    for name in measures:
        columns[name] = whole[name].to_numpy()
    return pd.DataFrame(columns)


def _ok(task: Task, run_id: int, result: RunResult, wall: float, steps: bool = True) -> dict[str, Any]:
    """A run's result as the sweep stores it; ``steps=False`` leaves its steps table to the caller
    (a batch's, in one ``steps_table``)."""
    dyads = None
    if task.dyads and result.dyads is not None:
        dyads = result.dyads
        dyads.insert(0, "run_id", run_id)
    table = initial = None
    if task.measures:
        if steps:
            table = result.model[task.measures].reset_index()
            table.insert(0, "run_id", run_id)
        initial = {"run_id": run_id, "step": 0, **{name: result.initial[name] for name in task.measures}}
    return {
        "run_id": run_id,
        "status": "ok",
        "outcome": result.summary,
        "steps": table,
        "initial": initial,  # step 0: the measures of the initial state
        "dyads": dyads,
        "wall_time": wall,
        "error": None,
        "traceback": None,
    }


def _stop_condition(stop: dict[str, Any] | None) -> Callable | None:
    if stop is None:
        return None
    measure, below, above = stop["measure"], stop.get("below"), stop.get("above")

    def until(model: Any) -> bool:
        value = model.datacollector.model_vars[measure][-1]
        return value < below if below is not None else value > above

    return until
