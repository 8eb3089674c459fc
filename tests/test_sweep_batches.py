"""Sweeps in batches: a worker steps a design point's runs together in one batched model, and every
file a sweep writes is the same, bit for bit, whatever the batching, the worker count or the backend.
Also what batching brings with it: step 0 of the steps table (the initial state), and per-dyad records
in sweeps when asked, within the dyad-row limit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from support import trustsim_command
from test_sweep import cli_env, invoke, read_runs, sweep_data, write_sweep

import trustsim.execution.worker as worker_module
from trustsim.config.checks import MAX_DYAD_ROWS
from trustsim.config.loading import CONFIG_DIR
from trustsim.config.sweep import Sweep, load_sweep, scenario_with
from trustsim.execution.run import simulate, simulate_batch
from trustsim.execution.sweep import run_sweep
from trustsim.execution.worker import WARM_UP_STATES
from trustsim.model import records
from trustsim.model.model import TrustModel

STEP = {"step": 3, "actor": "RUS", "action": "limit_military_exercises", "declared": True, "duration": 10}
# europe with its small step: 2 points x 5 replications, the runs of a point stepped as one batch
EUROPE = sweep_data(
    name="europe-batches",
    base=str(CONFIG_DIR / "europe.yaml"),
    steps=20,
    set={"interventions": [STEP]},
    design={"kind": "grid", "parameters": {"trust.congeal_rate": [0.01, 0.1]}},
    replications=5,
    common_random_numbers=False,
)


def files(out: Path) -> dict[str, pd.DataFrame]:
    """The merged results as read back: runs (without wall_time, the one column that may differ),
    steps and, when written, dyads."""
    tables = {"runs": read_runs(out), "steps": pd.read_parquet(out / "steps.parquet")}
    if (out / "dyads.parquet").exists():
        tables["dyads"] = pd.read_parquet(out / "dyads.parquet")
    return tables


def assert_same_files(out: Path, reference: Path) -> None:
    mine, theirs = files(out), files(reference)
    assert mine.keys() == theirs.keys()
    for name, table in mine.items():
        pd.testing.assert_frame_equal(table, theirs[name], check_exact=True, obj=name)


def counting_batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the size of every batch the in-process worker steps."""
    sizes: list[int] = []

    def batch(scenario, seeds, **kwargs):
        sizes.append(len(seeds))
        return simulate_batch(scenario, seeds, **kwargs)

    monkeypatch.setattr(worker_module, "simulate_batch", batch)
    return sizes


@pytest.fixture(scope="module")
def one_by_one(tmp_path_factory) -> Path:
    """The europe sweep with batching off (batch_size 1), in this process: the reference."""
    folder = tmp_path_factory.mktemp("one-by-one")
    out = folder / "out"
    result = invoke("sweep", write_sweep(folder, {**EUROPE, "batch_size": 1}), "--out", out, "--workers", 1)
    assert result.exit_code == 0, result.stderr
    return out


def test_a_batched_sweep_writes_the_same_files_as_one_run_at_a_time(tmp_path, one_by_one, monkeypatch):
    sizes = counting_batches(monkeypatch)
    out = tmp_path / "out"
    result = invoke("sweep", write_sweep(tmp_path, EUROPE), "--out", out, "--workers", 1)
    assert result.exit_code == 0, result.stderr
    assert sorted(sizes) == [5, 5]  # each design point's replications stepped together
    assert_same_files(out, one_by_one)
    runs = read_runs(out)
    assert runs["seed"].nunique() == 10 and runs["final_mean_trust"].nunique() == 10


@pytest.mark.parametrize("backend", [["--workers", "2"], ["--dask", "local", "--workers", "2"]])
def test_two_workers_and_dask_write_the_same_files_as_one_run_at_a_time(tmp_path, one_by_one, backend):
    out = tmp_path / "out"
    command = [*trustsim_command(), "sweep", str(write_sweep(tmp_path, EUROPE)), "--out", str(out)]
    done = subprocess.run([*command, *backend], capture_output=True, text=True, env=cli_env(), timeout=300)
    assert done.returncode == 0, done.stderr
    assert "10 runs ok, 0 failed" in done.stdout
    assert_same_files(out, one_by_one)


def test_a_pool_forks_only_from_one_thread_on_linux(monkeypatch):
    from trustsim.execution import executors

    monkeypatch.setattr(executors.sys, "platform", "linux")
    monkeypatch.setattr(executors.threading, "active_count", lambda: 1)
    assert executors.start_method() == "fork"
    monkeypatch.setattr(executors.threading, "active_count", lambda: 2)  # a caller's thread
    assert executors.start_method() == "forkserver"
    monkeypatch.setattr(executors.threading, "active_count", lambda: 1)
    monkeypatch.setattr(executors.sys, "platform", "darwin")  # fork is unsafe on macOS
    assert executors.start_method() == "forkserver"


