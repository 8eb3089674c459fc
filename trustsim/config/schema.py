"""The scenario schema: the one source of truth for every parameter.

Defaults, bounds and help text live here; the loader, the CLI's ``--set`` overrides, ``trustsim
validate`` and the app's sliders are all derived from these models. Each section says which mechanism
of the essay (``shared/seed/mutual-security-essay.txt``) or the literature it configures; the full
account is in ``docs/ODD.md``.

It is over 400 lines on purpose: one file is the one place to read every parameter, top to bottom
in the order of the scenario file, as ``python -m trustsim.config.reference`` lists them.
"""

from __future__ import annotations

import typing
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
Signed = Annotated[float, Field(ge=-1.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]


def _numeric(annotation: Any) -> bool:
    """Whether a field takes a number and not a boolean (through ``Annotated`` and ``| None``)."""
    if annotation in (int, float):
        return True
    args = typing.get_args(annotation)
    return bool not in args and any(_numeric(arg) for arg in args)


class Section(BaseModel):
    """Base for every config section: unknown keys are errors, so a typo never passes silently;
    numbers are finite, and ``true``/``false`` is not a number."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if isinstance(value, bool) and field is not None and _numeric(field.annotation):
            raise ValueError("must be a number, not true/false")
        return value


class Action(Section):
    """One entry of the action catalog (SPEC item 2); see ``essay_catalog.yaml`` for the sources."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Identifier used in configs.")
    kind: Literal["constructive", "neutral", "escalatory"]
    self_view: Signed = Field(description="How the actor sees the step, on [-1, 1] (Goldstein/10).")
    other_view: Signed = Field(
        description="How a rival target reads the step, on [-1, 1] (Goldstein/10); "
        "allies read rights by self_view."
    )
    cost: NonNegative = Field(0.0, description="Payoff cost to the actor.")
    verifiability: Unit = Field(1.0, description="Probability that the target notices the step.")
    posture: float = Field(
        0.0, description="Change to the actor's posture when taken toward all its partners (averaged)."
    )
    fog: float = Field(0.0, description="Change to the target's information fog (misperception).")
    incentive: Literal["none", "positive", "negative"] = "none"
    target_cost: NonNegative = Field(0.0, description="Payoff cost imposed on the target.")
    right: bool = Field(False, description="Exercise of a right the actor sees as legitimate.")
    shared_threat: bool = Field(False, description="Cooperation on a shared existential threat.")
    group: str = Field("", description="Family of the step, for charts and docs.")


@cache
def essay_catalog() -> tuple[Action, ...]:
    """The default catalog: every step the essay names, sourced in ``essay_catalog.yaml``."""
    text = resources.files("trustsim.config").joinpath("essay_catalog.yaml").read_text()
    return tuple(Action(**entry) for entry in yaml.safe_load(text))


def _default_actions() -> list[Action]:
    return [action.model_copy() for action in essay_catalog()]


class Repertoire(Section):
    """Which catalog action a policy takes when it decides to cooperate, defect, hold or deter."""

    constructive: str = Field("open_dialogue", description="Action for a cooperative move.")
    escalatory: str = Field("force_buildup_at_home", description="Action for a defecting move.")
    neutral: str = Field("hold", description="Action for holding.")
    deterrent: str = Field("threaten_sanctions", description="Negative incentive used by hawks.")


class RepertoireOverride(Section):
    constructive: str | None = Field(
        None, description="This state's cooperative action (default: `repertoire`)."
    )
    escalatory: str | None = Field(None, description="This state's defecting action.")
    neutral: str | None = Field(None, description="This state's holding action.")
    deterrent: str | None = Field(None, description="This state's negative incentive (hawks).")


class RichardsonOverride(Section):
    reaction: NonNegative | None = Field(None, description="This state's Richardson k (default: `posture`).")
    fatigue: NonNegative | None = Field(None, description="This state's Richardson a.")
    grievance: float | None = Field(None, description="This state's Richardson g.")


class StateSpec(Section):
    """A state (SPEC item 1): name, bloc, capability, posture and decision policy."""

    code: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", description="Short code, e.g. RUS.")
    name: str = Field("", description="Display name.")
    bloc: str = Field("none", description="Bloc or alliance the state belongs to.")
    capability: NonNegative = Field(1.0, description="Relative military power.")
    posture: NonNegative = Field(1.0, description="Initial forward forces/armament level.")
    policy: str | None = Field(None, description="Decision policy; default: `default_policy`.")
    motive: Literal["security", "greedy"] = Field(
        "security",
        description="Private motive (Kydd 2005): a security seeker prefers mutual restraint to "
        "exploiting; a greedy state gains from exploiting. Others' trust is their belief about it.",
    )
    repertoire: RepertoireOverride = Field(default_factory=RepertoireOverride)
    richardson: RichardsonOverride = Field(default_factory=RichardsonOverride)


