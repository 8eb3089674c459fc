"""``trustsim run`` and ``trustsim validate``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
import yaml
from pydantic import BaseModel

from trustsim.cli.common import (
    Command,
    ConfigArg,
    SetOpt,
    app,
    console,
    errors,
    fail,
    load_config,
    planned_sweep,
    print_notes,
    progress_bar,
    recovery,
    sweep_names,
    sweep_path,
    writable_folder,
)
from trustsim.config.errors import ConfigError, section_class
from trustsim.config.loading import resolve_config_path
from trustsim.config.safe_yaml import read_yaml


@app.command(cls=Command)
def run(
    config: ConfigArg,
    steps: Annotated[int | None, typer.Option(help="Number of steps (overrides the config).")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (overrides the config).")] = None,
    set_: SetOpt = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default runs/<scenario>-<UTC time>).")
    ] = None,
) -> None:
    """Run one scenario and write model.parquet, dyads.parquet and manifest.json."""
    from trustsim.execution.run import default_out_dir, simulate, write_run
    from trustsim.model.world import WorldError

    scenario = load_config(config, set_, steps, seed)
    print_notes(scenario)
    out_dir = out or default_out_dir(scenario)
    if out_dir.exists() and not out_dir.is_dir():
        fail(f"{out_dir}: exists and is not a folder; choose another --out")
    if out_dir.exists() and (out_dir / "manifest.json").exists():
        fail(f"{out_dir}: already holds a finished run; choose another --out")
    created = writable_folder(out_dir)  # before the run: its results must have somewhere to go
    try:
        with progress_bar(f"[bold]{scenario.name}[/] seed {scenario.seed}") as progress:
            task = progress.add_task("steps", total=scenario.steps)
            result = simulate(scenario, progress=lambda: progress.advance(task))
    except WorldError as exc:
        if created and not any(out_dir.iterdir()):
            out_dir.rmdir()
        fail(f"{config}: {exc}")
    except BaseException:
        if created and not any(out_dir.iterdir()):
            out_dir.rmdir()
        raise
    try:
        write_run(result, scenario, out_dir, source=str(config))
    except OSError as exc:
        if created and not any(out_dir.iterdir()):
            out_dir.rmdir()
        reason = os.strerror(exc.errno) if exc.errno else exc.strerror or exc
        fail(f"{out_dir}: cannot write the run ({reason}); no half-written file is left")
    s = result.summary
    if not s:
        console.print(
            f"{scenario.name}: {scenario.steps} steps in {result.wall_time:.2f} s "
            f"(model-level measures not recorded: record.model is false)\n  written to        {out_dir}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        return
    console.print(
        f"{scenario.name}: {scenario.steps} steps in {result.wall_time:.2f} s\n"
        f"  mean trust        {s['initial_mean_trust']:.3f} -> {s['final_mean_trust']:.3f}"
        f" ({recovery(s, scenario.outcomes.recovery_threshold)})\n"
        f"  constructive      {s['share_constructive']:.1%} of steps"
        f" (escalatory {s['share_escalatory']:.1%})\n"
        f"  congealed dyads   {s['final_congealed_dyads']} of {s['dyads']}\n"
        f"  written to        {out_dir}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


@app.command(cls=Command)
def validate(
    config: Annotated[
        str,
        typer.Argument(
            metavar="CONFIG",
            help="Scenario or sweep YAML file, or the name of a shipped one (configs/, configs/sweeps/).",
        ),
    ],
    set_: SetOpt = None,
) -> None:
    """Check a scenario (or a sweep) and print it resolved: every key with its value, and beside it
    its default, bounds and meaning from the schema."""
    from trustsim.config.schema import Scenario

    path = Path(config)
    if not path.suffix and not resolve_config_path(config).exists() and config in sweep_names():
        path = sweep_path(config)
    if path.is_file() and _is_sweep(path):
        if set_:
            fail(f"{path}: a sweep takes no --set; put fixed overrides in its `set:` section")
        _validate_sweep(path)
        return
    scenario = load_config(config, set_)
    data = scenario.model_dump(mode="json", by_alias=True)
    sys.stdout.write(
        "# Every key as resolved; beside it: default, bounds (or choices) and meaning, from the schema.\n"
        + "\n".join(_annotated(data, Scenario))
        + "\n"
    )
    print_notes(scenario)
    errors.print(f"{config}: valid", highlight=False, markup=False, emoji=False)


def _is_sweep(path: Path) -> bool:
    """A sweep file has a ``base`` scenario and a ``design``; a scenario has neither."""
    try:
        data = read_yaml(path)
    except ConfigError as exc:
        fail(str(exc))
    return "base" in data and "design" in data


def _validate_sweep(path: Path) -> None:
    """Check a sweep as ``trustsim sweep`` does before it runs anything, and print what it would run."""
    from trustsim.config.sweep import Sweep

    spec, _, points, runs = planned_sweep(path)
    data = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    sys.stdout.write(
        "# A sweep, as resolved; beside each key: default, bounds (or choices) and meaning.\n"
        + "\n".join(_annotated(data, Sweep))
        + f"\n# {len(points)} design points x {spec.replications} replications = {len(runs)} runs "
        f"({spec.design.kind} design over {', '.join(points.columns)}; base scenario {spec.base})\n"
    )
    errors.print(f"{path}: valid sweep", highlight=False, markup=False, emoji=False)


def _scalar(value) -> str:
    """A value as YAML on one line."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**9)
    return text.strip().removesuffix("\n...")


