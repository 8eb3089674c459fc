"""A claim as one paired experiment on common random numbers, with its ablation: the arms run on the
same seeds, the effect is the mean paired difference with a 95% t interval, and the claim holds when
that interval has the expected sign and the ablation removes most of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from trustsim.config.loading import merge, scenario_from_dict
from trustsim.model.model import TrustModel


@dataclass(frozen=True)
class Claim:
    """One essay claim as a paired experiment with its ablation."""

    name: str
    claim: str
    passage: str
    experiment: str
    treatment: dict
    control: dict
    ablation: dict  # merged into both arms to switch the mechanism off
    outcome: Callable[[TrustModel, list], float]
    control_outcome: Callable[[TrustModel, list], float] | None = None  # if the arms differ in it
    measure: Callable[[TrustModel], float] | None = None  # recorded every step, passed to outcome
    expect: str = "positive"  # the sign the effect should have
    steps: int = 100
    notes: str = ""


def run_arm(data: dict, seed: int, claim: Claim, control: bool = False) -> float:
    data = merge(data, {"seed": seed, "steps": claim.steps})
    model = TrustModel(scenario_from_dict(data, f"claim {claim.name}"))
    series = []
    for _ in range(claim.steps):
        model.step()
        if claim.measure is not None:
            series.append(claim.measure(model))
    outcome = claim.control_outcome if control and claim.control_outcome else claim.outcome
    return outcome(model, series)


def paired(claim: Claim, seeds: list[int], ablate: bool) -> dict[str, float]:
    extra = claim.ablation if ablate else {}
    diffs = np.array(
        [
            run_arm(merge(claim.treatment, extra), seed, claim)
            - run_arm(merge(claim.control, extra), seed, claim, control=True)
            for seed in seeds
        ]
    )
    mean = float(diffs.mean())
    half = float(stats.t.ppf(0.975, len(diffs) - 1) * diffs.std(ddof=1) / np.sqrt(len(diffs)))
    return {"mean": mean, "low": mean - half, "high": mean + half}


def holds(claim: Claim, effect: dict, ablated: dict) -> bool:
    """The effect has the expected sign with its interval clear of zero, and the ablation removes
    at least three quarters of it."""
    sign = 1.0 if claim.expect == "positive" else -1.0
    clear = effect["low"] > 0 if sign > 0 else effect["high"] < 0
    return bool(clear and abs(ablated["mean"]) <= 0.25 * abs(effect["mean"]))


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    effect: dict[str, float]
    ablated: dict[str, float]

    @property
    def holds(self) -> bool:
        return holds(self.claim, self.effect, self.ablated)
