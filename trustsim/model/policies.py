"""Decision policies (SPEC item 7): a registry of small, cited, classified rules.

A policy decides, for every directed dyad whose actor follows it, what the actor does toward the
target this step. It sees a :class:`Dyads` view (arrays over those dyads) and returns moves
(``C``, ``N``, ``D``), which the actor's repertoire turns into catalog actions, or actions directly.
Every policy is vectorized over its dyads. Adding one is one class with ``@register`` in this file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from trustsim.model.catalog import CONSTRUCTIVE, ESCALATORY, Catalog

C, N, D = 1, 0, -1  # moves: cooperate (constructive), neutral (hold), defect (escalatory)
NONE = -2  # no move yet: the first round of a dyad

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

    def act(self, moves: np.ndarray) -> np.ndarray:
        """Turn moves into the actor's repertoire actions."""
        slots = self.repertoire
        neutral_or_escalatory = np.where(moves == D, slots["escalatory"], slots["neutral"])
        return np.where(moves == C, slots["constructive"], neutral_or_escalatory)

    def first(self) -> np.ndarray:
        return self.other_last == NONE


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
class Dove(Policy):
    """Always takes its constructive step and never retaliates: appeasement, Jervis's (1976) foil."""

    name = "dove"
    classifier = {"memory_depth": 0, "stochastic": False}

    def decide(self, dyads: Dyads) -> np.ndarray:
        return np.full(len(dyads.edges), C)


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

    INITIATIVE, RECIPROCITY = 0, 1

    def choose(self, dyads: Dyads) -> tuple[np.ndarray, np.ndarray]:
        p = self.params
        phase, count, size = dyads.memory["phase"], dyads.memory["count"], dyads.memory["size"]
        size = np.where(size < 0, p.step_size, size)
        answered = dyads.other_last == C
        hostile = dyads.other_last == D

        # Reciprocation grows the step and (re)starts an initiative.
        size = np.where(answered, np.minimum(1.0, size + p.growth), size)
        phase = np.where(answered, self.INITIATIVE, phase)
        count = np.where(answered, 0, count)
        # An initiative left unanswered for `persistence` rounds gives way to reciprocity.
        lapse = (phase == self.INITIATIVE) & (count >= p.persistence)
        phase = np.where(lapse, self.RECIPROCITY, phase)
        count = np.where(lapse, 0, count)
        # After `pause` rounds of reciprocity, a new initiative at the initial size.
        renew = (phase == self.RECIPROCITY) & (count >= p.pause)
        phase = np.where(renew, self.INITIATIVE, phase)
        count = np.where(renew, 0, count)
        size = np.where(renew, p.step_size, size)

        initiative = phase == self.INITIATIVE
        step = dyads.catalog.nearest(CONSTRUCTIVE, size)
        retaliation = dyads.catalog.nearest(ESCALATORY, np.abs(dyads.other_last_value))
        actions = np.where(initiative, step, np.where(hostile, retaliation, dyads.repertoire["neutral"]))
        dyads.memory.update(phase=phase.astype(np.int8), count=count + 1, size=size)
        return actions, initiative & p.declared


