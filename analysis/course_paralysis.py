"""Paralysis that keeps a state to its course (``trust.paralysis_keeps_course``): how far does it
bring the event-data patterns (inertia above reciprocity, Goldstein & Freeman 1990), and what does
it cost the essay's claims?

The essay: mistrust "paralyzes the will to try to alter the current trajectory". Shipped, paralysis
only drops initiatives for holding; with the option, any other change in the kind of a state's step
toward a partner gives way, with the same probability paralysis * (1 - trust), to the step it took
last (docs/ODD.md Section 7.6). For the shipped model (option off, paralysis 0.3) and the option on
at each ``--paralysis`` value, this prints:

- per pattern scenario (``trustsim.patterns.PATTERN_SCENARIOS``, as shipped otherwise), the
  patterns' VAR(1) on seeds 0 .. S-1 (``trustsim.patterns.run_fits``, as docs/patterns.md fits
  it): inertia, reciprocity, their paired difference per run (inertia - reciprocity; the event data
  find it above zero) and the asymmetry (response to conflict - to cooperation), each the mean over
  runs of the run's mean over fitted dyads with its 95% t interval;
- how many of the essay's claims hold (``trustsim.claims``, seeds 0 .. S-1) with the same two
  settings merged into both arms of every claim, as if they were the defaults, and which fail.

    python analysis/course_paralysis.py                    # 30 seeds; about 8 minutes
    python analysis/course_paralysis.py --seeds 10 --paralysis 0.3 0.7

Progress on stderr; markdown on stdout.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

import numpy as np

from trustsim.claims.essay import CLAIMS
from trustsim.claims.experiment import ClaimResult, paired
from trustsim.config.loading import load_scenario, merge
from trustsim.patterns import PATTERN_SCENARIOS, interval, run_fits


def _cell(values: list[float]) -> str:
    mean, low, high = interval(np.asarray(values))
    return f"{mean:+.3f} [{low:+.3f}, {high:+.3f}]"


def pattern_row(name: str, trust: dict, seeds: int) -> list[str]:
    """The scenario's inertia, reciprocity, their paired difference and the asymmetry."""
    settings = [f"trust.{key}={str(value).lower()}" for key, value in trust.items()]
    scenario = load_scenario(name, settings)
    runs = []
    for seed in range(seeds):
        fits, _ = run_fits(scenario, seed)
        if fits:
            runs.append(
                np.mean([(f.inertia, f.reciprocity, f.to_cooperation, f.to_conflict) for _, f in fits], 0)
            )
    values = np.array(runs)
    inertia, reciprocity, cooperation, conflict = values.T
    return [
        name,
        _cell(inertia),
        _cell(reciprocity),
        _cell(inertia - reciprocity),
        _cell(conflict - cooperation),
    ]


def claims_holding(trust: dict, seeds: int) -> tuple[int, list[str]]:
    """How many claims hold with ``trust`` merged into both arms, and the names of those that fail."""
    held, failed = 0, []
    for claim in CLAIMS:
        arms = {arm: merge(getattr(claim, arm), {"trust": trust}) for arm in ("treatment", "control")}
        changed = dataclasses.replace(claim, **arms)
        result = ClaimResult(
            changed, paired(changed, list(range(seeds)), False), paired(changed, list(range(seeds)), True)
        )
        if result.holds:
            held += 1
        else:
            failed.append(claim.name)
    return held, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--paralysis", type=float, nargs="+", default=[0.3, 0.5, 0.7, 1.0])
    args = parser.parse_args(argv)
    settings = [("shipped: option off", {"paralysis": 0.3, "paralysis_keeps_course": False})]
    settings += [
        (f"keeps course, paralysis {p:g}", {"paralysis": p, "paralysis_keeps_course": True})
        for p in args.paralysis
    ]
    print(f"Seeds 0-{args.seeds - 1}; each scenario's shipped length and parameters otherwise.\n")
    for label, trust in settings:
        print(f"### {label}\n")
        print("| scenario | inertia | reciprocity | inertia - reciprocity | asymmetry (conflict - coop.) |")
        print("| --- | --- | --- | --- | --- |")
        for name in PATTERN_SCENARIOS:
            print(f"{label}: {name}", file=sys.stderr)
            print("| " + " | ".join(pattern_row(name, trust, args.seeds)) + " |")
        print(f"{label}: claims", file=sys.stderr)
        held, failed = claims_holding(trust, args.seeds)
        print(
            f"\nClaims holding: {held} of {len(CLAIMS)}"
            + (f" (failing: {', '.join(failed)})" if failed else "")
        )
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
