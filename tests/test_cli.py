"""The ``trustsim`` command line: run, validate, list, and what it says when the input is wrong.

Most checks go through typer's CliRunner (in-process, fast); a handful run the installed ``trustsim``
script in a subprocess, since the exit status and the absence of a traceback are what users see.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from support import trustsim_command
from typer.testing import CliRunner

from trustsim.cli import app
from trustsim.config.loading import CONFIG_DIR, load_scenario, shipped_scenarios
from trustsim.config.schema import Scenario
from trustsim.model.policies import POLICIES
from trustsim.model.records import MODEL_REPORTERS

SHIPPED = [path.stem for path in shipped_scenarios()]
ROOT = Path(__file__).resolve().parents[1]
STEPS = 15
# dyad schedules its intervention at step 20; a shorter run is refused (see test_steps_before_an_intervention)
STEPS_FOR = {"dyad": 25}
DYAD_COLUMNS = {"step", "source", "target", "action", "perceived_value", "perceived_move", "trust", "payoff"}

TINY: dict[str, Any] = {
    "name": "tiny",
    "steps": 10,
    "seed": 1,
    "states": [{"code": "A", "policy": "tit_for_tat"}, {"code": "B", "policy": "grit"}],
    "relations": [{"a": "A", "b": "B", "kind": "rival"}],
    "interventions": [{"step": 5, "actor": "A", "target": "B", "action": "open_dialogue"}],
}


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, [str(arg) for arg in args])


def write_config(folder: Path, data: dict[str, Any] | str, name: str = "config.yaml") -> Path:
    path = folder / name
    if isinstance(data, str):
        path.write_text(data)
    else:
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def variant(path: str, value: Any) -> dict[str, Any]:
    """TINY with ``value`` set at the dotted ``path``."""
    data = yaml.safe_load(yaml.safe_dump(TINY))
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


def assert_one_line_error(result: Any, *expected: str) -> str:
    """Exit status 2, nothing on stdout, exactly one line on stderr holding every ``expected`` text."""
    stderr = result.stderr
    assert result.exit_code == 2, (result.exit_code, result.stdout, stderr, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in stderr and "Traceback" not in result.stdout
    assert result.stdout == ""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith("error: "), line
    for text in expected:
        assert text in line, f"{text!r} not in {line!r}"
    return line


def read_run(out: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    return pd.read_parquet(out / "model.parquet"), json.loads((out / "manifest.json").read_text())


# -- bad input: exit 2, one line naming the file, the key path and what is allowed, nothing written --

ALL_POLICIES = ", ".join(sorted(POLICIES))

BAD_CONFIGS = {
    "unknown key": (
        variant("trust.negativty_bias", 3),
        ["trust.negativty_bias", "unknown key", "did you mean 'negativity_bias'", "allowed: audience_cost"],
    ),
    "unknown top-level key": (variant("stpes", 3), ["stpes", "unknown key", "'steps'", "allowed: actions"]),
    "unknown key in a list item": (
        variant("states.1.polcy", "grit"),
        ["states.1.polcy", "unknown key", "'policy'", "allowed: bloc, capability, code"],
    ),
    "wrong type": (variant("steps", "many"), ["steps", "valid integer", "(got 'many')"]),
    "wrong type for a section": (variant("trust", 3), ["trust", "valid dictionary", "(got 3)"]),
    "out of range": (
        variant("trust.negativity_bias", 20),
        ["trust.negativity_bias", "less than or equal to 10"],
    ),
    "out of range in a list item": (
        variant("states.0.capability", -1),
        ["states.0.capability", "greater than or equal to 0", "(got -1)"],
    ),
    "not one of the choices": (variant("trust.rule", "bogus"), ["trust.rule", "'adaptive' or 'bayesian'"]),
    "required key missing": (
        variant("states.1", {"name": "B"}),
        ["states.1.code", "required key is missing"],
    ),
    "unknown policy": (
        variant("states.1.policy", "gritt"),
        ["states.1.policy", "unknown policy 'gritt'", f"allowed: {ALL_POLICIES}"],
    ),
    "unknown default policy": (
        variant("default_policy", "nope"),
        ["default_policy", "unknown policy 'nope'", f"allowed: {ALL_POLICIES}"],
    ),
    "unknown action": (
        variant("interventions.0.action", "hug"),
        ["interventions.0.action", "unknown action 'hug'", "allowed: ", "open_dialogue"],
    ),
    "unknown action in the repertoire": (
        variant("repertoire.constructive", "hug"),
        ["repertoire.constructive", "unknown action 'hug'", "restore_diplomatic_facilities"],
    ),
    "unknown state in an intervention": (
        variant("interventions.0.actor", "XYZ"),
        ["interventions.0.actor", "no state 'XYZ'", "states: A, B"],
    ),
    "edge to a state that does not exist": (
        variant("relations.0.b", "C"),
        ["relations.0.b", "no state 'C'", "states: A, B"],
    ),
    "initial trust for a state that does not exist": (
        variant("initial_trust.pairs", [{"from": "A", "to": "Z", "value": 0.2}]),
        ["initial_trust.pairs.0.to", "no state 'Z'", "states: A, B"],
    ),
    "intervention after the last step": (
        variant("interventions.0.step", 11),
        ["interventions.0.step", "must be <= steps (10)", "(got 11)"],
    ),
    "payoffs not a dilemma": (variant("payoffs.T", 2), ["payoffs", "T > R > P > S"]),
    "yaml syntax error": ("name: tiny\nstates: [{code: A\n", ["line 3", "YAML syntax error"]),
    "tab indentation": ("name: tiny\n\tsteps: 3\n", ["line 2", "YAML syntax error"]),
    "python object tag": (
        'name: !!python/object/apply:os.system ["echo hi"]\nsteps: 3\n',
        ["name: line 1", "YAML tag '!!python/object/apply:os.system' not allowed", "only plain values"],
    ),
    "python object tag nested": (
        "name: tiny\nstates:\n  - {code: A, policy: !!python/name:os.system }\n",
        ["states.0.policy: line 3", "'!!python/name:os.system' not allowed"],
    ),
    "top level not a mapping": ("- a\n- b\n", ["the top level must be a mapping", "(got list)"]),
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS), ids=lambda case: case.replace(" ", "-"))
def test_bad_config_is_one_line_and_exit_2(case, tmp_path):
    data, expected = BAD_CONFIGS[case]
    config = write_config(tmp_path, data)
    out = tmp_path / "out"
    result = invoke("run", config, "--out", out)
    assert_one_line_error(result, f"{config}: ", *expected)
    assert not out.exists()
    # validate says the same, in the same words
    assert invoke("validate", config).stderr == result.stderr


def test_missing_file(tmp_path):
    out = tmp_path / "out"
    missing = tmp_path / "nosuch.yaml"
    assert_one_line_error(invoke("run", missing, "--out", out), f"{missing}: no such file")
    assert_one_line_error(invoke("run", "no_such_scenario", "--out", out), "no_such_scenario: no such file")
    assert not out.exists()


def test_unreadable_file(tmp_path):
    config = tmp_path / "binary.yaml"
    config.write_bytes(b"\xff\xfe\x00name: x\n")
    out = tmp_path / "out"
    assert_one_line_error(invoke("run", config, "--out", out), f"{config}: cannot read the file")
    assert not out.exists()


def test_keys_that_look_like_markup_or_span_lines_stay_one_plain_line(tmp_path):
    config = write_config(tmp_path, 'name: tiny\n"[/x] [bold]y :thumbs_up:": 1\n"a\\nb": 2\n')
    line = assert_one_line_error(invoke("validate", config), "[/x] [bold]y :thumbs_up:: unknown key")
    assert "\x1b[" not in line


def test_steps_before_an_intervention(tmp_path):
    """Shortening a run below a scheduled intervention is refused, not silently dropped."""
    out = tmp_path / "out"
    result = invoke("run", "dyad", "--steps", STEPS, "--out", out)
    line = assert_one_line_error(
        result,
        "dyad.yaml: interventions.0 (RUS: restore_diplomatic_facilities toward USA at step 20)",
        f"is beyond --steps {STEPS}",
        "give --steps 20 or more",
    )
    assert "(with --set)" not in line
    assert not out.exists()


# -- --set overrides -------------------------------------------------------------------------------


def validated(*args: str) -> dict[str, Any]:
    result = invoke("validate", *args)
    assert result.exit_code == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_set_nested_and_list_index_and_yaml_scalars():
    data = validated(
        "dyad",
        "--set",
        "trust.negativity_bias=3",
        "--set",
        "states.0.policy=grit",
        "--set",
        "states.1.richardson.reaction=0.25",
        "--set",
        "altered_agenda.enabled=true",
        "--set",
        "payoffs.T=6",  # a section the file does not have
        "--set",
        "name=dyad2",
        "--set",
        "interventions=[]",
    )
    assert data["trust"]["negativity_bias"] == 3.0
    assert data["states"][0]["policy"] == "grit"
    assert data["states"][1]["policy"] is None
    assert data["states"][1]["richardson"]["reaction"] == 0.25
    assert data["altered_agenda"]["enabled"] is True
    assert data["payoffs"]["T"] == 6.0 and data["payoffs"]["R"] == 3.0
    assert data["name"] == "dyad2"
    assert data["interventions"] == []


def test_set_a_flow_mapping_and_a_generated_network():
    data = validated(
        "random_network",
        "--set",
        "network.n=20",
        "--set",
        "network.policy_mix={grit: 0.5}",
        "--set",
        "interventions=[{step: 3, actor: S001, action: open_dialogue}]",
    )
    assert data["network"]["n"] == 20
    assert data["network"]["policy_mix"] == {"grit": 0.5}
    assert data["interventions"][0]["actor"] == "S001"


BAD_SETS = {
    "states.5.policy=grit": ["--set states.5.policy=grit: states.5: no list item 5", "has 2 items"],
    "states.x.policy=grit": ["states.x: no list item x"],
    "steps.x=1": ["--set steps.x=1: steps is a plain value, not a section"],
    "trust.bogus=1": ["(with --set): trust.bogus: unknown key", "allowed: audience_cost"],
    "bogus.key=1": ["(with --set): bogus: unknown key", "allowed: actions"],
    "nokey": ["--set 'nokey': expected KEY=VALUE"],
    "=3": ["--set '=3': expected KEY=VALUE"],
    "steps=abc": ["(with --set): steps: Input should be a valid integer", "(got 'abc')"],
    "steps=[1": ["--set 'steps=[1': the value is not a valid YAML scalar"],
    'name=!!python/object/apply:os.system ["echo hi"]': ["the value is not a valid YAML scalar"],
    "trust.negativity_bias=0.5": ["trust.negativity_bias: Input should be greater than or equal to 1"],
    "record.dyads=maybe": ["record.dyads: Input should be a valid boolean", "(got 'maybe')"],
    "states.0.policy=nope": ["states.0.policy: unknown policy 'nope'", f"allowed: {ALL_POLICIES}"],
    "relations.0.b=XXX": ["relations.0.b: no state 'XXX'", "states: RUS, USA"],
    "network.n=20": ["(top level): give either `states`"],
}


@pytest.mark.parametrize("override", list(BAD_SETS))
def test_bad_set_is_one_line_and_exit_2(override, tmp_path):
    out = tmp_path / "out"
    result = invoke("run", "dyad", "--set", override, "--out", out)
    assert_one_line_error(result, "configs/dyad.yaml", *BAD_SETS[override])
    assert not out.exists()


# -- --steps and --seed ----------------------------------------------------------------------------


def test_steps_and_seed_override_the_config(tmp_path):
    out = tmp_path / "out"
    result = invoke("run", write_config(tmp_path, TINY), "--steps", 7, "--seed", 42, "--out", out)
    assert result.exit_code == 0, result.stderr
    model, manifest = read_run(out)
    assert len(model) == 7 and list(model["step"]) == list(range(1, 8))
    assert manifest["seed"] == 42 == manifest["config"]["seed"]
    assert manifest["steps"] == 7 == manifest["config"]["steps"]


def test_steps_and_seed_win_over_set(tmp_path):
    out = tmp_path / "out"
    args = ["run", write_config(tmp_path, TINY), "--set", "steps=9", "--set", "seed=5"]
    result = invoke(*args, "--steps", 6, "--seed", 3, "--out", out)
    assert result.exit_code == 0, result.stderr
    model, manifest = read_run(out)
    assert len(model) == 6 and manifest["seed"] == 3


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (
            ["--steps", "0"],
            ["(with --steps 0): steps: Input should be greater than or equal to 1", "(got 0)"],
        ),
        (
            ["--seed", "-1"],
            ["(with --seed -1): seed: Input should be greater than or equal to 0", "(got -1)"],
        ),
    ],
)
def test_steps_and_seed_out_of_range(option, expected, tmp_path):
    """The error names the option given (--steps, --seed), not --set."""
    out = tmp_path / "out"
    result = invoke("run", write_config(tmp_path, TINY), *option, "--out", out)
    assert_one_line_error(result, "config.yaml", *expected)
    assert not out.exists()


def test_steps_not_a_number_is_a_usage_error(tmp_path):
    out = tmp_path / "out"
    result = invoke("run", write_config(tmp_path, TINY), "--steps", "abc", "--out", out)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert "--steps" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


# -- end to end ------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SHIPPED)
def test_run_each_shipped_scenario(scenario, tmp_path):
    steps = STEPS_FOR.get(scenario, STEPS)
    out = tmp_path / "out"
    result = invoke("run", scenario, "--steps", steps, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr

    model, manifest = read_run(out)
    assert list(model.columns) == ["step", *MODEL_REPORTERS]
    assert list(model["step"]) == list(range(1, steps + 1))
    assert model["mean_trust"].between(0, 1).all()
    assert model["share_constructive"].between(0, 1).all()

    config = load_scenario(scenario, [f"steps={steps}"])
    assert {"config", "seed", "versions", "wall_time_seconds"} <= set(manifest)
    assert Scenario.model_validate(manifest["config"]) == config
    assert manifest["seed"] == config.seed and manifest["steps"] == steps
    assert {"python", "trustsim", "mesa"} <= set(manifest["versions"])
    assert manifest["wall_time_seconds"] >= 0

    names = sorted(path.name for path in out.iterdir())
    assert not [name for name in names if name.endswith(".partial") or name.startswith(".")], names
    if config.record.dyads:
        dyads = pd.read_parquet(out / "dyads.parquet")
        assert set(dyads.columns) >= DYAD_COLUMNS
        assert len(dyads) == steps * manifest["summary"]["dyads"]
        assert sorted(dyads["step"].unique()) == list(range(1, steps + 1))
        assert set(dyads["source"]) | set(dyads["target"]) <= {state.code for state in config.states}
        assert set(dyads["action"]) <= {action.name for action in config.actions}
    else:  # record.dyads: false (random_network) writes no dyads.parquet, as runs/README.md says
        assert "dyads.parquet" not in names
    assert ("attribution.parquet" in names) == config.record.attribution

    summary = manifest["summary"]
    stdout = result.stdout
    assert f"{scenario}: {steps} steps" in stdout
    assert f"-> {summary['final_mean_trust']:.3f}" in stdout
    assert f"constructive      {summary['share_constructive']:.1%}" in stdout
    assert f"congealed dyads   {summary['final_congealed_dyads']} of {summary['dyads']}" in stdout
    assert str(out) in stdout


def test_dyads_recorded_for_a_generated_network_on_request(tmp_path):
    out = tmp_path / "out"
    args = ["random_network", "--steps", 5, "--set", "network.n=10", "--set", "record.dyads=true"]
    assert invoke("run", *args, "--out", out).exit_code == 0
    dyads = pd.read_parquet(out / "dyads.parquet")
    assert set(dyads.columns) >= DYAD_COLUMNS
    assert set(dyads["source"]) <= {f"S{i:03d}" for i in range(10)}


def test_same_seed_gives_identical_records(tmp_path):
    runs = []
    for name in ("first", "second", "other_seed"):
        seed = 7 if name != "other_seed" else 8
        out = tmp_path / name
        result = invoke("run", "dyad", "--steps", 25, "--seed", seed, "--out", out)
        assert result.exit_code == 0, result.stderr
        runs.append((pd.read_parquet(out / "model.parquet"), pd.read_parquet(out / "dyads.parquet")))
    (model_a, dyads_a), (model_b, dyads_b), (model_c, _) = runs
    pd.testing.assert_frame_equal(model_a, model_b)
    pd.testing.assert_frame_equal(dyads_a, dyads_b)
    assert not model_a.equals(model_c)  # the logit policy draws: another seed, another history


def test_run_twice_into_the_same_out_refuses(tmp_path):
    out = tmp_path / "out"
    config = write_config(tmp_path, TINY)
    assert invoke("run", config, "--out", out).exit_code == 0
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    result = invoke("run", config, "--out", out)
    assert_one_line_error(result, str(out), "already holds a finished run", "--out")
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before


def test_interrupted_run_leaves_no_file_that_looks_complete(tmp_path, monkeypatch):
    config = write_config(tmp_path, TINY)
    out = tmp_path / "out"
    written = pd.DataFrame.to_parquet

    def interrupted(self, path, *args, **kwargs):
        Path(path).write_bytes(b"PAR1 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_parquet", interrupted)
    assert invoke("run", config, "--out", out).exit_code != 0
    assert not [path for path in out.iterdir() if not path.name.endswith(".partial")]

    def fails_after_the_records(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_parquet", written)
    monkeypatch.setattr("trustsim.execution.run.package_versions", fails_after_the_records)
    assert invoke("run", config, "--out", out).exit_code != 0
    assert not (out / "manifest.json").exists()  # records without a manifest: an interrupted run
    monkeypatch.undo()
    assert invoke("run", config, "--out", out).exit_code == 0  # ... which a new run may replace
    assert sorted(path.name for path in out.iterdir()) == ["dyads.parquet", "manifest.json", "model.parquet"]


def test_out_that_is_a_file_refuses(tmp_path):
    out = tmp_path / "out"
    out.write_text("not a folder")
    assert_one_line_error(invoke("run", write_config(tmp_path, TINY), "--out", out), "is not a folder")
    assert out.read_text() == "not a folder"


def test_default_out_is_a_timestamped_folder_under_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("run", "classic_ipd", "--steps", 5)
    assert result.exit_code == 0, result.stderr
    (folder,) = (tmp_path / "runs").iterdir()
    assert re.fullmatch(r"classic_ipd-\d{8}T\d{6}Z", folder.name)
    assert (folder / "manifest.json").is_file() and (folder / "model.parquet").is_file()


def test_bad_input_creates_no_default_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert invoke("run", "classic_ipd", "--set", "steps=-1").exit_code == 2
    assert not (tmp_path / "runs").exists()


# -- validate and list -----------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SHIPPED)
def test_validate_prints_yaml_that_round_trips(scenario, tmp_path):
    result = invoke("validate", scenario)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.strip() == f"{scenario}: valid"
    resolved = write_config(tmp_path, result.stdout, "resolved.yaml")
    assert load_scenario(resolved) == load_scenario(scenario)
    again = invoke("validate", resolved)
    assert again.exit_code == 0 and again.stdout == result.stdout
    data = yaml.safe_load(result.stdout)
    assert "negativity_bias" in data["trust"] and "learning_rate" in data["trust"]  # defaults filled in


def test_validate_with_set(tmp_path):
    data = validated(write_config(tmp_path, TINY), "--set", "steps=12")
    assert data["steps"] == 12 and data["states"][0]["code"] == "A"


def test_list_shows_every_policy_and_scenario():
    result = invoke("list")
    assert result.exit_code == 0, result.stderr
    for name in [*POLICIES, *SHIPPED]:
        assert re.search(rf"\b{re.escape(name)}\b", result.stdout), name
    policies = invoke("list", "policies").stdout
    assert all(name in policies for name in POLICIES)
    scenarios = invoke("list", "scenarios").stdout
    assert all(name in scenarios for name in SHIPPED)


def test_list_shows_every_action_name_uncut():
    """Into a pipe (80 columns is what Rich assumes there) every row is whole: names and headers."""
    from trustsim.config.schema import essay_catalog

    actions = invoke("list", "actions").stdout
    assert "…" not in actions and "verifiability" in actions and "other view" in actions
    for action in essay_catalog():
        row = next(line for line in actions.splitlines() if f" {action.name} " in line)
        assert action.kind in row and f"{action.verifiability:.2f}" in row, row
    assert max(len(line) for line in actions.splitlines()) > 80  # not cut at 80 columns
    for path in shipped_scenarios():
        description = str(yaml.safe_load(path.read_text()).get("description", "")).strip()
        assert description.splitlines()[0] in invoke("list", "scenarios").stdout


def test_list_unknown_section():
    assert_one_line_error(
        invoke("list", "sweep"),
        "unknown 'sweep'",
        "(did you mean 'sweeps'?)",
        "allowed: all, scenarios, sweeps",
    )


# -- names of shipped scenarios and sweeps ---------------------------------------------------------

SWEEPS = sorted(path.stem for path in (CONFIG_DIR / "sweeps").glob("*.yaml"))


def test_a_misspelt_scenario_name_suggests_the_nearest():
    line = assert_one_line_error(invoke("run", "eurpoe"), "eurpoe: no such file", "(did you mean 'europe'?)")
    assert all(name in line for name in SHIPPED)


def test_list_sweeps_and_sweep_takes_a_shipped_name():
    listed = invoke("list", "sweeps")
    assert listed.exit_code == 0 and SWEEPS
    for name in SWEEPS:
        description = str(yaml.safe_load((CONFIG_DIR / "sweeps" / f"{name}.yaml").read_text())["description"])
        assert re.search(rf"\b{name}\b.*{re.escape(description.split()[0])}", listed.stdout), name
    assert "quickstart" in invoke("list").stdout
    result = invoke("sweep", "quickstart", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "quickstart: 4 design points x 6 replications = 24 runs" in result.stdout
    assert_one_line_error(
        invoke("sweep", "quickstrt"), "(did you mean 'quickstart'?)", "trustsim list sweeps"
    )
    assert_one_line_error(
        invoke("sweep", "europe"), "europe: is a scenario, not a sweep", "trustsim run europe"
    )
    assert_one_line_error(invoke("run", "quickstart"), "quickstart: is a sweep", "trustsim sweep quickstart")


@pytest.mark.parametrize("name", SWEEPS)
def test_validate_checks_a_sweep_as_a_sweep(name):
    """Not "base: unknown key": the file is read as a sweep, its design planned and checked."""
    from trustsim.config.sweep import load_sweep
    from trustsim.execution.sweep import plan

    for given in (name, str(CONFIG_DIR / "sweeps" / f"{name}.yaml")):
        result = invoke("validate", given)
        assert result.exit_code == 0, result.stderr
        assert result.stderr.strip().endswith(f"{name}.yaml: valid sweep")
        spec, _ = load_sweep(CONFIG_DIR / "sweeps" / f"{name}.yaml")
        points, runs = plan(spec)
        assert f"# {len(points)} design points x {spec.replications} replications = {len(runs)} runs" in (
            result.stdout
        )
        data = yaml.safe_load(result.stdout)
        assert data["name"] == spec.name and data["design"]["kind"] == spec.design.kind


def test_validate_names_a_bad_sweep_bound_as_a_bound(tmp_path):
    """An LHS bound outside what the parameter takes is reported as the bound, before any sample."""
    sweep = {
        "name": "bad_bound",
        "base": str(CONFIG_DIR / "dyad.yaml"),
        "steps": 30,
        "design": {"kind": "lhs", "n": 8, "bounds": {"trust.congeal_rate": [0.01, 1.5]}},
    }
    path = write_config(tmp_path, sweep, "sweep.yaml")
    for command in ("validate", "sweep"):
        line = assert_one_line_error(
            invoke(command, path, *(["--dry-run"] if command == "sweep" else [])),
            "sweep.yaml: design.bounds.trust.congeal_rate: the bound 1.5 of [0.01, 1.5] is out of range",
            "less than or equal to 1 (got 1.5)",
        )
        assert "design parameter" not in line  # no sampled value such as 1.2548...


# -- validate shows every key's default, bounds and meaning -----------------------------------------


def test_validate_annotates_every_key_with_default_bounds_and_meaning(tmp_path):
    from trustsim.config.schema import TrustRule

    result = invoke("validate", "dyad")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    for name, field in TrustRule.model_fields.items():
        line = next(line for line in lines if line.strip().startswith(f"{name}:"))
        assert f"# default {yaml.safe_dump(field.default, default_flow_style=True).split(chr(10))[0]}" in line
        assert field.description in line, line
    bias = next(line for line in lines if line.strip().startswith("negativity_bias:"))
    assert ">= 1.0, <= 10.0" in bias
    assert "one of adaptive, bayesian" in next(line for line in lines if line.strip().startswith("rule:"))
    assert "required" in next(line for line in lines if line.strip().startswith("- code: USA"))
    # still a scenario trustsim run accepts, the same one
    resolved = write_config(tmp_path, result.stdout, "resolved.yaml")
    assert load_scenario(resolved) == load_scenario("dyad")


def test_readme_example_config_is_configs_dyad():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## A config\n\n```yaml\n(.*?)```", readme, re.S).group(1)
    assert yaml.safe_load(block) == yaml.safe_load((CONFIG_DIR / "dyad.yaml").read_text())


# -- what run says ---------------------------------------------------------------------------------


def test_set_an_item_of_a_list_the_config_lacks_is_explained():
    line = assert_one_line_error(
        invoke("validate", "europe", "--set", "interventions.0.actor=XXX"),
        "--set interventions.0.actor=XXX: interventions: the config has no list interventions, so no item 0",
        "give the whole list",
    )
    assert "valid list" not in line
    assert_one_line_error(
        invoke("validate", "dyad", "--set", "interventions.0.actor=XXX"),
        "interventions.0.actor: no state 'XXX'; states: RUS, USA",
    )


def _summary_line(stdout: str) -> str:
    return next(line for line in stdout.splitlines() if line.strip().startswith("mean trust"))


def test_run_says_recovered_only_when_the_run_ends_above_the_threshold(tmp_path):
    """ "Recovered" is mean trust reaching outcomes.recovery_threshold from below and ending at or above
    it. Two cooperators from trust 0.3 until A turns to all_defect at step 12: trust rises past 0.5
    and falls back below it, so at the default threshold the run did not recover."""
    from trustsim.execution.run import simulate

    data = yaml.safe_load(yaml.safe_dump(TINY))
    data.update(steps=30, initial_trust={"default": 0.3})
    data["interventions"] = [{"step": 12, "actor": "A", "policy": "all_defect"}]
    for state in data["states"]:
        state["policy"] = "all_cooperate"
    config = write_config(tmp_path, data)
    trust = simulate(load_scenario(config)).model["mean_trust"]  # indexed by step
    threshold = load_scenario(config).outcomes.recovery_threshold
    assert trust.max() > threshold > trust.iloc[-1]  # the case of the issue: up past it, and back

    def summary(*args: str) -> str:
        result = invoke("run", config, *args, "--out", tmp_path / f"out{len(list(tmp_path.iterdir()))}")
        assert result.exit_code == 0, result.stderr
        return _summary_line(result.stdout)

    first = int(trust.index[trust >= threshold][0])
    assert (
        f"(not recovered: reached the recovery threshold {threshold:g} at step {first} but ended below it)"
        in (summary())
    )
    low = float(trust.iloc[-1]) - 0.01  # crossed on the way up, and the run ends above it
    first_low = int(trust.index[trust >= low][0])
    held = summary("--set", f"outcomes.recovery_threshold={low}")
    assert f"(recovered: reached the recovery threshold {low:g} at step {first_low}, ended above it)" in held
    never = summary("--set", f"outcomes.recovery_threshold={float(trust.max()) + 0.01}")
    assert "(not recovered: never reached the recovery threshold" in never


def test_run_notes_a_pair_that_sets_both_directions(tmp_path):
    data = yaml.safe_load(yaml.safe_dump(TINY))
    data["initial_trust"] = {"default": 0.5, "pairs": [{"from": "A", "to": "B", "value": 0.2}]}
    config = write_config(tmp_path, data)
    result = invoke("run", config, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert (
        "note: initial_trust.pairs.0 sets A->B 0.2 and, since initial_trust.symmetric_pairs is true, "
        "B->A 0.2 too" in result.stderr
    )
    assert "note:" in invoke("validate", config).stderr
    data["initial_trust"]["symmetric_pairs"] = False
    assert "note:" not in invoke("validate", write_config(tmp_path, data, "asym.yaml")).stderr
    assert "note:" not in invoke("validate", "dyad").stderr  # both directions given


def test_usage_lines_name_the_arguments():
    for command, usage in [
        ("run", "trustsim run [OPTIONS] CONFIG"),
        ("validate", "trustsim validate [OPTIONS] CONFIG"),
        ("sweep", "trustsim sweep [OPTIONS] SWEEP"),
        ("report", "trustsim report [OPTIONS] RUN_DIR"),
    ]:
        result = CliRunner().invoke(app, [command], prog_name="trustsim")
        assert result.exit_code == 2
        assert f"Usage: {usage}" in result.stderr, result.stderr
        assert "{" not in result.stderr.splitlines()[0]
    assert (
        "trustsim viz [OPTIONS] [SCENARIO]"
        in CliRunner().invoke(app, ["viz", "--help"], prog_name="trustsim").stdout
    )


# -- what users see: the installed script in a subprocess ------------------------------------------


def run_cli(*args: Any, cwd: Path, columns: int = 20) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env["COLUMNS"] = str(columns)  # narrow: rich must not wrap the error line
    return subprocess.run(
        [*trustsim_command(), *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


SUBPROCESS_CASES = {
    "long allowed list": (
        variant("states.1.policy", "gritt"),
        [],
        ["states.1.policy", f"allowed: {ALL_POLICIES}"],
    ),
    "python tag runs nothing": (
        'name: !!python/object/apply:os.system ["echo pwned > marker"]\n',
        [],
        ["name: line 1", "YAML tag '!!python/object/apply:os.system' not allowed"],
    ),
    "markup in a key": ('name: tiny\n"[/x]": 1\n', [], ["[/x]: unknown key"]),
    "bad --set path": (TINY, ["--set", "states.3.policy=grit"], ["states.3: no list item 3"]),
}


@pytest.mark.parametrize("case", list(SUBPROCESS_CASES), ids=lambda case: case.replace(" ", "-"))
def test_subprocess_bad_input_exits_2_with_one_line(case, tmp_path):
    data, extra, expected = SUBPROCESS_CASES[case]
    config = write_config(tmp_path, data)
    out = tmp_path / "out"
    proc = run_cli("run", config, *extra, "--out", out, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"error: {config}: ")
    assert len(lines[0]) > 20  # longer than the terminal, and still one line
    for text in expected:
        assert text in lines[0], f"{text!r} not in {lines[0]!r}"
    assert not out.exists()
    assert not (tmp_path / "marker").exists() and not (tmp_path / "runs").exists()


def test_subprocess_missing_file(tmp_path):
    proc = run_cli("validate", tmp_path / "nosuch.yaml", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == f"error: {tmp_path / 'nosuch.yaml'}: no such file\n"


def test_subprocess_run_writes_and_summarizes(tmp_path):
    out = tmp_path / "out"
    proc = run_cli("run", write_config(tmp_path, TINY), "--out", out, cwd=tmp_path, columns=40)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "mean trust" in proc.stdout and "congealed dyads" in proc.stdout
    assert f"written to        {out}" in proc.stdout  # the path is not wrapped either
    assert sorted(path.name for path in out.iterdir()) == ["dyads.parquet", "manifest.json", "model.parquet"]
