"""What every command of the ``trustsim`` command line shares: the Typer app, errors in one line, finding and
loading scenarios and sweeps."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated

import typer
import typer.core
from rich.console import Console
from rich.progress import Progress, ProgressColumn
from rich.text import Text
from typer.models import OptionInfo

from trustsim import progress
from trustsim.config.loading import (
    CONFIG_DIR,
    ConfigError,
    load_scenario,
    resolve_config_path,
    shipped_scenarios,
)

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


def progress_bar(label: str, *columns: ProgressColumn) -> Progress:
    """``trustsim.progress.progress_bar`` on this command line's stderr console."""
    return progress.progress_bar(label, *columns, console=errors)


def parts_progress(label: str, total: int) -> AbstractContextManager[Callable[[str], None]]:
    """``trustsim.progress.parts_progress`` on this command line's stderr console."""
    return progress.parts_progress(label, total, console=errors)


def replications_option(what: str) -> OptionInfo:
    """The ``--replications`` option of a generated document: ``what`` is replicated, on seeds 0..N-1."""
    return typer.Option(min=2, max=10_000, help=f"{what} (seeds 0..N-1).")


MarkdownOut = Annotated[Path, typer.Option(help="Markdown file to write.")]


def markdown_folder(out: Path) -> None:
    """The folder a generated document goes to must exist (checked before the runs that fill it)."""
    if not out.parent.is_dir():
        fail(f"--out: {out.parent} is not a folder")


ConfigArg = Annotated[
    str, typer.Argument(metavar="CONFIG", help="Scenario YAML file, or the name of one in configs/.")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override KEY=VALUE (dotted path, YAML value); repeatable."),
]


def writable_folder(folder: Path, flag: str = "--out") -> bool:
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


def suggest(name: str, names: list[str]) -> str:
    near = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return f" (did you mean {near[0]!r}?)" if near else ""


def scenario_path(config: str) -> Path:
    """A scenario file, or the name of a shipped one; one line with the nearest name if neither."""
    path = resolve_config_path(config)
    if path.exists() or Path(config).suffix:
        return path
    names = [shipped.stem for shipped in shipped_scenarios()]
    if config in sweep_names():
        fail(f"{config}: is a sweep, not a scenario: trustsim sweep {config} (scenarios: {', '.join(names)})")
    fail(
        f"{config}: no such file, and no shipped scenario of that name{suggest(config, names)}; "
        f"shipped scenarios: {', '.join(names)} (trustsim list scenarios)"
    )
    raise AssertionError  # fail() exits


def sweep_names() -> list[str]:
    return [path.stem for path in sorted((CONFIG_DIR / "sweeps").glob("*.yaml"))]


def sweep_path(config: str) -> Path:
    """A sweep file, or the name of a shipped one (configs/sweeps/); one line if neither."""
    path = Path(config)
    if path.exists() or path.suffix:
        return path
    shipped = CONFIG_DIR / "sweeps" / f"{config}.yaml"
    if shipped.is_file():
        return shipped
    names = sweep_names()
    if (CONFIG_DIR / f"{config}.yaml").is_file():
        fail(f"{config}: is a scenario, not a sweep: trustsim run {config} (sweeps: {', '.join(names)})")
    fail(
        f"{config}: no such file, and no shipped sweep of that name{suggest(config, names)}; "
        f"shipped sweeps: {', '.join(names)} (trustsim list sweeps)"
    )
    raise AssertionError  # fail() exits


BEYOND_STEPS = re.compile(r": interventions\.(\d+)\.step: must be <= steps")


def load_config(config: str, overrides: list[str] | None, steps: int | None = None, seed: int | None = None):
    """The scenario with ``--set`` overrides, then ``--steps`` and ``--seed``; errors name the one
    of them that applies (not ``--set`` for ``--steps``)."""
    path = scenario_path(config)
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
            message = beyond_steps(path, overrides, int(beyond.group(1)), steps) or message
        fail(message)


def beyond_steps(path: Path, overrides: list[str] | None, index: int, steps: int) -> str | None:
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


def pair_notes(scenario) -> list[str]:
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


def print_notes(scenario) -> None:
    for note in pair_notes(scenario):
        errors.print(note, highlight=False, markup=False, soft_wrap=True)


def recovery(summary: dict, threshold: float) -> str:
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


def planned_sweep(path: str | Path):
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