class Relation(Section):
    """An edge of the relations network: ally, rival or neighbour, with a salience weight."""

    a: str = Field(description="Code of one state.")
    b: str = Field(description="Code of the other.")
    kind: Literal["ally", "rival", "neighbour"] = Field(
        "neighbour", description="Allies read each other's rights by the actor's self-view."
    )
    salience: Annotated[float, Field(gt=0.0, le=10.0)] = Field(
        1.0, description="Weight in observation, alliance influence and the Richardson reaction."
    )


class GeneratedNetwork(Section):
    """A generated network of ``n`` states in ``blocs`` blocs (seeded from the run's seed)."""

    generator: Literal["complete", "erdos_renyi", "watts_strogatz", "barabasi_albert"] = Field(
        "watts_strogatz", description="Random graph model (networkx), seeded from the run's seed."
    )
    n: Annotated[int, Field(ge=2, le=100_000)] = Field(
        30, description="Number of states (above 5,000 only with propagation.views: local)."
    )
    degree: Annotated[int, Field(ge=1)] = Field(6, description="Mean number of partners (not for complete).")
    rewire: Unit = Field(0.1, description="Watts-Strogatz rewiring probability.")
    blocs: Annotated[int, Field(ge=1, le=26)] = Field(
        2, description="Blocs; relations within one are alliances, across them rivalries."
    )
    capability_spread: NonNegative = Field(0.5, description="Log-normal sigma of capabilities.")
    greedy_share: Unit = Field(0.0, description="Share of states with a greedy motive (Kydd 2005).")
    policy_mix: dict[str, Annotated[float, Field(ge=0.0)]] = Field(
        default_factory=dict,
        description="Share of states per policy; the rest use `default_policy`.",
    )

    @model_validator(mode="after")
    def _degree_fits(self) -> GeneratedNetwork:
        if self.generator != "complete" and self.degree >= self.n:
            raise ValueError(f"degree must be < n ({self.n}), got {self.degree}")
        return self


class TrustPair(Section):
    source: str = Field(alias="from", description="Code of the trusting state.")
    target: str = Field(alias="to", description="Code of the trusted state.")
    value: Unit = Field(description="Initial trust of `from` in `to`.")
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class InitialTrust(Section):
    """Initial trust: a default, within- and across-bloc levels, and per-pair values."""

    default: Unit = Field(0.5, description="Initial trust of every ordered pair not set otherwise.")
    within_bloc: Unit | None = Field(None, description="Initial trust between states of one bloc.")
    across_bloc: Unit | None = Field(None, description="Initial trust across blocs.")
    by_kind: dict[Literal["ally", "rival", "neighbour"], Unit] = Field(
        default_factory=dict, description="Initial trust by relation kind (overrides the bloc levels)."
    )
    pairs: list[TrustPair] = Field(default_factory=list, description="Per ordered pair (overrides all).")
    symmetric_pairs: bool = Field(True, description="A pair value sets both directions unless given.")


# A move misread half the time carries no information; the error (with fog) stays below that.
MAX_PERCEPTION_ERROR = 0.49


