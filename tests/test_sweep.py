"""``trustsim sweep``: designs, seeds, the output folder, resume after a kill, failures, bad configs.

Every sweep here is tiny (the dyad scenario, 30 steps, tens of runs) and is written into ``tmp_path``.
Most go through typer's CliRunner in this process with ``--workers 1``; the kill test, the second
half of the 1-vs-2-worker comparison and the Dask LocalCluster test run the installed ``trustsim``
script in a subprocess, since a kill -9 and worker processes are what they are about.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from support import trustsim_command
from typer.testing import CliRunner

from trustsim.cli import app
from trustsim.config.loading import CONFIG_DIR
from trustsim.config.sweep import Design, Sweep, load_sweep, scenario_with
from trustsim.execution import designs
from trustsim.execution.run import code_version, simulate
from trustsim.execution.sweep import SweepStore, plan, run_seed, run_sweep
from trustsim.model.records import MODEL_REPORTERS

STEPS = 30
IDENTITY = ["run_id", "point", "replication", "seed"]
GRID = {"perception.noise": [0.02, 0.2], "trust.congeal_rate": {"start": 0.0, "stop": 0.1, "num": 2}}


def sweep_data(**changes: Any) -> dict[str, Any]:
    """A 2 x 2 grid x 3 replications = 12 runs of the dyad scenario, with ``changes`` on top."""
    data: dict[str, Any] = {
        "name": "tiny",
        "base": str(CONFIG_DIR / "dyad.yaml"),
        "steps": STEPS,
        "design": {"kind": "grid", "parameters": GRID},
        "replications": 3,
        "master_seed": 7,
    }
    data.update(changes)
    return data


# 120 runs of 1,000 steps; the kill test runs them in batches of KILL_BATCH (24 tasks of about
# 0.4 s, whose cost is mostly the fixed cost of a step), so that the sweep lasts several seconds on
# 2 workers and a kill lands mid-sweep: chunks are written every max(8, 4 x workers) runs at least
# 1 s apart, or every 5 s. In batches of 30 (the default split for 2 workers) the 4 tasks came to
# 1 s in all once steps got faster, and the first chunk written was the whole sweep.
BIG_RUNS = 120
KILL_BATCH = 5
BIG = sweep_data(
    name="big",
    design={"kind": "grid", "parameters": {"perception.noise": [0.02, 0.1, 0.2, 0.3]}},
    replications=BIG_RUNS // 4,
    common_random_numbers=True,
    steps=1000,
)


def write_sweep(folder: Path, data: dict[str, Any], name: str = "sweep.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def invoke(*args: Any) -> Any:
    return CliRunner().invoke(app, [str(arg) for arg in args])


def cli_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}


def read_runs(out: Path) -> pd.DataFrame:
    """runs.parquet without wall_time (the only column that may differ between equal sweeps)."""
    return pd.read_parquet(out / "runs.parquet").drop(columns="wall_time")


def read_steps(out: Path) -> pd.DataFrame:
    parts = sorted((out / "steps").glob("part-*.parquet"))
    steps = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    return steps.sort_values(["run_id", "step"]).reset_index(drop=True)


def journal(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]


def outcomes(runs: pd.DataFrame) -> list[str]:
    """The outcome measures: the columns between wall_time and error."""
    columns = runs.columns.tolist()
    return columns[columns.index("wall_time") + 1 : columns.index("error")]


def assert_exactly_once(out: Path, runs: int, failed: int = 0) -> None:
    """Every run recorded once: in the journal, in runs.parquet and in the steps; no stray files."""
    entries = journal(out)
    chunks = [entry["chunk"] for entry in entries]
    assert len(chunks) == len(set(chunks))
    journaled = [run for entry in entries for run in entry["runs"]]
    assert sorted(journaled) == list(range(runs))  # no run lost, none duplicated
    names = {f"part-{chunk:06d}.parquet" for chunk in chunks}
    assert {p.name for p in (out / "chunks").iterdir()} == names  # no orphan chunk files
    assert {p.name for p in (out / "steps").iterdir()} == names
    assert {p.name for p in (out / "initial").iterdir()} == names  # step 0 of each run
    assert not [p for p in out.rglob(".*")], "temporary files left behind"
    merged = pd.read_parquet(out / "runs.parquet")
    assert merged["run_id"].tolist() == list(range(runs))
    per_step = read_steps(out)
    steps = json.loads((out / "manifest.json").read_text())["base"]["steps"]
    assert len(per_step) == (runs - failed) * steps  # a failed run has no steps
    assert not per_step.duplicated(["run_id", "step"]).any()


# -- designs -------------------------------------------------------------------------------------


def design(**spec: Any) -> Design:
    return Design.model_validate(spec)


def test_grid_is_the_full_factorial_in_order():
    frame = designs.points(
        design(
            kind="grid",
            parameters={
                "a": [1, 2],
                "b": {"start": 0.1, "stop": 0.5, "step": 0.1},
                "c": {"start": 0, "stop": 1, "num": 3},
            },
        ),
        seed=0,
    )
    assert len(frame) == 2 * 5 * 3
    assert list(frame.columns) == ["a", "b", "c"]
    assert frame.index.name == "point" and frame.index.tolist() == list(range(30))
    assert sorted(set(frame["b"])) == [0.1, 0.2, 0.3, 0.4, 0.5]  # stop included when hit
    assert sorted(set(frame["c"])) == [0.0, 0.5, 1.0]
    assert frame.iloc[:4].to_dict("records") == [  # the last parameter varies fastest
        {"a": 1, "b": 0.1, "c": 0.0},
        {"a": 1, "b": 0.1, "c": 0.5},
        {"a": 1, "b": 0.1, "c": 1.0},
        {"a": 1, "b": 0.2, "c": 0.0},
    ]
    assert not frame.duplicated().any()


@pytest.mark.parametrize(
    ("spec", "values"),
    [
        ({"start": 0, "stop": 1, "step": 0.3}, [0.0, 0.3, 0.6, 0.9]),  # stop not hit: not included
        ({"start": 1, "stop": 0, "step": -0.5}, [1.0, 0.5, 0.0]),
        ({"start": 0.1, "stop": 0.3, "step": 0.1}, [0.1, 0.2, 0.3]),  # float error does not drop stop
        ({"start": 2, "stop": 2, "step": 1}, [2.0]),
        ({"start": 0, "stop": 1, "num": 1}, [0.0]),
    ],
)
def test_range_values(spec, values):
    assert designs.points(design(kind="grid", parameters={"x": spec}), 0)["x"].tolist() == values


def test_list_design_keeps_the_points_in_order():
    points = [{"a": 3, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}]
    frame = designs.points(design(kind="list", points=points), 0)
    assert frame.to_dict("records") == points


def test_lhs_is_stratified_within_bounds_and_reproducible():
    spec = design(kind="lhs", n=20, bounds={"x": [0.5, 2.5], "k": [1, 10], "y": [0, 1.0]})
    frame = designs.points(spec, seed=3)
    assert len(frame) == 20
    for name in ("x", "y"):
        low, high = spec.bounds[name]
        assert frame[name].between(low, high).all()
        bins = np.floor((frame[name] - low) / (high - low) * 20).astype(int)
        assert sorted(bins) == list(range(20))  # Latin hypercube: one sample in each of the n strata
        assert frame[name].dtype == float  # [0, 1.0]: one end written as a float, so floats
    assert frame["k"].dtype.kind == "i" and frame["k"].between(1, 10).all()  # integer bounds: integers
    assert frame["k"].nunique() > 5
    pd.testing.assert_frame_equal(frame, designs.points(spec, seed=3))
    assert not frame.equals(designs.points(spec, seed=4))


@pytest.mark.parametrize(("second_order", "rows"), [(False, 8 * (3 + 2)), (True, 8 * (2 * 3 + 2))])
def test_sobol_saltelli_sizes(second_order, rows):
    bounds = {"a": [0.0, 1.0], "b": [1.0, 4.0], "c": [-1.0, 0.0]}
    spec = design(kind="sobol", n=8, bounds=bounds, second_order=second_order)
    frame = designs.points(spec, seed=1)
    assert len(frame) == rows
    for name, (low, high) in bounds.items():
        assert frame[name].between(low, high).all()
    pd.testing.assert_frame_equal(frame, designs.points(spec, seed=1))


def test_morris_trajectories_on_the_level_grid():
    bounds = {"a": [0.0, 1.0], "b": [2.0, 5.0], "c": [10.0, 20.0]}
    spec = design(kind="morris", n=5, levels=4, bounds=bounds)
    frame = designs.points(spec, seed=2)
    assert len(frame) == 5 * (3 + 1)
    for name, (low, high) in bounds.items():
        levels = np.round((frame[name] - low) / (high - low) * 3, 9)
        assert set(levels) <= {0.0, 1.0, 2.0, 3.0}
    # consecutive points of a trajectory differ in exactly one parameter
    for start in range(0, len(frame), 4):
        block = frame.iloc[start : start + 4].to_numpy()
        assert ((np.diff(block, axis=0) != 0).sum(axis=1) == 1).all()
    pd.testing.assert_frame_equal(frame, designs.points(spec, seed=2))
    assert not frame.equals(designs.points(spec, seed=3))


# -- seeds ---------------------------------------------------------------------------------------


def test_run_seeds_come_from_the_master_seed_and_the_run_identity():
    sweep = Sweep.model_validate(sweep_data(replications=4))
    points, runs = plan(sweep)
    assert runs["run_id"].tolist() == list(range(len(points) * 4))
    assert (runs["run_id"] == runs["point"] * 4 + runs["replication"]).all()
    assert runs["seed"].is_unique
    for row in runs.itertuples():
        assert row.seed == run_seed(7, row.point, row.replication, False)
    # a run's seed does not depend on how many runs there are, nor on their order
    fewer = plan(Sweep.model_validate(sweep_data(replications=2)))[1]
    assert fewer["seed"].tolist() == runs[runs["replication"] < 2]["seed"].tolist()
    other = plan(Sweep.model_validate(sweep_data(replications=4, master_seed=8)))[1]
    assert not set(other["seed"]) & set(runs["seed"])
    # the documented derivation: 64 bits of SeedSequence(master_seed, spawn_key=(point, replication))
    high, low = np.random.SeedSequence(7, spawn_key=(1, 2)).generate_state(2, np.uint32)
    assert run_seed(7, 1, 2, False) == int(high) << 32 | int(low)


def test_common_random_numbers_share_one_seed_per_replication():
    runs = plan(Sweep.model_validate(sweep_data(replications=3, common_random_numbers=True)))[1]
    by_replication = runs.groupby("replication")["seed"].nunique()
    assert (by_replication == 1).all()
    assert runs.groupby("point")["seed"].nunique().eq(3).all()


# -- a sweep's output ----------------------------------------------------------------------------


def test_output_schema(tmp_path):
    config = write_sweep(tmp_path, sweep_data())
    out = tmp_path / "out"
    result = invoke("sweep", config, "--out", out, "--workers", 1)
    assert result.exit_code == 0, result.stderr
    assert "12 runs ok, 0 failed" in result.stdout and str(out) in result.stdout

    assert sorted(p.name for p in out.iterdir()) == [
        "chunks",
        "design.parquet",
        "failures.jsonl",
        "initial",
        "journal.jsonl",
        "manifest.json",
        "runs.parquet",
        "steps",
        "steps.parquet",
        "sweep.lock",
    ]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "sweep" and manifest["name"] == "tiny"
    assert manifest["sweep"] == Sweep.model_validate(sweep_data()).model_dump(mode="json")
    assert manifest["base"]["steps"] == STEPS and manifest["base"]["name"] == "dyad"
    assert manifest["design"]["kind"] == "grid" and manifest["design"]["points"] == 4
    assert manifest["design"]["parameters"] == list(GRID)
    assert manifest["master_seed"] == 7 and manifest["replications"] == 3
    assert manifest["runs"] == 12 and manifest["completed"] == 12 and manifest["failed"] == 0
    assert {"python", "trustsim", "mesa", "numpy"} <= set(manifest["versions"])
    assert manifest["code"] == code_version() and len(manifest["code"]["sha256"]) == 64

    design_table = pd.read_parquet(out / "design.parquet")
    assert design_table.columns.tolist() == ["point", *GRID] and len(design_table) == 4

    runs = pd.read_parquet(out / "runs.parquet")
    params = list(GRID)
    assert runs.columns.tolist()[:8] == [*IDENTITY, *params, "status", "wall_time"]
    assert runs.columns.tolist()[-2:] == ["error", "traceback"]
    assert {"final_mean_trust", "time_to_recovery", "time_to_congealing"} <= set(outcomes(runs))
    assert runs["run_id"].tolist() == list(range(12))
    assert (runs["status"] == "ok").all() and runs["error"].isna().all()
    assert (runs["wall_time"] > 0).all()
    _, planned = plan(Sweep.model_validate(sweep_data()))
    pd.testing.assert_frame_equal(runs[planned.columns], planned, check_dtype=False)
    assert runs["dyads"].eq(2).all()
    assert (out / "failures.jsonl").read_text() == ""

    steps = read_steps(out)
    assert steps.columns.tolist() == ["run_id", "step", *MODEL_REPORTERS]
    assert len(steps) == 12 * STEPS and steps["step"].between(1, STEPS).all()
    last = steps[steps["step"] == STEPS].set_index("run_id")["mean_trust"]
    np.testing.assert_allclose(last.to_numpy(), runs["final_mean_trust"].to_numpy())
    assert_exactly_once(out, 12)

    # a run's results depend only on its parameters and its seed: rerun run 5 on its own
    base = load_sweep(config)[1]
    row = runs.iloc[5]
    alone = simulate(scenario_with(base, {**{p: row[p] for p in params}, "seed": int(row["seed"])}, "run 5"))
    assert outcomes(runs) == list(alone.summary)  # the outcome measures of a single run
    for key, value in alone.summary.items():
        assert value == row[key] or (value is None and pd.isna(row[key])), key


def test_measures_kept_per_step_or_per_run_only_and_stop_condition(tmp_path):
    out = tmp_path / "some"
    config = write_sweep(tmp_path, sweep_data(measures=["mean_trust", "crises"]), "some.yaml")
    assert invoke("sweep", config, "--out", out, "--workers", 1).exit_code == 0
    assert read_steps(out).columns.tolist() == ["run_id", "step", "mean_trust", "crises"]

    out = tmp_path / "none"
    config = write_sweep(tmp_path, sweep_data(measures="none"), "none.yaml")
    assert invoke("sweep", config, "--out", out, "--workers", 1).exit_code == 0
    assert not list((out / "steps").iterdir())  # per run only
    assert len(pd.read_parquet(out / "runs.parquet")) == 12

    out = tmp_path / "stop"
    stop = {"measure": "congealed_dyads", "above": -1}  # true after the first step
    config = write_sweep(tmp_path, sweep_data(stop=stop), "stop.yaml")
    assert invoke("sweep", config, "--out", out, "--workers", 1).exit_code == 0
    assert read_steps(out)["step"].eq(1).all() and len(read_steps(out)) == 12


def test_same_sweep_twice_gives_the_same_results(tmp_path):
    config = write_sweep(tmp_path, sweep_data(measures="none"))
    for name in ("a", "b"):
        assert invoke("sweep", config, "--out", tmp_path / name, "--workers", 1).exit_code == 0
    pd.testing.assert_frame_equal(read_runs(tmp_path / "a"), read_runs(tmp_path / "b"))


def test_dry_run_prints_runs_rows_and_estimate_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = write_sweep(tmp_path, sweep_data())
    result = invoke("sweep", config, "--dry-run", "--workers", 2)
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "4 design points x 3 replications = 12 runs" in text
    assert "perception.noise" in text and "trust.congeal_rate" in text and "0.02" in text
    assert "estimated" in text and "on 2 workers" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.yaml"]


# -- failures ------------------------------------------------------------------------------------


def test_a_failing_run_is_recorded_and_the_others_go_on(tmp_path, monkeypatch):
    """A run that fails in a batch fails the batch; its runs then go alone, each with its outcome."""
    import trustsim.execution.worker as worker_module
    from trustsim.execution.run import simulate_batch

    config = write_sweep(tmp_path, sweep_data())
    _, runs = plan(Sweep.model_validate(sweep_data()))
    bad = runs.astype(object).iloc[4]  # a float64 row would round the 64-bit seed

    def simulate_or_fail(scenario, **kwargs):
        if scenario.seed == int(bad["seed"]):
            raise ValueError("the model broke")
        return simulate(scenario, **kwargs)

    def batch_or_fail(scenario, seeds, **kwargs):
        if int(bad["seed"]) in seeds:
            raise ValueError("the batch broke")
        return simulate_batch(scenario, seeds, **kwargs)

    monkeypatch.setattr(worker_module, "simulate", simulate_or_fail)
    monkeypatch.setattr(worker_module, "simulate_batch", batch_or_fail)
    out = tmp_path / "out"
    result = invoke("sweep", config, "--out", out, "--workers", 1)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "11 runs ok, 1 failed" in result.stdout
    assert "1 runs failed" in result.stderr and "failures.jsonl" in result.stderr

    lines = (out / "failures.jsonl").read_text().splitlines()
    assert len(lines) == 1
    failure = json.loads(lines[0])
    assert failure["run_id"] == 4 and failure["seed"] == int(bad["seed"])
    assert failure["point"] == int(bad["point"]) and failure["replication"] == int(bad["replication"])
    for path in GRID:
        assert failure[path] == bad[path]
    assert failure["error"] == "ValueError: the model broke"
    assert failure["traceback"].startswith("Traceback") and "simulate_or_fail" in failure["traceback"]

    merged = pd.read_parquet(out / "runs.parquet")
    assert merged["status"].tolist() == ["ok"] * 4 + ["failed"] + ["ok"] * 7
    measures = [m for m in outcomes(merged) if not m.startswith("time_to_")]  # those are None at times
    assert len(measures) > 5 and merged.loc[4, outcomes(merged)].isna().all()
    assert merged.drop(index=4)[measures].notna().all().all()
    assert len(read_steps(out)) == 11 * STEPS
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["completed"] == 11 and manifest["failed"] == 1

    # rerunning does nothing more: the failed run is recorded (once); it still counts as failed
    monkeypatch.undo()
    again = invoke("sweep", config, "--out", out, "--workers", 1)
    assert again.exit_code == 1 and "12 already done" in again.stdout
    assert_exactly_once(out, 12, failed=1)
    assert len((out / "failures.jsonl").read_text().splitlines()) == 1


# -- bad sweep configs: exit 2, one clear line, before any run starts ------------------------------

BAD = {
    "unknown parameter path": (
        {"design": {"kind": "grid", "parameters": {"trust.no_such_knob": [1, 2]}}},
        ["trust.no_such_knob", "unknown key"],
    ),
    "unknown section": ({"design": {"kind": "grid", "parameters": {"nope.x": [1]}}}, ["nope", "unknown key"]),
    "value out of range": (
        {"design": {"kind": "grid", "parameters": {"perception.noise": [0.1, -3]}}},
        ["perception.noise", "-3"],
    ),
    # 64 distinct samples, half of them above 1; with this seed the first and the last are not
    "sampled values out of range": (
        {"design": {"kind": "lhs", "n": 64, "bounds": {"execution_noise": [0.5, 1.5]}}, "master_seed": 11},
        ["execution_noise", "less than or equal to 1"],
    ),
    "empty list": (
        {"design": {"kind": "grid", "parameters": {"perception.noise": []}}},
        ["design", "perception.noise", "empty"],
    ),
    "range step 0": (
        {"design": {"kind": "grid", "parameters": {"perception.noise": {"start": 0, "stop": 1, "step": 0}}}},
        ["step must not be 0"],
    ),
    "range step away from stop": (
        {"design": {"kind": "grid", "parameters": {"perception.noise": {"start": 0, "stop": 1, "step": -1}}}},
        ["never reaches stop"],
    ),
    "bounds reversed": (
        {"design": {"kind": "lhs", "n": 4, "bounds": {"perception.noise": [0.3, 0.1]}}},
        ["bounds.perception.noise", "lower bound must be < upper bound"],
    ),
    "sobol n not a power of two": (
        {"design": {"kind": "sobol", "n": 6, "bounds": {"perception.noise": [0.0, 0.3]}}},
        ["power of two", "6"],
    ),
    "unknown design": (
        {"design": {"kind": "factorial", "parameters": {"perception.noise": [0.1]}}},
        ["design.kind", "'grid'", "'morris'", "factorial"],
    ),
    "list points differ": (
        {"design": {"kind": "list", "points": [{"perception.noise": 0.1}, {"trust.congeal_rate": 0.1}]}},
        ["points.1", "same parameters"],
    ),
    "seed as a parameter": (
        {"design": {"kind": "grid", "parameters": {"seed": [1, 2]}}},
        ["design", "`seed` cannot be a design parameter"],
    ),
    "unknown measure": ({"measures": ["mean_trust", "happiness"]}, ["happiness", "allowed"]),
    "missing base": ({"base": "no_such_scenario"}, ["base", "no_such_scenario"]),
    "zero replications": ({"replications": 0}, ["replications"]),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_sweep_config_exits_2_with_one_line(case, tmp_path):
    changes, expected = BAD[case]
    config = write_sweep(tmp_path, sweep_data(**changes))
    out = tmp_path / "out"
    result = invoke("sweep", config, "--out", out, "--workers", 1)
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr, result.exception)
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for text in expected:
        assert text in lines[0], f"{text!r} not in {lines[0]!r}"
    assert not out.exists()  # nothing written, no run started


def test_bad_workers_and_a_different_sweep_in_the_same_folder(tmp_path):
    config = write_sweep(tmp_path, sweep_data(measures="none"))
    result = invoke("sweep", config, "--workers", 0, "--out", tmp_path / "x")
    assert result.exit_code == 2 and "--workers must be >= 1" in result.stderr
    out = tmp_path / "out"
    assert invoke("sweep", config, "--out", out, "--workers", 1).exit_code == 0
    other = write_sweep(tmp_path, sweep_data(measures="none", master_seed=8), "other.yaml")
    result = invoke("sweep", other, "--out", out, "--workers", 1)
    assert result.exit_code == 2 and "holds a different sweep" in result.stderr


# -- crash safety and resume -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The big sweep, uninterrupted, in this process (--workers 1)."""
    folder = tmp_path_factory.mktemp("reference")
    out = folder / "out"
    result = invoke("sweep", write_sweep(folder, BIG), "--out", out, "--workers", 1)
    assert result.exit_code == 0, result.stderr
    return out


