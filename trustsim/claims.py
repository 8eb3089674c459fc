"""The essay's claims as paired experiments: ``trustsim claims`` writes ``docs/claims.md``.

Each claim is one experiment on common random numbers: the same seeds run with the treatment and
with the control, the effect is the mean paired difference of an outcome with a 95% t interval over
the replications, and the ablation repeats the pair with the mechanism switched off, which should
remove the effect. Nothing here is typed in: every figure of docs/claims.md comes from these runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from trustsim.config.loading import merge, scenario_from_dict
from trustsim.config.schema import essay_catalog
from trustsim.model.catalog import CONSTRUCTIVE, ESCALATORY
from trustsim.model.model import TrustModel


def catalog(**changes: Any) -> list[dict]:
    """The default action catalog as dicts, with ``changes`` applied to every action."""
    return [{**action.model_dump(), **changes} for action in essay_catalog()]


def dyad(
    trust: float = 0.5,
    policies: tuple[str, str] = ("hold", "hold"),
    motives: tuple[str, str] = ("security", "security"),
    extra_actions: tuple[dict, ...] = (),
    **sections: Any,
) -> dict:
    """A two-state rival dyad A - B, as a scenario dict; ``sections`` are merged in."""
    data: dict[str, Any] = {
        "name": "claim",
        "steps": 100,
        "states": [
            {"code": "A", "bloc": "west", "policy": policies[0], "motive": motives[0]},
            {"code": "B", "bloc": "east", "policy": policies[1], "motive": motives[1]},
        ],
        "relations": [{"a": "A", "b": "B", "kind": "rival"}],
        "initial_trust": {"default": trust},
        "record": {"model": False, "dyads": False, "attribution": False},
    }
    if extra_actions:
        data["actions"] = catalog() + list(extra_actions)
    return merge(data, sections)


def step_at(step: int, action: str, actor: str = "A", target: str = "B", **extra: Any) -> dict:
    return {"step": step, "actor": actor, "target": target, "action": action, **extra}


@dataclass(frozen=True)
class Claim:
    """One essay claim as a paired experiment with its ablation."""

    name: str
    claim: str
    passage: str
    experiment: str
    treatment: dict
    control: dict
    ablation: dict  # merged into both arms to switch the mechanism off
    outcome: Callable[[TrustModel, list], float]
    control_outcome: Callable[[TrustModel, list], float] | None = None  # if the arms differ in it
    measure: Callable[[TrustModel], float] | None = None  # recorded every step, passed to outcome
    expect: str = "positive"  # the sign the effect should have
    steps: int = 100
    notes: str = ""


def run_arm(data: dict, seed: int, claim: Claim, control: bool = False) -> float:
    data = merge(data, {"seed": seed, "steps": claim.steps})
    model = TrustModel(scenario_from_dict(data, f"claim {claim.name}"))
    series = []
    for _ in range(claim.steps):
        model.step()
        if claim.measure is not None:
            series.append(claim.measure(model))
    outcome = claim.control_outcome if control and claim.control_outcome else claim.outcome
    return outcome(model, series)


def paired(claim: Claim, seeds: list[int], ablate: bool) -> dict[str, float]:
    extra = claim.ablation if ablate else {}
    diffs = np.array(
        [
            run_arm(merge(claim.treatment, extra), seed, claim)
            - run_arm(merge(claim.control, extra), seed, claim, control=True)
            for seed in seeds
        ]
    )
    mean = float(diffs.mean())
    half = float(stats.t.ppf(0.975, len(diffs) - 1) * diffs.std(ddof=1) / np.sqrt(len(diffs)))
    return {"mean": mean, "low": mean - half, "high": mean + half}


def holds(claim: Claim, effect: dict, ablated: dict) -> bool:
    """The effect has the expected sign with its interval clear of zero, and the ablation removes
    at least three quarters of it."""
    sign = 1.0 if claim.expect == "positive" else -1.0
    clear = effect["low"] > 0 if sign > 0 else effect["high"] < 0
    return bool(clear and abs(ablated["mean"]) <= 0.25 * abs(effect["mean"]))


# -- outcomes -------------------------------------------------------------------------------------


def trust_of(observer: int, subject: int) -> Callable[[TrustModel, list], float]:
    return lambda model, _: float(model.trust[observer, subject])


def dyad_trust(model: TrustModel) -> float:
    """Mean trust of the dyad A - B, both directions."""
    return float((model.trust[0, 1] + model.trust[1, 0]) / 2)


def mean_dyad_logodds(model: TrustModel, _: list) -> float:
    t = np.array([model.trust[0, 1], model.trust[1, 0]])
    return float(np.mean(np.log(t / (1 - t))))


def series_mean(model: TrustModel, series: list) -> float:
    return float(np.mean(series))


def share_of(actor: int, kind: int) -> Callable[[TrustModel], float]:
    """Share of ``actor``'s steps this step that are of ``kind`` (CONSTRUCTIVE, ESCALATORY)."""

    def share(model: TrustModel) -> float:
        kinds = model.catalog.kind[model.last_action[model.src == actor]]
        return float(np.mean(kinds == kind))

    return share


