"""``trustsim claims`` and ``trustsim patterns``: the generated documents."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import typer.core
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from trustsim.cli.common import (
    app,
    console,
    errors,
    fail,
)


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
