"""Event-data patterns (Ward 1982; Goldstein & Freeman 1990): actions scored on the catalog's
Goldstein scale and a VAR(1) per directed dyad (statsmodels): inertia, reciprocity, asymmetry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from trustsim.config.schema import Scenario
from trustsim.model.model import TrustModel
from trustsim.patterns.episodes import interval

# -- event-data patterns --------------------------------------------------------------------------


@dataclass(frozen=True)
class DyadFit:
    """One directed dyad's VAR(1) coefficients in its own equation."""

    inertia: float  # own score at t-1
    reciprocity: float  # the partner's score at t-1
    to_cooperation: float  # the cooperative part of the partner's score at t-1 (max(score, 0))
    to_conflict: float  # the conflictual part (min(score, 0))


def scored_actions(model: TrustModel) -> np.ndarray:
    """Goldstein-scale score (catalog ``other_view``: weight / 10) of every directed dyad's action,
    steps x directed edges, from the run's dyad rows (``record.dyads``)."""
    frame = model.dyad_log.frame(model)
    score = dict(zip(model.catalog.names, model.catalog.other_view, strict=True))
    values = frame["action"].map(score).to_numpy(dtype=float)
    return values.reshape(-1, model.n_edges)  # rows are appended step by step, edges in order


def _varies(*columns: np.ndarray) -> bool:
    return all(np.ptp(column[:-1]) > 1e-9 for column in columns) and all(np.ptp(c) > 1e-9 for c in columns)


def fit_dyad(
    own: np.ndarray,
    partner: np.ndarray,
    cooperation: np.ndarray | None = None,
    conflict: np.ndarray | None = None,
) -> DyadFit | None:
    """VAR(1) of (own, partner), and of (own, partner's cooperation, partner's conflict), by
    statsmodels; the own equation's coefficients. None when a series does not vary (no fit).
    The parts are max(partner, 0) and min(partner, 0) unless given (summed over windows of steps,
    they are the sums of each step's parts: analysis/event_data_windows.py)."""
    from statsmodels.tsa.api import VAR

    cooperation = np.maximum(partner, 0.0) if cooperation is None else cooperation
    conflict = np.minimum(partner, 0.0) if conflict is None else conflict
    if not _varies(own, partner, cooperation, conflict):
        return None
    both = VAR(np.column_stack([own, partner])).fit(1, trend="c").coefs[0]
    split = VAR(np.column_stack([own, cooperation, conflict])).fit(1, trend="c").coefs[0]
    if not (np.all(np.isfinite(both)) and np.all(np.isfinite(split))):
        return None
    return DyadFit(float(both[0, 0]), float(both[0, 1]), float(split[0, 1]), float(split[0, 2]))


def run_fits(scenario: Scenario, seed: int) -> tuple[list[tuple[str, DyadFit]], int]:
    """Run ``scenario`` at ``seed`` with dyad rows and fit every directed dyad: the fits, each with
    its actor's policy, and the number of directed dyads."""
    scenario = scenario.model_copy(update={"seed": seed}, deep=True)
    scenario.record.dyads = True
    model = TrustModel(scenario)
    model.run()
    scores = scored_actions(model)
    fits = []
    for edge in range(model.n_edges):
        fit = fit_dyad(scores[:, edge], scores[:, model.rev[edge]])
        if fit is not None:
            fits.append((model.states[model.src[edge]].policy, fit))
    return fits, model.n_edges


@dataclass(frozen=True)
class PatternResult:
    """A scenario's coefficients, each the mean over its fitted dyads per replication, with the
    mean and 95% interval over replications."""

    scenario: str
    replications: int
    dyads: int
    fitted: float  # mean share of directed dyads whose series vary enough to fit
    inertia: tuple[float, float, float]
    reciprocity: tuple[float, float, float]
    to_cooperation: tuple[float, float, float]
    to_conflict: tuple[float, float, float]
    asymmetry: tuple[float, float, float]  # to_conflict - to_cooperation
    by_policy: dict[str, tuple[int, tuple[float, float, float, float]]]  # pooled fits per actor policy
    resolve_off: tuple[float, float, float] | None = None  # the asymmetry with resolve 0, same seeds

    @property
    def shows(self) -> dict[str, bool]:
        """Which event-data pattern the scenario shows, each interval clear of zero."""
        return {
            "inertia": self.inertia[1] > 0,
            "reciprocity": self.reciprocity[1] > 0,
            "asymmetry": self.asymmetry[1] > 0,
        }


def patterns(
    scenario: Scenario, replications: int, progress: Callable[[], None] | None = None
) -> PatternResult:
    """Fit every directed dyad of ``scenario`` on seeds 0 .. replications - 1."""
    per_run, dyads, fitted = [], 0, []
    pooled: dict[str, list[tuple[float, ...]]] = {}
    for seed in range(replications):
        fits, dyads = run_fits(scenario, seed)
        fitted.append(len(fits) / dyads)
        rows = [(f.inertia, f.reciprocity, f.to_cooperation, f.to_conflict) for _, f in fits]
        if rows:
            per_run.append(np.mean(rows, axis=0))
        for (policy, _), row in zip(fits, rows, strict=True):
            pooled.setdefault(policy, []).append(row)
        if progress is not None:
            progress()
    values = np.array(per_run).reshape(-1, 4)
    return PatternResult(
        scenario.name,
        replications,
        dyads,
        float(np.mean(fitted)),
        interval(values[:, 0]),
        interval(values[:, 1]),
        interval(values[:, 2]),
        interval(values[:, 3]),
        interval(values[:, 3] - values[:, 2]),
        {
            policy: (len(rows), tuple(float(v) for v in np.mean(rows, axis=0)))
            for policy, rows in sorted(pooled.items())
        },
    )
