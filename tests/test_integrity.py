"""Sweep integrity and input hardening (issue 10): nothing lost, nothing mixed, every bad input refused.

Each numbered case of the issue is a test here, mostly with real processes: concurrent sweeps on one
folder, SIGKILL of the sweep alone, damaged chunks, a decoy ``trustsim/`` package in the working
directory, a Dask scheduler that goes away, a full disk (a file-size limit on the process: a tmpfs
needs root and a mount namespace).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
import pytest
import yaml
from support import trustsim_command
from test_sweep import (
    BIG,
    BIG_RUNS,
    KILL_BATCH,
    assert_exactly_once,
    cli_env,
    invoke,
    journal,
    read_runs,
    read_steps,
    sweep_data,
    write_sweep,
)

from trustsim.config.loading import CONFIG_DIR, ConfigError, load_scenario
from trustsim.execution.run import code_version
from trustsim.execution.sweep import Task, WrongCode, execute

REPO = Path(__file__).resolve().parents[1]
MEDIUM = sweep_data(
    name="medium",
    design={"kind": "grid", "parameters": {"perception.noise": [0.02, 0.1, 0.2, 0.3]}},
    replications=12,
    steps=1000,  # a few seconds, batched: kills land mid-sweep
)  # 48 runs


def command(*args: Any) -> list[str]:
    return [*trustsim_command(), *(str(arg) for arg in args)]


def run_cli(*args: Any, cwd: Path | None = None, timeout: float = 300, **kwargs: Any):
    return subprocess.run(
        command(*args), capture_output=True, text=True, env=cli_env(), cwd=cwd, timeout=timeout, **kwargs
    )


def one_line_error(result: Any, *expected: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for text in expected:
        assert text in lines[0], f"{text!r} not in {lines[0]!r}"
    return lines[0]


def assert_invoke_error(result: Any, *expected: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for text in expected:
        assert text in lines[0], f"{text!r} not in {lines[0]!r}"
    return lines[0]


def wait_for(condition, timeout: float, proc: subprocess.Popen | None = None, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process ended early ({what}): {proc.communicate()}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def journaled(out: Path) -> int:
    path = out / "journal.jsonl"
    return path.read_text().count("\n") if path.exists() else 0


@pytest.fixture(scope="module")
def medium(tmp_path_factory) -> Path:
    """The 48-run sweep, uninterrupted, in this process: the reference every resumed one must equal."""
    folder = tmp_path_factory.mktemp("medium")
    out = folder / "out"
    result = invoke("sweep", write_sweep(folder, MEDIUM), "--out", out, "--workers", 1)
    assert result.exit_code == 0, result.stderr
    return out


def assert_same_as(out: Path, reference: Path, runs: int) -> None:
    assert_exactly_once(out, runs)
    pd.testing.assert_frame_equal(read_runs(out), read_runs(reference))
    pd.testing.assert_frame_equal(read_steps(out), read_steps(reference))


# -- 1. one sweep per folder ----------------------------------------------------------------------


def test_a_second_sweep_on_a_busy_folder_exits_2_naming_the_holder(tmp_path):
    # In batches of KILL_BATCH the sweep lasts several seconds on one worker; in its default
    # batches of 30 it could finish before the second command had started (on a faster processor,
    # 120 runs in under a second), which then found the folder done and exited 0.
    config = write_sweep(tmp_path, {**BIG, "batch_size": KILL_BATCH})
    out = tmp_path / "out"
    first = subprocess.Popen(
        command("sweep", config, "--out", out, "--workers", 1), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        wait_for(
            lambda: (out / "sweep.lock").exists() and (out / "sweep.lock").read_text(), 60, first, "lock"
        )
        second = run_cli("sweep", config, "--out", out, "--workers", 1)
        line = one_line_error(second, "in use by another trustsim sweep", f"pid {first.pid}")
        assert socket.gethostname() in line
    finally:
        _, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    assert_exactly_once(out, BIG_RUNS)


def test_two_sweeps_started_together_record_every_run_once(tmp_path, medium):
    config = write_sweep(tmp_path, MEDIUM)
    out = tmp_path / "out"
    procs = [
        subprocess.Popen(
            command("sweep", config, "--out", out, "--workers", 1),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    results = [(proc.wait(timeout=300), proc.stderr.read().decode()) for proc in procs]
    for proc in procs:
        proc.stdout.close()
        proc.stderr.close()
    codes = sorted(code for code, _ in results)
    # either one held the folder while the other was refused, or the second found it all done
    assert codes in ([0, 2], [0, 0]), results
    for code, stderr in results:
        if code == 2:
            assert "in use by another trustsim sweep" in stderr
    assert_same_as(out, medium, 48)
    assert invoke("report", out).exit_code == 0


# -- 2. workers run the parent's code -----------------------------------------------------------


def test_workers_ignore_a_decoy_trustsim_package_in_the_working_directory(tmp_path, medium):
    """A checkout whose model differs, as the current directory: 2 workers must give what 1 does."""
    decoy = tmp_path / "checkout"
    shutil.copytree(REPO / "trustsim", decoy / "trustsim", ignore=shutil.ignore_patterns("__pycache__"))
    run_py = decoy / "trustsim" / "execution" / "run.py"
    text = run_py.read_text()
    patched = text.replace('"final_mean_trust": float(', '"final_mean_trust": 0.5 + float(')
    run_py.write_text(patched)
    assert patched != text
    config = write_sweep(tmp_path, MEDIUM)
    out = tmp_path / "out"
    result = run_cli("sweep", config, "--out", out, "--workers", 2, cwd=decoy)
    assert result.returncode == 0, result.stderr
    assert_same_as(out, medium, 48)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["code"]["path"] == str(REPO / "trustsim")


def test_a_worker_with_other_code_refuses_to_run():
    task = Task([0], [1], {}, {}, [], None, code="0" * 64)
    with pytest.raises(WrongCode, match="other trustsim code"):
        execute(task)


def test_resume_under_other_code_exits_2_unless_allowed_and_recorded(tmp_path, medium):
    out = tmp_path / "out"
    shutil.copytree(medium, out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["code"] = {"version": "0.0.1", "sha256": "f" * 64, "path": "/elsewhere/trustsim"}
    (out / "manifest.json").write_text(json.dumps(manifest))
    config = write_sweep(tmp_path, MEDIUM)
    refused = invoke("sweep", config, "--out", out, "--workers", 1)
    assert_invoke_error(refused, "started under other code", "ffffffffffff", "--allow-code-change")
    allowed = invoke("sweep", config, "--out", out, "--workers", 1, "--allow-code-change")
    assert allowed.exit_code == 0, allowed.stderr
    after = json.loads((out / "manifest.json").read_text())
    assert after["code"] == code_version()
    assert after["code_changes"][0]["from"]["sha256"] == "f" * 64
    assert after["code_changes"][0]["to"] == code_version()


# -- 3. --out that is not a sweep ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["files", "run"])
def test_out_that_is_not_a_sweep_is_refused_and_left_untouched(tmp_path, kind):
    out = tmp_path / "precious"
    if kind == "files":
        for name in ("steps/keep.txt", "chunks/part-000000.parquet", "notes.md"):
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            (out / name).write_text("mine")
    else:
        assert invoke("run", "dyad", "--out", out).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    result = invoke("sweep", write_sweep(tmp_path, MEDIUM), "--out", out, "--workers", 1)
    assert_invoke_error(result, str(out), "not a sweep" if kind == "run" else "not a trustsim sweep folder")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


# -- 4 and 8. resume verifies every chunk ---------------------------------------------------------


def damage_delete(out: Path) -> None:
    (out / "chunks" / "part-000001.parquet").unlink()


def damage_copy_over(out: Path) -> None:
    shutil.copy(out / "chunks" / "part-000000.parquet", out / "chunks" / "part-000001.parquet")


def damage_truncate_steps(out: Path) -> None:
    path = out / "steps" / "part-000001.parquet"
    path.write_bytes(path.read_bytes()[:-100])


def damage_truncate_chunk(out: Path) -> None:
    path = out / "chunks" / "part-000002.parquet"
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def damage_journal_shape(out: Path) -> None:
    lines = (out / "journal.jsonl").read_text().splitlines()
    lines[1] = json.dumps({"chunk": "one", "runs": "all"})
    lines.insert(2, "[1, 2, 3]")
    (out / "journal.jsonl").write_text("\n".join(lines) + "\n")


def damage_duplicate_journal_line(out: Path) -> None:
    lines = (out / "journal.jsonl").read_text().splitlines()
    (out / "journal.jsonl").write_text("\n".join([*lines, lines[0]]) + "\n")


def damage_truncate_manifest(out: Path) -> None:
    path = out / "manifest.json"
    path.write_text(path.read_text()[:200])


DAMAGES = {
    "a journaled chunk deleted": damage_delete,
    "one chunk copied over another": damage_copy_over,
    "a steps part truncated": damage_truncate_steps,
    "a chunk truncated": damage_truncate_chunk,
    "wrong-shaped journal lines": damage_journal_shape,
    "a journal line repeated": damage_duplicate_journal_line,
    "a truncated manifest": damage_truncate_manifest,
}


@pytest.fixture(scope="module")
def chunked(tmp_path_factory) -> tuple[Path, Path]:
    """The medium sweep written in several chunks (a clock that ticks 2 s per result)."""
    import itertools

    import trustsim.execution.sweep as sweep_module
    from trustsim.config.sweep import Sweep, load_sweep
    from trustsim.execution.sweep import run_sweep

    folder = tmp_path_factory.mktemp("chunked")
    config = write_sweep(folder, MEDIUM)
    out = folder / "out"
    clock = itertools.count(0.0, 2.0)
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(sweep_module.time, "monotonic", lambda: next(clock))
    try:
        run_sweep(Sweep.model_validate(MEDIUM), load_sweep(config)[1], str(config), out, workers=1)
    finally:
        monkeypatch.undo()
    assert len(journal(out)) >= 4
    return config, out


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_resume_verifies_every_chunk_and_redoes_what_is_damaged(tmp_path, chunked, medium, damage):
    config, whole = chunked
    out = tmp_path / "out"
    shutil.copytree(whole, out)
    DAMAGES[damage](out)
    result = invoke("sweep", config, "--out", out, "--workers", 1)
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert "48 runs ok, 0 failed" in result.stdout
    if damage not in ("a journal line repeated", "a truncated manifest"):
        assert "already done" in result.stdout and "48 already done" not in result.stdout
    assert_same_as(out, medium, 48)
    assert invoke("report", out).exit_code == 0


def test_journal_records_row_counts_and_checksums_of_fsynced_files(tmp_path, monkeypatch):
    """Each chunk file and its folder are fsynced before the journal line that names it."""
    import trustsim.execution.run as run_module
    import trustsim.execution.store as store_module

    events: list[str] = []
    real_fsync, real_open, real_fsync_path = os.fsync, Path.open, run_module.fsync

    def fsync_path(path: Path) -> None:
        events.append(f"fsync {Path(path).name}")
        real_fsync_path(path)

    def logging_open(self: Path, *args: Any, **kwargs: Any):
        if self.name == "journal.jsonl" and args[:1] == ("a",):
            events.append("journal append")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(run_module, "fsync", fsync_path)
    monkeypatch.setattr(store_module, "fsync", fsync_path)
    monkeypatch.setattr(Path, "open", logging_open)
    monkeypatch.setattr(os, "fsync", lambda fd: events.append("fsync fd") or real_fsync(fd))
    config = write_sweep(tmp_path, sweep_data())
    out = tmp_path / "out"
    assert invoke("sweep", config, "--out", out, "--workers", 1).exit_code == 0
    first = events.index("journal append")
    before = events[:first]
    for needed in ("fsync .part-000000.parquet.partial", "fsync chunks", "fsync steps"):
        assert needed in before, events
    assert events[first + 1] == "fsync fd"  # the journal line itself
    entry = journal(out)[0]
    chunk = pd.read_parquet(out / "chunks" / "part-000000.parquet")
    assert entry["rows"] == len(chunk) == len(entry["runs"])
    assert entry["sha256"] == store_module.file_sha256(out / "chunks" / "part-000000.parquet")
    assert entry["steps"]["rows"] == len(pd.read_parquet(out / "steps" / "part-000000.parquet"))


def test_sigkill_at_random_points_then_resume_records_every_run_once(tmp_path, medium):
    """kill -9 of the whole process group at several moments, resuming each time, then to the end;
    in batches of 2 (about 4 s of runs on 2 workers), so that the kills, 0.5-4 s in, land mid-sweep."""
    import random

    config = write_sweep(tmp_path, {**MEDIUM, "batch_size": 2})
    out = tmp_path / "out"
    rng = random.Random(10)
    for _ in range(3):
        proc = subprocess.Popen(
            command("sweep", config, "--out", out, "--workers", 2),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=cli_env(),
            start_new_session=True,
        )
        time.sleep(rng.uniform(0.5, 4.0))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    final = run_cli("sweep", config, "--out", out, "--workers", 2)
    assert final.returncode == 0, final.stderr
    assert_same_as(out, medium, 48)


# -- 5. finite numbers ----------------------------------------------------------------------------

TINY = {
    "name": "tiny",
    "steps": 3,
    "states": [{"code": "A"}, {"code": "B"}],
    "relations": [{"a": "A", "b": "B", "kind": "rival"}],
}

NOT_FINITE = {
    "posture.grievance: .nan": ("posture: {grievance: .nan}", "posture.grievance"),
    "capability: .inf": ("states: [{code: A, capability: .inf}, {code: B}]", "states.0.capability"),
    "payoffs.T: .inf": ("payoffs: {T: .inf}", "payoffs.T"),
    "threat level: .inf": ("threats: [{name: x, level: .inf}]", "threats.0.level"),
    "rationality: .inf": ("policy_params: {logit: {rationality: .inf}}", "policy_params.logit.rationality"),
}


@pytest.mark.parametrize("case", list(NOT_FINITE))
def test_nan_and_inf_are_refused(tmp_path, case):
    extra, where = NOT_FINITE[case]
    data = dict(TINY)
    data.update(yaml.safe_load(extra))
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))  # as .nan / .inf
    for verb in ("validate", "run"):
        assert_invoke_error(invoke(verb, path), where, "finite number")


@pytest.mark.parametrize(
    "change, where",
    [
        ({"design": {"kind": "lhs", "n": 4, "bounds": {"posture.grievance": [0, float("inf")]}}}, "bounds"),
        ({"stop": {"measure": "mean_trust", "below": float("nan")}}, "stop.below"),
        ({"design": {"kind": "grid", "parameters": {"posture.grievance": [0.1, float("nan")]}}}, "grievance"),
    ],
)
def test_nan_and_inf_are_refused_in_sweeps(tmp_path, change, where):
    result = invoke("sweep", write_sweep(tmp_path, sweep_data(**change)), "--dry-run")
    assert "finite number" in assert_invoke_error(result, where)


# -- 6. validate and run agree ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "states, relations, expected",
    [
        ([{"code": "A"}], [], "at least 2 states (got 1)"),
        ([{"code": "A"}, {"code": "B"}], [], "states.0: A has no relations"),
        (
            [{"code": "A"}, {"code": "B"}, {"code": "C"}],
            [{"a": "A", "b": "B"}],
            "states.2: C has no relations",
        ),
    ],
)
def test_validate_refuses_what_run_cannot_run(tmp_path, states, relations, expected):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"name": "s", "steps": 3, "states": states, "relations": relations}))
    for verb in ("validate", "run"):
        result = run_cli(verb, path, "--out", tmp_path / "o") if verb == "run" else run_cli(verb, path)
        one_line_error(result, str(path), expected)


# -- 7. failed runs with list- or dict-valued parameters ------------------------------------------


def test_failed_runs_with_list_and_dict_parameters_merge_and_resume(tmp_path, monkeypatch):
    import trustsim.execution.worker as worker_module

    real, real_batch = worker_module.simulate, worker_module.simulate_batch

    def flaky(scenario, until=None):
        if scenario.threats:
            raise RuntimeError("boom")
        return real(scenario, until=until)

    def flaky_batch(scenario, seeds, until=None):
        if scenario.threats:
            raise RuntimeError("boom")
        return real_batch(scenario, seeds, until=until)

    monkeypatch.setattr(worker_module, "simulate", flaky)
    monkeypatch.setattr(worker_module, "simulate_batch", flaky_batch)
    threats = [[], [{"name": "pandemic", "level": 0.5, "profile": {"kind": "constant"}}]]
    data = sweep_data(design={"kind": "grid", "parameters": {"threats": threats}}, replications=2)
    config = write_sweep(tmp_path, data)
    out = tmp_path / "out"
    for _ in range(2):  # and the resume merges again
        result = invoke("sweep", config, "--out", out, "--workers", 1)
        assert result.exit_code == 1, (result.stderr, result.exception)
        assert "2 runs failed" in result.stderr and "Traceback" not in result.stderr
    failures = [json.loads(line) for line in (out / "failures.jsonl").read_text().splitlines()]
    assert len(failures) == 2 and failures[0]["threats"][0]["name"] == "pandemic"
    assert "boom" in failures[0]["error"]


# -- 9 and 14. YAML bombs, duplicate keys, YAML 1.1 -----------------------------------------------


def bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join([*lines, f"name: *a{levels}", ""])


def test_a_yaml_bomb_exits_2_in_under_a_second(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb())
    assert len(path.read_bytes()) < 600
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="aliases"):
        load_scenario(path)
    assert time.perf_counter() - started < 1.0
    started = time.perf_counter()
    one_line_error(run_cli("validate", path, timeout=30), "more than 1,000,000 values")
    assert time.perf_counter() - started < 10  # the interpreter's start included, on a loaded machine
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(bomb().replace("name: *a9", "name: x\nset: {description: *a9}"))
    one_line_error(run_cli("sweep", sweep, "--dry-run", timeout=30), "aliases")


def test_a_recursive_alias_and_deep_nesting_are_refused(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("name: &a [*a]\n")
    with pytest.raises(ConfigError):
        load_scenario(path)
    path.write_text("name: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ConfigError):
        load_scenario(path)


def test_the_error_formatter_never_prints_a_huge_value(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({**TINY, "steps": list(range(100_000))}))
    line = assert_invoke_error(invoke("validate", path), "steps")
    assert len(line) < 300


YAML_11 = {
    "duplicate key": ("steps: 5\nsteps: 6\n", "line 2: key 'steps' is given twice", "first on line 1"),
    "duplicate nested key": ("trust: {decay: 0.1, decay: 0.2}\n", "key 'decay' is given twice"),
    "boolean for a number": ("steps: true\n", "steps: must be a number, not true/false"),
    "yes for a number": ("steps: yes\n", "steps: Input should be a valid integer", "'yes'"),
    "sexagesimal": ("steps: 12:30\n", "steps:", "'12:30'"),
    "sexagesimal float": ("posture: {grievance: 1:30.5}\n", "posture.grievance", "'1:30.5'"),
}


@pytest.mark.parametrize("case", list(YAML_11))
def test_yaml_surprises_are_refused(tmp_path, case):
    text, *expected = YAML_11[case]
    path = tmp_path / "s.yaml"
    body = {k: v for k, v in TINY.items() if k != "steps"}
    path.write_text(text + yaml.safe_dump(body))
    assert_invoke_error(invoke("validate", path), str(path), *expected)


def test_yaml_12_numbers_and_booleans_still_read(tmp_path):
    path = tmp_path / "s.yaml"
    body = {k: v for k, v in TINY.items() if k != "steps"}
    path.write_text("steps: 1_0\nexecution_noise: 1e-3\nrecord: {dyads: false}\n" + yaml.safe_dump(body))
    scenario = load_scenario(path)
    assert scenario.steps == 10 and scenario.execution_noise == 0.001 and scenario.record.dyads is False


# -- 10. size limits, checked before allocation -----------------------------------------------------


def test_too_many_states_exits_2_quickly(tmp_path):
    states = [{"code": f"S{i}"} for i in range(20_000)]
    relations = [{"a": f"S{i}", "b": f"S{i + 1}"} for i in range(19_999)]
    path = tmp_path / "big.yaml"
    path.write_text(json.dumps({"name": "big", "states": states, "relations": relations}))  # JSON is YAML
    started = time.perf_counter()
    one_line_error(run_cli("validate", path, timeout=60), "states: at most 5,000 states (got 20,000)")
    assert time.perf_counter() - started < 30


@pytest.mark.parametrize(
    "override, expected",
    [
        ("network={generator: complete, n: 5000}", "at most 100,000 relations (got 12,497,500"),
        ("network={generator: watts_strogatz, n: 4000, degree: 100}", "at most 100,000 relations"),
        ("network={generator: watts_strogatz, n: 2000, degree: 20}", "record.dyads: 1,000 steps x 40,000"),
    ],
)
def test_networks_too_big_to_run_exit_2(override, expected):
    path = CONFIG_DIR / "random_network.yaml"
    result = invoke("validate", path, "--set", override, "--set", "steps=1000", "--set", "record.dyads=true")
    assert_invoke_error(result, expected)


@pytest.mark.parametrize(
    "design, expected",
    [
        (
            {"kind": "grid", "parameters": {"posture.grievance": {"start": 0, "stop": 1, "step": 1e-9}}},
            "a range may give at most 100,000 values (this gives 1,000,000,000)",
        ),
        (
            {
                "kind": "grid",
                "parameters": {
                    "posture.grievance": {"start": 0, "stop": 1, "num": 100_000},
                    "trust.decay": {"start": 0, "stop": 1, "num": 100_000},
                },
            },
            "10,000,000,000 design points x 3 replications",
        ),
        ({"kind": "lhs", "n": 10**9, "bounds": {"trust.decay": [0, 1]}}, "at most 1,000,000"),
    ],
)
def test_sweeps_too_big_exit_2_before_anything_is_made(tmp_path, design, expected):
    started = time.perf_counter()
    result = invoke("sweep", write_sweep(tmp_path, sweep_data(design=design)), "--dry-run")
    assert_invoke_error(result, expected)
    assert time.perf_counter() - started < 2


# -- 11. Dask and pool failures -------------------------------------------------------------------


def test_dask_nonsense_address_exits_2_and_makes_no_folder(tmp_path):
    out = tmp_path / "out"
    result = invoke("sweep", write_sweep(tmp_path, MEDIUM), "--out", out, "--dask", "nonsense")
    assert_invoke_error(result, "--dask 'nonsense'", "tcp://host:8786")
    assert not out.exists()
    result = invoke("sweep", write_sweep(tmp_path, MEDIUM), "--out", out, "--dask", "tcp://127.0.0.1:9")
    assert_invoke_error(result, "--dask tcp://127.0.0.1:9: cannot connect")
    assert not out.exists()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_losing_the_dask_scheduler_mid_sweep_is_one_line_and_resumes(tmp_path, medium):
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    bin_dir = Path(sys.executable).parent
    scheduler = subprocess.Popen(
        [str(bin_dir / "dask"), "scheduler", "--port", str(port), "--no-dashboard"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [str(bin_dir / "dask"), "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        cwd=REPO,
    )
    config = write_sweep(tmp_path, MEDIUM)
    out = tmp_path / "out"
    try:
        sweep = subprocess.Popen(
            command("sweep", config, "--out", out, "--dask", address),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(),
        )
        wait_for(lambda: journaled(out) >= 1, 120, sweep, "a first chunk over Dask")
        os.killpg(scheduler.pid, signal.SIGKILL)
        _, stderr = sweep.communicate(timeout=120)
    finally:
        for proc in (scheduler, worker):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert sweep.returncode == 2, stderr
    lines = stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and "rerun the same command to resume" in lines[-1], stderr
    assert "Traceback" not in stderr
    resumed = run_cli("sweep", config, "--out", out, "--workers", 1)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_as(out, medium, 48)


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def pool_workers(pid: int) -> list[psutil.Process]:
    """The pool's workers among ``pid``'s descendants: forked by the sweep itself, or by its fork
    server (which has children; the resource tracker is no worker either)."""
    workers = []
    for process in descendants(pid):
        try:
            if not process.children() and "resource_tracker" not in " ".join(process.cmdline()):
                workers.append(process)
        except psutil.Error:  # gone meanwhile
            pass
    return workers


# ``trustsim`` run with another thread alive, as a caller's program may run it: the pool cannot fork
# from a threaded process, so it starts its workers from a fork server (executors.start_method)
THREADED = (
    "import sys, threading; threading.Thread(target=threading.Event().wait, daemon=True).start(); "
    "sys.argv[0] = 'trustsim'; from trustsim.cli import main; main()"
)
START_COMMANDS = {
    "fork": lambda *args: command(*args),
    "forkserver": lambda *args: [sys.executable, "-c", THREADED, *(str(arg) for arg in args)],
}


def test_a_killed_pool_worker_is_one_line_and_the_folder_resumes(tmp_path, medium):
    """In batches of 2 (24 tasks of about 0.35 s, most of it the fixed cost of a step), so that the
    sweep lasts seconds and the kill lands mid-sweep: in the default batches of 12 its 4 tasks once
    finished before the worker was killed, and the test skipped, testing nothing."""
    config = write_sweep(tmp_path, {**MEDIUM, "batch_size": 2})
    out = tmp_path / "out"
    sweep = subprocess.Popen(
        command("sweep", config, "--out", out, "--workers", 2),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    wait_for(lambda: journaled(out) >= 1, 120, sweep, "a first chunk")
    workers = pool_workers(sweep.pid)
    assert len(workers) == 2, [p.cmdline() for p in descendants(sweep.pid)]
    workers[0].kill()
    _, stderr = sweep.communicate(timeout=120)
    assert sweep.returncode != 0, "the sweep finished before the worker was killed"
    assert sweep.returncode == 2, stderr
    one = stderr.strip().splitlines()
    assert len(one) == 1 and "the process pool failed" in one[0] and "resume" in one[0], stderr
    resumed = run_cli("sweep", config, "--out", out, "--workers", 2)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_as(out, medium, 48)


# -- 15. workers exit when the parent dies ----------------------------------------------------------


@pytest.mark.parametrize("start", ["fork", "forkserver"])
def test_killing_only_the_sweep_process_ends_its_workers_and_fork_server(tmp_path, start):
    config = write_sweep(tmp_path, BIG)
    out = tmp_path / "out"
    sweep = subprocess.Popen(
        START_COMMANDS[start]("sweep", config, "--out", out, "--workers", 2),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=cli_env(),
    )
    wait_for(lambda: len(pool_workers(sweep.pid)) == 2, 120, sweep, "2 workers")
    children = descendants(sweep.pid)
    # forked by the sweep itself, or by a fork server the sweep started
    assert {p.ppid() == sweep.pid for p in pool_workers(sweep.pid)} == {start == "fork"}
    sweep.send_signal(signal.SIGKILL)  # the parent alone: not its process group
    sweep.wait()
    _, alive = psutil.wait_procs(children, timeout=15)
    assert not alive, [(p.pid, p.cmdline()) for p in alive]


# -- 12. --out of run and report ----------------------------------------------------------------------


def test_run_out_somewhere_unwritable_fails_before_computing(tmp_path, monkeypatch):
    import trustsim.execution.run as run_module

    monkeypatch.setattr(run_module, "simulate", lambda *a, **k: pytest.fail("the run was computed"))
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = invoke("run", "dyad", "--out", blocker / "sub")
    assert_invoke_error(result, f"--out {blocker / 'sub'}: cannot write there", "choose another --out")


def test_run_onto_a_full_disk_is_one_line_and_leaves_no_partial_file(tmp_path):
    out = tmp_path / "out"

    def limit() -> None:  # a full disk, for this process: files cannot grow past 64 KiB
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    result = run_cli("run", "europe", "--steps", "60", "--out", out, preexec_fn=limit)
    one_line_error(result, str(out), "cannot write the run")
    assert not [p for p in out.rglob("*.partial")]
    assert not (out / "manifest.json").exists()


def test_sweep_onto_a_full_disk_is_one_line_and_resumes(tmp_path, medium):
    config = write_sweep(tmp_path, MEDIUM)
    out = tmp_path / "out"

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (12 * 1024, 12 * 1024))

    result = run_cli("sweep", config, "--out", out, "--workers", 1, preexec_fn=limit)
    line = one_line_error(result, "cannot write", "rerun the same command to resume")
    assert "pyarrow" not in line.lower() and "Traceback" not in result.stderr
    assert not [p for p in out.rglob(".*.partial")]
    resumed = run_cli("sweep", config, "--out", out, "--workers", 1)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_as(out, medium, 48)


def test_report_out_into_a_missing_folder_or_onto_a_folder(tmp_path):
    run = tmp_path / "run"
    assert invoke("run", "dyad", "--out", run).exit_code == 0
    assert_invoke_error(invoke("report", run, "--out", tmp_path / "nope" / "r.html"), "no folder")
    assert_invoke_error(invoke("report", run, "--out", tmp_path), "is a folder", "report.html")
    assert not [p for p in tmp_path.rglob("*.partial")]


# -- 13. errors that name the right thing -----------------------------------------------------------


def test_a_typo_in_a_sweep_file_is_answered_with_the_sweeps_keys(tmp_path):
    data = sweep_data()
    data["replication"] = data.pop("replications")
    line = assert_invoke_error(invoke("sweep", write_sweep(tmp_path, data), "--dry-run"), "replication")
    assert "did you mean 'replications'?" in line and "master_seed" in line and "relations" not in line


def test_design_path_errors_name_the_sweep_file(tmp_path):
    data = sweep_data(design={"kind": "grid", "parameters": {"states.9.capability": [1, 2]}})
    path = write_sweep(tmp_path, data)
    line = assert_invoke_error(invoke("sweep", path, "--dry-run"), str(path), "states.9: no list item 9")
    assert "--set" not in line
    data = sweep_data(set={"steps.x": 1})
    line = assert_invoke_error(invoke("sweep", write_sweep(tmp_path, data), "--dry-run"), "set:")
    assert "--set" not in line


def test_a_directory_as_config_or_base_is_a_directory(tmp_path):
    assert_invoke_error(invoke("validate", tmp_path), "is a directory")
    assert_invoke_error(invoke("run", tmp_path), "is a directory")
    assert_invoke_error(invoke("sweep", tmp_path, "--dry-run"), "is a directory")
    path = write_sweep(tmp_path, sweep_data(base=str(tmp_path)))
    assert_invoke_error(invoke("sweep", path, "--dry-run"), "base:", "is a directory")


# -- 16. viz: loopback by default, no outbound fetches -----------------------------------------------


def test_loopback_hosts():
    from trustsim.viz_server import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("192.168.1.4")


def test_the_cdn_proxy_never_fetches_from_the_internet(tmp_path, monkeypatch):
    import requests
    from solara.server import cdn_helper

    from trustsim.viz_server import no_outbound_fetches

    monkeypatch.setattr(cdn_helper, "fetch_from_cdn", cdn_helper.fetch_from_cdn)
    monkeypatch.setattr(requests, "get", lambda *a, **k: pytest.fail("an outbound fetch"))
    no_outbound_fetches()
    with pytest.raises(FileNotFoundError, match="fetches nothing"):
        cdn_helper.get_path(tmp_path, "left-pad@1.3.0/index.js")
    (tmp_path / "here@1.0.0").mkdir()
    (tmp_path / "here@1.0.0" / "x.js").write_text("1")
    assert cdn_helper.get_path(tmp_path, "here@1.0.0/x.js").read_text() == "1"


def test_viz_on_a_non_loopback_host_warns(tmp_path):
    proc = subprocess.Popen(
        command("viz", "dyad", "--host", "0.0.0.0", "--port", "0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    try:
        line = proc.stderr.readline()
    finally:
        proc.kill()
        proc.communicate()
    assert line.startswith("warning: --host 0.0.0.0 is not this machine only"), line


def test_killing_only_a_dask_local_sweep_ends_its_worker_processes(tmp_path):
    config = write_sweep(tmp_path, BIG)
    out = tmp_path / "out"
    sweep = subprocess.Popen(
        command("sweep", config, "--out", out, "--workers", 2, "--dask", "local"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=cli_env(),
    )
    wait_for(lambda: journaled(out) >= 1, 120, sweep, "a first chunk over Dask")
    children = descendants(sweep.pid)
    assert len(children) >= 2
    sweep.send_signal(signal.SIGKILL)
    sweep.wait()
    _, alive = psutil.wait_procs(children, timeout=20)
    assert not alive, [(p.pid, p.cmdline()) for p in alive]


def test_a_generated_network_without_relations_is_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "empty"
    sets = ["network.generator=erdos_renyi", "network.n=3", "network.degree=1", "seed=3"]
    result = run_cli("run", "random_network", *[x for s in sets for x in ("--set", s)], "--out", out)
    assert result.returncode == 2
    assert "has no relations" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