def test_resume_after_a_killed_sweep_runs_every_run_exactly_once(tmp_path, reference):
    """kill -9 of the whole process group mid-sweep (2 workers), then the same command again. The
    runs go in smaller batches than the reference's, which the results must not notice."""
    out = tmp_path / "out"
    sweep = write_sweep(tmp_path, {**BIG, "batch_size": KILL_BATCH})
    command = [*trustsim_command(), "sweep", str(sweep), "--out", str(out)]
    command += ["--workers", "2"]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
        start_new_session=True,  # its own process group: the fork server and the workers die too
    )
    entries = out / "journal.jsonl"
    deadline = time.monotonic() + 90
    try:
        while not (entries.exists() and entries.read_text().count("\n") >= 1):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no chunk written in 90 s"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    done = {run for entry in journal(out) for run in entry["runs"]}
    assert 0 < len(done) < BIG_RUNS, "the kill did not land mid-sweep"
    assert not (out / "runs.parquet").exists()

    rerun = subprocess.run(command, capture_output=True, text=True, env=cli_env(), timeout=180)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{BIG_RUNS} runs ok, 0 failed" in rerun.stdout
    assert f"{len(done)} already done" in rerun.stdout
    assert_exactly_once(out, BIG_RUNS)
    # merged results identical to the uninterrupted in-process sweep (1 worker vs 2, resumed)
    pd.testing.assert_frame_equal(read_runs(out), read_runs(reference))
    pd.testing.assert_frame_equal(read_steps(out), read_steps(reference))


