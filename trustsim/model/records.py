"""What a run records (SPEC "What a run records"): model-level measures, dyad rows, attribution.

Every function here reads a ``TrustModel``; it is typed as ``mesa.Model`` because this module sits
below ``trustsim.model.model``, which imports it (no import back up, no cycle).
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np
import pandas as pd

from trustsim.config.vocabulary import MEASURE_NAMES
from trustsim.model import kernels
from trustsim.model.catalog import CONSTRUCTIVE, ESCALATORY, NEUTRAL

# The causes of a trust change in the attribution log, by code, and the actor codes that are no state.
DIRECT, OBSERVATION, ALLIANCE, DECAY = range(4)
MECHANISMS = ("direct", "observation", "alliance", "decay")
ALLIES, NO_ACTOR = -1, -2  # attribution's actor for alliance influence and for decay


@dataclass
class StepOutcome:
    """Everything the step decided, per directed edge, for reporters and logs."""

    step: int
    threat: float
    actions: np.ndarray
    kind: np.ndarray  # each action's kind (CONSTRUCTIVE, NEUTRAL, ESCALATORY)
    declared: np.ndarray
    perceived: np.ndarray
    move: np.ndarray
    payoff: np.ndarray
    security: np.ndarray
    deltas: np.ndarray
    edge_trust: np.ndarray  # each actor's trust in its target after the step


def mean(values: np.ndarray) -> float:
    """The mean of ``values``, summed in order (``kernels.row_means``): a batch gets the same."""
    return float(kernels.row_means(np.ascontiguousarray(values, dtype=float).reshape(1, -1))[0])


def row_means(values: np.ndarray) -> np.ndarray:
    """Per row, ``mean`` of the row."""
    return kernels.row_means(np.ascontiguousarray(values, dtype=float))


def edge_trust(model: mesa.Model) -> np.ndarray:
    return model.last.edge_trust


def mean_trust(model: mesa.Model) -> float:
    return mean(edge_trust(model))


def min_trust(model: mesa.Model) -> float:
    return float(edge_trust(model).min())


def trust_within_blocs(model: mesa.Model) -> float:
    trust = np.take(edge_trust(model), model.within_bloc)
    return mean(trust) if trust.size else float("nan")


def trust_across_blocs(model: mesa.Model) -> float:
    trust = np.take(edge_trust(model), model.across_bloc)
    return mean(trust) if trust.size else float("nan")


def _share(model: mesa.Model, kind: int) -> float:
    kinds = model.last.kind
    # The count over the length: exactly the mean of the boolean array, without its overhead.
    return np.count_nonzero(kinds == kind) / kinds.size


def share_constructive(model: mesa.Model) -> float:
    return _share(model, CONSTRUCTIVE)


def share_neutral(model: mesa.Model) -> float:
    return _share(model, NEUTRAL)


def share_escalatory(model: mesa.Model) -> float:
    return _share(model, ESCALATORY)


def mean_posture(model: mesa.Model) -> float:
    return mean(model.posture)


def congealed_dyads(model: mesa.Model) -> int:
    """Directed dyads whose mistrust has hardened past ``congealed_level``."""
    hardness = np.take(model.hardness.ravel(), model.flat_src_dst)  # hardness[src, dst]
    return int((hardness >= model.config.trust.congealed_level).sum())


def national_security(model: mesa.Model) -> float:
    """Mean over states of each state's own security: its dyads' payoffs less the threats it faces."""
    related = model.out_degree > 0  # a state with no partners has no security to speak of here
    per_state = np.bincount(model.src, weights=model.last.security, minlength=model.n)
    return mean(per_state[related] / model.out_degree[related])


def mutual_security(model: mesa.Model) -> float:
    """Mean over dyads of the lesser of the two sides' security: no side is secure alone."""
    security, half = model.last.security, model.n_edges // 2
    # Edge i of the first half and edge i + half are the two directions of one relation.
    return mean(np.minimum(security[:half], security[half:]))


def crises(model: mesa.Model) -> int:
    """Dyads where either side's escalation index exceeds the crisis threshold."""
    hot, half = model.escalation > model.config.outcomes.crisis_threshold, model.n_edges // 2
    return int(np.count_nonzero(hot[:half] | hot[half:]))  # both directions of each relation