def test_forked_workers_start_at_once_with_one_blas_thread():
    """A fork pool from a one-thread process (as the command line is): its workers are the sweep's own
    children, forked when the pool is made, and run BLAS on one thread; they hold the modules they
    inherited out of the collector's full passes (``executors.settle``), the sweep does not."""
    from trustsim.execution import executors

    script = (
        "import gc, numpy, psutil, threadpoolctl; from trustsim.execution.executors import ProcessPool\n"
        "before = gc.get_freeze_count()\n"
        "pool = ProcessPool(2)\n"
        "info = pool.pool.submit(threadpoolctl.threadpool_info).result()\n"
        "blas = sorted({d['num_threads'] for d in info if d['user_api'] == 'blas'})\n"
        "frozen = pool.pool.submit(gc.get_freeze_count).result()\n"
        "same = gc.get_freeze_count() == before\n"
        "print(pool.method, len(psutil.Process().children()), blas, frozen > 20_000, same)\n"
        "pool.close()"
    )
    env = {k: v for k, v in cli_env().items() if k not in executors.BLAS_THREAD_VARS}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["fork", "2", "[1]", "True", "True"], done.stdout


@pytest.mark.parametrize("states, loads", [(40, True), (WARM_UP_STATES + 1, False)])
def test_a_warm_up_loads_the_kernels_the_runs_call(states, loads):
    """``worker.warm_up`` (what a sweep runs before it forks its workers) steps the base scenario once,
    whatever its length and schedule: here the quickstart's network, whose announced step comes at
    step 10. A fresh interpreter holds no compiled kernel before, and most of them after. A larger
    scenario than ``WARM_UP_STATES`` is left alone: its build would cost more than it saves."""
    script = (
        "from numba.core.registry import CPUDispatcher\n"
        "import trustsim.model.kernels as kernels\n"
        "from trustsim.config.loading import load_scenario\n"
        "from trustsim.execution.worker import warm_up\n"
        "step = '[{step: 10, actor: S000, action: open_dialogue, declared: true, duration: 15}]'\n"
        f"scenario = load_scenario('random_network', ['network.n={states}', f'interventions={{step}}'])\n"
        "def loaded():\n"
        "    return sum(bool(k.overloads) for k in vars(kernels).values() if isinstance(k, CPUDispatcher))\n"
        "before = loaded()\n"
        "warm_up(scenario.model_dump(mode='json', by_alias=True))\n"
        "print(before, loaded())\n"
    )
    command = [sys.executable, "-c", script]
    done = subprocess.run(command, capture_output=True, text=True, env=cli_env(), timeout=300)
    assert done.returncode == 0, done.stderr
    before, after = map(int, done.stdout.split())
    assert before == 0 and (after >= 20 if loads else after == 0), done.stdout


def test_workers_from_a_fork_server_hold_their_modules_out_of_full_collections():
    """``executors.settle``: a worker's imported modules (over 50,000 objects: NumPy, pandas, numba,
    Mesa, trustsim) are frozen, so that the full collections a batch's many small objects trigger
    walk only what the runs made (docs/performance.md, session 16)."""
    import gc

    from trustsim.execution import executors

    before = gc.get_freeze_count()
    pool = executors.ProcessPool(2, method="forkserver")
    try:
        frozen = [pool.pool.submit(gc.get_freeze_count).result() for _ in range(4)]
    finally:
        pool.close()
    assert min(frozen) > 50_000, frozen
    assert gc.get_freeze_count() == before  # this process (a sweep's, a caller's) is left as it was


def test_a_dask_clusters_workers_warm_up_and_settle_as_they_join():
    """``executors.DaskCluster`` registers ``dask_worker.Settle``: each worker of a LocalCluster has the
    base scenario's kernels loaded and its modules frozen before the first task, as a process pool's
    workers do; this process is left as it was."""
    pytest.importorskip("dask.distributed")
    import gc
    from functools import partial

    from trustsim.config.loading import load_scenario
    from trustsim.execution import executors
    from trustsim.execution.worker import warm_up

    def kernels_loaded_and_frozen() -> tuple[int, int]:  # in a worker (nested: sent by value)
        import gc

        from numba.core.registry import CPUDispatcher

        import trustsim.model.kernels as kernels

        loaded = sum(bool(k.overloads) for k in vars(kernels).values() if isinstance(k, CPUDispatcher))
        return loaded, gc.get_freeze_count()

    base = load_scenario("europe").model_dump(mode="json", by_alias=True)
    before = gc.get_freeze_count()
    cluster = executors.DaskCluster("local", 2, warm=partial(warm_up, base))
    try:
        found = cluster.client.run(kernels_loaded_and_frozen)
    finally:
        cluster.close()
    assert len(found) == 2
    for loaded, frozen in found.values():
        assert loaded >= 20 and frozen > 50_000, found
    assert gc.get_freeze_count() == before


