"""The essay's claims, each with the passage it comes from, its experiment and its ablation."""

from __future__ import annotations

import numpy as np

from trustsim.claims.arms import (
    NETWORK,
    b_trust_in_a,
    catalog,
    dyad,
    dyad_trust,
    logodds_gain,
    mean_dyad_logodds,
    security_gap,
    series_mean,
    share_of,
    step_at,
    steps_to_recover,
    trust_in_initiator,
    trust_of,
)
from trustsim.claims.experiment import Claim
from trustsim.config.loading import merge
from trustsim.model.catalog import CONSTRUCTIVE, ESCALATORY

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
            ablation={
                "payoffs": {"fear": 0.0},
                "trust": {"learning_rate": 0.0},
                "policy_params": {"logit": {"resolve": 0.0}},
            },
            outcome=series_mean,
            measure=share_of(1, ESCALATORY),
            notes="Ablation: fear 0, learning_rate 0 and resolve 0 (threats neither frighten, nor "
            "inform, nor are answered).",
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
            measure=security_gap,
            notes="Ablation: threat_weight 0 (security is the payoff alone).",
        ),
    ]


CLAIMS = _claims()
