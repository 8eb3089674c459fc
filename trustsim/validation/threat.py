"""Shared existential threats: cooperation rises with the threat only on the altered agenda."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from trustsim.config.loading import load_scenario
from trustsim.model.catalog import CONSTRUCTIVE
from trustsim.model.model import TrustModel
from trustsim.validation.records import Z_DIFFERENCE, CheckResult, Comparison, result


def _cooperation_shares(
    levels: Sequence[float], enabled: bool, seeds: int, steps: int, seed: int
) -> np.ndarray:
    """Share of constructive steps per run (rows: levels, columns: seeds), common random numbers."""
    shares = np.zeros((len(levels), seeds))
    children = np.random.SeedSequence(seed).spawn(seeds)
    for row, level in enumerate(levels):
        scenario = load_scenario(
            "dyad",
            [
                "interventions=[]",
                "initial_trust={default: 0.5}",
                f"threats=[{{name: shared, level: {level}}}]",
                f"altered_agenda.enabled={'true' if enabled else 'false'}",
                "policy_params.logit.rationality=2",
                f"steps={steps}",
                "record.model=false",
                "record.dyads=false",
                "record.attribution=false",
            ],
        )
        for column, child in enumerate(children):
            model = TrustModel(scenario, rng=np.random.default_rng(child))
            constructive = 0.0
            for _ in range(steps):
                model.step()
                constructive += (model.catalog.kind[model.last.actions] == CONSTRUCTIVE).mean()
            shares[row, column] = constructive / steps
    return shares


def check_shared_threat(
    levels: Sequence[float] = (0.0, 0.5, 1.0, 2.0), seeds: int = 60, steps: int = 60, seed: int = 4
) -> CheckResult:
    """With the altered agenda on, cooperation rises with the shared threat; off, it ignores it."""
    on = _cooperation_shares(levels, True, seeds, steps, seed)
    off = _cooperation_shares(levels, False, max(5, seeds // 4), steps, seed)
    comparisons = []
    for low, high, a, b in zip(levels, levels[1:], on, on[1:], strict=False):
        rise = b - a  # paired by seed: common random numbers
        se = rise.std(ddof=1) / math.sqrt(len(rise))
        comparisons.append(
            Comparison(
                f"agenda on: share({high:g}) - share({low:g})", 0.0, rise.mean(), Z_DIFFERENCE * se, ">"
            )
        )
    comparisons += [
        Comparison(f"agenda off: largest |share({level:g}) - share(0)| over seeds", 0.0, gap, 1e-12)
        for level, gap in zip(levels[1:], np.abs(off[1:] - off[0]).max(axis=1), strict=True)
    ]
    means = ", ".join(f"{level:g}: {share:.3f}" for level, share in zip(levels, on.mean(axis=1), strict=True))
    return result(
        "Shared threat: the altered agenda raises cooperation",
        "Legvold's essay (the 'altered agenda'); SPEC item 8; McKelvey & Palfrey (1995)",
        f"configs/dyad.yaml without its intervention, initial trust 0.5, both states on the logit "
        f"policy (rationality 2), constant shared threat at levels {', '.join(f'{x:g}' for x in levels)}, "
        f"{steps} steps, {seeds} seeds (agenda on) and {off.shape[1]} (off), the same seeds "
        "at every level.",
        "share rises with each step up in the threat (agenda on); identical at every level (off)",
        f"each rise > {Z_DIFFERENCE:g} SE of the paired differences; off: 1e-12",
        comparisons,
        f"Mean cooperation share with the agenda on by threat level: {means}. The altered agenda "
        "adds gain x threat to R, which raises the logit utility of constructive steps. Runs at "
        "different levels share their random numbers, so the rise is measured per seed and its "
        "standard error is that of the paired differences. With the agenda off the threat enters "
        "nothing the states decide on, so the runs are identical, not merely alike. The logit "
        "precision is lowered from 5 to 2 so that choices respond smoothly to R rather than "
        "locking in, which the test can resolve with few seeds.",
    )