def test_workers_from_a_fork_server_write_the_same_files(tmp_path, one_by_one, monkeypatch):
    """The start a pool falls back to beside other threads (a caller's, say): the same files."""
    from trustsim.execution import executors

    monkeypatch.setattr(executors, "start_method", lambda: "forkserver")
    spec, base = load_sweep(write_sweep(tmp_path, EUROPE))
    out = tmp_path / "out"
    outcome = run_sweep(spec, base, "forkserver", out, workers=2)
    assert (outcome.completed, outcome.failed) == (10, 0)
    assert_same_files(out, one_by_one)


def test_a_resumed_sweep_may_change_its_batch_size(tmp_path, one_by_one, monkeypatch):
    """batch_size is not part of the sweep's identity: it changes no result."""
    import itertools
    import time

    out = tmp_path / "out"
    config = write_sweep(tmp_path, {**EUROPE, "batch_size": 3})
    sweep, base = load_sweep(config)
    clock = itertools.count(0.0, 6.0)  # 6 s between batches: a chunk per batch
    with monkeypatch.context() as patch:
        patch.setattr(time, "monotonic", lambda: next(clock))
        run_sweep(sweep, base, str(config), out, workers=1)
    (out / "runs.parquet").unlink()
    lines = (out / "journal.jsonl").read_text().splitlines(keepends=True)
    assert len(lines) >= 2  # batches of 3, 2 and 3, 2 runs: several chunks
    (out / "journal.jsonl").write_text("".join(lines[:1]))  # the later chunks lost
    result = invoke("sweep", write_sweep(tmp_path, EUROPE), "--out", out, "--workers", 1)
    assert result.exit_code == 0, result.stderr
    assert "already done" in result.stdout
    assert_same_files(out, one_by_one)


@pytest.mark.parametrize(("generator", "batched"), [("watts_strogatz", [3, 3]), ("erdos_renyi", [])])
def test_generated_networks_batch_when_their_size_is_fixed_with_the_same_results(
    tmp_path, monkeypatch, generator, batched
):
    """Each seed draws its own network: a batch holds each seed's (a small-world network has as many
    relations whatever the seed); an Erdos-Renyi network's runs go alone. The files are the same."""
    sizes = counting_batches(monkeypatch)
    data = sweep_data(
        base=str(CONFIG_DIR / "random_network.yaml"),
        set={"network.n": 12, "network.generator": generator},
        steps=8,
        design={"kind": "grid", "parameters": {"trust.congeal_rate": [0.01, 0.1]}},
        replications=3,
    )
    outs = []
    for batch_size in (1, 64):
        out = tmp_path / f"batch-{batch_size}"
        config = write_sweep(tmp_path, {**data, "batch_size": batch_size}, f"{batch_size}.yaml")
        assert invoke("sweep", config, "--out", out, "--workers", 1).exit_code == 0
        outs.append(out)
    assert sorted(sizes) == batched
    assert_same_files(outs[1], outs[0])


def test_step_0_of_the_steps_table_is_the_initial_state_of_each_run(tmp_path, one_by_one):
    steps = pd.read_parquet(one_by_one / "steps.parquet")
    runs = pd.read_parquet(one_by_one / "runs.parquet")
    start = steps[steps["step"] == 0].set_index("run_id")
    assert len(start) == len(runs) == 10
    base = load_sweep(write_sweep(tmp_path, EUROPE))[1]
    for run in (0, 7):
        row = runs.iloc[run]
        values = {"trust.congeal_rate": row["trust.congeal_rate"], "seed": int(row["seed"])}
        model = TrustModel(scenario_with(base, values, f"run {run}"))
        expected = {name: column[0] for name, column in records.measures(model).items()}
        for name, value in expected.items():
            got = start.loc[run, name]
            assert got == value or (np.isnan(value) and np.isnan(got)), name
    assert start["mean_trust"].to_numpy() == pytest.approx(runs["initial_mean_trust"].to_numpy(), abs=1e-12)
    assert start["share_constructive"].isna().all() and start["crises"].eq(0).all()
    assert start["trust_in_initiator_1hop"].notna().all()  # the state's measures are there
    assert steps.groupby("run_id")["step"].agg(list).map(lambda s: s == list(range(21))).all()


