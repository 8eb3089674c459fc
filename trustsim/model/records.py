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
from trustsim.model.threats import threat_level

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


def row_means(values: np.ndarray) -> np.ndarray:
    """Per row, the mean of the row summed in order (``kernels.row_means``): the same number for a
    run alone and for its row in a batch, whatever the batch's size."""
    return kernels.row_means(np.ascontiguousarray(values, dtype=float))


# The measures computed from the edges by ``kernels.edge_measures``, in its column order: every
# measure of the vocabulary but those of states, the threat and the initiator.
EDGE_MEASURES = tuple(
    name
    for name in MEASURE_NAMES
    if name not in ("mean_posture", "shared_threat") and not name.startswith("trust_in_initiator")
)


def measures(model: mesa.Model) -> dict[str, np.ndarray]:
    """Every model-level measure of the step just taken (``model.last``), one entry per copy of a
    batch (a single run is a batch of one), in ``MEASURE_NAMES`` order. Before the first step: the
    measures of the initial state, NaN for those of a step (``STEP_MEASURES``). The one implementation of
    the measures: a single run's reporters and every copy of a batch read the same arithmetic, so a
    copy's measures equal its run's alone, bit for bit (tests/test_batch.py).

    Each copy's structure (blocs, degrees, hops from the initiator) is its own: a batch of a
    generated network holds each seed's network (``Structure._build_copy_layout``).
    """
    copies, layout = model.copies, model.copy_layout
    last = model.last or _before_first_step(model)
    nan = np.full(copies, np.nan)

    def rows(values: np.ndarray) -> np.ndarray:  # one row per copy
        return values.reshape(copies, -1)

    # Per copy, in one compiled pass (``kernels.edge_measures``, the same sums as row_means):
    # - mean, min, within and across blocs of each actor's trust in its target;
    # - the shares of the steps by kind;
    # - congealed dyads: directed dyads whose mistrust has hardened past congealed_level
    #   (hardness[src, dst]);
    # - national security: the mean over states (with partners) of each one's dyads' security, its
    #   payoffs less the threats it faces; mutual security: per relation, the lesser side's;
    # - crises: relations where either side's escalation index exceeds the crisis threshold;
    # - the countervailing-rights gap: mean self-view less other-view of the steps taken, and the
    #   share of steps exercising a right the actor sees as neutral and the target as escalation.
    table = np.empty((copies, len(EDGE_MEASURES)))
    kernels.edge_measures(
        rows(last.edge_trust),
        rows(last.kind),
        rows(last.actions),
        rows(last.security),
        rows(model.escalation > model.config.outcomes.crisis_threshold),
        rows(np.take(model.hardness.ravel(), model.flat_src_dst)),
        layout.same_bloc,
        layout.src,  # each copy's edges, by its own state ids
        layout.out_degree,
        model.catalog.self_other_gap,
        model.catalog.right,
        float(model.config.trust.congealed_level),
        table,
    )
    values = {name: table[:, i] for i, name in enumerate(EDGE_MEASURES)}
    for name in ("congealed_dyads", "crises"):  # counts
        values[name] = values[name].astype(np.int64)
    values["mean_posture"] = row_means(rows(model.posture))
    values["shared_threat"] = np.full(copies, last.threat)
    # Mean trust in the initiator of the scenario's first scheduled step, held by the states one,
    # two and three relations away from it (NaN without an initiator or such states).
    hops = rows(model.hops)
    if model.initiator is not None:
        # per copy, the trust in its initiator of its states 1 to 3 hops away (the others unread)
        near = (hops >= 1) & (hops <= 3)
        states = layout.states
        in_initiator = np.zeros(states.shape)
        copy_of = np.nonzero(near)[0]
        in_initiator[near] = model.trust_of(states[near], copy_of * model.copy_size + model.initiator)
    for distance in (1, 2, 3):
        name = f"trust_in_initiator_{distance}hop{'s' if distance > 1 else ''}"
        if model.initiator is None:
            values[name] = nan
        else:
            values[name] = kernels.masked_row_means(in_initiator, hops == distance)
    if model.last is None:  # step 0: no step taken, nothing chosen or paid
        values.update({name: nan for name in STEP_MEASURES})
    return {name: values[name] for name in MEASURE_NAMES}


# The measures of what a step did (actions, payoffs): undefined before the first step.
STEP_MEASURES = (
    "share_constructive",
    "share_neutral",
    "share_escalatory",
    "national_security",
    "mutual_security",
    "self_other_gap",
    "rights_exercised",
)


def _before_first_step(model: mesa.Model) -> StepOutcome:
    """The state at step 0 as a step's outcome, for the measures of the state (trust, posture,
    hardness, escalation, the threat's schedule); what a step did is left at zero."""
    zeros = np.zeros(model.n_edges)
    actions = np.zeros(model.n_edges, dtype=np.int64)
    edges = np.take(model.trust.ravel(), model.flat_src_dst)
    return StepOutcome(
        step=0,
        threat=threat_level(model.config.threats, 0),
        actions=actions,
        kind=model.catalog.kind[actions],
        declared=np.zeros(model.n_edges, dtype=bool),
        perceived=zeros,
        move=np.zeros(model.n_edges, dtype=np.int8),
        payoff=zeros,
        security=zeros,
        deltas=zeros,
        edge_trust=edges,
    )


def measure(model: mesa.Model, name: str) -> float | int:
    """One measure of a single run's last step, as its DataCollector records it (computed here
    when the run does not record its measures, ``record.model: false``)."""
    return (model.measures or measures(model))[name][0].item()


def _reporter(name: str):
    def report(model: mesa.Model) -> float | int:
        return measure(model, name)

    report.__name__ = name
    return report


# The measures a config may name (trustsim.config.vocabulary), each read from ``measures``, which
# the model computes once per step (``TrustModel.measures``).
MODEL_REPORTERS = {name: _reporter(name) for name in MEASURE_NAMES}


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
        self.out_degree = model.out_degree[self._states]
        self.initiator, self.hops = model.initiator, model.hops[self._states]
        self.initial_trust = model.initial_trust[self._states]  # its rows: (states, states)
        self.codes, self.states = model.codes[self._states], model.states[self._states]
        self.edge_kind = model.edge_kind[first:last]
        self.first_half = np.arange(self.n_edges) < self.n_edges // 2
        self.datacollector = mesa.DataCollector(model_reporters=MODEL_REPORTERS)  # filled by the model

    @property
    def steps(self) -> int:
        return self._model.steps

    @property
    def time(self) -> float:
        return self._model.time

    @property
    def trust(self) -> np.ndarray:
        return self._model.trust[self._states]

    @property
    def hardness(self) -> np.ndarray:
        return self._model.hardness[self._states]

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
