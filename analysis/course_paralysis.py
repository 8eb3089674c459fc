"""Paralysis that keeps a state to its course (``trust.paralysis_keeps_course``) and routine
(``policy_params.logit.routine``): how far do they bring the event-data patterns (inertia above
reciprocity, Goldstein & Freeman 1990), and what do they cost the essay's claims?

The essay: mistrust "paralyzes the will to try to alter the current trajectory". Shipped, paralysis
only drops initiatives for holding; with the option, any other change in the kind of a state's step
toward a partner gives way, with the same probability paralysis * (1 - trust), to the step it took
last (docs/ODD.md Section 7.6). Routine (Allison 1971's organizational process) repeats a `logit`
state's last step when it takes a step of the same kind, with probability routine (Section 7.3a).
For the shipped model (routine 0.5, keeping course off, paralysis 0.3), keeping course at each
``--paralysis`` value (routine as shipped), routine at each ``--routine`` value (0: the model
before routine was on by default), and each routine value with keeping course at the default
paralysis 0.3, this prints:

- per pattern scenario (``trustsim.patterns.PATTERN_SCENARIOS``, as shipped otherwise), the
  patterns' VAR(1) on seeds 0 .. S-1 (``trustsim.patterns.run_fits``, as docs/patterns.md fits
  it): inertia, reciprocity, their paired difference per run (inertia - reciprocity; the event data
  find it above zero) and the asymmetry (response to conflict - to cooperation), each the mean over
  runs of the run's mean over fitted dyads with its 95% t interval;
- how many of the essay's claims hold (``trustsim.claims``, seeds 0 .. S-1) with the same
  settings merged into both arms of every claim, as if they were the defaults, which fail, with
  their effects, and the claim that holds most narrowly (its interval's end nearest zero relative
  to its mean), with its effect;
- how many of the historical episodes' documented windows the model reproduces
  (``trustsim.patterns.episodes``, seeds 0 .. S-1, as docs/patterns.md checks them), as shipped and
  with every state on the default policy `logit`, with the same settings.

    python analysis/course_paralysis.py                    # 30 seeds; about 15 minutes
    python analysis/course_paralysis.py --seeds 10 --paralysis 0.3 0.7 --routine
    python analysis/course_paralysis.py --paralysis --routine 0 0.8   # routine only

Progress on stderr; markdown on stdout.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

import numpy as np

from trustsim.claims.essay import CLAIMS
from trustsim.claims.experiment import ClaimResult, paired
from trustsim.config.loading import apply_override, load_scenario, merge
from trustsim.config.schema import LogitParams, TrustRule
from trustsim.patterns import PATTERN_SCENARIOS, interval, run_fits
from trustsim.patterns.episodes import check_course, episodes, trajectories
from trustsim.patterns.report import LOGIT


def _cell(values: list[float]) -> str:
    mean, low, high = interval(np.asarray(values))
    return f"{mean:+.3f} [{low:+.3f}, {high:+.3f}]"


def nested(changes: dict[str, Any]) -> dict[str, Any]:
    """Dotted keys as the nested dict a config merges ({"trust.paralysis": 0.3} -> {"trust": {...}}),
    set as ``--set`` sets them (``apply_override``)."""
    out: dict[str, Any] = {}
    for key, value in changes.items():
        apply_override(out, key.split("."), value, key)
    return out


def overrides(changes: dict[str, Any]) -> list[str]:
    """The changes as ``--set`` overrides (``key=value``)."""
    return [f"{key}={str(value).lower()}" for key, value in changes.items()]


def pattern_row(name: str, changes: dict[str, Any], seeds: int) -> list[str]:
    """The scenario's inertia, reciprocity, their paired difference and the asymmetry."""
    scenario = load_scenario(name, overrides(changes))
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


def claims_holding(changes: dict[str, Any], seeds: int) -> tuple[int, list[str], str]:
    """How many claims hold with ``changes`` merged into both arms; each failing claim with its
    effect; and the holding claim whose interval is nearest zero (relative to its mean), with its
    effect: ``name mean [low, high]``."""
    held, failed, margins = 0, [], []
    for claim in CLAIMS:
        arms = {arm: merge(getattr(claim, arm), nested(changes)) for arm in ("treatment", "control")}
        changed = dataclasses.replace(claim, **arms)
        result = ClaimResult(
            changed, paired(changed, list(range(seeds)), False), paired(changed, list(range(seeds)), True)
        )
        effect = result.effect
        text = f"{claim.name} {effect['mean']:+.3f} [{effect['low']:+.3f}, {effect['high']:+.3f}]"
        if result.holds:
            held += 1
            nearest = min(abs(effect["low"]), abs(effect["high"])) / max(abs(effect["mean"]), 1e-12)
            margins.append((nearest, text))
        else:
            failed.append(text)
    return held, failed, min(margins)[1] if margins else "none"


def windows_holding(changes: dict[str, Any], seeds: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """(held, windows) of the episodes' documented windows, as shipped and with every state on
    `logit` (``trustsim.patterns.report.LOGIT``), with ``changes``."""
    counts = []
    for variant in ([], [LOGIT]):
        held = windows = 0
        for episode in episodes([*variant, *overrides(changes)]):
            results = check_course(episode, trajectories(episode, seeds))
            held += sum(result.holds for result in results)
            windows += len(results)
        counts.append((held, windows))
    return counts[0], counts[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--paralysis", type=float, nargs="*", default=[0.3, 0.5, 0.7, 1.0])
    parser.add_argument("--routine", type=float, nargs="*", default=[0.0, 0.8])
    args = parser.parse_args(argv)
    paralysis = TrustRule().paralysis  # the shipped values, from the schema
    off = {"trust.paralysis": paralysis, "trust.paralysis_keeps_course": False}
    settings = [(f"shipped: routine {LogitParams().routine:g}, keeping course off", off)]
    settings += [
        (f"keeps course, paralysis {p:g}", {"trust.paralysis": p, "trust.paralysis_keeps_course": True})
        for p in args.paralysis
    ]
    for r in args.routine:
        settings.append((f"routine {r:g}", {**off, "policy_params.logit.routine": r}))
        settings.append(
            (
                f"routine {r:g} and keeps course, paralysis {paralysis:g}",
                {**off, "trust.paralysis_keeps_course": True, "policy_params.logit.routine": r},
            )
        )
    print(f"Seeds 0-{args.seeds - 1}; each scenario's shipped length and parameters otherwise.\n")
    for label, changes in settings:
        print(f"### {label}\n")
        print("| scenario | inertia | reciprocity | inertia - reciprocity | asymmetry (conflict - coop.) |")
        print("| --- | --- | --- | --- | --- |")
        for name in PATTERN_SCENARIOS:
            print(f"{label}: {name}", file=sys.stderr)
            print("| " + " | ".join(pattern_row(name, changes, args.seeds)) + " |")
        print(f"{label}: claims", file=sys.stderr)
        held, failed, narrowest = claims_holding(changes, args.seeds)
        print(
            f"\nClaims holding: {held} of {len(CLAIMS)}"
            + (f" (failing: {'; '.join(failed)})" if failed else "")
            + f"; the narrowest that holds: {narrowest}"
        )
        print(f"{label}: episodes", file=sys.stderr)
        (shipped, total), (logit, logit_total) = windows_holding(changes, args.seeds)
        print(
            f"Episode windows reproduced: {shipped} of {total} as shipped, {logit} of {logit_total} with"
            " every state on `logit`"
        )
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
