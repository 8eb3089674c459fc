"""``trustsim sweep``, ``trustsim report`` and ``trustsim demo``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
import typer.core
from rich.progress import TextColumn

from trustsim.cli.common import (
    Command,
    app,
    console,
    errors,
    fail,
    planned_sweep,
    progress_bar,
    sweep_path,
    writable_folder,
)
from trustsim.config.loading import (
    CONFIG_DIR,
    ConfigError,
)


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

    config = str(sweep_path(config))
    spec, base, points, runs = planned_sweep(config)
    if workers is not None and workers < 1:
        fail(f"--workers must be >= 1 (got {workers})")
    cores = workers or os.cpu_count() or 1
    if dry_run:
        from trustsim.execution.sweep import estimate_seconds

        console.print(
            f"{spec.name}: {len(points)} design points x {spec.replications} replications = {len(runs)} runs "
            f"({spec.design.kind} design, master seed {spec.master_seed})",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        console.print(points.head(10).to_string(), highlight=False, markup=False, soft_wrap=True)
        from trustsim.cli.clock import STARTED

        started = time.perf_counter() - STARTED
        estimate = estimate_seconds(spec, base, points, runs, cores, overhead=started)
        status = f" (a probe run failed: {estimate.error})" if estimate.error else ""
        total = f"{estimate.total:.{1 if estimate.total < 10 else 0}f}"
        console.print(
            f"{estimate.probes} probe batches across the design took {estimate.per_run:.4f} s a run on "
            f"average{status}; estimated {total} s on {cores} workers: "
            f"{estimate.seconds:.1f} s of runs, {estimate.warm_up:.1f} s starting and stopping the workers, "
            f"{estimate.storing:.1f} s writing the results, {estimate.overhead:.1f} s starting the command",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        return
    from trustsim.execution.sweep import run_sweep

    out_dir = out or default_out_dir(spec.name)
    if out_dir.exists() and not out_dir.is_dir():
        fail(f"{out_dir}: exists and is not a folder")
    # The bar (and its refresh thread) starts once the workers are up: see executors.start_method.
    bar = progress_bar(
        f"[bold]{spec.name}[/]", TextColumn("{task.fields[failed]} failed"), TextColumn("{task.fields[rate]}")
    )
    task = bar.add_task("runs", total=len(runs), failed=0, rate="")
    started = time.perf_counter()

    def advance(finished: int, failed: int, skipped: int) -> None:
        rate = finished / max(time.perf_counter() - started, 1e-9)
        bar.update(task, completed=skipped + finished, failed=failed, rate=f"{rate:.1f} runs/s")

    try:
        result = run_sweep(
            spec,
            base,
            str(config),
            out_dir,
            workers,
            dask,
            advance,
            allow_code_change=allow_code_change,
            started=bar.start,
        )
    except ConfigError as exc:
        fail(str(exc))
    except (RuntimeError, OSError) as exc:
        fail(f"{config}: {exc}")
    finally:
        bar.stop()
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
    writable_folder(out.parent if out is not None else run_dir)  # before the report is built
    with progress_bar("[bold]report[/]", TextColumn("{task.fields[part]}")) as bar:
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
