"""The Bayesian trust rule against Bayes' rule (Kydd 2005): belief after perceived hostile moves, and
a costly signal moving belief more than a cheap one.
"""

from __future__ import annotations

import math

import numpy as np

from trustsim.config.loading import load_scenario
from trustsim.config.schema import Scenario
from trustsim.model.model import TrustModel
from trustsim.validation.records import EXACT, CheckResult, Comparison, result


def trust_path(scenario: Scenario, steps: int, observer: int, subject: int) -> np.ndarray:
    model = TrustModel(scenario)
    path = [model.trust[observer, subject]]
    for _ in range(steps):
        model.step()
        path.append(model.trust[observer, subject])
    return np.array(path)


def check_bayesian_hostile_moves(prior: float = 0.6, error: float = 0.2, steps: int = 8) -> CheckResult:
    """Each perceived escalation multiplies the odds of 'security seeker' by e/(1-e) (Kydd 2005)."""
    scenario = load_scenario(
        "classic_ipd",
        [
            "trust.rule=bayesian",
            f"trust.perception_error={error}",
            f"initial_trust.default={prior}",
            "states.0.policy=all_defect",
            "states.1.policy=hold",
            "record.model=false",
            "record.dyads=false",
        ],
    )
    holder = trust_path(scenario, steps, observer=1, subject=0)
    defector = trust_path(scenario, steps, observer=0, subject=1)
    one_step = prior * error / (prior * error + (1 - prior) * (1 - error))
    odds = prior / (1 - prior) * (error / (1 - error)) ** steps
    comparisons = [
        Comparison("holder's belief after 1 step", one_step, holder[1], 1e-12),
        Comparison(f"holder's belief after {steps} steps", odds / (1 + odds), holder[-1], 1e-12),
        Comparison("largest gap to the odds product along the path", 0.0, _odds_gap(holder, error), 1e-12),
        Comparison("defector's belief about the holder (no evidence)", prior, defector[-1], 1e-12),
    ]
    return result(
        "Bayesian rule: updating on perceived escalation",
        "Kydd (2005), Trust and Mistrust in International Relations, ch. 1-2; Bayes' rule",
        f"classic_ipd with trust.rule=bayesian, perception noise 0, perception_error e = {error:g}, "
        f"prior p = {prior:g}; A plays all_defect toward B, who holds; {steps} steps.",
        "p1 = p e / (p e + (1-p)(1-e)); after n steps odds_n = odds_0 (e/(1-e))^n",
        "1e-12 (deterministic)",
        comparisons,
        "A hostile move is likely e from a security seeker and 1 - e from an expansionist, so each "
        "perceived escalation multiplies the odds on 'security seeker' by e/(1-e). Holding is "
        "neutral and carries no evidence, so the defector's belief stays at the prior.",
    )


def _odds_gap(path: np.ndarray, error: float) -> float:
    n = np.arange(len(path))
    odds = path[0] / (1 - path[0]) * (error / (1 - error)) ** n
    return float(np.max(np.abs(path - odds / (1 + odds))))


def check_bayesian_costly_signal(
    prior: float = 0.3, error: float = 0.1, cheap: float = 0.02, costly: float = 0.5
) -> CheckResult:
    """A costly constructive step moves belief more than a cheap one (costly signalling)."""

    def belief_after_one(cost: float) -> float:
        scenario = load_scenario(
            "classic_ipd",
            [
                "trust.rule=bayesian",
                f"trust.perception_error={error}",
                f"initial_trust.default={prior}",
                f"actions.0.cost={cost}",
                "states.0.policy=all_cooperate",
                "states.1.policy=hold",
                "record.model=false",
                "record.dyads=false",
            ],
        )
        return float(trust_path(scenario, 1, observer=1, subject=0)[-1])

    scale = load_scenario("classic_ipd").trust.signal_cost_scale

    def formula(cost: float) -> float:
        k = 1 - math.exp(-cost / scale)  # how hard the step is to fake
        ratio = (1 - error) / ((1 - k) * (1 - error) + k * error)
        odds = prior / (1 - prior) * ratio
        return odds / (1 + odds)

    measured = {cost: belief_after_one(cost) for cost in (0.0, cheap, costly)}
    comparisons = [
        Comparison(f"cost {cost:g}: belief after one step", formula(cost), measured[cost], 1e-12)
        for cost in measured
    ]
    comparisons.append(
        Comparison(
            f"gain of the costly step (cost {costly:g}) exceeds that of the cheap one ({cheap:g})",
            measured[cheap] - prior,
            measured[costly] - prior,
            EXACT,
            ">",
        )
    )
    return result(
        "Bayesian rule: costly signals are more informative",
        "Kydd (2005, ch. 7); Fearon (1997), Signaling Foreign Policy Interests",
        f"classic_ipd with trust.rule=bayesian, prior {prior:g}, e = {error:g}, signal_cost_scale "
        f"{scale:g}; A cooperates once at cost 0, {cheap:g} (open_dialogue's) or {costly:g} "
        "(cap_forward_forces'); B holds.",
        "odds x (1-e)/((1-k)(1-e) + k e), k = 1 - exp(-cost/scale); costly gain > cheap gain",
        "1e-12 (formula); the gain difference must exceed 1e-9",
        comparisons,
        "Cheap talk (k = 0) is equally likely from both types and carries no information; the "
        "costlier the step, the less an expansionist would take it, and the more it moves belief.",
    )