def test_recovery_drops_unjournaled_chunks_and_a_torn_journal_line(tmp_path, monkeypatch):
    """The crash windows a kill may hit: chunk files renamed but not journaled, a half-written
    temporary file, a journal line cut short. The rerun redoes those runs and nothing else."""
    import trustsim.execution.sweep as sweep_module

    data = sweep_data(measures=["mean_trust"])
    sweep = Sweep.model_validate(data)
    base = load_sweep(write_sweep(tmp_path, data))[1]
    whole = tmp_path / "whole"
    clock = itertools.count(0.0, 2.0)  # 2 s between results: several chunks from 12 quick runs
    with monkeypatch.context() as patch:
        patch.setattr(sweep_module.time, "monotonic", lambda: next(clock))
        run_sweep(sweep, base, "test", whole, workers=1)

    out = tmp_path / "out"
    shutil.copytree(whole, out)
    (out / "runs.parquet").unlink()
    lines = (out / "journal.jsonl").read_text().splitlines(keepends=True)
    assert len(lines) >= 2
    (out / "journal.jsonl").write_text("".join(lines[:-1]) + lines[-1][:15])  # torn last line
    (out / "chunks" / ".part-000099.parquet.partial").write_bytes(b"half")
    shutil.copy(out / "steps" / "part-000000.parquet", out / "steps" / "part-000042.parquet")
    lost = json.loads(lines[-1])["runs"]

    outcome = run_sweep(sweep, base, "test", out, workers=1)
    assert outcome.skipped == 12 - len(lost) and outcome.completed == 12
    assert (out / "journal.jsonl").read_text().endswith("\n")
    assert all(json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines())
    assert_exactly_once(out, 12)
    pd.testing.assert_frame_equal(read_runs(out), read_runs(whole))
    pd.testing.assert_frame_equal(read_steps(out), read_steps(whole))
    # and once more: nothing left to do, nothing changes
    assert run_sweep(sweep, base, "test", out, workers=1).skipped == 12
    pd.testing.assert_frame_equal(read_runs(out), read_runs(whole))


