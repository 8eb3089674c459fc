"""The ``trustsim`` command line: run, validate, list."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Column, Table
from rich.text import Text

from trustsim.config.loading import ConfigError, load_scenario, shipped_scenarios

app = typer.Typer(
    help="trustsim: when do small constructive steps restore trust between states, "
    "and when does mistrust congeal?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)


def fail(message: str) -> None:
    """One clear line on stderr and exit status 2: bad input, nothing written."""
    line = " ".join(message.splitlines())  # as plain text: no markup, no emoji, never wrapped
    errors.print(Text.assemble(("error:", "bold red"), " ", line), highlight=False, soft_wrap=True)
    raise typer.Exit(2)


ConfigArg = Annotated[str, typer.Argument(help="Scenario YAML file, or the name of one in configs/.")]
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


def _load(config: str, overrides: list[str] | None, steps: int | None = None, seed: int | None = None):
    extra = list(overrides or [])
    if steps is not None:
        extra.append(f"steps={steps}")
    if seed is not None:
        extra.append(f"seed={seed}")
    try:
        return load_scenario(config, extra)
    except ConfigError as exc:
        fail(str(exc))


@app.command()
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
    recovery = "never" if s["time_to_recovery"] is None else f"step {s['time_to_recovery']}"
    console.print(
        f"{scenario.name}: {scenario.steps} steps in {result.wall_time:.2f} s\n"
        f"  mean trust        {s['initial_mean_trust']:.3f} -> {s['final_mean_trust']:.3f}"
        f" (recovered: {recovery})\n"
        f"  constructive      {s['share_constructive']:.1%} of steps"
        f" (escalatory {s['share_escalatory']:.1%})\n"
        f"  congealed dyads   {s['final_congealed_dyads']} of {s['dyads']}\n"
        f"  written to        {out_dir}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


@app.command()
def validate(config: ConfigArg, set_: SetOpt = None) -> None:
    """Check a scenario and print it resolved, with every default filled in."""
    scenario = _load(config, set_)
    data = scenario.model_dump(mode="json", by_alias=True)
    sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    errors.print(f"{config}: valid", highlight=False, markup=False, emoji=False)


@app.command()
def sweep(
    config: Annotated[Path, typer.Argument(help="Sweep YAML file (see configs/sweeps/).")],
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default runs/<sweep>-<UTC time>); rerun to resume.")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: all cores).")] = None,
    dask: Annotated[
        str | None,
        typer.Option(help="'local' for a Dask LocalCluster, or a scheduler address tcp://host:port."),
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
    from datetime import UTC, datetime

    from trustsim.config.sweep import load_sweep
    from trustsim.execution.sweep import Task, check_design, execute, plan

    try:
        spec, base = load_sweep(config)
        points, runs = plan(spec)
        check_design(spec, base, points, str(config))
    except ConfigError as exc:
        fail(str(exc))
    if workers is not None and workers < 1:
        fail(f"--workers must be >= 1 (got {workers})")
    cores = workers or os.cpu_count() or 1
    if dry_run:
        first = runs.iloc[0]
        started = time.perf_counter()
        probe = execute(
            Task(
                int(first["run_id"]),
                int(first["seed"]),
                {p: first[p] for p in points.columns},
                base,
                spec.kept_measures(),
                spec.stop.model_dump() if spec.stop else None,
            )
        )
        seconds = time.perf_counter() - started
        console.print(
            f"{spec.name}: {len(points)} design points x {spec.replications} replications = {len(runs)} runs "
            f"({spec.design.kind} design, master seed {spec.master_seed})",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        console.print(points.head(10).to_string(), highlight=False, markup=False, soft_wrap=True)
        status = "" if probe["status"] == "ok" else f" (the probe run failed: {probe['error']})"
        console.print(
            f"one run took {seconds:.2f} s{status}; estimated {seconds * len(runs) / cores:.0f} s "
            f"on {cores} workers",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        return
    from trustsim.execution.sweep import run_sweep

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = out or Path("runs") / f"{spec.name}-{stamp}"
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


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A folder written by trustsim run or trustsim sweep.")],
    out: Annotated[
        Path | None, typer.Option(help="HTML file to write (default RUN_DIR/report.html).")
    ] = None,
) -> None:
    """Write a self-contained HTML report (figures embedded) about a run or a sweep."""
    from trustsim.analysis.load import AnalysisError, load
    from trustsim.analysis.report import write_report

    try:
        results = load(run_dir)
    except AnalysisError as exc:
        fail(str(exc))
    if out is not None:
        if out.is_dir():
            fail(f"--out {out}: is a folder; give the HTML file to write, e.g. {out / 'report.html'}")
        if not out.parent.is_dir():
            fail(f"--out {out}: no folder {out.parent} to write it in; create it first")
    _writable_folder(out.parent if out is not None else run_dir)  # before the report is built
    try:
        path = write_report(results, out)
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
    from datetime import UTC, datetime

    from trustsim.config.loading import CONFIG_DIR

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = out or Path("runs") / f"quickstart-{stamp}"
    try:
        sweep(
            CONFIG_DIR / "sweeps" / "quickstart.yaml", out=out_dir, workers=workers, dask=None, dry_run=False
        )
    except typer.Exit as exc:
        if exc.exit_code:
            raise
    report(out_dir, out=None)


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


@app.command()
def viz(
    config: Annotated[
        str, typer.Argument(help="Scenario to open: a YAML file, or the name of one in configs/.")
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
    parts = text.split(",")
    try:
        values = tuple(float(part) for part in parts)
    except ValueError:
        values = ()
    if len(values) != 4 or not values[0] > values[1] > values[2] > values[3]:
        fail(f"--payoffs {text!r}: expected four numbers T,R,P,S with T > R > P > S, e.g. 5,3,1,0")
    return values


@app.command()
def match(
    policy_a: Annotated[str, typer.Argument(help="Policy of player A.")],
    policy_b: Annotated[str, typer.Argument(help="Policy of player B.")],
    turns: Annotated[int, typer.Option(help="Turns per match.")] = 200,
    noise: Annotated[float, typer.Option(help="Probability each intended move is flipped.")] = 0.0,
    repetitions: Annotated[int, typer.Option(help="Independent matches.")] = 100,
    seed: Annotated[int, typer.Option(help="Master seed; each repetition's seed is spawned from it.")] = 0,
    payoffs: Annotated[str, typer.Option(help="T,R,P,S.")] = "5,3,1,0",
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """Play two policies in the iterated Prisoner's Dilemma on the full model (configs/classic_ipd.yaml)."""
    import json

    from trustsim.execution.match import run_match
    from trustsim.model.policies import POLICIES

    for policy in (policy_a, policy_b):
        if policy not in POLICIES:
            fail(f"unknown policy {policy!r}; allowed: {', '.join(sorted(POLICIES))}")
    if turns < 1:
        fail(f"--turns must be a whole number >= 1 (got {turns})")
    if not 0.0 <= noise <= 1.0:
        fail(f"--noise must be in [0, 1] (got {noise})")
    if repetitions < 1:
        fail(f"--repetitions must be a whole number >= 1 (got {repetitions})")
    if seed < 0:
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


