"""TrustModel: states choosing constructive or escalatory steps, and trust moving between them.

One step (docs/ODD.md, "Process overview and scheduling"): policy changes scheduled for the step;
every state chooses an action toward each partner (policies, vectorized per policy); scheduled
actions override them; execution noise and paralysis; targets perceive the actions; payoffs; trust
updates (direct, third-party observation, alliance influence, decay) and congealing; posture
(Richardson); fog and escalation memory; records.

The decision stage (``decisions.Decisions``) and the trust update (``trust_update.TrustUpdate``)
are modules of their own; what stays here (building the model, the step's order, perception,
payoffs, posture and memories, about 450 lines) is kept together so that the step reads in one file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import Network

from trustsim.config.schema import MAX_PERCEPTION_ERROR, Scenario
from trustsim.model import kernels, records
from trustsim.model.agents import State
from trustsim.model.catalog import CONSTRUCTIVE, ESCALATORY, NEUTRAL, Catalog
from trustsim.model.decisions import Decisions
from trustsim.model.policies import NONE, POLICIES, Policy
from trustsim.model.structure import Structure
from trustsim.model.threats import threat_level
from trustsim.model.trust_rules import RULES
from trustsim.model.trust_update import TrustUpdate
from trustsim.model.world import build_world, replicate


class TrustModel(Structure, Decisions, TrustUpdate, mesa.Model):
    """The trust model of a scenario. ``TrustModel(scenario)`` seeds from ``scenario.seed``."""

    def __init__(
        self,
        config: Scenario,
        rng: int | np.random.Generator | None = None,
        copies: Sequence[int | np.random.SeedSequence] | None = None,
    ) -> None:
        """``copies``: one seed per run, to step that many runs of the scenario at once, each on its
        own random stream, exactly as ``TrustModel(config, rng=np.random.default_rng(seed))`` would
        run it alone (the batch never changes a run). The runs are disjoint copies of the world in
        one model (``world.replicate``). Each copy's model measures are collected by its own
        collector (``collectors``: (DataCollector, records.CopyView) per copy), exactly as its run
        alone collects them; a batch records no dyad rows or attribution. ``copy_edges`` gives each
        copy's edges, e.g. to read ``last`` per copy."""
        super().__init__(rng=config.seed if rng is None else rng)
        self.config = config
        self.catalog = Catalog.from_actions(config.actions)
        # Local views (propagation.views: local): trust and hardness are held only on the pairs a
        # state deals with or sees its friends deal with (``support``), as 1-D arrays in the sorted
        # order of row * n + column; never an n x n matrix (Structure._build_support).
        self.local = config.propagation.views == "local"
        if copies is None:
            world = build_world(config, self.rng, matrix=not self.local)
            self.copies, self.copy_size = 1, len(world.states)
            self._streams = kernels.stream_list([self.rng])
        else:
            # Each copy's world as its run alone builds it: a generated network from the copy's own
            # stream (which goes on to draw its steps), an explicit one once for all.
            streams = self._copy_streams(config, copies)
            if config.network is None:
                worlds = [build_world(config, self.rng)] * len(streams)
            else:
                worlds = [build_world(config, stream) for stream in streams]
            self._streams = kernels.stream_list(streams)
            self.copies, self.copy_size = len(copies), len(worlds[0].states)
            world = replicate(worlds)
        self.n = len(world.states)
        self.grid = Network(world.graph, capacity=1, random=self.random, layout=None)
        self._initial_at = world.initial
        self.posture = np.array([state.posture for state in world.states], dtype=float)
        self.fog = np.zeros(self.n)
        for state in world.states:
            cell = self.grid[len(self.agents)]
            State(
                self,
                cell,
                state.code,
                state.name,
                state.bloc,
                state.capability,
                state.policy or config.default_policy,
            )
        self.states: list[State] = sorted(self.agents, key=lambda agent: agent.index)
        self.codes = [state.code for state in self.states]
        self.capability = np.array([state.capability for state in self.states])
        self.bloc_ids = np.unique([s.bloc for s in self.states], return_inverse=True)[1]
        self._build_edges(world.relations)
        self._build_copy_layout()
        # Trust as it starts, and as it stands: the n x n matrix, or the held pairs' local views.
        self.initial_trust = (
            world.initial(self.support_rows, self.support_cols) if self.local else world.trust
        )
        self.trust = self.initial_trust.copy()
        self.hardness = np.zeros_like(self.trust)
        self.copy_edges = self._edges_by_copy()
        self._build_repertoires(world.states)
        self._build_richardson(world.states)
        self.rule = RULES[config.trust.rule](config.trust, band=config.perception.neutral_band)
        self.greedy = np.array([state.motive == "greedy" for state in world.states])
        self.edge_greedy = self.greedy[self.src]  # per edge, whether its actor is greedy
        self.security_seeker = ~self.edge_greedy
        self.security_seeker.flags.writeable = False
        self._policies: dict[str, Policy] = {}
        self._policy_edges: dict[str, np.ndarray] | None = None
        self._policy_views: dict[str, tuple] | None = None
        self.memory: dict[str, np.ndarray] = {}
        self._scheduled = self._schedule_interventions()
        self.initiator, self.hops = self._initiator_hops(world.graph)

        e = self.n_edges
        self.own_last = np.full(e, NONE, dtype=np.int8)
        self.other_last = np.full(e, NONE, dtype=np.int8)
        self.other_before = np.full(e, NONE, dtype=np.int8)
        self.other_last_value = np.zeros(e)
        self.escalation = np.zeros(e)
        self.last_action = np.full(e, -1, dtype=np.int64)  # each actor's last action (-1: none yet)
        self.threatened = np.zeros(e)  # edge i -> j: the cost i expects from j if it escalates
        self.commitment = np.zeros(e, dtype=np.int64)  # steps i's declaration toward j still binds
        self.last: records.StepOutcome | None = None
        self.dyad_log = records.DyadLog() if config.record.dyads else None
        self.attribution = (
            records.AttributionLog(scoped=config.record.attribution_scope == "focus", focus=self.initiator)
            if config.record.attribution
            else None
        )
        self.datacollector = mesa.DataCollector(model_reporters=records.MODEL_REPORTERS)
        # What each step's measures are collected by and from: the model itself, or in a batch one
        # collector per copy, reading the copy as the model of its run alone.
        self.collectors: list[tuple[mesa.DataCollector, object]] = [(self.datacollector, self)]
        if self.copies > 1:
            views = [records.CopyView(self, b) for b in range(self.copies)]
            self.collectors = [(view.datacollector, view) for view in views]
        self.measures: dict[str, np.ndarray] = {}  # the last step's (records.measures), per copy
        # A batch whose caller reads the copies' collectors only after the run
        # (``deferred_collection``) keeps each step's measures here and hands them out at the end.
        self._deferred: list[dict[str, np.ndarray]] | None = None
        self._payoff_table: tuple[tuple, np.ndarray] | None = None  # (its key, the table): ``_payoffs``
        self._build_buffers()

    # -- random numbers and interventions -------------------------------------------------------

    def _draw(self) -> tuple[np.ndarray, np.ndarray]:
        """This step's random numbers: four uniforms and a standard normal per directed edge, drawn
        whatever happens (common random numbers), each copy's from its own stream."""
        draws, noise = np.empty((self.n_edges, 4)), np.empty(self.n_edges)
        # Each copy's edges are one block of rows. A run draws as a batch of one: the numbers of
        # self.rng.random((edges, 4)) then self.rng.standard_normal(edges), in one compiled call.
        kernels.draw_streams(self._streams, draws, noise)
        return draws, noise

    def schedule(self, item) -> None:
        """Add ``item`` (an ``Intervention``, checked by its caller) to the running model, as a
        scenario's ``interventions`` entry would be, and make its actor the initiator followed by
        the ``trust_in_initiator_*`` measures."""
        self.config.interventions.append(item)
        self._scheduled = self._schedule_interventions()
        if item.action is not None:
            self.initiator = self.codes.index(item.actor)
            if self.attribution is not None:
                self.attribution.focus = self.initiator
            self.hops = self._hops_from(self.grid.G, self.initiator)

    def _initiator_hops(self, graph: nx.Graph) -> tuple[int | None, np.ndarray]:
        """The initiator (actor of the first scheduled action, enabled or not; its state id in a
        run, and in each copy of a batch) and every state's network distance from it (from its
        copy's initiator), for charting propagation one, two and three hops away."""
        first = next((item for item in self.config.interventions if item.action is not None), None)
        if first is None:
            return None, np.full(self.n, -1)
        initiator = self.codes.index(first.actor)
        return initiator, self._hops_from(graph, initiator)

    def _hops_from(self, graph: nx.Graph, initiator: int) -> np.ndarray:
        """Every state's network distance from ``initiator`` in its copy (-1: not reachable)."""
        hops = np.full(self.n, -1)
        for offset in range(0, self.n, self.copy_size):
            for node, distance in nx.single_source_shortest_path_length(graph, offset + initiator).items():
                hops[node] = distance
        return hops

    def _schedule_interventions(self) -> dict[int, list]:
        """Per step, the scheduled policy changes and forced actions (in every copy of a batch)."""
        index = {code: i for i, code in enumerate(self.codes[: self.copy_size])}
        offsets = np.arange(self.copies) * self.copy_size
        scheduled: dict[int, list] = defaultdict(list)
        for item in self.config.interventions:
            if not item.enabled:
                continue
            if item.policy is not None:
                for offset in offsets:
                    scheduled[item.step].append(("policy", index[item.actor] + offset, item.policy))
                continue
            edges = np.isin(self.src, index[item.actor] + offsets)
            if item.target is not None:
                edges &= np.isin(self.dst, index[item.target] + offsets)
            action = self.catalog.index(item.action)
            for step in range(item.step, item.step + item.duration):
                scheduled[step].append(("action", np.flatnonzero(edges), action, item.declared))
        return scheduled

    # -- queries ----------------------------------------------------------------------------------

    def neighbours(self, index: int) -> np.ndarray:
        return self._neighbours[index]

    def state(self, code: str) -> State:
        return self.states[self.codes.index(code)]

    def policies_changed(self) -> None:
        self._policy_edges = None
        self._policy_views = None

    def policy_edges(self) -> dict[str, np.ndarray]:
        """Edge ids grouped by the policy of their actor (recomputed after a policy change)."""
        if self._policy_edges is None:
            actor_policy = np.empty(self.n, dtype=object)
            for name, group in self.agents.groupby("policy", result_type="list"):
                actor_policy[[state.index for state in group]] = name
            edge_policy = actor_policy[self.src]
            self._policy_edges = {
                name: np.flatnonzero(edge_policy == name) for name in sorted(set(edge_policy))
            }
        return self._policy_edges

    def _policy_view_parts(self) -> dict[str, tuple]:
        """Per policy, what its Dyads view takes from the network rather than the step: its edges
        and the actors' repertoires (recomputed after a policy change). The arrays are read-only,
        since every step's view shares them."""
        if self._policy_views is None:
            self._policy_views = {}
            for name, edges in self.policy_edges().items():
                repertoire = {slot: ids[edges] for slot, ids in self.edge_repertoire.items()}
                for array in (edges, *repertoire.values()):
                    array.flags.writeable = False
                self._policy_views[name] = (edges, repertoire)
        return self._policy_views

    def policy(self, name: str) -> Policy:
        if name not in self._policies:
            cls = POLICIES[name]
            params = getattr(self.config.policy_params, cls.params_key) if cls.params_key else None
            self._policies[name] = cls(params)
            for field, (dtype, initial) in cls.memory.items():
                self.memory[f"{name}.{field}"] = np.full(self.n_edges, initial, dtype=dtype)
        return self._policies[name]

    def trust_at(self, flat: np.ndarray) -> np.ndarray:
        """Trust entries at flat positions (row * n + column): ``trust[rows, columns]``, faster.
        With local views the positions are indices into the held pairs (``support``)."""
        return np.take(self.trust.ravel(), flat)

    def trust_of(self, rows, cols) -> np.ndarray:
        """Trust of states ``rows`` in states ``cols`` (broadcast together), whatever the views: with
        local views a pair not held is at its initial trust, as it stays."""
        if not self.local:  # a batch's column of state j is j % copy_size (``world.replicate``)
            return self.trust[rows, cols if self.copies == 1 else np.asarray(cols) % self.copy_size]
        rows, cols = np.broadcast_arrays(np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))
        keys = rows * self.n + cols
        position = np.minimum(np.searchsorted(self.support, keys), len(self.support) - 1)
        held = self.support[position] == keys
        values = np.array(self._initial_at(rows, cols), dtype=float).reshape(rows.shape)
        values[held] = self.trust[position[held]]
        return values

    @staticmethod
    def _flat(matrix: np.ndarray) -> np.ndarray:
        """An n x n matrix as a flat view, to write entries at flat positions.

        Trust and hardness are built C-contiguous and only ever updated in place (states' rows of
        trust are views of it), so ravel() is a view; were that ever broken, writes through a copy
        would be lost silently, hence the check.
        """
        if not matrix.flags.c_contiguous:
            raise RuntimeError("expected a C-contiguous matrix, updated in place")
        return matrix.ravel()

    # -- the step ---------------------------------------------------------------------------------

    def step(self) -> None:
        t = self.steps
        for kind, actor, *rest in self._scheduled.get(t, ()):
            if kind == "policy":
                self.states[actor].policy = rest[0]
        threat = threat_level(self.config.threats, t)
        agenda = self.config.altered_agenda
        agenda_gain = agenda.gain * threat if agenda.enabled else 0.0
        reward = self.config.payoffs.R + agenda_gain
        # Extra reward of mutual restraint when a step is a positive incentive or, on the altered
        # agenda, joint work on the shared threat (per action; either side's step earns it).
        bonus = (
            self.config.payoffs.positive_incentive_bonus * self.catalog.positive
            + agenda_gain * self.catalog.shared_threat
        )
        # Every step draws the same numbers whatever is chosen, so a run with an intervention
        # and one without share their random streams (common random numbers).
        draws, noise = self._draw()

        # Each actor's trust in its target and each target's in the actor (edge i -> j: trust[j, i]),
        # as they stand until this step's trust updates, and the threat each actor faces.
        trust, incoming, threat_faced = self._edge_views()
        actions, declared = self._decide(draws[:, 0], reward, bonus, trust, threat_faced)
        forced = np.zeros(self.n_edges, dtype=bool)
        for kind, *rest in self._scheduled.get(t, ()):
            if kind == "action":
                edges, action, announce = rest
                actions[edges], declared[edges], forced[edges] = action, announce, True
        actions = self._slips(actions, draws[:, 1], draws[:, 3], forced, trust)
        kind = self.catalog.kind[actions]
        declared &= kind == CONSTRUCTIVE
        perceived, move, error = self._perceive(actions, declared, draws[:, 2], noise)
        payoff, security = self._payoffs(actions, reward, bonus, trust, threat_faced)
        self._update_trust(actions, declared, perceived, move, error, incoming)
        edge_trust = self.trust_at(self.flat_src_dst)
        deltas = edge_trust[self.rev] - incoming
        self._update_posture(actions, edge_trust)
        self._remember(actions, kind, perceived, move, declared)
        self.last = records.StepOutcome(
            step=t,
            threat=threat,
            actions=actions,
            kind=kind,
            declared=declared,
            perceived=perceived,
            move=move,
            payoff=payoff,
            security=security,
            deltas=deltas,
            edge_trust=edge_trust,
        )
        if self.dyad_log is not None:
            self.dyad_log.add(self)
        if self.config.record.model:
            self.measures = records.measures(self)
            if self._deferred is not None:
                self._deferred.append(self.measures)
            else:  # into each collector, as its collect() would without 18 reporter calls and deep
                # copies: each reporter (``records.measure``) reads one value of self.measures as the
                # Python number tolist() gives (tests/test_batch.py)
                columns = {name: values.tolist() for name, values in self.measures.items()}
                for b, (collector, _) in enumerate(self.collectors):
                    collector._collection_steps.append(self.time)
                    for name, values in columns.items():
                        collector.model_vars[name].append(values[b])

    def deferred_collection(self) -> None:
        """From now on, the model keeps its steps' measures to itself (``deferred_columns``) instead
        of handing each step's to the collectors (a batch's: each measure of each copy to the copy's
        collector; a run's: its DataCollector calling 18 reporters). For a caller that reads no
        collector while the model runs (``simulate`` and ``simulate_batch`` without a stop)."""
        if self._deferred is None:
            self._deferred = []

    def deferred_columns(self) -> dict[str, np.ndarray]:
        """The steps kept since ``deferred_collection``, per measure as a copies x steps array, in
        the collectors' order of measures; they then leave the model (the collectors stay empty)."""
        steps, self._deferred = self._deferred or [], None
        names = list(self.collectors[0][0].model_vars)
        if not steps:
            return {name: np.empty((self.copies, 0)) for name in names}
        return {name: np.stack([measures[name] for measures in steps], axis=1) for name in names}

    def _perceive(self, actions, declared, draw, noise):
        """How each target reads the step toward it: noticed or not, other-view, noise and fog.

        A step is noticed with probability its verifiability (raised by a declaration). A rival
        reads a right exercised as escalation (other-view); an ally shares the actor's own view of
        its rights (self-view): one lookup in ``view_table``. The value read gets Gaussian noise of
        sd ``perception.noise`` + fog_gain * the target's fog, clipped to [-1, 1]; beyond the
        neutral band it is a constructive (1) or escalatory (-1) move. The perception error of a
        target grows with its fog, up to MAX_PERCEPTION_ERROR. One compiled pass (``kernels.perceive``).
        """
        spec = self.config.perception
        return kernels.perceive(
            actions,
            declared,
            draw,
            noise,
            self.dst,
            self.fog,
            self.catalog.verifiability,
            float(self.config.trust.declared_verifiability),
            self.view_table.ravel(),
            self.ally_offset,
            float(spec.noise),
            float(spec.fog_gain),
            float(spec.neutral_band),
            float(self.config.trust.perception_error),
            MAX_PERCEPTION_ERROR,
        )

    def _payoffs(
        self,
        actions: np.ndarray,
        reward: float,
        bonus: np.ndarray,
        trust: np.ndarray,
        threat_faced: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Prisoner's Dilemma payoffs in bilinear form over cooperation levels, with incentives.

        U = R'xy + Sx(1-y) + T(1-x)y + P(1-x)(1-y) - cost - target cost of the other's step, where
        R' adds the larger of the two steps' bonuses (positive incentive; shared-threat work on the
        altered agenda). Security of the
        actor in the dyad subtracts the threat it faces from the partner:
        threat_weight * (1 - trust) * capability * posture.

        The payoff depends only on the pair of actions, so it is tabulated over catalog x catalog
        (the same arithmetic per entry) and looked up for every dyad.
        """
        cfg, cat = self.config.payoffs, self.catalog
        key = (reward, bonus.tobytes(), cfg.T, cfg.S, cfg.P)  # reward and bonus move with a shared threat
        if self._payoff_table is None or self._payoff_table[0] != key:
            x, y = cat.cooperation[:, None], cat.cooperation[None, :]  # own action by row, other's by column
            pair_bonus = np.maximum(bonus[:, None], bonus[None, :])
            table = (
                (reward + pair_bonus) * x * y
                + cfg.S * x * (1 - y)
                + cfg.T * (1 - x) * y
                + cfg.P * (1 - x) * (1 - y)
                - cat.cost[:, None]
                - cat.target_cost[None, :]
            )
            self._payoff_table = (key, table)
        table = self._payoff_table[1]
        # Per edge, in one compiled pass: the table's payoff, less the audience cost of reneging on
        # a binding declaration; national security, the payoff less the threat faced plus the
        # deterrent weight of one's own forces against a distrusted partner (arming raises it at
        # the partner's expense): (1 - trust) * capability * posture of the actor.
        return kernels.payoffs(
            actions,
            self.rev,
            table,
            self.commitment,
            cat.kind == ESCALATORY,
            float(self.config.trust.audience_cost),
            trust,
            self.src,
            self.capability,
            self.posture,
            threat_faced,
            float(cfg.threat_weight),
        )

    def _update_posture(self, actions: np.ndarray, edge_trust: np.ndarray) -> None:
        """Richardson (1960): dx/dt = k * sum_j w (1 - trust) cap_j x_j - a x + g, plus the
        posture change of the actions taken (mean over the state's partners)."""
        spec = self.config.posture
        # The actions' posture changes are rates inside the ODE, so a sustained build-up settles at
        # a bounded level where fatigue balances it (Richardson's stable case, fatigue > reaction).
        # One compiled pass (``kernels.posture_step``), in the order np.bincount sums.
        self.posture = kernels.posture_step(
            self.posture,
            edge_trust,
            self.rival_edges,
            self.rival_src,
            self.rival_dst,
            self.rival_salience,
            bool(spec.distrust_weighted),
            self.capability,
            self.reaction,
            self.fatigue,
            self.grievance,
            self.src,
            self.catalog.posture,
            actions,
            self.out_degree,
            float(spec.dt),
            float(spec.floor),
        )

    def _remember(
        self,
        actions: np.ndarray,
        kind: np.ndarray,
        perceived: np.ndarray,
        move: np.ndarray,
        declared: np.ndarray,
    ) -> None:
        """What each actor will know next step: its own move and the other's perceived moves."""
        self.own_last = kind  # kinds are coded as moves: constructive C, neutral N, escalatory D
        self.other_before = self.other_last
        fog_in = np.bincount(self.dst, weights=self.catalog.fog[actions], minlength=self.n)
        self.fog = np.maximum(0.0, self.fog * (1.0 - self.config.perception.fog_decay) + fog_in)
        self.last_action = actions
        # In one compiled pass per edge i -> j: the other's perceived move and value; the escalation
        # index; the threatened costs, what j threatened i with (negative incentives); and how long
        # a declaration still binds the actor.
        cat = self.catalog
        (self.other_last, self.other_last_value, self.escalation, self.threatened, self.commitment) = (
            kernels.remember(
                self.rev,
                move,
                perceived,
                actions,
                declared,
                self.escalation,
                self.threatened,
                self.commitment,
                cat.target_cost * cat.negative,
                float(self.config.outcomes.escalation_memory),
                float(self.config.payoffs.deterrence_memory),
                int(self.config.trust.commitment_window),
            )
        )

    # -- running ----------------------------------------------------------------------------------

    def run(self, steps: int | None = None, progress=None, until=None) -> None:
        """Run ``steps`` steps (default: the scenario's), or until ``until(model)`` is true."""
        for _ in range(self.config.steps if steps is None else steps):
            self.step()
            if progress is not None:
                progress()
            if until is not None and until(self):
                self.running = False
                break


__all__ = ["NEUTRAL", "TrustModel"]