class TrustRule(Section):
    """Trust as a separate, prior factor (SPEC item 5; essay: "Restoring Trust as a Discrete...").

    The adaptive rule moves trust in log-odds (docs/ODD.md, "Trust update"), so that the negativity
    bias holds at every trust level and no level is absorbing.
    """

    rule: Literal["adaptive", "bayesian"] = Field("adaptive", description="Update rule.")
    learning_rate: Annotated[float, Field(ge=0.0, le=5.0)] = Field(
        0.8, description="Change of trust's log-odds per unit of perceived evidence."
    )
    negativity_bias: Annotated[float, Field(ge=1.0, le=10.0)] = Field(
        2.0, description="How much faster trust is lost than gained, in log-odds (1 = symmetric)."
    )
    trust_floor: Annotated[float, Field(ge=1e-6, le=0.1)] = Field(
        0.01, description="Trust stays within [floor, 1 - floor]: no belief is certain."
    )
    congeal_threshold: Unit = Field(0.3, description="Trust below which mistrust starts to congeal.")
    congeal_rate: Unit = Field(0.05, description="Per-step hardening while below the threshold.")
    congeal_max: Annotated[float, Field(ge=0.0, le=0.99)] = Field(
        0.8, description="Hardness approaches this ceiling, never 1: congealed mistrust still thaws."
    )
    thaw_rate: Annotated[float, Field(ge=0.0, le=5.0)] = Field(
        0.5, description="Softening of hardness per unit of credible constructive evidence received."
    )
    congealed_level: Unit = Field(0.5, description="Hardness at which a dyad counts as congealed.")
    short_circuit: Unit = Field(
        0.6, description="Discount of a distrusted state's cheap constructive step (read as a trick)."
    )
    paralysis: Unit = Field(0.3, description="Low trust's damping of willingness to take initiatives.")
    paralysis_keeps_course: bool = Field(
        False,
        description="Paralysis also holds a state to its course: a change in the kind of its step "
        "toward a partner gives way, with the same probability, to the step it took last.",
    )
    audience_cost: NonNegative = Field(
        0.5,
        description="Cost a state pays for escalating against a partner it declared a step toward "
        "(tying hands, Fearon 1997); it makes a declaration a costly signal.",
    )
    commitment_window: Annotated[int, Field(ge=1, le=1000)] = Field(
        10, description="Steps a declaration binds: escalating within them costs the audience cost."
    )
    provocation_discount: Unit = Field(
        0.5,
        description="Share of a hostile reply discounted when the observer knows its own last step "
        "provoked it (self-view escalatory); rights are seen as neutral, so their replies are not.",
    )
    declared_verifiability: Unit = Field(
        0.3, description="Added probability that a declared step is noticed."
    )
    decay: Unit = Field(0.0, description="Per-step relaxation of trust toward its initial value.")
    perception_error: Annotated[float, Field(ge=0.0, le=MAX_PERCEPTION_ERROR)] = Field(
        0.1, description="Bayesian rule: probability a move is misread (Kydd 2005)."
    )
    signal_cost_scale: Annotated[float, Field(ge=0.001)] = Field(
        0.3, description="Cost scale c0 of how hard a step is to fake, 1 - exp(-cost/c0)."
    )


class Perception(Section):
    """How the target reads an action: noise, information fog and the neutral band."""

    noise: NonNegative = Field(0.05, description="Standard deviation of perception noise.")
    fog_gain: NonNegative = Field(0.1, description="Noise added per unit of information fog.")
    fog_decay: Unit = Field(0.1, description="Per-step decay of information fog.")
    neutral_band: Unit = Field(0.1, description="Perceived values within it read as neutral.")


class Propagation(Section):
    """Propagation to third parties (SPEC item 6)."""

    observation_weight: Unit = Field(0.2, description="Weight of a step observed between others.")
    alliance_weight: Unit = Field(0.05, description="Pull of allies' views on one's own trust.")
    views: Literal["all", "local"] = Field(
        "all",
        description="Whose trust a state holds and updates: all, every other state (an n x n matrix, "
        "at most 5,000 states); local, only its partners and the states its friends deal with (the "
        "rest stay at their initial trust), in memory that grows with the relations, not n x n.",
    )


class Payoffs(Section):
    """Prisoner's Dilemma payoffs and incentives (SPEC item 4; essay: "Finding Answers...")."""

    T: float = Field(5.0, description="Temptation: defect while the other cooperates.")
    R: float = Field(3.0, description="Reward of mutual restraint.")
    P: float = Field(1.0, description="Punishment of mutual escalation.")
    S: float = Field(0.0, description="Sucker's payoff: cooperate while the other defects.")
    positive_incentive_bonus: NonNegative = Field(
        1.0, description="Added to R for both when mutual restraint includes a positive incentive."
    )
    threat_weight: NonNegative = Field(1.0, description="Weight of the threat faced in national security.")
    security_temptation: float | None = Field(
        None,
        description="A security seeker's payoff for exploiting (Kydd 2005), default (P + R) / 2: "
        "below R, so that it prefers mutual restraint when it trusts (an assurance game); greedy "
        "states get T.",
    )
    fear: NonNegative = Field(
        0.5,
        description="How much a security seeker's sucker's payoff falls per unit of threat it faces "
        "(the spiral model, Jervis 1976).",
    )
    deterrence: NonNegative = Field(
        1.0, description="Weight of threatened costs in the threatened state's decision (deterrence)."
    )
    deterrence_memory: Unit = Field(
        0.8, description="Per-step persistence of a threatened cost in the threatened state's mind."
    )

    @model_validator(mode="after")
    def _dilemma_shape(self) -> Payoffs:
        if not (self.T > self.R > self.P > self.S):
            raise ValueError(
                f"payoffs must satisfy T > R > P > S (got T={self.T}, R={self.R}, P={self.P}, S={self.S})"
            )
        if self.security_temptation is not None and not (self.P < self.security_temptation <= self.T):
            raise ValueError(
                f"security_temptation must be in (P, T] = ({self.P}, {self.T}] "
                f"(got {self.security_temptation})"
            )
        return self


