"""Decision policies (SPEC item 7): a registry of small, cited, classified rules.

A policy decides, for every directed dyad whose actor follows it, what the actor does toward the
target this step. It sees a :class:`Dyads` view (arrays over those dyads) and returns moves
(``C``, ``N``, ``D``), which the actor's repertoire turns into catalog actions, or actions directly.
Every policy is vectorized over its dyads. Adding one is one class with ``@register`` in this file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from trustsim.model import kernels
from trustsim.model.catalog import CONSTRUCTIVE, ESCALATORY, Catalog

C, N, D = 1, 0, -1  # moves: cooperate (constructive), neutral (hold), defect (escalatory)
NONE = -2  # no move yet: the first round of a dyad
_NO_LAST = np.full(1, -1, dtype=np.int64)  # what ``inverse_cdf`` gets when routine is off (never read)

POLICIES: dict[str, type[Policy]] = {}


@dataclass
class Dyads:
    """What a policy sees of the dyads it decides for; every array has one entry per dyad."""

    edges: np.ndarray  # edge ids in the model's edge list
    trust: np.ndarray  # the actor's trust in the target
    other_last: np.ndarray  # the target's last move toward the actor, as the actor perceived it
    other_before: np.ndarray  # the target's move before that
    other_last_value: np.ndarray  # its perceived value on [-1, 1]
    own_last: np.ndarray  # the actor's own last move (as taken)
    draw: np.ndarray  # one uniform number in [0, 1) per dyad for this policy's chance
    reward: np.ndarray  # R for this dyad this step (raised by the altered agenda)
    bonus: np.ndarray  # per catalog action: extra reward of mutual restraint it brings
    payoffs: tuple[float, float, float, float]  # T, R, P, S as configured
    catalog: Catalog
    repertoire: dict[str, np.ndarray]  # slot -> action id per dyad (the actor's repertoire)
    memory: dict[str, np.ndarray] = field(default_factory=dict)  # this policy's per-dyad state
    # How the actor's payoffs look to it (TrustModel.decision_terms); None: the plain T, S, no cost.
    temptation: np.ndarray | None = None  # payoff for exploiting: T if greedy, less if security seeker
    sucker: np.ndarray | None = None  # payoff for restraint met by escalation, lowered by fear
    escalation_cost: np.ndarray | None = None  # threatened costs and binding audience costs
    security_seeker: np.ndarray | None = None  # the actor's motive is security (None: every actor's)
    own_last_action: np.ndarray | None = None  # the actor's last catalog action (-1: none; None: unknown)

    def act(self, moves: np.ndarray) -> np.ndarray:
        """Turn moves into the actor's repertoire actions."""
        slots = self.repertoire
        neutral_or_escalatory = np.where(moves == D, slots["escalatory"], slots["neutral"])
        return np.where(moves == C, slots["constructive"], neutral_or_escalatory)

    def first(self) -> np.ndarray:
        return self.other_last == NONE


class _Gathered:
    """A field of ``StepDyads``: on its first read, the step's array over all edges at the view's
    edges, then kept on the view (a non-data descriptor: the instance's value shadows it)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, view: StepDyads | None, owner: type | None = None) -> Any:
        if view is None:
            return self
        value = view.sources[self.name][view.edges]
        view.__dict__[self.name] = value
        return value


class StepDyads(Dyads):
    """The Dyads a model's step hands a policy: ``edges`` and what every policy reads are given;
    each per-dyad array is gathered from ``sources`` (the step's arrays over all the model's edges)
    when the policy first reads it, so that a policy reading two of them gathers two
    (``Decisions._decide``)."""

    trust = _Gathered()
    other_last = _Gathered()
    other_before = _Gathered()
    other_last_value = _Gathered()
    own_last = _Gathered()
    draw = _Gathered()
    temptation = _Gathered()
    sucker = _Gathered()
    escalation_cost = _Gathered()
    security_seeker = _Gathered()
    own_last_action = _Gathered()

    def __init__(
        self, edges: np.ndarray, sources: dict[str, np.ndarray], reward: float, **given: Any
    ) -> None:
        self.edges, self.sources, self._reward = edges, sources, reward
        for name, value in given.items():
            setattr(self, name, value)

    @cached_property
    def reward(self) -> np.ndarray:
        return np.full(len(self.edges), self._reward)


class Policy:
    """A decision rule. Subclasses set ``name``, a docstring citing the source, and ``classifier``."""

    name: ClassVar[str]
    classifier: ClassVar[dict[str, Any]] = {"memory_depth": 1, "stochastic": False}
    memory: ClassVar[dict[str, tuple[type, float]]] = {}  # field -> (dtype, initial value)
    params_key: ClassVar[str | None] = None  # section of ``policy_params`` it reads

    def __init__(self, params: Any = None) -> None:
        self.params = params

    def decide(self, dyads: Dyads) -> np.ndarray:
        """Moves (C/N/D) per dyad."""
        raise NotImplementedError

    def choose(self, dyads: Dyads) -> tuple[np.ndarray, np.ndarray]:
        """Actions and whether each is declared (announced as meant to restore trust)."""
        return dyads.act(self.decide(dyads)), np.zeros(len(dyads.edges), dtype=bool)


def register(cls: type[Policy]) -> type[Policy]:
    POLICIES[cls.name] = cls
    return cls


def copy_move(dyads: Dyads, opening: int) -> np.ndarray:
    """The other's last perceived move, or ``opening`` in the first round."""
    return np.where(dyads.first(), opening, dyads.other_last)