@register
class Logit(Policy):
    """Boundedly rational default: logit quantal response over expected utility.

    McKelvey & Palfrey (1995). The expected reciprocation is the trust level: the other answers a
    move in kind with probability ``trust`` and otherwise holds (cooperation level 1/2), so in the
    pure C/D choice cooperating pays when trust exceeds (T+P-R-S)/(T+R-S-P), 3/7 at 5, 3, 1, 0: a
    trust threshold in the sense of Kydd (2005, ch. 1). Each action's utility is the Prisoner's
    Dilemma payoff at its cooperation level (R raised by the action's incentive bonus), less its
    cost; choices follow
    P(a) ~ exp(rationality * U(a)) / (number of catalog actions of a's kind).
    """

    name = "logit"
    classifier = {"memory_depth": 1, "stochastic": True}
    params_key = "logit"

    def __init__(self, params: Any = None) -> None:
        super().__init__(params)
        self._catalog: Catalog | None = None  # the catalog _prior_divisor was computed for
        self._divisor = np.ones((0, 1))

    def choose(self, dyads: Dyads) -> tuple[np.ndarray, np.ndarray]:
        # Each (action, dyad) entry goes through the arithmetic of the formula in the docstring,
        # term by term and in the same order, so the choices are exactly those of evaluating it
        # over a (dyads x actions) array. It is cheaper laid out as (actions x dyads), each action
        # one contiguous row, with the payoff before costs computed once per distinct (cooperation
        # level, bonus): at most 5 rows for the 16 actions of the default catalog.
        catalog = dyads.catalog
        rows, row_of = self._payoff_rows(dyads)
        utility = np.empty((len(catalog), len(dyads.trust)))
        for action, row in enumerate(row_of):
            np.subtract(rows[row], catalog.cost[action], out=utility[action])
        utility -= utility.max(axis=0)
        utility *= self.params.rationality
        weights = np.exp(utility, out=utility)
        # Each kind (constructive, neutral, escalatory) gets equal prior weight, so that the
        # choice does not lean toward whichever kind the catalog happens to list more steps of.
        weights /= self._prior_divisor(catalog)
        # Cumulative weights over the actions: row by row, the same sequential sums as np.cumsum.
        for action in range(1, len(weights)):
            weights[action] += weights[action - 1]
        cumulative = weights
        threshold = dyads.draw * cumulative[-1]
        below = cumulative <= threshold
        if len(catalog) < 256:  # count in bytes: several times faster than the default int64 sum
            actions = np.add.reduce(below.view(np.uint8), axis=0, dtype=np.uint8).astype(np.intp)
        else:
            actions = below.sum(axis=0)
        return np.minimum(actions, len(catalog) - 1), np.zeros(len(dyads.edges), dtype=bool)

    @staticmethod
    def _payoff_rows(dyads: Dyads) -> tuple[list[np.ndarray], list[int]]:
        """The expected payoff R'xy + Sx(1-y) + T(1-x)y + P(1-x)(1-y) per dyad, one row per distinct
        (cooperation level x, bonus) among the actions, and the row of each action.

        y = trust * x + (1 - trust) / 2 is the other's expected cooperation and R' = reward + bonus.
        Distinct means distinct bit patterns, so that sharing a row never changes a value.
        """
        t, _, p, s = dyads.payoffs
        trust, reward = dyads.trust, dyads.reward
        cooperation = dyads.catalog.cooperation
        bonus = np.asarray(dyads.bonus, dtype=float)
        half = (1 - trust) * 0.5
        terms: dict[int, tuple[np.ndarray, ...]] = {}  # per level: y and the terms without R'
        index: dict[tuple[int, int], int] = {}  # (level, bonus) bit patterns -> row
        rows: list[np.ndarray] = []
        row_of = []
        keys = zip(cooperation.view(np.int64).tolist(), bonus.view(np.int64).tolist(), strict=True)
        for action, key in enumerate(keys):
            if key not in index:
                x = cooperation[action]
                if key[0] not in terms:
                    y = trust * x + half
                    not_y = 1 - y
                    terms[key[0]] = (y, s * x * not_y, t * (1 - x) * y, p * (1 - x) * not_y)
                y, sucker, temptation, punishment = terms[key[0]]
                index[key] = len(rows)
                rows.append((reward + bonus[action]) * x * y + sucker + temptation + punishment)
            row_of.append(index[key])
        return rows, row_of

    def _prior_divisor(self, catalog: Catalog) -> np.ndarray:
        """Per action (as a column), the number of catalog actions of its kind."""
        if catalog is not self._catalog:
            kinds, counts = np.unique(catalog.kind, return_inverse=True, return_counts=True)[1:]
            self._catalog, self._divisor = catalog, counts[kinds].astype(float)[:, None]
        return self._divisor