class Posture(Section):
    """Posture dynamics after Richardson (1960): dx/dt = k*y - a*x + g, y the rivals' threat."""

    reaction: NonNegative = Field(0.05, description="Richardson k: reaction to rivals' posture.")
    fatigue: NonNegative = Field(0.1, description="Richardson a: fatigue/cost of one's own posture.")
    grievance: float = Field(0.05, description="Richardson g: standing grievance.")
    dt: Annotated[float, Field(gt=0.0, le=1.0)] = Field(0.1, description="Time step of posture ODE.")
    distrust_weighted: bool = Field(
        True, description="Scale the reaction by distrust (1 - trust) of each rival."
    )
    floor: float = Field(0.0, description="Lowest posture (no disarmament below it).")


class Profile(Section):
    """Time profile of a shared threat's level: constant, linear ramp, step, pulse (a ramp up from
    ``start`` to ``end`` and back down over as many steps), or an explicit series."""

    kind: Literal["constant", "linear", "step", "pulse", "series"] = Field("constant", description="Shape.")
    start: Annotated[int, Field(ge=0)] = Field(0, description="Step the change starts.")
    end: Annotated[int, Field(ge=0)] = Field(0, description="Step a ramp reaches `to`.")
    to: NonNegative = Field(0.0, description="Level reached (linear, step, pulse).")
    series: list[NonNegative] = Field(default_factory=list, description="Level per step (series).")


class Threat(Section):
    """A shared existential threat (SPEC item 8; essay: the "altered agenda")."""

    name: str = Field(description="What the threat is, e.g. climate.")
    level: NonNegative = Field(0.0, description="Level at the start.")
    profile: Profile = Field(default_factory=Profile)


class AlteredAgenda(Section):
    enabled: bool = Field(False, description="Put the shared threats on the agenda.")
    gain: NonNegative = Field(1.0, description="Added to R per unit of shared threat.")


class GenerousParams(Section):
    generosity: Unit | None = Field(
        None, description="Probability of forgiving a defection; default Molander (1985)."
    )


class GritParams(Section):
    """GRIT after Osgood (1962)."""

    step_size: Unit = Field(0.35, description="Magnitude of the first unilateral step.")
    growth: Unit = Field(0.1, description="Magnitude added each time a step is reciprocated.")
    persistence: Annotated[int, Field(ge=1, le=1000)] = Field(
        5, description="Rounds the initiative is sustained despite non-reciprocation."
    )
    pause: Annotated[int, Field(ge=0, le=1000)] = Field(
        5, description="Rounds of proportionate reciprocity before a new initiative."
    )
    declared: bool = Field(True, description="Announce the steps as meant to restore trust.")


class HawkParams(Section):
    trust_threshold: Unit = Field(0.5, description="Below it the hawk builds up its forces.")


class LogitParams(Section):
    """Quantal response (McKelvey & Palfrey 1995) over expected utility."""

    rationality: NonNegative = Field(5.0, description="Logit precision lambda (0 = uniform).")
    responsiveness: Unit = Field(
        0.3,
        description="Weight of the partner's last perceived move in the expectation of its next "
        "(0: trust alone; after a constructive or neutral move).",
    )
    responsiveness_to_conflict: Unit = Field(
        0.6,
        description="The same weight after an escalatory move (above `responsiveness`: hostile "
        "moves weigh more, the negativity effect).",
    )
    resolve: NonNegative = Field(
        2.0,
        description="Reprisal after a perceived escalation of size v: utility lost per unit by which "
        "an answer's severity falls short of v (holding or cooperating loses resolve * v; 0: off). "
        "Not answering a provocation signals weakness (Schelling 1966; Jervis 1976).",
    )
    routine: Unit = Field(
        0.5,
        description="Standard operating procedures (Allison 1971): when the step drawn is of the kind "
        "of the actor's last step toward the partner, the probability that the last step is kept "
        "instead (else the step drawn stands, which may be the last too; 0: off; each kind's chance "
        "is unchanged).",
    )


