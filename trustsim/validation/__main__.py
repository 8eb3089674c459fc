"""``python -m trustsim.validation [--out docs/validation.md]``: run every check and write the page; a
line per check on stdout, and in a terminal a progress bar with the time left on stderr."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.progress import TextColumn

from trustsim import validation
from trustsim.progress import progress_bar
from trustsim.validation.records import CheckResult
from trustsim.validation.render import render


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m trustsim.validation",
        description="Run the validation checks and write the validation page.",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("docs/validation.md"), help="Markdown page to write."
    )
    args = parser.parse_args(argv)

    with progress_bar("[bold]validation[/]", TextColumn("{task.description}")) as bar:
        task = bar.add_task("", total=len(validation.CHECKS))

        def report(result: CheckResult) -> None:
            status = "pass" if result.passed else "FAIL"
            print(f"{status:4}  {result.seconds:6.1f} s  {result.name}", flush=True)
            if not result.passed:
                print("      " + result.failures().replace("\n", "\n      "), flush=True)
            bar.update(task, advance=1, description=result.name)

        results = validation.run_all(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(results))
    print(f"{sum(r.passed for r in results)} of {len(results)} checks pass; wrote {args.out}")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
