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
    """Per catalog action (row) and dyad (column): rationality * (U - max U), with U the expected
    utility of ``Logit.choose``. Dyads run in the inner loops, over contiguous arrays, so that the
    compiler vectorizes them."""
    n, actions = len(trust), len(cooperation)
    exponent = np.empty((actions, n))
    best = np.full(n, -np.inf)
    for a in range(actions):
        x = cooperation[a]
        for e in range(n):
            y = trust[e]
            u = (
                (reward[e] + bonus[a]) * x * y
                + sucker[e] * x * (1 - y)
                + temptation[e] * (1 - x) * y
                + punishment * (1 - x) * (1 - y)
                - cost[a]
                - escalatory[a] * escalation_cost[e]
            )
            exponent[a, e] = u
            best[e] = max(best[e], u)
    for a in range(actions):
        for e in range(n):
            exponent[a, e] = rationality * (exponent[a, e] - best[e])
    return exponent


@njit(cache=True, nogil=True)
def inverse_cdf(weights: np.ndarray, prior: np.ndarray, draw: np.ndarray) -> np.ndarray:
    """Per column of ``weights`` (actions x dyads), each row scaled by 1 / ``prior``: the first
    action whose cumulative weight exceeds draw * total, summed in action order as ``np.cumsum``."""
    actions, n = weights.shape
    total = np.zeros(n)
    for a in range(actions):
        for e in range(n):
            total[e] += weights[a, e] / prior[a]
            weights[a, e] = total[e]  # now the cumulative weight
    threshold = draw * total
    below = np.zeros(n, dtype=np.int64)
    for a in range(actions):
        for e in range(n):
            if weights[a, e] <= threshold[e]:
                below[e] += 1
    return np.minimum(below, actions - 1)


@njit(cache=True, nogil=True)
def relax(
    trust: np.ndarray, target: np.ndarray, rate: float, skip_rows: np.ndarray, skip_diagonal: bool, block: int
) -> None:
    """In place: trust += rate * (target - trust), clipped to [0, 1], except in the rows marked in
    ``skip_rows`` and (if ``skip_diagonal``) on the diagonal, which stay exactly as they are.
    One pass over the matrix for what NumPy does in four (decay, alliance influence). Only the
    diagonal blocks of size ``block`` are visited (a batch's copies; the whole matrix for one run):
    what lies between copies is never read by any edge, measure or product of a copy."""
    rows = trust.shape[0]
    for i in range(rows):
        if skip_rows[i]:
            continue
        start = (i // block) * block
        for j in range(start, min(start + block, rows)):
            if skip_diagonal and i == j:
                continue
            trust[i, j] = min(max(trust[i, j] + (target[i, j] - trust[i, j]) * rate, 0.0), 1.0)


@njit(cache=True, nogil=True)
def congeal(
    hardness: np.ndarray, trust: np.ndarray, threshold: float, rate: float, ceiling: float, block: int
) -> None:
    """In place: where trust is below ``threshold``, hardness += rate * (ceiling - hardness), in the
    diagonal blocks of size ``block`` (what lies between a batch's copies is never read)."""
    rows = trust.shape[0]
    for i in range(rows):
        start = (i // block) * block
        for j in range(start, min(start + block, rows)):
            if trust[i, j] < threshold:
                hardness[i, j] += rate * (ceiling - hardness[i, j])


@njit(cache=True, nogil=True)
def row_means(values: np.ndarray) -> np.ndarray:
    """The mean of each row, summed left to right: the same sum whatever the number of rows, so a
    measure of one run and of that run's row in a batch are the same number (NumPy's pairwise
    sums depend on the array's layout)."""
    rows, columns = values.shape
    means = np.empty(rows)
    for i in range(rows):
        total = 0.0
        for j in range(columns):
            total += values[i, j]
        means[i] = total / columns if columns else np.nan
    return means