class PolicyParams(Section):
    generous_tit_for_tat: GenerousParams = Field(default_factory=GenerousParams)
    grit: GritParams = Field(default_factory=GritParams)
    hawk: HawkParams = Field(default_factory=HawkParams)
    logit: LogitParams = Field(default_factory=LogitParams)


class Intervention(Section):
    """A scheduled action (``action``, optional ``target``) or policy change (``policy``)."""

    step: Annotated[int, Field(ge=1)] = Field(description="First step it acts (1 to `steps`).")
    actor: str = Field(description="Code of the acting state.")
    action: str | None = Field(None, description="Catalog action the actor takes (or `policy`).")
    target: str | None = Field(None, description="Partner it is taken toward; unset: every partner.")
    policy: str | None = Field(None, description="Policy the actor switches to from `step` (or `action`).")
    declared: bool = Field(False, description="Announced as meant to restore trust.")
    duration: Annotated[int, Field(ge=1)] = Field(1, description="Steps the action is repeated.")
    enabled: bool = Field(
        True, description="Switch off to get the same run without it (a paired comparison in sweeps)."
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Intervention:
        if (self.action is None) == (self.policy is None):
            raise ValueError("give exactly one of `action` or `policy`")
        if self.policy is not None and self.target is not None:
            raise ValueError("a policy change takes no `target`")
        return self


class Record(Section):
    model: bool = Field(True, description="Collect the model-level measures every step.")
    dyads: bool = Field(True, description="Record per-step dyad rows (trust, action, perception).")
    attribution: bool = Field(False, description="Record each trust change with its cause.")
    attribution_scope: Literal["all", "focus"] = Field(
        "all",
        description="all: every trust change, one row each (up to n^2 rows a step); focus: in full "
        "the changes of trust in the initiator and those its steps cause, every other change summed "
        "into one '(others)' row per step and mechanism, so totals stay exact and rows grow with n.",
    )


class Outcomes(Section):
    recovery_threshold: Unit = Field(0.5, description="Mean trust counted as recovered.")
    crisis_threshold: NonNegative = Field(1.0, description="Escalation index marking a crisis.")
    escalation_memory: Unit = Field(0.7, description="Per-step persistence of the escalation index.")


class Scenario(Section):
    """A whole scenario: who the states are, how they relate, and how trust moves between them."""

    name: str = Field("scenario", pattern=r"^[A-Za-z0-9_.-]+$", description="Names the run's folder.")
    description: str = Field("", description="One line on what the scenario is.")
    steps: Annotated[int, Field(ge=1, le=1_000_000)] = Field(100, description="Steps (rounds) to run.")
    seed: Annotated[int, Field(ge=0)] = Field(0, description="Seed of every random draw of the run.")
    states: list[StateSpec] = Field(default_factory=list, description="The states (or `network`).")
    relations: list[Relation] = Field(default_factory=list, description="Edges among `states`.")
    network: GeneratedNetwork | None = Field(None, description="A generated network instead of `states`.")
    initial_trust: InitialTrust = Field(default_factory=InitialTrust)
    actions: list[Action] = Field(
        default_factory=_default_actions,
        min_length=1,
        description="The action catalog (Section 7.1 of docs/ODD.md).",
    )
    repertoire: Repertoire = Field(default_factory=Repertoire)
    default_policy: str = Field("logit", description="Policy of states that name none.")
    policy_params: PolicyParams = Field(default_factory=PolicyParams)
    execution_noise: Unit = Field(0.0, description="Probability an intended move is flipped.")
    trust: TrustRule = Field(default_factory=TrustRule)
    perception: Perception = Field(default_factory=Perception)
    propagation: Propagation = Field(default_factory=Propagation)
    payoffs: Payoffs = Field(default_factory=Payoffs)
    posture: Posture = Field(default_factory=Posture)
    threats: list[Threat] = Field(default_factory=list)
    altered_agenda: AlteredAgenda = Field(default_factory=AlteredAgenda)
    interventions: list[Intervention] = Field(default_factory=list)
    record: Record = Field(default_factory=Record)
    outcomes: Outcomes = Field(default_factory=Outcomes)

    @model_validator(mode="after")
    def _states_or_network(self) -> Scenario:
        if bool(self.states) == (self.network is not None):
            raise ValueError("give either `states` (with `relations`) or a generated `network`")
        if self.network is not None and self.relations:
            raise ValueError("`relations` go with `states`, not with a generated `network`")
        return self