def test_store_merges_chunks_to_one_schema_however_they_fell(tmp_path):
    """A chunk where an outcome is always None, or with only failed runs, or whose seeds all fall
    below 2**63, must not change the merged dtypes or column order (a resumed sweep, or one whose
    first chunk was flushed by the 5 s timer, chunks its runs differently)."""
    ok = {"run_id": 0, "seed": 2**64 - 1, "status": "ok", "wall_time": 0.1, "t": 3, "x": 1.5}
    ok.update(error=None, traceback=None)
    none = {**ok, "run_id": 1, "seed": 7, "t": None}  # a seed below 2**63
    failed = {
        "run_id": 2,
        "seed": 2**63,
        "status": "failed",
        "wall_time": 0.1,
        "error": "E",
        "traceback": "T",
    }
    merged = []
    for chunks in ([[failed], [none], [ok]], [[ok, none, failed]], [[ok], [none, failed]]):
        store = SweepStore(tmp_path / str(len(merged)))
        for folder in ("chunks", "steps"):
            (store.out / folder).mkdir(parents=True)
        for rows in chunks:
            store.write_chunk(rows, [])
        merged.append(store.finalize())
    for frame in merged[1:]:
        pd.testing.assert_frame_equal(frame, merged[0])
    columns = ["run_id", "seed", "status", "wall_time", "t", "x", "error", "traceback"]
    assert merged[0].columns.tolist() == columns
    assert merged[0]["t"].dtype == float
    assert merged[0]["seed"].tolist() == [2**64 - 1, 7, 2**63]  # exact: never through float64