def _field_note(field) -> str:
    """``default 2.0; 1 to 10; How much faster ...`` for a schema field."""
    import typing

    parts = []
    if field.is_required():
        parts.append("required")
    elif field.default_factory is None and not isinstance(field.default, BaseModel):
        parts.append(f"default {_scalar(field.default)}")
    elif field.default_factory is not None:
        made = field.default_factory()
        if isinstance(made, list | dict) and not made:
            parts.append(f"default {_scalar(made)}")
        elif isinstance(made, list):
            parts.append(f"default: {len(made)} entries")
    low = high = None
    for item in field.metadata:
        low = next((f"{'>' if name == 'gt' else '>='} {getattr(item, name)}" for name in ("ge", "gt")
                    if getattr(item, name, None) is not None), low)  # fmt: skip
        high = next((f"{'<' if name == 'lt' else '<='} {getattr(item, name)}" for name in ("le", "lt")
                     if getattr(item, name, None) is not None), high)  # fmt: skip
    if low or high:
        parts.append(", ".join(bound for bound in (low, high) if bound))
    choices = [arg for arg in typing.get_args(field.annotation) if isinstance(arg, str)]
    if typing.get_origin(field.annotation) is typing.Literal:
        parts.append("one of " + ", ".join(choices))
    if field.description:
        parts.append(field.description)
    return "; ".join(parts)


def _annotated(data: dict, model: type[BaseModel], indent: str = "") -> list[str]:
    """``data`` as block YAML, each key followed by its schema note as a comment. A list of
    sections is annotated on its first item (every item has the same keys)."""
    lines: list[str] = []
    fields = {field.alias or name: field for name, field in model.model_fields.items()}
    for key, value in data.items():
        field = fields.get(key)
        section = section_class(field.annotation) if field is not None else None
        text = _field_note(field) if field is not None else ""
        if section is not None and not field.description and section.__doc__:
            text = "; ".join(part for part in (text, section.__doc__.strip().splitlines()[0]) if part)
        note = f"  # {text}" if text else ""
        if isinstance(value, dict) and value and section is not None:
            lines.append(f"{indent}{key}:{note}")
            lines.extend(_annotated(value, section, indent + "  "))
        elif isinstance(value, list) and value and section is not None and isinstance(value[0], dict):
            lines.append(f"{indent}{key}:{note}")
            for i, item in enumerate(value):
                body = _annotated(item, section, indent + "    ") if i == 0 else [
                    f"{indent}    {k}: {_scalar(v)}" for k, v in item.items()
                ]  # fmt: skip
                lines.append(f"{indent}  - {body[0].lstrip()}")
                lines.extend(body[1:])
        elif isinstance(value, dict) and value:
            lines.append(f"{indent}{key}:{note}")
            lines.extend(f"{indent}  {k}: {_scalar(v)}" for k, v in value.items())
        else:
            lines.append(f"{indent}{key}: {_scalar(value)}{note}")
    return lines