def self_other_gap(model: mesa.Model) -> float:
    """Mean of (self-view - other-view) of the steps taken: the countervailing-rights gap."""
    return mean(model.catalog.self_other_gap[model.last.actions])


def rights_exercised(model: mesa.Model) -> float:
    """Share of steps that exercise a right the actor sees as neutral and the target as escalation."""
    exercised = model.catalog.right[model.last.actions]
    return np.count_nonzero(exercised) / exercised.size  # the mean of the boolean array, exactly


def shared_threat(model: mesa.Model) -> float:
    return model.last.threat


def _trust_in_initiator(model: mesa.Model, hops: int) -> float:
    """Mean trust in the initiator of the scenario's first scheduled step, held by the states
    ``hops`` relations away from it (NaN without an initiator or such states)."""
    if model.initiator is None:
        return float("nan")
    observers = np.flatnonzero(model.hops == hops)
    return mean(model.trust[observers, model.initiator]) if len(observers) else float("nan")


def trust_in_initiator_1hop(model: mesa.Model) -> float:
    return _trust_in_initiator(model, 1)


def trust_in_initiator_2hops(model: mesa.Model) -> float:
    return _trust_in_initiator(model, 2)


def trust_in_initiator_3hops(model: mesa.Model) -> float:
    return _trust_in_initiator(model, 3)


# The measures a config may name (trustsim.config.vocabulary), each the function of that name here.
MODEL_REPORTERS = {name: globals()[name] for name in MEASURE_NAMES}


class DyadLog:
    """Per-step rows of every directed dyad, kept as arrays and turned into a DataFrame at the end."""

    def __init__(self) -> None:
        self.chunks: list[dict[str, np.ndarray]] = []

    def add(self, model: mesa.Model) -> None:
        last = model.last
        self.chunks.append(
            {
                "step": np.full(model.n_edges, last.step, dtype=np.int32),
                "source": model.src.astype(np.int32),
                "target": model.dst.astype(np.int32),
                "action": last.actions.astype(np.int16),
                "declared": last.declared,
                "self_view": model.catalog.self_view[last.actions],
                "perceived_value": last.perceived,
                "perceived_move": last.move,
                "trust": last.edge_trust[model.rev],  # the target's trust in the source: trust[dst, src]
                "trust_change": last.deltas,
                "payoff": last.payoff,
            }
        )

    def frame(self, model: mesa.Model) -> pd.DataFrame:
        """Rows: the actor (source) did ``action`` toward the target, which read it as
        ``perceived_value``; ``trust`` is the target's trust in the source after the step."""
        columns = (
            {key: np.concatenate([c[key] for c in self.chunks]) for key in self.chunks[0]}
            if self.chunks
            else {}
        )
        frame = pd.DataFrame(columns)
        if frame.empty:
            return frame
        codes = pd.Categorical.from_codes
        frame["source"] = codes(frame["source"], categories=model.codes)
        frame["target"] = codes(frame["target"], categories=model.codes)
        frame["action"] = codes(frame["action"], categories=list(model.catalog.names))
        frame["perceived_move"] = frame["perceived_move"].map(
            {1: "constructive", 0: "neutral", -1: "escalatory"}
        )
        return frame


OTHERS = -3  # attribution's observer, subject and actor of the summed row of the focus scope