def steps_to_recover(level: float, start: int) -> Callable[[TrustModel, list], float]:
    """Steps from ``start`` until B's trust in A (the measured series) is back at ``level``."""

    def outcome(model: TrustModel, series: list) -> float:
        later = np.asarray(series[start - 1 :])
        above = np.flatnonzero(later >= level)
        return float(above[0] + 1) if len(above) else float(len(later) + 1)

    return outcome


def b_trust_in_a(model: TrustModel) -> float:
    return float(model.trust[1, 0])


def logodds_gain(initial: float) -> Callable[[TrustModel, list], float]:
    """B's trust in A in log-odds, less that of ``initial``."""

    def outcome(model: TrustModel, _: list) -> float:
        t = float(model.trust[1, 0])
        return float(np.log(t / (1 - t)) - np.log(initial / (1 - initial)))

    return outcome


def _security_gap(model: TrustModel) -> float:
    security = model.last.security
    national = security[0]  # A's security in its one dyad
    mutual = min(security[0], security[1])
    return float(national - mutual)


def trust_in_initiator(hops: int) -> Callable[[TrustModel, list], float]:
    def outcome(model: TrustModel, _: list) -> float:
        observers = np.flatnonzero(model.hops == hops)
        return float(model.trust[observers, model.initiator].mean())

    return outcome


NETWORK = {
    "name": "claim_network",
    "network": {"generator": "watts_strogatz", "n": 40, "degree": 4, "rewire": 0.1, "blocs": 2},
    "initial_trust": {"within_bloc": 0.7, "across_bloc": 0.4},
    "interventions": [
        {"step": 5, "actor": "S000", "action": "limit_military_exercises", "declared": True, "duration": 10}
    ],
    "record": {"model": False, "dyads": False, "attribution": False},
}


# -- the claims -----------------------------------------------------------------------------------

LOGIT = ("logit", "logit")
NEAR_THRESHOLD = 0.5


