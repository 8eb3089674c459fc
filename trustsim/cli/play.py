"""``trustsim viz``, ``trustsim match`` and ``trustsim list``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Column, Table

from trustsim.cli.common import (
    Command,
    SetOpt,
    app,
    console,
    errors,
    fail,
    load_config,
    progress_bar,
    suggest,
    sweep_names,
)
from trustsim.config.errors import ConfigError
from trustsim.config.loading import CONFIG_DIR, shipped_scenarios
from trustsim.config.reference import bounds
from trustsim.config.safe_yaml import read_yaml
from trustsim.config.vocabulary import MATCH_DEFAULTS as MATCH


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
    load_config(config, set_)  # a bad scenario fails here, with the usual one line
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
        with progress_bar(f"[bold]{policy_a}[/] v [bold]{policy_b}[/], {repetitions} repetitions") as bar:
            task = bar.add_task("turns", total=turns)
            result = run_match(
                policy_a, policy_b, turns, noise, repetitions, seed, values, lambda: bar.advance(task)
            )
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
        fail(f"list: unknown {what!r}{suggest(what, list(LISTS))}; allowed: {', '.join(LISTS)}")
    if what in ("all", "scenarios"):
        table = Table(Column("scenario", no_wrap=True), "description", title="Scenarios (configs/)",
                      title_justify="left")  # fmt: skip
        for path in shipped_scenarios():
            table.add_row(path.stem, _description(path))
        _print_table(table)
    if what in ("all", "sweeps"):
        table = Table(Column("sweep", no_wrap=True), "description", title="Sweeps (configs/sweeps/)",
                      title_justify="left")  # fmt: skip
        for name in sweep_names():
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
