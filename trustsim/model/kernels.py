"""Compiled per-dyad loops for the hottest stages of the step.

Numba compiles these loops (``cache=True``: once per machine, then loaded from the cache), because
NumPy would evaluate them as several arrays of (catalog actions x dyads) temporaries per step. The
arithmetic is the NumPy expression's, term by term and in the same order, without ``fastmath``, so
results do not depend on whether a stage runs here or as array expressions.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def logit_exponents(
    trust: np.ndarray,
    reward: np.ndarray,
    bonus: np.ndarray,
    temptation: np.ndarray,
    sucker: np.ndarray,
    punishment: float,
    escalation_cost: np.ndarray,
    cooperation: np.ndarray,
    cost: np.ndarray,
    escalatory: np.ndarray,
    rationality: float,
) -> np.ndarray:
    """Per dyad (row) and catalog action (column): rationality * (U - max U), with U the expected
    utility of ``Logit.choose``."""
    n, actions = len(trust), len(cooperation)
    exponent = np.empty((n, actions))
    for e in range(n):
        y = trust[e]
        best = -np.inf
        for a in range(actions):
            x = cooperation[a]
            u = (
                (reward[e] + bonus[a]) * x * y
                + sucker[e] * x * (1 - y)
                + temptation[e] * (1 - x) * y
                + punishment * (1 - x) * (1 - y)
                - cost[a]
                - escalatory[a] * escalation_cost[e]
            )
            exponent[e, a] = u
            best = max(best, u)
        for a in range(actions):
            exponent[e, a] = rationality * (exponent[e, a] - best)
    return exponent


@njit(cache=True, nogil=True)
def inverse_cdf(weights: np.ndarray, prior: np.ndarray, draw: np.ndarray) -> np.ndarray:
    """Per row of ``weights`` (dyads x actions), scaled by 1 / ``prior``: the first action whose
    cumulative weight exceeds draw * total, the row's total summed in order as ``np.cumsum`` does."""
    n, actions = weights.shape
    chosen = np.empty(n, dtype=np.int64)
    for e in range(n):
        total = 0.0
        for a in range(actions):
            total += weights[e, a] / prior[a]
            weights[e, a] = total
        threshold = draw[e] * total
        below = 0
        for a in range(actions):
            if weights[e, a] <= threshold:
                below += 1
        chosen[e] = min(below, actions - 1)
    return chosen