def _claims() -> list[Claim]:
    grit_steps = [step_at(10, "cap_forward_forces", declared=True, duration=40)]
    buildup = next(a for a in catalog() if a["name"] == "force_buildup_at_home")
    unarmed_buildup = {**buildup, "name": "force_buildup_unarmed", "posture": 0.0}
    border = next(a for a in catalog() if a["name"] == "exercise_near_border")
    right_catalog_copy = {
        **border,
        "name": "exercise_near_border_known",
        "right": False,
        "self_view": border["other_view"],
    }
    return [
        Claim(
            name="small_steps_restore_trust",
            claim="A small announced step near the tipping point restores trust that would "
            "otherwise be lost.",
            passage="The steps may be small [...] but they should be taken with the express purpose of "
            "restoring some level of trust.",
            experiment=f"Rival logit dyad of security seekers at trust {NEAR_THRESHOLD}; A restores "
            "diplomatic facilities, declared, at steps 5-14 (treatment) or not (control); outcome: mean "
            "trust of the dyad over steps 1-100.",
            treatment=dyad(
                NEAR_THRESHOLD,
                LOGIT,
                interventions=[step_at(5, "restore_diplomatic_facilities", declared=True, duration=10)],
            ),
            control=dyad(NEAR_THRESHOLD, LOGIT),
            ablation={"trust": {"learning_rate": 0.0}},
            outcome=series_mean,
            measure=dyad_trust,
            notes="Ablation: trust does not respond to perceived steps (learning_rate 0).",
        ),
        Claim(
            name="small_steps_propagate_three_hops",
            claim="A small step propagates: states two and three relations away from the state that "
            "took it come to trust it more.",
            passage="building trust needs to be an initial and separate policy objective.",
            experiment="Watts-Strogatz network of 40 logit states in 2 blocs (trust 0.7 within, 0.4 "
            "across); S000 limits military exercises toward all its partners, declared, at steps 5-14 "
            "(treatment) or not (control); outcome: mean trust in S000 of the states three hops away "
            "at step 20.",
            treatment=NETWORK,
            control=merge(NETWORK, {"interventions": [{**NETWORK["interventions"][0], "enabled": False}]}),
            ablation={"propagation": {"observation_weight": 0.0, "alliance_weight": 0.0}},
            outcome=trust_in_initiator(3),
            steps=20,
            notes="Ablation: observation_weight 0 and alliance_weight 0 (no third-party channel).",
        ),
        Claim(
            name="grit_restores_congealed_mistrust",
            claim="After a long spell of mistrust, a sustained, costly, declared initiative (GRIT) still "
            "restores trust.",
            passage="mistrust has deepened and then congealed.",
            experiment="Rival logit dyad at trust 0.1 (congealing from step 1); A caps forward forces, "
            "declared, at steps 10-49 (treatment) or not (control); outcome: mean trust of the dyad over "
            "steps 100-150.",
            treatment=dyad(0.1, LOGIT, interventions=grit_steps),
            control=dyad(0.1, LOGIT),
            ablation={"trust": {"learning_rate": 0.0}},
            outcome=lambda m, s: float(np.mean(s[99:])),
            measure=dyad_trust,
            steps=150,
            notes="Ablation: learning_rate 0.",
        ),
        Claim(
            name="way_back_longer_than_way_down",
            claim="Mistrust congeals: after a long low spell, the same initiative takes longer to restore "
            "trust than after a short one.",
            passage="mistrust has deepened and then congealed. As a result, it has become a factor "
            "separate from the specifics of the issues.",
            experiment="Holding dyad at trust 0.6; A escalates for 5 steps, B's trust falls; A then holds "
            "for 40 steps (treatment, a long low spell) or 1 step (control) before a declared "
            "cap_forward_forces every step; outcome: steps of initiative until B's trust in A >= 0.6.",
            treatment=dyad(
                0.6,
                interventions=[
                    step_at(1, "force_buildup_at_home", duration=5),
                    step_at(46, "cap_forward_forces", declared=True, duration=200),
                ],
            ),
            control=dyad(
                0.6,
                interventions=[
                    step_at(1, "force_buildup_at_home", duration=5),
                    step_at(7, "cap_forward_forces", declared=True, duration=200),
                ],
            ),
            ablation={"trust": {"congeal_rate": 0.0}},
            outcome=steps_to_recover(0.6, 46),
            control_outcome=steps_to_recover(0.6, 7),
            measure=b_trust_in_a,
            steps=200,
            notes="Ablation: congeal_rate 0 (no hardening).",
        ),
        Claim(
            name="paralysis",
            claim="Low trust paralyses the will to try: an initiative-taking state takes fewer "
            "initiatives when it distrusts.",
            passage="It both paralyzes the will to try to alter the current trajectory",
            experiment="GRIT state A facing a holding B, at trust 0.1 (treatment) or 0.9 (control); "
            "outcome: share of A's steps that are constructive over 100 steps.",
            treatment=dyad(0.1, ("grit", "hold")),
            control=dyad(0.9, ("grit", "hold")),
            ablation={"trust": {"paralysis": 0.0}},
            outcome=series_mean,
            measure=share_of(0, CONSTRUCTIVE),
            expect="negative",
            notes="Ablation: paralysis 0.",
        ),
        Claim(
            name="short_circuiting",
            claim="Mistrust short-circuits constructive steps: the same cheap step moves a distrustful "
            "observer's trust less (in log-odds).",
            passage="and short-circuits steps that might be taken to move in a more constructive direction.",
            experiment="Holding dyad at trust 0.1 (treatment) or 0.7 (control); A opens dialogue once, "
            "undeclared, at step 1; outcome: change of B's trust in A in log-odds after the step.",
            treatment=dyad(0.1, interventions=[step_at(1, "open_dialogue")]),
            control=dyad(0.7, interventions=[step_at(1, "open_dialogue")]),
            ablation={"trust": {"short_circuit": 0.0}},
            outcome=logodds_gain(0.1),
            control_outcome=logodds_gain(0.7),
            steps=1,
            expect="negative",
            notes="Ablation: short_circuit 0.",
        ),
        Claim(
            name="misperception_erodes_trust",
            claim="Misperception erodes trust: under the negativity bias, short-circuiting and "
            "congealing, more perception noise (as "
            "information warfare raises it) drains trust between states that only hold.",
            passage="toning down information warfare in whatever form",
            experiment="Holding dyad at trust 0.6, perception noise 0.3 (treatment) or the default 0.05 "
            "(control); outcome: mean log-odds of trust in the dyad at step 100.",
            treatment=dyad(0.6, perception={"noise": 0.3}),
            control=dyad(0.6),
            ablation={"trust": {"negativity_bias": 1.0, "congeal_rate": 0.0, "short_circuit": 0.0}},
            outcome=mean_dyad_logodds,
            expect="negative",
            notes="Ablation: negativity_bias 1, congeal_rate 0 and short_circuit 0 (gains and losses "
            "symmetric in log-odds).",
        ),
        Claim(
            name="declared_purpose_with_audience_costs",
            claim="A step declared with the express purpose of restoring trust moves trust more, but "
            "only because the declaration ties the actor's hands; cheap talk does not.",
            passage="they should be taken with the express purpose of restoring some level of trust.",
            experiment="Holding dyad at trust 0.2; A opens dialogue at steps 1-5, declared (treatment) or "
            "not (control); outcome: B's trust in A at step 10.",
            treatment=dyad(0.2, interventions=[step_at(1, "open_dialogue", declared=True, duration=5)]),
            control=dyad(0.2, interventions=[step_at(1, "open_dialogue", duration=5)]),
            ablation={"trust": {"audience_cost": 0.0, "declared_verifiability": 0.0}},
            outcome=trust_of(1, 0),
            steps=10,
            notes="Ablation: audience_cost 0 and declared_verifiability 0: a declaration is cheap talk.",
        ),
        Claim(
            name="rights_spiral",
            claim="Countervailing rights spiral: a right the actor sees as neutral, read as escalation by "
            "its rival, makes it read the reply as unprovoked hostility; the same step without the right "
            "does not spiral as far.",
            passage="each claiming rights that seem to infringe on the other side's.",
            experiment="Rival tit-for-tat dyad at trust 0.6; A exercises near-border manoeuvres (a right: "
            "self-view 0, other-view -0.4) at step 1 (treatment) or the same step without the right "
            "(self-view -0.4, control); outcome: mean trust of the dyad over 50 steps.",
            treatment=dyad(
                0.6, ("tit_for_tat", "tit_for_tat"), interventions=[step_at(1, "exercise_near_border")]
            ),
            control=dyad(
                0.6,
                ("tit_for_tat", "tit_for_tat"),
                interventions=[step_at(1, "exercise_near_border_known")],
                extra_actions=(right_catalog_copy,),
            ),
            ablation={"trust": {"provocation_discount": 0.0}},
            outcome=series_mean,
            measure=dyad_trust,
            steps=50,
            expect="negative",
            notes="Ablation: provocation_discount 0 (no one discounts a reply it provoked).",
        ),
        Claim(
            name="deterrence_works_on_greedy",
            claim="Threats deter a greedy state: facing a hawk, a greedy state escalates less than facing "
            "a state that only holds.",
            passage="unilateral negative incentives",
            experiment="Greedy logit B at trust 0.3 facing a hawk A (treatment) or a holding A (control); "
            "outcome: share of B's steps that are escalatory over 100 steps.",
            treatment=dyad(0.3, ("hawk", "logit"), ("security", "greedy")),
            control=dyad(0.3, ("hold", "logit"), ("security", "greedy")),
            ablation={"payoffs": {"deterrence": 0.0}},
            outcome=series_mean,
            measure=share_of(1, ESCALATORY),
            expect="negative",
            notes="Ablation: payoffs.deterrence 0 (threatened costs do not enter decisions).",
        ),
        Claim(
            name="threats_provoke_security_seekers",
            claim="Threats provoke a security seeker (the spiral model): facing a hawk, it escalates more "
            "than facing a state that only holds.",
            passage="The escalatory risks inherent when countries insist on countervailing rights are "
            "thereby in danger of crossing the threshold into violence.",
            experiment="Security-seeking logit B at trust 0.5 facing a hawk A (treatment) or a holding A "
            "(control); outcome: share of B's steps that are escalatory over 100 steps.",
            treatment=dyad(0.5, ("hawk", "logit")),
            control=dyad(0.5, ("hold", "logit")),
            ablation={"payoffs": {"fear": 0.0}, "trust": {"learning_rate": 0.0}},
            outcome=series_mean,
            measure=share_of(1, ESCALATORY),
            notes="Ablation: fear 0 and learning_rate 0 (threats neither frighten nor inform).",
        ),
        Claim(
            name="positive_incentives",
            claim="Mutually beneficial positive incentives raise cooperation.",
            passage="Instead, positive incentives are what is needed, but only if mutually beneficial.",
            experiment="Rival logit dyad at trust 0.5 whose constructive step is limiting military "
            "exercises (a positive incentive); positive_incentive_bonus 1 (treatment) or 0 (control); "
            "outcome: mean trust over 100 steps.",
            treatment=dyad(0.5, LOGIT, repertoire={"constructive": "limit_military_exercises"}),
            control=dyad(
                0.5,
                LOGIT,
                repertoire={"constructive": "limit_military_exercises"},
                payoffs={"positive_incentive_bonus": 0.0},
            ),
            ablation={"actions": catalog(incentive="none")},
            outcome=series_mean,
            measure=dyad_trust,
            notes="Ablation: the catalog marks no step as a positive incentive.",
        ),
        Claim(
            name="altered_agenda",
            claim="On the altered agenda a shared existential threat raises trust between rivals.",
            passage="this should be done within an altered agenda whose major focus is on the existential "
            "threats facing both sides.",
            experiment="Rival logit dyad at trust 0.4 with a shared threat at level 2 (treatment) or 0 "
            "(control), the agenda on; outcome: mean trust over 100 steps.",
            treatment=dyad(
                0.4, LOGIT, threats=[{"name": "climate", "level": 2.0}], altered_agenda={"enabled": True}
            ),
            control=dyad(
                0.4, LOGIT, threats=[{"name": "climate", "level": 0.0}], altered_agenda={"enabled": True}
            ),
            ablation={"altered_agenda": {"enabled": False}},
            outcome=series_mean,
            measure=dyad_trust,
            notes="Ablation: the altered agenda off.",
        ),
        Claim(
            name="national_versus_mutual_security",
            claim="National and mutual security diverge: arming raises the armer's national security "
            "above the dyad's mutual security.",
            passage="The goal should logically be national security embedded in mutual security",
            experiment="Holding dyad at trust 0.3; A builds up forces every step (treatment) or takes "
            "the same step without its posture change (control: the same payoffs); outcome: A's "
            "national security minus the dyad's mutual security, mean over 100 steps.",
            treatment=dyad(0.3, interventions=[step_at(1, "force_buildup_at_home", duration=100)]),
            control=dyad(
                0.3,
                interventions=[step_at(1, "force_buildup_unarmed", duration=100)],
                extra_actions=(unarmed_buildup,),
            ),
            ablation={"payoffs": {"threat_weight": 0.0}},
            outcome=series_mean,
            measure=_security_gap,
            notes="Ablation: threat_weight 0 (security is the payoff alone).",
        ),
    ]