@register
class AlwaysCooperate(Policy):
    """Cooperates unconditionally (Axelrod 1984, "ALL C")."""

    name = "all_cooperate"
    classifier = {"memory_depth": 0, "stochastic": False}

    def decide(self, dyads: Dyads) -> np.ndarray:
        return np.full(len(dyads.edges), C)


@register
class AlwaysDefect(Policy):
    """Defects unconditionally (Axelrod 1984, "ALL D")."""

    name = "all_defect"
    classifier = {"memory_depth": 0, "stochastic": False}

    def decide(self, dyads: Dyads) -> np.ndarray:
        return np.full(len(dyads.edges), D)


@register
class Hold(Policy):
    """Never acts: holds every round. The null policy, for studying a mechanism in isolation."""

    name = "hold"
    classifier = {"memory_depth": 0, "stochastic": False}

    def decide(self, dyads: Dyads) -> np.ndarray:
        return np.full(len(dyads.edges), N)


@register
class TitForTat(Policy):
    """Cooperates first, then does what the other did last (Rapoport; Axelrod 1984)."""

    name = "tit_for_tat"

    def decide(self, dyads: Dyads) -> np.ndarray:
        return copy_move(dyads, C)


@register
class SuspiciousTitForTat(Policy):
    """Defects first, then does what the other did last (Beaufils, Delahaye & Mathieu 1996)."""

    name = "suspicious_tit_for_tat"

    def decide(self, dyads: Dyads) -> np.ndarray:
        return copy_move(dyads, D)


def molander_generosity(t: float, r: float, p: float, s: float) -> float:
    """The most forgiveness that still does not pay a defector (Molander 1985)."""
    return min(1 - (t - r) / (r - s), (r - p) / (t - p))


@register
class GenerousTitForTat(Policy):
    """Tit-for-tat that forgives a defection with probability g (Molander 1985; Nowak & Sigmund 1992).

    ``g`` defaults to Molander's min(1 - (T-R)/(R-S), (R-P)/(T-P)).
    """

    name = "generous_tit_for_tat"
    classifier = {"memory_depth": 1, "stochastic": True}
    params_key = "generous_tit_for_tat"

    def decide(self, dyads: Dyads) -> np.ndarray:
        generosity = self.params.generosity
        if generosity is None:
            generosity = molander_generosity(*dyads.payoffs)
        moves = copy_move(dyads, C)
        return np.where((moves == D) & (dyads.draw < generosity), C, moves)


@register
class WinStayLoseShift(Policy):
    """Pavlov: repeat one's move after the other cooperated, switch after it did not.

    Nowak & Sigmund (1993); Kraines & Kraines (1989). Holding switches to cooperation.
    """

    name = "win_stay_lose_shift"

    def decide(self, dyads: Dyads) -> np.ndarray:
        shifted = np.where(dyads.own_last == C, D, C)
        moves = np.where(dyads.other_last == C, dyads.own_last, shifted)
        return np.where(dyads.first(), C, moves)


@register
class Grudger(Policy):
    """Cooperates until the other defects once, then defects for ever (Friedman 1971)."""

    name = "grudger"
    classifier = {"memory_depth": float("inf"), "stochastic": False}
    memory = {"grudge": (bool, False)}

    def decide(self, dyads: Dyads) -> np.ndarray:
        grudge = dyads.memory["grudge"] | (dyads.other_last == D)
        dyads.memory["grudge"] = grudge
        return np.where(grudge, D, C)


