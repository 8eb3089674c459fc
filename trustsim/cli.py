"""The ``trustsim`` command line: run, validate, list."""

from __future__ import annotations

import difflib
import os
import re
import sys
from pathlib import Path
from typing import Annotated

import typer
import typer.core
import yaml
from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Column, Table
from rich.text import Text

from trustsim.config.loading import (
    CONFIG_DIR,
    ConfigError,
    _section,
    load_scenario,
    read_yaml,
    resolve_config_path,
    shipped_scenarios,
)
from trustsim.config.reference import bounds
from trustsim.config.vocabulary import MATCH_DEFAULTS as MATCH

app = typer.Typer(
    help="trustsim: when do small constructive steps restore trust between states, "
    "and when does mistrust congeal?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)


class Command(typer.core.TyperCommand):
    """Usage lines name each argument as its help does (``CONFIG``, ``[SCENARIO]``): Typer writes
    a required one as ``{config}``, which reads like a placeholder left unfilled."""

    def collect_usage_pieces(self, ctx) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, typer.core.TyperArgument):
                name = param.display_name_raw
                pieces.append(name if param.required or name.startswith("[") else f"[{name}]")
        return pieces


def fail(message: str) -> None:
    """One clear line on stderr and exit status 2: bad input, nothing written."""
    line = " ".join(message.splitlines())  # as plain text: no markup, no emoji, never wrapped
    errors.print(Text.assemble(("error:", "bold red"), " ", line), highlight=False, soft_wrap=True)
    raise typer.Exit(2)


ConfigArg = Annotated[
    str, typer.Argument(metavar="CONFIG", help="Scenario YAML file, or the name of one in configs/.")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override KEY=VALUE (dotted path, YAML value); repeatable."),
]


def _writable_folder(folder: Path, flag: str = "--out") -> bool:
    """Make ``folder`` (and its parents) and check a file can be written in it, before any work is
    done whose results would go there; True if it was created. One line and exit 2 if not."""
    import tempfile

    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".trustsim-probe-"):
            pass
    except OSError as exc:
        fail(f"{flag} {folder}: cannot write there ({exc.strerror or exc}); choose another {flag}")
    return created


def _suggest(name: str, names: list[str]) -> str:
    near = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return f" (did you mean {near[0]!r}?)" if near else ""


def _scenario_path(config: str) -> Path:
    """A scenario file, or the name of a shipped one; one line with the nearest name if neither."""
    path = resolve_config_path(config)
    if path.exists() or Path(config).suffix:
        return path
    names = [shipped.stem for shipped in shipped_scenarios()]
    if config in _sweep_names():
        fail(f"{config}: is a sweep, not a scenario: trustsim sweep {config} (scenarios: {', '.join(names)})")
    fail(
        f"{config}: no such file, and no shipped scenario of that name{_suggest(config, names)}; "
        f"shipped scenarios: {', '.join(names)} (trustsim list scenarios)"
    )
    raise AssertionError  # fail() exits


def _sweep_names() -> list[str]:
    return [path.stem for path in sorted((CONFIG_DIR / "sweeps").glob("*.yaml"))]


def _sweep_path(config: str) -> Path:
    """A sweep file, or the name of a shipped one (configs/sweeps/); one line if neither."""
    path = Path(config)
    if path.exists() or path.suffix:
        return path
    shipped = CONFIG_DIR / "sweeps" / f"{config}.yaml"
    if shipped.is_file():
        return shipped
    names = _sweep_names()
    if (CONFIG_DIR / f"{config}.yaml").is_file():
        fail(f"{config}: is a scenario, not a sweep: trustsim run {config} (sweeps: {', '.join(names)})")
    fail(
        f"{config}: no such file, and no shipped sweep of that name{_suggest(config, names)}; "
        f"shipped sweeps: {', '.join(names)} (trustsim list sweeps)"
    )
    raise AssertionError  # fail() exits


BEYOND_STEPS = re.compile(r": interventions\.(\d+)\.step: must be <= steps")