@app.command("list")
def list_(
    what: Annotated[str, typer.Argument(help="scenarios, policies, actions or all.")] = "all",
) -> None:
    """Show the shipped scenarios, the registered policies and the default actions."""
    from trustsim.config.schema import essay_catalog
    from trustsim.model.policies import POLICIES

    if what not in ("all", "scenarios", "policies", "actions"):
        fail(f"list: unknown {what!r}; allowed: all, scenarios, policies, actions")
    if what in ("all", "scenarios"):
        table = Table(
            Column("scenario", no_wrap=True),
            "description",
            title="Scenarios (configs/)",
            title_justify="left",
        )
        for path in shipped_scenarios():
            data = yaml.safe_load(path.read_text()) or {}
            table.add_row(
                path.stem,
                str(data.get("description", "")).strip().splitlines()[0:1][0]
                if data.get("description")
                else "",
            )
        console.print(table)
    if what in ("all", "policies"):
        table = Table(Column("policy", no_wrap=True), "what it does", title="Policies", title_justify="left")
        for name, cls in sorted(POLICIES.items()):
            table.add_row(name, (cls.__doc__ or "").strip().splitlines()[0])
        console.print(table)
    if what in ("all", "actions"):
        table = Table(
            Column("action", no_wrap=True),  # names are what configs use: never cut them
            Column("kind", no_wrap=True),
            "self view",
            "other view",
            "cost",
            "verifiable",
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
        console.print(table)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