def test_simulate_and_simulate_batch_keep_the_same_initial_measures():
    config = scenario_with(
        load_sweep_base(), {"steps": 5, "record.dyads": False, "record.attribution": False}, "test"
    )
    seeds = [11, 12, 13]
    batch = simulate_batch(config, seeds)
    for result, seed in zip(batch, seeds, strict=True):
        alone = simulate(config.model_copy(update={"seed": seed}))
        assert result.initial.keys() == alone.initial.keys() == set(records.MODEL_REPORTERS)
        for name, value in alone.initial.items():
            assert result.initial[name] == value or (np.isnan(value) and np.isnan(result.initial[name]))


def load_sweep_base() -> dict[str, Any]:
    from trustsim.config.loading import read_yaml

    raw = read_yaml(CONFIG_DIR / "europe.yaml")
    return scenario_with(raw, {"interventions": [STEP]}, "europe").model_dump(mode="json", by_alias=True)


# -- per-dyad records in sweeps --------------------------------------------------------------------

DYADS = sweep_data(dyads=True, steps=24, replications=2)  # 4 points x 2 replications of the dyad


def test_a_sweep_with_dyads_writes_every_runs_dyad_records_with_its_run_id(tmp_path):
    config = write_sweep(tmp_path, DYADS)
    out = tmp_path / "one"
    result = invoke("sweep", config, "--out", out, "--workers", 1)
    assert result.exit_code == 0, result.stderr
    dyads = pd.read_parquet(out / "dyads.parquet")
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(dyads) == 8 * 24 * 2  # runs x steps x directed dyads
    assert dyads["run_id"].tolist() == sorted(dyads["run_id"])
    base = load_sweep(config)[1]
    for run in (0, 5):
        row = runs.iloc[run]
        values = {p: row[p] for p in ("perception.noise", "trust.congeal_rate")}
        scenario = scenario_with(base, {**values, "seed": int(row["seed"]), "record.attribution": False}, "t")
        alone = simulate(scenario).dyads
        mine = dyads[dyads["run_id"] == run].drop(columns="run_id").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone, check_exact=True, check_categorical=False)
    # the same file from two workers
    two = tmp_path / "two"
    command = [*trustsim_command(), "sweep", str(config), "--out", str(two), "--workers", "2"]
    done = subprocess.run(command, capture_output=True, text=True, env=cli_env(), timeout=300)
    assert done.returncode == 0, done.stderr
    assert_same_files(two, out)


def test_a_damaged_dyads_part_is_redone_on_resume(tmp_path):
    config = write_sweep(tmp_path, DYADS)
    sweep, base = load_sweep(config)
    whole = tmp_path / "whole"
    run_sweep(sweep, base, str(config), whole, workers=1)
    entries = [json.loads(line) for line in (whole / "journal.jsonl").read_text().splitlines()]
    assert all(entry["dyads"]["rows"] == len(entry["runs"]) * 24 * 2 for entry in entries)
    out = tmp_path / "out"
    import shutil

    shutil.copytree(whole, out)
    part = out / "dyads" / "part-000000.parquet"
    part.write_bytes(part.read_bytes()[:100])
    outcome = run_sweep(sweep, base, str(config), out, workers=1)
    assert outcome.skipped == 8 - len(entries[0]["runs"])
    assert_same_files(out, whole)


def test_dyads_beyond_the_row_limit_are_refused_before_anything_is_made(tmp_path):
    # europe: 2 x 36 relations = 72 directed dyads; 1,000 steps x 72 = 72,000 rows a run
    runs = MAX_DYAD_ROWS // 72_000 + 1
    data = sweep_data(
        base=str(CONFIG_DIR / "europe.yaml"),
        steps=1000,
        dyads=True,
        design={"kind": "list", "points": [{"perception.noise": 0.1}]},
        replications=runs,
    )
    out = tmp_path / "out"
    result = invoke("sweep", write_sweep(tmp_path, data), "--out", out)
    assert result.exit_code == 2, result.stdout
    line = result.stderr.strip()
    assert "\n" not in line and "sweep.yaml: dyads: the sweep's dyads.parquet would hold" in line, line
    assert f"at most {MAX_DYAD_ROWS:,}" in line and "x 1,000 steps x" in line
    assert not out.exists()


def test_a_sweep_records_no_dyads_unless_asked(tmp_path):
    """The base scenario's record.dyads (on in dyad.yaml) is for single runs; a sweep asks with dyads."""
    assert Sweep.model_validate(sweep_data()).dyads is False
    out = tmp_path / "out"
    assert invoke("sweep", write_sweep(tmp_path, sweep_data()), "--out", out, "--workers", 1).exit_code == 0
    assert not (out / "dyads.parquet").exists() and not (out / "dyads").exists()
