"""The figures quoted in the headers of configs/europe.yaml, configs/random_network.yaml and
configs/dyad.yaml, measured: each scenario with its defaults on seeds 0 .. R-1, one run per seed
(what ``trustsim run <scenario> --set seed=S`` does), means with 95% t intervals over the seeds.

    python analysis/scenario_figures.py                  # all three (about a minute)
    python analysis/scenario_figures.py europe --seeds 20

Prints one paragraph per scenario in the headers' words; the headers quote it.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from scipy import stats

from trustsim.config.loading import load_scenario
from trustsim.execution.run import simulate


def interval(values) -> str:
    values = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return f"{values.mean():.2f} +/- {half:.2f}"


def runs(name: str, seeds: int, overrides: list[str]) -> list:
    quiet = ["record.dyads=false", "record.attribution=false"]
    return [simulate(load_scenario(name, [*overrides, *quiet, f"seed={seed}"])) for seed in range(seeds)]


def blocs(name: str, seeds: int, overrides: list[str], at: list[int]) -> str:
    results = runs(name, seeds, overrides)
    first = results[0].summary
    lines = [
        f"{name} {' '.join(overrides)} ({seeds} seeds): within-bloc trust "
        f"{np.mean([r.model['trust_within_blocs'].iloc[0] for r in results]):.2f} after step 1, "
        f"across-bloc {np.mean([r.model['trust_across_blocs'].iloc[0] for r in results]):.2f}; "
        f"initial mean trust {first['initial_mean_trust']:.2f}"
    ]
    for step in at:
        if step <= len(results[0].model):
            within = [r.model["trust_within_blocs"].loc[step] for r in results]
            across = [r.model["trust_across_blocs"].loc[step] for r in results]
            lines.append(f"  at step {step}: within-bloc {interval(within)}, across-bloc {interval(across)}")
    crises = [r.model["crises"].max() for r in results]
    posture = [r.model["mean_posture"].iloc[-1] for r in results]
    lines.append(f"  peak crises {interval(crises)}; final mean posture {interval(posture)}")
    return "\n".join(lines)


def dyad(seeds: int) -> str:
    """The shipped dyad's scheduled step, against the same run without it (common random numbers)."""
    with_step = runs("dyad", seeds, [])
    without = runs("dyad", seeds, ["interventions=[]"])
    pairs = zip(with_step, without, strict=True)
    change = [a.model["mean_trust"].loc[40] - b.model["mean_trust"].loc[40] for a, b in pairs]
    final = [a.model["mean_trust"].iloc[-1] for a in with_step]
    return (
        f"dyad ({seeds} seeds): the scheduled step changes mean trust at step 40 by {interval(change)}; "
        f"final mean trust {interval(final)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", default=["europe", "random_network", "dyad"])
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args(argv)
    for name in args.scenarios:
        print(f"{name} ...", file=sys.stderr, flush=True)
        if name == "europe":
            print(blocs("europe", args.seeds, [], [150]))
            print(blocs("europe", args.seeds, ["steps=300"], [300]))
        elif name == "random_network":
            print(blocs("random_network", args.seeds, [], [100]))
            print(blocs("random_network", max(2, args.seeds // 2), ["network.n=200"], [100]))
        elif name == "dyad":
            print(dyad(args.seeds))
        else:
            parser.error(f"no figures defined for {name!r} (europe, random_network, dyad)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