class AttributionLog:
    """Each trust change with its cause: observer, subject, acting state, action and mechanism.

    With ``focus`` (a state's index; ``record.attribution_scope: focus``) only the changes of trust
    in that state and those its steps cause are kept one by one; all other changes of a call (one
    step, one mechanism) are summed into a single ``(others)`` row, so totals stay exact. With
    ``scoped`` and no focus state, every call is one summed row.
    """

    def __init__(self, tolerance: float = 1e-12, scoped: bool = False, focus: int | None = None) -> None:
        self.tolerance = tolerance
        self.scoped = scoped
        self.focus = focus
        self.chunks: list[tuple[np.ndarray, ...]] = []

    def add(self, step, observer, subject, actor, action, mechanism, delta) -> None:
        """Record the changes ``delta`` larger than the tolerance. Every argument but ``step`` and
        ``mechanism`` has one entry per change, except that ``actor`` and ``action`` may be one
        value for all."""
        delta = np.asarray(delta)
        keep = np.abs(delta) > self.tolerance
        if self.scoped:
            focus = -1 if self.focus is None else self.focus  # -1: no state is the focus
            focused = keep & ((np.asarray(subject) == focus) | (np.asarray(actor) == focus))
            others = keep & ~focused
            if others.any():
                total = np.array([delta[others].sum()])
                self.chunks.append(
                    (
                        np.array([step], dtype=np.int32),
                        *(np.array([OTHERS], dtype=np.int32) for _ in range(3)),
                        np.array([-1], dtype=np.int16),
                        np.array([mechanism], dtype=np.int8),
                        total,
                    )
                )
            keep = focused
        count = int(np.count_nonzero(keep))
        if count == 0:
            return
        # Often every change is kept (alliance influence moves nearly all n^2 entries): then skip
        # the boolean selection, which would only copy. astype and np.array copy either way.
        kept = slice(None) if count == len(delta) else keep

        def column(values, dtype) -> np.ndarray:
            if np.ndim(values) == 0:
                return np.full(count, values, dtype=dtype)
            return np.asarray(values)[kept].astype(dtype)

        self.chunks.append(
            (
                np.full(count, step, dtype=np.int32),
                column(observer, np.int32),
                column(subject, np.int32),
                column(actor, np.int32),
                column(action, np.int16),
                np.full(count, mechanism, dtype=np.int8),
                np.array(delta[kept]),
            )
        )

    def frame(self, model: mesa.Model) -> pd.DataFrame:
        names = ["step", "observer", "subject", "actor", "action", "mechanism", "delta"]
        if not self.chunks:
            return pd.DataFrame({name: [] for name in names})
        frame = pd.DataFrame(
            {name: np.concatenate([c[i] for c in self.chunks]) for i, name in enumerate(names)}
        )
        n = len(model.codes)
        states = [*model.codes, "(others)"] if self.scoped else list(model.codes)
        for column in ("observer", "subject"):
            codes = np.where(frame[column] == OTHERS, n, frame[column])
            frame[column] = pd.Categorical.from_codes(codes, categories=states)
        actors = [*model.codes, "(allies)", "(none)", *(["(others)"] if self.scoped else [])]
        frame["actor"] = pd.Categorical.from_codes(
            # -1: allies' pooled views (alliance influence); -2: nobody (decay); -3: summed others
            np.where(frame["actor"] < 0, n - 1 - frame["actor"], frame["actor"]),
            categories=actors,
        )
        actions = [*model.catalog.names, "(none)"]
        frame["action"] = pd.Categorical.from_codes(
            np.where(frame["action"] < 0, len(actions) - 1, frame["action"]), categories=actions
        )
        frame["mechanism"] = pd.Categorical.from_codes(frame["mechanism"], categories=list(MECHANISMS))
        return frame