@register
class TitForTwoTats(Policy):
    """Defects only after two defections in a row (Axelrod 1984)."""

    name = "tit_for_two_tats"
    classifier = {"memory_depth": 2, "stochastic": False}

    def decide(self, dyads: Dyads) -> np.ndarray:
        return np.where((dyads.other_last == D) & (dyads.other_before == D), D, C)


@register
class Dove(AlwaysCooperate):
    """Always takes its constructive step and never retaliates: appeasement, Jervis's (1976) foil.
    The same rule as ``all_cooperate``, under the name the essay's debate gives it."""

    name = "dove"


@register
class Hawk(Policy):
    """Deterrence: answers escalation with a negative incentive, arms while distrustful, never yields.

    The deterrence model of Jervis (1976, ch. 3): concessions invite exploitation, so threats and
    sanctions (the essay's "unilateral negative incentives") answer any escalation.
    """

    name = "hawk"
    params_key = "hawk"

    def choose(self, dyads: Dyads) -> tuple[np.ndarray, np.ndarray]:
        arm = dyads.trust < self.params.trust_threshold
        actions = np.where(arm, dyads.repertoire["escalatory"], dyads.repertoire["neutral"])
        actions = np.where(dyads.other_last == D, dyads.repertoire["deterrent"], actions)
        return actions, np.zeros(len(dyads.edges), dtype=bool)


@register
class Grit(Policy):
    """Graduated and Reciprocated Initiatives in Tension-reduction (Osgood 1962).

    Announces a small unilateral constructive step and keeps taking it for ``persistence`` rounds
    even when not reciprocated; each reciprocation makes the next step larger by ``growth``. If
    the initiative stays unanswered, it answers in kind for ``pause`` rounds, retaliating against
    escalation with a step of the same perceived size (proportionate, not escalating), then opens a
    new initiative. Against unconditional defection it therefore loses at most ``persistence``
    sucker's payoffs per cycle of ``persistence + pause`` rounds.
    """

    name = "grit"
    classifier = {"memory_depth": float("inf"), "stochastic": False}
    params_key = "grit"
    memory = {"phase": (np.int8, 0), "count": (np.int32, 0), "size": (float, -1.0)}

    def choose(self, dyads: Dyads) -> tuple[np.ndarray, np.ndarray]:
        p, memory, catalog = self.params, dyads.memory, dyads.catalog
        actions, declared, phase, count, size = kernels.grit(
            dyads.other_last,
            np.asarray(dyads.other_last_value, dtype=float),
            memory["phase"],
            memory["count"],
            memory["size"],
            dyads.repertoire["neutral"],
            float(p.step_size),
            float(p.growth),
            int(p.persistence),
            int(p.pause),
            bool(p.declared),
            *catalog.by_size[CONSTRUCTIVE],
            *catalog.by_size[ESCALATORY],
        )
        memory.update(phase=phase, count=count, size=size)
        return actions, declared