def _load(config: str, overrides: list[str] | None, steps: int | None = None, seed: int | None = None):
    """The scenario with ``--set`` overrides, then ``--steps`` and ``--seed``; errors name the one
    of them that applies (not ``--set`` for ``--steps``)."""
    path = _scenario_path(config)
    extra = list(overrides or [])
    flags = [f"{flag} {value}" for flag, value in (("--steps", steps), ("--seed", seed)) if value is not None]
    for key, value in (("steps", steps), ("seed", seed)):
        if value is not None:
            extra.append(f"{key}={value}")
    try:
        return load_scenario(path, extra)
    except ConfigError as exc:
        message = str(exc)
        if flags and not overrides:
            message = message.replace(f"{path} (with --set)", f"{path} (with {' '.join(flags)})", 1)
        beyond = BEYOND_STEPS.search(message)
        if beyond and steps is not None:
            message = _beyond_steps(path, overrides, int(beyond.group(1)), steps) or message
        fail(message)


def _beyond_steps(path: Path, overrides: list[str] | None, index: int, steps: int) -> str | None:
    """Say which intervention ``--steps`` cuts off, and what would keep it."""
    try:
        item = load_scenario(path, list(overrides or [])).interventions[index]
    except (ConfigError, IndexError):
        return None
    what = item.action or f"a change to policy {item.policy}"
    toward = f" toward {item.target}" if item.target else ""
    return (
        f"{path}: interventions.{index} ({item.actor}: {what}{toward} at step {item.step}) is beyond "
        f"--steps {steps}: the run would end before it; give --steps {item.step} or more, or drop it "
        "(--set interventions=[] removes every intervention)"
    )


def _pair_notes(scenario) -> list[str]:
    """Initial trust pairs that also set the opposite direction (``symmetric_pairs: true``)."""
    spec = scenario.initial_trust
    if not spec.symmetric_pairs:
        return []
    given = {(pair.source, pair.target) for pair in spec.pairs}
    return [
        f"note: initial_trust.pairs.{i} sets {pair.source}->{pair.target} {pair.value:g} and, since "
        f"initial_trust.symmetric_pairs is true, {pair.target}->{pair.source} {pair.value:g} too; give "
        f"{pair.target}->{pair.source} a pair of its own, or set symmetric_pairs: false"
        for i, pair in enumerate(spec.pairs)
        if (pair.target, pair.source) not in given
    ]


def _print_notes(scenario) -> None:
    for note in _pair_notes(scenario):
        errors.print(note, highlight=False, markup=False, soft_wrap=True)