class CopyView:
    """One copy of a batch (``TrustModel(config, copies=seeds)``), seen by the reporters and the run
    summary as the model of that run alone: the copy's own states and edges, numbered as in its run
    (``_build_edges`` keeps each copy's edges together, in a run's order)."""

    def __init__(self, model: mesa.Model, copy: int) -> None:
        n, edges = model.copy_size, model.copy_edges[copy]
        first, last = int(edges[0]), int(edges[-1]) + 1
        self._model, self._offset = model, copy * n
        self._edges, self._states = slice(first, last), slice(copy * n, copy * n + n)
        self._outcome: tuple[int, StepOutcome] | None = None
        self.config, self.catalog, self.n, self.n_edges = model.config, model.catalog, n, last - first
        self.src = model.src[first:last] - self._offset
        self.dst = model.dst[first:last] - self._offset
        self.flat_src_dst = self.src * n + self.dst

        def inside(edges: np.ndarray) -> np.ndarray:
            return edges[(edges >= first) & (edges < last)] - first

        self.within_bloc, self.across_bloc = inside(model.within_bloc), inside(model.across_bloc)
        self.out_degree = model.out_degree[self._states]
        self.initiator, self.hops = model.initiator, model.hops[:n]  # every copy has copy 0's
        self.initial_trust = model.initial_trust[self._states, self._states]
        self.codes, self.states = model.codes[:n], model.states[:n]
        self.edge_kind = model.edge_kind[first:last]
        self.first_half = np.arange(self.n_edges) < self.n_edges // 2
        self.datacollector: mesa.DataCollector | None = None  # set by the model: this copy's collector

    @property
    def steps(self) -> int:
        return self._model.steps

    @property
    def time(self) -> float:
        return self._model.time

    @property
    def trust(self) -> np.ndarray:
        return self._model.trust[self._states, self._states]

    @property
    def hardness(self) -> np.ndarray:
        return self._model.hardness[self._states, self._states]

    @property
    def posture(self) -> np.ndarray:
        return self._model.posture[self._states]

    @property
    def escalation(self) -> np.ndarray:
        return self._model.escalation[self._edges]

    @property
    def last(self) -> StepOutcome:
        """The step's outcome for this copy's edges (built once per step)."""
        outcome = self._model.last
        if self._outcome is None or self._outcome[0] != outcome.step:
            cut = {
                name: value[self._edges] if isinstance(value, np.ndarray) else value
                for name, value in vars(outcome).items()
            }
            self._outcome = (outcome.step, StepOutcome(**cut))
        return self._outcome[1]


def batch_measures(model: mesa.Model) -> dict[str, np.ndarray]:
    """Every model-level measure for every copy of a batch at once, one entry per copy: the same
    arithmetic as the reporters above on each copy's own edges and states, in the same order, so
    that each entry equals its reporter on the copy's ``CopyView`` (tests/test_batch.py)."""
    copies, n, view = model.copies, model.copy_size, model.collectors[0][1]
    last, size = model.last, model.n_edges // copies
    half = size // 2

    def rows(values: np.ndarray) -> np.ndarray:
        return values.reshape(copies, -1)

    trust = rows(last.edge_trust)
    kinds = rows(last.kind)
    within, across = trust[:, view.within_bloc], trust[:, view.across_bloc]
    nan = np.full(copies, np.nan)
    hardness = rows(np.take(model.hardness.ravel(), model.flat_src_dst))
    related = view.out_degree > 0
    per_state = rows(np.bincount(model.src, weights=last.security, minlength=model.n))
    security = rows(last.security)
    hot = rows(model.escalation > model.config.outcomes.crisis_threshold)
    measures = {
        "mean_trust": row_means(trust),
        "min_trust": trust.min(axis=1),
        "trust_within_blocs": row_means(within) if within.size else nan,
        "trust_across_blocs": row_means(across) if across.size else nan,
        "share_constructive": np.count_nonzero(kinds == CONSTRUCTIVE, axis=1) / size,
        "share_neutral": np.count_nonzero(kinds == NEUTRAL, axis=1) / size,
        "share_escalatory": np.count_nonzero(kinds == ESCALATORY, axis=1) / size,
        "mean_posture": row_means(rows(model.posture)),
        "congealed_dyads": (hardness >= model.config.trust.congealed_level).sum(axis=1),
        "national_security": row_means(per_state[:, related] / view.out_degree[related]),
        "mutual_security": row_means(np.minimum(security[:, :half], security[:, half:])),
        "crises": np.count_nonzero(hot[:, :half] | hot[:, half:], axis=1),
        "self_other_gap": row_means(rows(model.catalog.self_other_gap[last.actions])),
        "rights_exercised": np.count_nonzero(rows(model.catalog.right[last.actions]), axis=1) / size,
        "shared_threat": np.full(copies, last.threat),
    }
    offsets = np.arange(copies)[:, None] * n
    for hops in (1, 2, 3):
        observers = np.flatnonzero(view.hops == hops)
        if view.initiator is None or not len(observers):
            value = nan
        else:
            value = row_means(model.trust[offsets + observers, offsets[:, 0:1] + view.initiator])
        measures[f"trust_in_initiator_{hops}hop{'s' if hops > 1 else ''}"] = value
    return measures