@register
class Logit(Policy):
    """Boundedly rational default: logit quantal response over expected utility.

    McKelvey & Palfrey (1995). The actor expects the other to cooperate with probability y: its
    trust (the belief that the other is a security seeker who restrains, Kydd 2005), moved toward
    the cooperation level of the other's last perceived move by ``responsiveness`` (0.6 rather than
    0.3 after an escalatory one: hostile moves weigh more). The other's last move thus answers
    directly, as the event data's reciprocity has it (Goldstein & Freeman 1990), not only through
    the slower trust (``expectations``). An action at cooperation level x (1 constructive,
    1/2 hold, 0 escalatory) has

        U = (R + bonus) x y + S' x (1 - y) + T' (1 - x) y + P (1 - x)(1 - y) - cost - c_esc [escalatory]

    with the actor's own T' and S' (``TrustModel.decision_terms``: a greedy state's temptation is T,
    a security seeker's is below R and its sucker's payoff falls with the threat it faces) and c_esc
    the costs it expects for escalating (threats, audience costs). A security seeker therefore
    restrains once y > y* = (P - S') / ((R - T') + (P - S')) (0.5 at the defaults with no threat);
    a greedy state escalates unless deterred, once c_esc > (T - R) y + (P - S)(1 - y).

    After a perceived escalation of size v (``answer_provocation``), a security seeker's answer a of
    severity s(a) (its Goldstein weight / 10 as the provoker sees it, 0 for holding and cooperation)
    also loses ``resolve * max(v - s(a), 0)``: not answering a provocation, or answering it weakly, signals
    weakness and invites the next one (the deterrence model, Jervis 1976, ch. 3; Schelling 1966 on
    "face"), so hostility is answered in kind and degree (Leng 1993) while cooperation is answered
    only through the expectation: the asymmetry of the event data (Goldstein & Freeman 1990).
    Choices follow P(a) ~ exp(rationality * U(a)) / (number of catalog actions of a's kind). With
    ``routine`` r > 0 (0.5 by default; 0 switches it off), when the step drawn is of the kind of
    the actor's last step toward the partner, the last step is kept instead with probability r,
    each kind's chance unchanged: standard operating procedures (Allison 1971;
    ``kernels.inverse_cdf``).
    """

    name = "logit"
    classifier = {"memory_depth": 1, "stochastic": True}
    params_key = "logit"
    # The cooperation level of each perceived move, looked up by move - NONE (NONE, D, N, C = -2, -1,
    # 0, 1); before any move the weight is 0, so any level will do.
    LEVEL = np.array([0.0, 0.0, 0.5, 1.0])

    def choose(self, dyads: Dyads) -> tuple[np.ndarray, np.ndarray]:
        t, _, p, s = dyads.payoffs
        catalog = dyads.catalog
        n = len(dyads.trust)
        temptation = np.full(n, t) if dyads.temptation is None else dyads.temptation
        sucker = np.full(n, s) if dyads.sucker is None else dyads.sucker
        escalation_cost = np.zeros(n) if dyads.escalation_cost is None else dyads.escalation_cost
        # Utilities and the inverse CDF are compiled loops; the exponential is NumPy's (vectorized).
        expected, provocation = self.expectations(dyads)
        exponent = kernels.logit_exponents(
            expected,
            dyads.reward,
            np.asarray(dyads.bonus, dtype=float),
            temptation,
            sucker,
            float(p),
            escalation_cost,
            catalog.cooperation,
            catalog.cost,
            catalog.escalatory,
            float(self.params.rationality),
            provocation,
            self.severity(catalog),
        )
        weights = kernels.exp(exponent, out=exponent)
        # Each kind (constructive, neutral, escalatory) gets equal prior weight, so that the
        # choice does not lean toward whichever kind the catalog happens to list more steps of.
        # Routine: a step drawn of the kind of the actor's last keeps the last instead, with
        # probability ``routine`` (standard operating procedures, Allison 1971).
        routine = float(self.params.routine)
        last = _NO_LAST
        if routine > 0:
            last = dyads.own_last_action  # gathered only when read
            if last is None:
                raise ValueError("policy_params.logit.routine needs each dyad's own_last_action")
        actions = kernels.inverse_cdf(weights, catalog.kind_count, dyads.draw, last, catalog.kind, routine)
        return actions, np.zeros(n, dtype=bool)

    def expectations(self, dyads: Dyads) -> tuple[np.ndarray, np.ndarray]:
        """Per dyad, in one compiled pass (``kernels.logit_expectations``):

        - the expected cooperation y: trust (the belief that the partner restrains), moved toward the
          cooperation level of its last perceived move (1 constructive, 1/2 holding, 0 escalatory) by
          ``responsiveness``, or by ``responsiveness_to_conflict`` after an escalatory move; trust
          alone before any;
        - resolve's provocation, in exponent units: where the partner's last perceived move was
          escalatory, of perceived size v = -value, and the actor a security seeker, rationality *
          resolve * v (else 0). Each action of severity s (``severity``) loses max(provocation - s,
          0) of its exponent (``kernels.logit_exponents`` subtracts it, floored as its own are: no
          subnormal weights). Additive in the exponent, so a state already likely to escalate still
          answers a larger provocation with a firmer step (no saturation floor).
        """
        p = self.params
        n = len(dyads.trust)
        seeker = np.ones(n, dtype=bool) if dyads.security_seeker is None else dyads.security_seeker
        return kernels.logit_expectations(
            np.asarray(dyads.trust, dtype=float),
            dyads.other_last,
            np.asarray(dyads.other_last_value, dtype=float),
            np.asarray(seeker, dtype=bool),
            self.LEVEL,
            np.array([0.0, p.responsiveness_to_conflict, p.responsiveness, p.responsiveness]),
            float(p.rationality * p.resolve),
            NONE,
        )

    def severity(self, catalog: Catalog) -> np.ndarray:
        """Per catalog action, its severity in exponent units: rationality * resolve * max(-other
        view, 0), its Goldstein weight / 10 as the provoker sees it (0 for holding and cooperation).
        Computed once per catalog (a model's is fixed)."""
        cached = getattr(self, "_severity", None)
        if cached is None or cached[0] is not catalog:
            values = self.params.rationality * self.params.resolve * np.maximum(-catalog.other_view, 0.0)
            self._severity = cached = (catalog, values)
        return cached[1]