def _recovery(summary: dict, threshold: float) -> str:
    """What happened to recovery: mean trust reaching ``outcomes.recovery_threshold`` from below,
    and where it ended (a run can cross the threshold and fall back)."""
    final, reached = summary["final_mean_trust"], summary["time_to_recovery"]
    if summary["initial_mean_trust"] >= threshold:
        return f"started at or above the recovery threshold {threshold:g}"
    if reached is None:
        return f"not recovered: never reached the recovery threshold {threshold:g}"
    if final >= threshold:
        return f"recovered: reached the recovery threshold {threshold:g} at step {reached}, ended above it"
    return f"not recovered: reached the recovery threshold {threshold:g} at step {reached} but ended below it"


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

    scenario = _load(config, set_, steps, seed)
    _print_notes(scenario)
    out_dir = out or default_out_dir(scenario)
    if out_dir.exists() and not out_dir.is_dir():
        fail(f"{out_dir}: exists and is not a folder; choose another --out")
    if out_dir.exists() and (out_dir / "manifest.json").exists():
        fail(f"{out_dir}: already holds a finished run; choose another --out")
    created = _writable_folder(out_dir)  # before the run: its results must have somewhere to go
    try:
        with Progress(
            TextColumn(f"[bold]{scenario.name}[/] seed {scenario.seed}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=errors,
            transient=True,
            disable=not errors.is_terminal,
        ) as progress:
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
        f" ({_recovery(s, scenario.outcomes.recovery_threshold)})\n"
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
    if not path.suffix and not resolve_config_path(config).exists() and config in _sweep_names():
        path = _sweep_path(config)
    if path.is_file() and _is_sweep(path):
        if set_:
            fail(f"{path}: a sweep takes no --set; put fixed overrides in its `set:` section")
        _validate_sweep(path)
        return
    scenario = _load(config, set_)
    data = scenario.model_dump(mode="json", by_alias=True)
    sys.stdout.write(
        "# Every key as resolved; beside it: default, bounds (or choices) and meaning, from the schema.\n"
        + "\n".join(_annotated(data, Scenario))
        + "\n"
    )
    _print_notes(scenario)
    errors.print(f"{config}: valid", highlight=False, markup=False, emoji=False)


def _is_sweep(path: Path) -> bool:
    """A sweep file has a ``base`` scenario and a ``design``; a scenario has neither."""
    try:
        data = read_yaml(path)
    except ConfigError as exc:
        fail(str(exc))
    return "base" in data and "design" in data


def _planned_sweep(path: str | Path):
    """The sweep file read, its design planned and checked against the base scenario (before any
    run): ``(spec, base, points, runs)``, or one line and exit 2."""
    from trustsim.config.sweep import load_sweep
    from trustsim.execution.sweep import check_design, plan

    try:
        spec, base = load_sweep(path)
        points, runs = plan(spec)
        check_design(spec, base, points, str(path))
    except ConfigError as exc:
        fail(str(exc))
    return spec, base, points, runs


def _validate_sweep(path: Path) -> None:
    """Check a sweep as ``trustsim sweep`` does before it runs anything, and print what it would run."""
    from trustsim.config.sweep import Sweep

    spec, _, points, runs = _planned_sweep(path)
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
        section = _section(field.annotation) if field is not None else None
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


@app.command(cls=Command)
def sweep(
    config: Annotated[
        str,
        typer.Argument(
            metavar="SWEEP", help="Sweep YAML file, or the name of a shipped one (trustsim list sweeps)."
        ),
    ],
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default runs/<sweep>-<UTC time>); rerun to resume.")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: all cores).")] = None,
    dask: Annotated[
        str | None,
        typer.Option(
            help="'local' for a Dask LocalCluster, 'slurm' for SLURM jobs (dask-jobqueue), "
            "or a scheduler address tcp://host:port."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the runs and a time estimate; run nothing.")
    ] = False,
    allow_code_change: Annotated[
        bool,
        typer.Option(
            "--allow-code-change",
            help="Resume a sweep started under other trustsim code (recorded in the manifest).",
        ),
    ] = False,
) -> None:
    """Run a batch sweep in parallel; resumable after a kill by running the same command again."""
    import os
    import time

    from trustsim.execution.run import default_out_dir

    config = str(_sweep_path(config))
    spec, base, points, runs = _planned_sweep(config)
    if workers is not None and workers < 1:
        fail(f"--workers must be >= 1 (got {workers})")
    cores = workers or os.cpu_count() or 1
    if dry_run:
        from trustsim.execution.sweep import estimate_seconds

        estimate = estimate_seconds(spec, base, points, runs, cores)
        console.print(
            f"{spec.name}: {len(points)} design points x {spec.replications} replications = {len(runs)} runs "
            f"({spec.design.kind} design, master seed {spec.master_seed})",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        console.print(points.head(10).to_string(), highlight=False, markup=False, soft_wrap=True)
        status = f" (a probe run failed: {estimate.error})" if estimate.error else ""
        console.print(
            f"{estimate.probes} probe runs across the design took {estimate.per_run:.3f} s each on average "
            f"(after one warm-up run){status}; estimated {estimate.seconds:.0f} s on {cores} workers",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        return
    from trustsim.execution.sweep import run_sweep

    out_dir = out or default_out_dir(spec.name)
    if out_dir.exists() and not out_dir.is_dir():
        fail(f"{out_dir}: exists and is not a folder")
    with Progress(
        TextColumn(f"[bold]{spec.name}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
        disable=not errors.is_terminal,
    ) as bar:
        task = bar.add_task("runs", total=len(runs), failed=0, rate="")
        started = time.perf_counter()

        def advance(finished: int, failed: int, skipped: int) -> None:
            rate = finished / max(time.perf_counter() - started, 1e-9)
            bar.update(task, completed=skipped + finished, failed=failed, rate=f"{rate:.1f} runs/s")

        try:
            result = run_sweep(
                spec, base, str(config), out_dir, workers, dask, advance, allow_code_change=allow_code_change
            )
        except ConfigError as exc:
            fail(str(exc))
        except (RuntimeError, OSError) as exc:
            fail(f"{config}: {exc}")
    console.print(
        f"{spec.name}: {result.completed} runs ok, {result.failed} failed"
        f"{f', {result.skipped} already done' if result.skipped else ''} "
        f"({result.total} in all) in {result.wall_time:.1f} s\n  written to        {out_dir}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    if result.failed:
        errors.print(
            f"{result.failed} runs failed: see {out_dir / 'failures.jsonl'}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)


@app.command(cls=Command)
def report(
    run_dir: Annotated[
        Path, typer.Argument(metavar="RUN_DIR", help="A folder written by trustsim run or trustsim sweep.")
    ],
    out: Annotated[
        Path | None, typer.Option(help="HTML file to write (default RUN_DIR/report.html).")
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(help="Facet the charts by this swept parameter (its path or its short name)."),
    ] = None,
) -> None:
    """Write a self-contained HTML report (figures embedded) about a run or a sweep."""
    from trustsim.analysis.load import AnalysisError, load, short
    from trustsim.analysis.report import SECTIONS, write_report

    try:
        results = load(run_dir)
    except AnalysisError as exc:
        fail(str(exc))
    if by is not None:
        varied = results.varied()
        matches = [p for p in varied if by in (p, short(p))]
        if not matches:
            names = ", ".join(varied) or "none: it varies nothing"
            fail(f"--by {by}: not a parameter this {results.kind} varies (it varies {names})")
        by = matches[0]
    if out is not None:
        if out.is_dir():
            fail(f"--out {out}: is a folder; give the HTML file to write, e.g. {out / 'report.html'}")
        if not out.parent.is_dir():
            fail(f"--out {out}: no folder {out.parent} to write it in; create it first")
    _writable_folder(out.parent if out is not None else run_dir)  # before the report is built
    with Progress(
        TextColumn("[bold]report[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[part]}"),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
        disable=not errors.is_terminal,
    ) as bar:
        parts = ["summary", *SECTIONS, "tables"]
        task = bar.add_task("report", total=len(parts), part="")

        def advance(part: str) -> None:
            bar.update(task, completed=parts.index(part) if part in parts else 0, part=part)

        try:
            path = write_report(results, out, by=by, progress=advance)
        except OSError as exc:
            target = out or run_dir / "report.html"
            target.with_name(f".{target.name}.partial").unlink(missing_ok=True)
            fail(f"{target}: cannot write the report ({os.strerror(exc.errno) if exc.errno else exc})")
    console.print(str(path), highlight=False, markup=False, soft_wrap=True)


@app.command()
def demo(
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default runs/quickstart-<UTC time>).")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: all cores).")] = None,
) -> None:
    """Run configs/sweeps/quickstart.yaml and write its report.html; prints the report's path."""
    from trustsim.execution.run import default_out_dir

    out_dir = out or default_out_dir("quickstart")
    try:
        sweep(
            str(CONFIG_DIR / "sweeps" / "quickstart.yaml"),
            out=out_dir,
            workers=workers,
            dask=None,
            dry_run=False,
        )
    except typer.Exit as exc:
        if exc.exit_code:
            raise
    from trustsim.analysis.load import load
    from trustsim.analysis.report import summary_sentences

    for sentence in summary_sentences(load(out_dir)):  # what the sweep found, before the report's path
        console.print(f"  {sentence}", highlight=False, markup=False, soft_wrap=True)
    report(out_dir, out=None, by=None)


@app.command()
def claims(
    replications: Annotated[
        int, typer.Option(min=2, max=10_000, help="Paired replications per claim (seeds 0..N-1).")
    ] = 30,
    out: Annotated[Path, typer.Option(help="Markdown file to write.")] = Path("docs/claims.md"),
    only: Annotated[
        list[str] | None, typer.Option(help="Run only the claim of this name; repeatable.")
    ] = None,
) -> None:
    """Measure every essay claim as a paired experiment with its ablation; write docs/claims.md."""
    from trustsim.claims import CLAIMS, evaluate, render_markdown

    known = {claim.name for claim in CLAIMS}
    for name in only or []:
        if name not in known:
            fail(f"--only: no claim named {name!r} (allowed: {', '.join(sorted(known))})")
    if not out.parent.is_dir():
        fail(f"--out: {out.parent} is not a folder")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=errors) as bar:
        task = bar.add_task("claims", total=len(only or known))
        results = evaluate(
            replications, only, progress=lambda name: bar.update(task, advance=1, description=name)
        )
    out.write_text(render_markdown(results, replications))
    held = sum(result.holds for result in results)
    console.print(f"{held} of {len(results)} claims hold; written to {out}")


@app.command()
def patterns(
    replications: Annotated[
        int, typer.Option(min=2, max=10_000, help="Replications per episode and scenario (seeds 0..N-1).")
    ] = 30,
    out: Annotated[Path, typer.Option(help="Markdown file to write.")] = Path("docs/patterns.md"),
) -> None:
    """The model against what happened: historical episodes and event-data patterns; docs/patterns.md."""
    from trustsim.patterns import PATTERN_SCENARIOS, episodes, evaluate, write_docs

    if not out.parent.is_dir():
        fail(f"--out: {out.parent} is not a folder")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=errors) as bar:
        task = bar.add_task("patterns", total=len(episodes()) + len(PATTERN_SCENARIOS))
        results, fits = evaluate(
            replications, progress=lambda name: bar.update(task, advance=1, description=name)
        )
    held, total = write_docs(results, fits, replications, out)
    console.print(
        f"{held} of {total} documented windows reproduced; written to {out} and its figures/",
        highlight=False,
        soft_wrap=True,
    )


