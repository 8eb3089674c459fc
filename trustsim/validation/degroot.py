"""Propagation: alliance influence as DeGroot (1974) learning, converging to the consensus the
influence matrix implies.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from trustsim.config.loading import read_yaml, resolve_config_path, scenario_from_dict
from trustsim.config.schema import Scenario
from trustsim.model.model import TrustModel
from trustsim.validation.records import EXACT, CheckResult, Comparison, result

ALLIANCE = ("M1", "M2", "M3", "M4", "M5")
ALLY_EDGES = (("M1", "M2", 1.0), ("M2", "M3", 2.0), ("M3", "M4", 0.5), ("M4", "M5", 1.0), ("M5", "M1", 1.5))
OUTSIDER_EDGES = (("M1", "J", "rival"), ("M3", "J", "neighbour"))
TRUST_IN_OUTSIDER = (0.1, 0.3, 0.5, 0.7, 0.9)


def ipd_base() -> dict[str, Any]:
    """The classic IPD config as raw data, to build small deterministic worlds from."""
    return copy.deepcopy(read_yaml(resolve_config_path("classic_ipd")))


def degroot_scenario(alpha: float, steps: int) -> Scenario:
    data = ipd_base()
    data.update(
        name="degroot",
        steps=steps,
        default_policy="hold",
        states=[{"code": code, "bloc": "alliance"} for code in ALLIANCE] + [{"code": "J", "bloc": "other"}],
        relations=[{"a": a, "b": b, "kind": "ally", "salience": w} for a, b, w in ALLY_EDGES]
        + [{"a": a, "b": b, "kind": kind} for a, b, kind in OUTSIDER_EDGES],
        initial_trust={
            "default": 0.5,
            "symmetric_pairs": False,
            "pairs": [
                {"from": code, "to": "J", "value": value}
                for code, value in zip(ALLIANCE, TRUST_IN_OUTSIDER, strict=True)
            ],
        },
        propagation={"observation_weight": 0.0, "alliance_weight": alpha},
        record={"model": False, "dyads": False},
    )
    return scenario_from_dict(data, "degroot (validation)")


def ally_influence(scenario: Scenario, members: Sequence[str]) -> np.ndarray:
    """W: row-stochastic weights of each member's allies, proportional to the ally edge's salience."""
    index = {code: i for i, code in enumerate(members)}
    weights = np.zeros((len(members), len(members)))
    for relation in scenario.relations:
        if relation.kind == "ally":
            i, j = index[relation.a], index[relation.b]
            weights[i, j] = weights[j, i] = relation.salience
    return weights / weights.sum(axis=1, keepdims=True)


def check_alliance_degroot(alpha: float = 0.3, early: int = 5) -> CheckResult:
    """Allies' trust in an outsider converges to the DeGroot consensus sum_k pi_k T0[k, J]."""
    probe = degroot_scenario(alpha, 1)
    W = ally_influence(probe, ALLIANCE)
    M = (1 - alpha) * np.eye(len(ALLIANCE)) + alpha * W
    values, vectors = np.linalg.eig(M.T)
    pi = np.real(vectors[:, np.argmin(np.abs(values - 1))])
    pi = pi / pi.sum()
    t0 = np.array(TRUST_IN_OUTSIDER)
    consensus = float(pi @ t0)
    second = np.sort(np.abs(values))[-2]
    steps = math.ceil(math.log(1e-13) / math.log(second))
    model = TrustModel(degroot_scenario(alpha, steps))
    outsider = model.codes.index("J")
    members = [model.codes.index(code) for code in ALLIANCE]
    model.run(early)
    after_early = model.trust[members, outsider].copy()
    model.run(steps - early)
    final = model.trust[members, outsider]
    comparisons = [
        Comparison(f"{code}'s trust in J after {early} steps = (M^{early} T0)", e, m, 1e-12)
        for code, e, m in zip(ALLIANCE, np.linalg.matrix_power(M, early) @ t0, after_early, strict=True)
    ] + [
        Comparison(f"{code}'s trust in J after {steps} steps", consensus, m, EXACT)
        for code, m in zip(ALLIANCE, final, strict=True)
    ]
    return result(
        "Propagation: alliance influence is DeGroot learning",
        "DeGroot (1974), Reaching a Consensus; Golub & Jackson (2010)",
        f"Five allies in a ring (saliences {', '.join(f'{a}-{b} {w:g}' for a, b, w in ALLY_EDGES)}), "
        f"an outsider J (rival of M1, neighbour of M3); every state holds, perception noise 0, "
        f"observation_weight 0, alliance_weight alpha = {alpha:g}; initial trust in J "
        f"{TRUST_IN_OUTSIDER}; {steps} steps (|lambda_2|^n < 1e-13, |lambda_2| = {second:.4g}).",
        f"consensus sum_k pi_k T0[k, J] = {consensus:.10g}, pi = ({', '.join(f'{p:.4g}' for p in pi)})",
        f"1e-12 for the path M^t T0; 1e-9 for the limit after {steps} steps",
        comparisons,
        "W is built here from the config's ally relations (row i: the saliences of i's allies, "
        "normalised), M = (1 - alpha) I + alpha W. pi is the left eigenvector of M for eigenvalue "
        "1 (the same as W's), normalised to sum 1: each ally's weight in the consensus. "
        "Holding is read as neutral, so no direct evidence moves trust; only the allies' pull does.",
    )