CLAIMS = _claims()


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    effect: dict[str, float]
    ablated: dict[str, float]

    @property
    def holds(self) -> bool:
        return holds(self.claim, self.effect, self.ablated)


def evaluate(
    replications: int = 30, names: list[str] | None = None, progress: Callable[[str], None] | None = None
) -> list[ClaimResult]:
    """Run every claim (or those named) on seeds 0 .. replications - 1, with and without ablation."""
    seeds = list(range(replications))
    results = []
    for claim in CLAIMS:
        if names and claim.name not in names:
            continue
        if progress is not None:
            progress(claim.name)
        results.append(ClaimResult(claim, paired(claim, seeds, False), paired(claim, seeds, True)))
    return results


def _interval(value: dict[str, float]) -> str:
    return f"{value['mean']:+.3f} [{value['low']:+.3f}, {value['high']:+.3f}]"


def render_markdown(results: list[ClaimResult], replications: int) -> str:
    """docs/claims.md: a results table, then each claim's experiment in full."""
    lines = [
        "# The essay's claims, measured",
        "",
        "Generated by `trustsim claims` (trustsim/claims.py); do not edit by hand. Each claim is a paired",
        f"experiment on common random numbers: seeds 0-{replications - 1} ({replications} replications) run",
        "with the treatment and with the control; the effect is the mean paired difference of the outcome,",
        "with its 95% t interval. The ablation reruns the same pairs with the mechanism switched off.",
        "A claim **holds** when its interval excludes zero with the expected sign and the ablation removes",
        "at least three quarters of the effect.",
        "",
        "| claim | effect (95% CI) | with the mechanism off | holds |",
        "| --- | --- | --- | --- |",
    ]
    for result in results:
        c = result.claim
        lines.append(
            f"| [{c.name}](#{c.name.replace('_', '-')}) | {_interval(result.effect)} | "
            f"{_interval(result.ablated)} | {'yes' if result.holds else '**no**'} |"
        )
    for result in results:
        c = result.claim
        lines += [
            "",
            f"## {c.name}",
            "",
            f"**Claim.** {c.claim}",
            "",
            f"**Essay.** \u201c{c.passage}\u201d",
            "",
            f"**Experiment.** {c.experiment} Expected sign of the effect: {c.expect}.",
            "",
            f"**Effect.** {_interval(result.effect)}. **{c.notes}** {_interval(result.ablated)}.",
        ]
    return "\n".join(lines) + "\n"