@app.command(cls=Command)
def viz(
    config: Annotated[
        str,
        typer.Argument(
            metavar="[SCENARIO]", help="Scenario to open: a YAML file, or the name of one in configs/."
        ),
    ] = "europe",
    host: Annotated[
        str,
        typer.Option(
            help="Address to listen on (default: this machine only). Another address lets anyone who "
            "can reach it use the app: give it explicitly, e.g. --host 0.0.0.0."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8521,
    set_: SetOpt = None,
) -> None:
    """Open the browser app (Mesa SolaraViz): the network, live charts, sliders; prints its address."""
    _load(config, set_)  # a bad scenario fails here, with the usual one line
    if not 0 <= port <= 65535:
        fail(f"--port must be between 0 and 65535 (got {port})")
    import importlib.util

    if importlib.util.find_spec("solara") is None:
        fail("the app needs Solara (Mesa's visualization extras): pip install 'mesa[rec]' solara-assets")
    from trustsim.viz_server import bind, is_loopback, serve

    try:
        sock = bind(host, port)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port or --host")
    if not is_loopback(host):
        errors.print(
            f"warning: --host {host} is not this machine only: anyone who can reach {host}:{port} can use "
            "the app and run simulations on it, over plain http with no login; use --host 127.0.0.1 "
            "to keep it local",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    import contextlib

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is the way to stop it
        serve(sock, config, list(set_ or []))


def _parse_payoffs(text: str) -> tuple[float, float, float, float]:
    """``T,R,P,S`` as four numbers, checked by the schema's payoff rule (T > R > P > S)."""
    from pydantic import ValidationError

    from trustsim.config.schema import Payoffs

    try:
        values = tuple(float(part) for part in text.split(","))
        Payoffs(**dict(zip("TRPS", values, strict=True)))
    except ValidationError as exc:
        fail(f"--payoffs {text!r}: {exc.errors()[0]['msg'].removeprefix('Value error, ')}")
    except ValueError:
        fail(f"--payoffs {text!r}: expected four numbers T,R,P,S, e.g. 5,3,1,0")
    return values


@app.command(cls=Command)
def match(
    policy_a: Annotated[str, typer.Argument(metavar="A", help="Policy of player A.")],
    policy_b: Annotated[str, typer.Argument(metavar="B", help="Policy of player B.")],
    turns: Annotated[int, typer.Option(help="Turns per match.")] = MATCH["turns"],
    noise: Annotated[float, typer.Option(help="Probability each intended move is flipped.")] = MATCH["noise"],
    repetitions: Annotated[int, typer.Option(help="Independent matches.")] = MATCH["repetitions"],
    seed: Annotated[
        int, typer.Option(help="Master seed; each repetition's seed is spawned from it.")
    ] = MATCH["seed"],
    payoffs: Annotated[str, typer.Option(help="T,R,P,S.")] = ",".join(f"{v:g}" for v in MATCH["payoffs"]),
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """Play two policies in the iterated Prisoner's Dilemma on the full model (configs/classic_ipd.yaml)."""
    import json

    from trustsim.config.schema import Scenario
    from trustsim.execution.match import run_match
    from trustsim.model.policies import POLICIES

    for policy in (policy_a, policy_b):
        if policy not in POLICIES:
            fail(f"unknown policy {policy!r}; allowed: {', '.join(sorted(POLICIES))}")
    # --turns is the scenario's steps and --noise its execution_noise: the schema's bounds apply.
    for flag, field, value in (("--turns", "steps", turns), ("--noise", "execution_noise", noise)):
        low, high = bounds(Scenario.model_fields[field])
        if not low <= value <= high:
            fail(f"{flag} must be in [{low:,g}, {high:,.0f}] (got {value:g}; the schema's {field})")
    if repetitions < 1:
        fail(f"--repetitions must be a whole number >= 1 (got {repetitions})")
    if seed < 0:  # a SeedSequence entropy
        fail(f"--seed must be >= 0 (got {seed})")
    values = _parse_payoffs(payoffs)
    try:
        result = run_match(policy_a, policy_b, turns, noise, repetitions, seed, values)
    except ConfigError as exc:
        fail(str(exc))
    if json_:
        sys.stdout.write(json.dumps(result.as_dict()) + "\n")
        return
    table = Table(
        title=f"{turns} turns, noise {noise}, {repetitions} repetitions, seed {seed}, payoffs {payoffs}",
        title_justify="left",
    )
    for column in ("player", "policy", "mean payoff / turn", "std. error", "cooperation"):
        table.add_column(column, no_wrap=True)
    for i, label in enumerate("AB"):
        table.add_row(
            label,
            result.policies[i],
            f"{result.mean_payoff[i]:.4f}",
            f"{result.stderr[i]:.4f}",
            f"{result.cooperation[i]:.1%}",
        )
    console.print(table)


LISTS = ("all", "scenarios", "sweeps", "policies", "actions")


@app.command("list", cls=Command)
def list_(
    what: Annotated[
        str, typer.Argument(metavar="[WHAT]", help="scenarios, sweeps, policies, actions or all.")
    ] = "all",
) -> None:
    """Show the shipped scenarios and sweeps, the registered policies and the default actions."""
    from trustsim.config.schema import essay_catalog
    from trustsim.model.policies import POLICIES

    if what not in LISTS:
        fail(f"list: unknown {what!r}{_suggest(what, list(LISTS))}; allowed: {', '.join(LISTS)}")
    if what in ("all", "scenarios"):
        table = Table(Column("scenario", no_wrap=True), "description", title="Scenarios (configs/)",
                      title_justify="left")  # fmt: skip
        for path in shipped_scenarios():
            table.add_row(path.stem, _description(path))
        _print_table(table)
    if what in ("all", "sweeps"):
        table = Table(Column("sweep", no_wrap=True), "description", title="Sweeps (configs/sweeps/)",
                      title_justify="left")  # fmt: skip
        for name in _sweep_names():
            table.add_row(name, _description(CONFIG_DIR / "sweeps" / f"{name}.yaml"))
        _print_table(table)
    if what in ("all", "policies"):
        table = Table(Column("policy", no_wrap=True), "what it does", title="Policies", title_justify="left")
        for name, cls in sorted(POLICIES.items()):
            table.add_row(name, (cls.__doc__ or "").strip().splitlines()[0])
        _print_table(table)
    if what in ("all", "actions"):
        table = Table(
            Column("action", no_wrap=True),  # names are what configs use: never cut them
            Column("kind", no_wrap=True),
            Column("self view", no_wrap=True),
            Column("other view", no_wrap=True),
            Column("cost", no_wrap=True),
            Column("verifiability", no_wrap=True),
            title="Actions (default catalog)",
            title_justify="left",
        )
        for action in essay_catalog():
            table.add_row(
                action.name,
                action.kind,
                f"{action.self_view:+.2f}",
                f"{action.other_view:+.2f}",
                f"{action.cost:.2f}",
                f"{action.verifiability:.2f}",
            )
        _print_table(table)


def _description(path: Path) -> str:
    """The first line of a shipped file's ``description``."""
    try:
        text = str(read_yaml(path).get("description", "")).strip()
    except ConfigError:
        return ""
    return text.splitlines()[0] if text else ""


def _print_table(table: Table) -> None:
    """A table at its full width: into a pipe or a file nothing is cut or wrapped at 80 columns (the
    width Rich assumes there); in a terminal, long descriptions wrap and nothing is cut."""
    for column in table.columns:
        column.overflow = "fold"
    if console.is_terminal:
        console.print(table)
        return
    width = console.measure(table, options=console.options.update_width(10_000)).maximum
    Console(width=width, highlight=False).print(table, crop=False)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