# -- Dask ----------------------------------------------------------------------------------------


def test_dask_local_cluster_gives_the_same_results(tmp_path, reference):
    pytest.importorskip("dask.distributed")
    out = tmp_path / "out"
    command = [*trustsim_command(), "sweep", str(write_sweep(tmp_path, BIG)), "--out", str(out)]
    result = subprocess.run(
        [*command, "--dask", "local", "--workers", "2"],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert f"{BIG_RUNS} runs ok, 0 failed" in result.stdout
    assert_exactly_once(out, BIG_RUNS)
    pd.testing.assert_frame_equal(read_runs(out), read_runs(reference))
    pd.testing.assert_frame_equal(read_steps(out), read_steps(reference))


def test_the_slurm_path_runs_a_sweep_with_the_same_results(tmp_path, reference, monkeypatch):
    """--dask slurm builds its cluster through dask-jobqueue (executors.CLUSTERS); a LocalCluster
    stands in for the SLURM jobs here, so everything from cluster to client to results is the path
    an HPC run takes, and the results equal the in-process sweep's."""
    pytest.importorskip("dask_jobqueue")
    from dask.distributed import LocalCluster

    from trustsim.execution import executors

    built = []

    def stand_in(workers):
        built.append(workers)
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)

    monkeypatch.setitem(executors.CLUSTERS, "slurm", stand_in)
    out = tmp_path / "out"
    result = invoke("sweep", write_sweep(tmp_path, BIG), "--out", out, "--dask", "slurm", "--workers", 2)
    assert result.exit_code == 0, result.stderr
    assert built == [2]
    assert_exactly_once(out, BIG_RUNS)
    pd.testing.assert_frame_equal(read_runs(out), read_runs(reference))


def test_the_slurm_cluster_asks_for_single_core_jobs_and_says_what_is_missing(monkeypatch):
    pytest.importorskip("dask_jobqueue")
    import dask

    from trustsim.execution.executors import ExecutorError, slurm_cluster

    with (
        dask.config.set({"jobqueue.slurm.memory": None}),
        pytest.raises(ExecutorError, match=r"jobqueue\.slurm"),
    ):
        slurm_cluster(2)
    from dask_jobqueue import SLURMCluster

    with dask.config.set({"jobqueue.slurm.memory": "2GB", "jobqueue.slurm.walltime": "01:00:00"}):
        monkeypatch.setattr(SLURMCluster, "scale", lambda self, jobs: setattr(self, "asked", jobs))
        cluster = slurm_cluster(4)
        try:
            script = cluster.job_script()
            assert cluster.asked == 4
            assert "#SBATCH -n 1" in script and "--nthreads 1" in script and "#SBATCH -t 01:00:00" in script
        finally:
            cluster.close()
