"""``trustsim claims`` and ``trustsim patterns``: the generated documents."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trustsim.cli.common import (
    MarkdownOut,
    app,
    console,
    fail,
    markdown_folder,
    parts_progress,
    replications_option,
)


@app.command()
def claims(
    replications: Annotated[int, replications_option("Paired replications per claim")] = 30,
    out: MarkdownOut = Path("docs/claims.md"),
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
    markdown_folder(out)
    with parts_progress("claims", len(set(only or known))) as tell:
        results = evaluate(replications, only, progress=tell)
    out.write_text(render_markdown(results, replications))
    held = sum(result.holds for result in results)
    console.print(f"{held} of {len(results)} claims hold; written to {out}", highlight=False, soft_wrap=True)


@app.command()
def patterns(
    replications: Annotated[int, replications_option("Replications per episode and scenario")] = 30,
    out: MarkdownOut = Path("docs/patterns.md"),
) -> None:
    """The model against what happened: historical episodes and event-data patterns; docs/patterns.md."""
    from trustsim.patterns import PATTERN_SCENARIOS, episodes, evaluate, write_docs

    markdown_folder(out)
    with parts_progress("patterns", len(episodes()) + len(PATTERN_SCENARIOS) + 1) as tell:
        results, fits = evaluate(replications, progress=tell)
        tell(f"{out} and its figures")
        held, total = write_docs(results, fits, replications, out)
    console.print(
        f"{held} of {total} documented windows reproduced; written to {out} and its figures/",
        highlight=False,
        soft_wrap=True,
    )
