"""One test per mechanism of SPEC items 1-9, each a contrast on real model runs.

Each test runs the model at least twice on the same seed, with the mechanism on and off (or in
contrasting conditions), and asserts the numeric difference that the mechanism's documentation
(SPEC, docstrings, docs/ODD.md) promises, with a stated tolerance. Small controlled setups are dict
configs of two to four states with the ``hold``/``dove``/``all_defect`` policies, no perception noise
and no paralysis, so that a trust change can be computed by hand from ``trust_rules.py``.
"""

from __future__ import annotations

import math
from itertools import pairwise

import mesa
import numpy as np
import pandas as pd
import pytest
from mesa.discrete_space import Network

from trustsim.config.loading import load_scenario, merge, scenario_from_dict
from trustsim.config.schema import essay_catalog
from trustsim.model.agents import State
from trustsim.model.model import TrustModel

EXACT = 1e-12  # tolerance for quantities the model computes in closed form

# A minimal catalog: one step of each kind, magnitude 0.5, free and always noticed.
COOPERATE = {"name": "cooperate", "kind": "constructive", "self_view": 0.5, "other_view": 0.5}
DEFECT = {"name": "defect", "kind": "escalatory", "self_view": -0.5, "other_view": -0.5}
HOLD = {"name": "hold", "kind": "neutral", "self_view": 0.0, "other_view": 0.0}
SIMPLE = [COOPERATE, DEFECT, HOLD]
SIMPLE_REPERTOIRE = {
    "constructive": "cooperate",
    "escalatory": "defect",
    "neutral": "hold",
    "deterrent": "defect",
}


def logit(trust: float) -> float:
    return float(np.log(trust / (1 - trust)))


def adaptive_change(
    trust: float,
    value: float = 0.5,
    *,
    lr: float = 0.8,
    bias: float = 2.0,
    short_circuit: float = 0.6,
    hardness: float = 0.0,
    cost: float = 0.0,
    declared: bool = False,
    band: float = 0.1,
    audience_cost: float = 0.5,
    cost_scale: float = 0.3,
) -> float:
    """The adaptive rule of docs/ODD.md, written out for one entry: the change of trust in [0, 1]."""
    evidence = np.sign(value) * max(abs(value) - band, 0.0)
    if evidence > 0:
        hard_to_fake = 1 - np.exp(-(cost + declared * audience_cost) / cost_scale)
        credible = evidence * (1 - short_circuit * (1 - trust) * (1 - hard_to_fake))
        step = lr * credible * (1 - hardness)
    else:
        step = lr * bias * evidence
    return float(np.clip(1 / (1 + np.exp(-(logit(trust) + step))), 0.01, 0.99) - trust)


def state(code: str, policy: str = "hold", **extra) -> dict:
    return {"code": code, "bloc": code.lower(), "policy": policy, **extra}


def config(states: list[dict], relations: list[tuple], *, actions=SIMPLE, **extra) -> dict:
    """A controlled scenario: no noise, no paralysis, no propagation unless ``extra`` turns it on."""
    data = {
        "name": "test",
        "steps": 20,
        "seed": 1,
        "states": states,
        "relations": [{"a": r[0], "b": r[1], "kind": r[2] if len(r) > 2 else "rival"} for r in relations],
        "initial_trust": {"default": 0.5, "symmetric_pairs": False},
        "perception": {"noise": 0.0},
        "trust": {"paralysis": 0.0},
        "propagation": {"observation_weight": 0.0, "alliance_weight": 0.0},
        "record": {"dyads": True, "attribution": False},
    }
    if actions is not None:
        data["actions"] = actions
        if {"cooperate", "defect"} <= {action["name"] for action in actions}:
            data["repertoire"] = SIMPLE_REPERTOIRE
    return merge(data, extra)


def pairs(*items: tuple[str, str, float]) -> dict:
    """``initial_trust`` with explicit directed values: (observer, subject, trust)."""
    return {"pairs": [{"from": a, "to": b, "value": v} for a, b, v in items]}


def run(data: dict, steps: int | None = None) -> TrustModel:
    model = TrustModel(scenario_from_dict(data, "test"))
    model.run(steps)
    return model


def records(model: TrustModel) -> pd.DataFrame:
    """The model-level records, indexed by step (1, 2, ...)."""
    frame = model.datacollector.get_model_vars_dataframe()
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="step")
    return frame


def rows(model: TrustModel, source: str, target: str) -> pd.DataFrame:
    """Dyad rows of ``source``'s steps toward ``target``, indexed by step."""
    frame = model.dyad_log.frame(model)
    picked = frame[(frame["source"] == source) & (frame["target"] == target)]
    return picked.set_index("step")


def trust_path(data: dict, steps: int, observer: str, subject: str) -> np.ndarray:
    """Observer's trust in subject at step 0 (initial) and after each step."""
    model = TrustModel(scenario_from_dict(data, "test"))
    i, j = model.codes.index(observer), model.codes.index(subject)
    path = [model.trust[i, j]]
    for _ in range(steps):
        model.step()
        path.append(model.trust[i, j])
    return np.array(path)


def kinds(model: TrustModel, source: str, target: str) -> list[int]:
    """Kind code (1 constructive, 0 neutral, -1 escalatory) of each of source's steps toward target."""
    actions = rows(model, source, target)["action"].astype(str)
    return [int(model.catalog.kind[model.catalog.index(a)]) for a in actions]


def default_action(name: str, **changes) -> dict:
    """An entry of the essay's default catalog, optionally changed."""
    entry = next(a for a in essay_catalog() if a.name == name).model_dump()
    return {**entry, **changes}


def essay_actions(**replacements: dict) -> list[dict]:
    """The essay's default catalog, with some entries replaced."""
    return [replacements.get(a.name, a.model_dump()) for a in essay_catalog()]


# -- 1. States are Mesa agents on a network, trust is a directed matrix ------------------------------


def test_states_are_mesa_agents_on_a_network_whose_trust_row_is_a_view_of_the_matrix():
    data = config(
        [
            state("A", "dove", name="Alpha", capability=2.0, posture=1.5, bloc="west"),
            state("B", "hold", capability=0.5, posture=0.7, bloc="east"),
            state("C", "all_defect", bloc="west"),
        ],
        [("A", "B", "rival"), ("A", "C", "ally")],
    )
    model = TrustModel(scenario_from_dict(data, "test"))
    assert isinstance(model.grid, Network)
    assert len(model.agents) == 3
    a, b, c = (model.state(code) for code in "ABC")
    for agent in (a, b, c):
        assert isinstance(agent, State) and isinstance(agent, mesa.Agent)
        assert agent.cell in model.grid.all_cells.cells and agent in agent.cell.agents
    assert sorted(x.coordinate for x in a.cell.neighborhood) == [b.index, c.index]
    assert [x.coordinate for x in b.cell.neighborhood] == [a.index]
    assert (a.name, a.bloc, a.capability, a.posture, a.policy) == ("Alpha", "west", 2.0, 1.5, "dove")
    assert (b.bloc, b.capability, b.posture, b.policy) == ("east", 0.5, 0.7, "hold")
    assert model.grid.G.edges[a.index, b.index]["kind"] == "rival"
    assert model.grid.G.edges[a.index, c.index]["kind"] == "ally"

    # agent.trust is the model's row: writing it writes the matrix, and the model then uses it.
    assert np.shares_memory(b.trust, model.trust)
    b.trust[a.index] = 0.2
    assert model.trust[b.index, a.index] == 0.2
    a.posture = 3.0
    assert model.posture[a.index] == 3.0
    model.step()
    written = rows(model, "A", "B").loc[1, "trust_change"]
    untouched = run(data, 1)
    baseline = rows(untouched, "A", "B").loc[1, "trust_change"]
    # the gain of the adaptive rule at T = 0.2, where it was written, vs 0.5 untouched
    assert written == pytest.approx(adaptive_change(0.2), abs=EXACT)
    assert baseline == pytest.approx(adaptive_change(0.5), abs=EXACT)


def test_posture_rises_with_escalation_and_falls_with_restraint():
    actions = [
        {**COOPERATE, "posture": -0.3},
        {**DEFECT, "posture": 0.4},
        HOLD,
    ]
    frozen = {"reaction": 0.0, "fatigue": 0.0, "grievance": 0.0}
    postures = {}
    for policy in ("dove", "hold", "all_defect"):
        data = config(
            [state("A", policy, posture=2.0), state("B"), state("C")],
            [("A", "B"), ("A", "C")],
            actions=actions,
            posture=frozen,
        )
        postures[policy] = run(data, 3).state("A").posture
    assert postures["hold"] == pytest.approx(2.0, abs=EXACT)
    # the actions' posture changes are rates of the posture ODE (dt = 0.1)
    assert postures["dove"] == pytest.approx(2.0 - 3 * 0.1 * 0.3, abs=EXACT)
    assert postures["all_defect"] == pytest.approx(2.0 + 3 * 0.1 * 0.4, abs=EXACT)


def test_trust_is_directed_and_diverges_under_asymmetric_actions():
    symmetric = run(config([state("A", "dove"), state("B", "dove")], [("A", "B")]))
    asymmetric = run(config([state("A", "dove"), state("B", "all_defect")], [("A", "B")]))
    a, b = 0, 1
    assert symmetric.trust[a, b] == pytest.approx(symmetric.trust[b, a], abs=EXACT)
    assert symmetric.trust[b, a] > 0.8
    # B trusts the dove more and more; A trusts the defector less and less.
    assert asymmetric.trust[b, a] > 0.8
    assert asymmetric.trust[a, b] < 0.05
    assert asymmetric.trust[b, a] - asymmetric.trust[a, b] > 0.75


# -- 2. The action catalog: verifiability and cost -------------------------------------------------


def test_unnoticed_steps_do_not_move_trust():
    changes = {}
    for verifiability in (0.0, 0.5, 1.0):
        data = config(
            [state("A", "dove"), state("B")],
            [("A", "B")],
            actions=[{**COOPERATE, "verifiability": verifiability}, DEFECT, HOLD],
            steps=200,
        )
        frame = rows(run(data), "A", "B")
        noticed = frame["perceived_value"] != 0.0
        # an unnoticed step reads as 0 and leaves trust exactly where it was; a noticed one raises it
        assert (frame.loc[~noticed, "trust_change"] == 0.0).all()
        assert (frame.loc[noticed, "trust_change"] >= 0.0).all()  # 0 only at the ceiling 0.99
        assert (frame.loc[noticed & (frame["trust"] < 0.98), "trust_change"] > 0.0).all()
        changes[verifiability] = noticed.mean()
    assert changes[0.0] == 0.0
    assert changes[1.0] == 1.0
    assert changes[0.5] == pytest.approx(0.5, abs=0.1)  # 200 Bernoulli(0.5) draws: sd 0.035


def test_action_cost_lowers_the_actors_payoff_by_exactly_the_cost():
    payoff = {}
    for cost in (0.0, 0.25):
        data = config(
            [state("A", "dove"), state("B")],
            [("A", "B")],
            actions=[{**COOPERATE, "cost": cost}, DEFECT, HOLD],
        )
        payoff[cost] = rows(run(data), "A", "B")["payoff"].to_numpy()
    # cooperating (x=1) against holding (y=1/2): R/2 + S/2 = 1.5, less the cost
    assert np.allclose(payoff[0.0], 1.5, atol=EXACT)
    assert np.allclose(payoff[0.0] - payoff[0.25], 0.25, atol=EXACT)


# -- 3. Countervailing rights ------------------------------------------------------------------------


@pytest.mark.parametrize("right", ["force_buildup_at_home", "exercise_near_border"])
def test_right_is_read_as_escalation_by_a_rival_and_as_its_self_view_by_an_ally(right):
    def scene(actions):
        return config(
            [state("A"), state("B"), state("C")],
            [("A", "B", "rival"), ("A", "C", "ally")],
            actions=actions,
            interventions=[{"step": 1, "actor": "A", "action": right, "duration": 10}],
            steps=10,
        )

    spec = default_action(right)
    on = run(scene(essay_actions()))
    off = run(scene(essay_actions(**{right: {**spec, "right": False}})))

    rival, ally = rows(on, "A", "B"), rows(on, "A", "C")
    seen_by_rival = rival["perceived_value"][rival["perceived_value"] != 0.0]
    seen_by_ally = ally["perceived_value"][ally["perceived_value"] != 0.0]
    assert len(seen_by_rival) >= 5
    assert np.allclose(seen_by_rival, spec["other_view"], atol=EXACT)
    assert np.allclose(seen_by_ally, spec["self_view"], atol=EXACT)
    # the ally reads a right at its self-view (neutral, or nearly): its trust moves little or not at
    # all, while without the right flag it reads the other-view like the rival does.
    a = on.codes.index("A")
    b, c = on.codes.index("B"), on.codes.index("C")
    assert on.trust[b, a] < 0.2
    ally_loss_on = 0.5 - on.trust[c, a]
    ally_loss_off = 0.5 - off.trust[c, a]
    assert ally_loss_off > 0.3
    if spec["self_view"] == 0.0:
        assert ally_loss_on == 0.0
    else:
        assert ally_loss_on < 0.5 * ally_loss_off
    off_ally = rows(off, "A", "C")["perceived_value"]
    assert np.allclose(off_ally[off_ally != 0.0], spec["other_view"], atol=EXACT)


def test_exercising_a_right_shows_a_positive_self_other_gap_in_the_records():
    def gap(action):
        data = config(
            [state("A"), state("B"), state("C")],
            [("A", "B", "rival"), ("A", "C", "ally")],
            actions=None,
            interventions=[{"step": 2, "actor": "A", "action": action, "duration": 3}],
            steps=6,
        )
        return records(run(data))

    right = gap("force_buildup_at_home")
    plain = gap("threaten_invasion")  # owned as coercion: self -0.5, other -0.7
    # A's two steps carry a gap of 0 - (-0.72) each among four directed dyads; holding has none.
    assert right["self_other_gap"].tolist() == pytest.approx([0.0, 0.36, 0.36, 0.36, 0.0, 0.0], abs=EXACT)
    assert right["rights_exercised"].tolist() == pytest.approx([0, 0.5, 0.5, 0.5, 0, 0], abs=EXACT)
    assert plain["self_other_gap"].tolist() == pytest.approx([0.0, 0.1, 0.1, 0.1, 0.0, 0.0], abs=EXACT)
    assert plain["rights_exercised"].sum() == 0.0


@pytest.mark.parametrize("seed", [1, 2])
def test_one_exercised_right_starts_a_spiral_between_tit_for_tat_rivals(seed):
    """The essay's catalog, with the build-up made fully verifiable so that it is always seen."""
    buildup = default_action("force_buildup_at_home", verifiability=1.0)

    def scene(kind, intervene):
        data = config(
            [state("A", "tit_for_tat"), state("B", "tit_for_tat")],
            [("A", "B", kind)],
            actions=essay_actions(force_buildup_at_home=buildup),
            seed=seed,
            steps=60,
        )
        right = [{"step": 5, "actor": "A", "target": "B", "action": "force_buildup_at_home"}]
        return records(run(merge(data, {"interventions": right if intervene else []})))

    calm, spiral = scene("rival", False), scene("rival", True)
    assert calm["share_escalatory"].sum() == 0.0
    assert calm["mean_trust"].iloc[-1] > 0.9
    # One right exercised at step 5 and the rivals echo each other's "legitimate" build-ups for ever,
    # each read as escalation: half of all steps, with the countervailing-rights gap in the records.
    after = spiral.loc[6:]
    assert after["share_escalatory"].mean() == pytest.approx(0.5, abs=EXACT)
    assert after["self_other_gap"].mean() == pytest.approx(0.72 / 2, abs=EXACT)
    assert spiral["mean_trust"].iloc[-1] < calm["mean_trust"].iloc[-1] - 0.4
    assert spiral["mean_trust"].iloc[-1] < 0.3
    # Between allies the same right is read at its self-view (neutral): no spiral.
    allies = scene("ally", True)
    assert allies.loc[6:, "share_escalatory"].sum() == 0.0


# -- 4. Self-help: Prisoner's Dilemma payoffs, incentives, security ----------------------------------


@pytest.mark.parametrize(
    ("payoffs", "expected"),
    [
        (
            {"T": 5, "R": 3, "P": 1, "S": 0},
            {("dove", "dove"): (3, 3), ("dove", "all_defect"): (0, 5), ("all_defect", "all_defect"): (1, 1)},
        ),
        (
            {"T": 7, "R": 4, "P": 2, "S": -1},
            {("dove", "dove"): (4, 4), ("dove", "all_defect"): (-1, 7), ("all_defect", "all_defect"): (2, 2)},
        ),
    ],
)
def test_dyad_payoffs_have_the_prisoners_dilemma_shape(payoffs, expected):
    for (pa, pb), (ua, ub) in expected.items():
        data = config([state("A", pa), state("B", pb)], [("A", "B")], payoffs=payoffs, steps=5)
        model = run(data)
        assert np.allclose(rows(model, "A", "B")["payoff"], ua, atol=EXACT)
        assert np.allclose(rows(model, "B", "A")["payoff"], ub, atol=EXACT)


def test_negative_incentive_costs_its_target():
    sanction = {
        "name": "sanction",
        "kind": "escalatory",
        "self_view": -0.3,
        "other_view": -0.6,
        "incentive": "negative",
        "target_cost": 0.3,
    }
    payoff = {}
    for target_cost in (0.0, 0.3):
        data = config(
            [state("A", "all_defect", repertoire={"escalatory": "sanction"}), state("B")],
            [("A", "B")],
            actions=[*SIMPLE, {**sanction, "target_cost": target_cost}],
            steps=5,
        )
        model = run(data)
        payoff[target_cost] = (rows(model, "B", "A")["payoff"], rows(model, "A", "B")["payoff"])
    # holding (x=1/2) against escalation (y=0): S/2 + P/2 = 0.5, less the sanction's cost to B
    assert np.allclose(payoff[0.0][0], 0.5, atol=EXACT)
    assert np.allclose(payoff[0.3][0], 0.2, atol=EXACT)
    assert np.allclose(payoff[0.0][1], payoff[0.3][1], atol=EXACT)  # unilateral: no cost to A


def test_positive_incentive_adds_its_bonus_to_mutual_restraint():
    payoff = {}
    for bonus in (0.0, 1.0):
        data = config(
            [
                state("A", "dove", repertoire={"constructive": "limit_military_exercises"}),
                state("B", "dove", repertoire={"constructive": "open_dialogue"}),
            ],
            [("A", "B")],
            actions=None,
            payoffs={"positive_incentive_bonus": bonus},
            steps=3,
        )
        model = run(data)
        payoff[bonus] = (rows(model, "A", "B")["payoff"], rows(model, "B", "A")["payoff"])
    # R (+ bonus, for both, as one side's step is a positive incentive) less each step's own cost
    assert np.allclose(payoff[0.0][0], 3.0 - 0.2, atol=EXACT)
    assert np.allclose(payoff[0.0][1], 3.0 - 0.02, atol=EXACT)
    assert np.allclose(payoff[1.0][0] - payoff[0.0][0], 1.0, atol=EXACT)
    assert np.allclose(payoff[1.0][1] - payoff[0.0][1], 1.0, atol=EXACT)


def test_national_and_mutual_security_are_recorded_separately():
    def first_step(threat_weight):
        data = config(
            [
                state("A", "dove", capability=1.0, posture=1.0),
                state("B", "all_defect", capability=2.0, posture=1.5),
            ],
            [("A", "B")],
            payoffs={"threat_weight": threat_weight},
            steps=1,
        )
        return records(run(data)).iloc[0]

    blind, wary = first_step(0.0), first_step(1.0)
    # payoffs S=0 (A) and T=5 (B): national security is their mean, mutual security the lesser.
    assert blind["national_security"] == pytest.approx(2.5, abs=EXACT)
    assert blind["mutual_security"] == pytest.approx(0.0, abs=EXACT)
    # threats faced: A (1-0.5)*2*1.5 = 1.5, B (1-0.5)*1*1 = 0.5; each side's own forces count for it:
    # A 0 - (1.5 - 0.5) = -1, B 5 - (0.5 - 1.5) = 6. National security is their mean; mutual security
    # the lesser: B's gain at A's expense raises the one and lowers the other.
    assert wary["national_security"] == pytest.approx((-1 + 6) / 2, abs=EXACT)
    assert wary["mutual_security"] == pytest.approx(-1.0, abs=EXACT)


# -- 5. Trust as a separate factor: the adaptive rule's pathologies ----------------------------------


def first_change(policy: str, level: float, **extra) -> float:
    """B's trust change in A after one step of A's ``policy`` at B's initial trust ``level``."""
    data = config(
        [state("A", policy), state("B")],
        [("A", "B")],
        initial_trust=pairs(("B", "A", level)),
        steps=1,
        **extra,
    )
    return float(rows(run(data), "A", "B").loc[1, "trust_change"])


@pytest.mark.parametrize("bias", [1.0, 2.0, 3.5])
def test_trust_is_lost_faster_than_gained(bias):
    rule = {"trust": {"negativity_bias": bias, "short_circuit": 0.0}}
    gain = first_change("dove", 0.5, **rule)
    loss = first_change("all_defect", 0.5, **rule)
    assert gain == pytest.approx(adaptive_change(0.5, short_circuit=0.0), abs=EXACT)
    # in log-odds a loss is exactly ``bias`` times the gain, at every trust level
    assert -logit(0.5 + loss) / logit(0.5 + gain) == pytest.approx(bias, rel=1e-9)


@pytest.mark.parametrize("trust", [0.1, 0.3, 0.62, 0.9])
def test_without_negativity_bias_a_gain_at_t_mirrors_a_loss_at_one_minus_t(trust):
    rule = {"trust": {"negativity_bias": 1.0, "short_circuit": 0.0}}
    gain = first_change("dove", trust, **rule)
    loss = first_change("all_defect", 1.0 - trust, **rule)
    assert gain > 0
    assert gain == pytest.approx(-loss, abs=EXACT)
    biased = first_change("all_defect", 1.0 - trust, trust={"negativity_bias": 2.0, "short_circuit": 0.0})
    start = logit(1.0 - trust)
    assert logit(1.0 - trust + biased) - start == pytest.approx(2 * (logit(1.0 - trust + loss) - start))
    assert biased < loss < 0  # the bias holds at low trust too: no reversal below any level


def test_mistrust_congeals_after_threshold_steps():
    def congealed(trust, rate):
        data = config(
            [state("A"), state("B")],
            [("A", "B")],
            initial_trust={"default": trust},
            trust={"congeal_threshold": 0.3, "congeal_rate": rate, "congealed_level": 0.5},
            steps=30,
        )
        model = run(data)
        return model, records(model)["congealed_dyads"]

    model, low = congealed(0.1, 0.05)
    # hardness after k steps below the threshold is 0.8 (1 - 0.95^k), never 1: it passes 0.5 at k = 20
    assert model.hardness[0, 1] == pytest.approx(0.8 * (1 - 0.95**30), abs=EXACT)
    assert low.loc[:19].sum() == 0
    assert (low.loc[20:] == 2).all()
    assert congealed(0.35, 0.05)[1].sum() == 0  # above the threshold nothing hardens
    assert congealed(0.1, 0.0)[1].sum() == 0  # congealing switched off


def test_congealed_mistrust_shrinks_later_gains_hysteresis():
    def scene(rate):
        return config(
            [state("A"), state("B")],
            [("A", "B")],
            initial_trust=pairs(("B", "A", 0.6)),
            trust={"congeal_rate": rate, "negativity_bias": 2.0},
            interventions=[
                {"step": 1, "actor": "A", "action": "defect", "duration": 8},
                {"step": 30, "actor": "A", "policy": "dove"},
            ],
            steps=60,
        )

    hard, soft = trust_path(scene(0.05), 60, "B", "A"), trust_path(scene(0.0), 60, "B", "A")
    # the way down is the same (a loss of 0.8 * 2 * 0.4 in log-odds a step: below 0.3 after step 2)...
    assert np.allclose(hard[:30], soft[:30], atol=EXACT)
    below = int(np.sum(hard[1:30] < 0.3))
    assert below == 28
    # ...but after 28 steps below the threshold the first gain (in log-odds) is cut by
    # 1 - H = 1 - 0.8 (1 - 0.95^28)
    ratio = (logit(hard[30]) - logit(hard[29])) / (logit(soft[30]) - logit(soft[29]))
    assert ratio == pytest.approx(1 - 0.8 * (1 - 0.95**below), rel=1e-9)
    # and the way back up is slower: hysteresis
    assert soft[60] - hard[60] > 0.2


@pytest.mark.parametrize(("trust", "expected"), [(0.1, 1 - 0.5 * 0.9), (0.9, 1 - 0.5 * 0.1)])
def test_low_trust_paralyses_constructive_initiatives(trust, expected):
    def share(paralysis):
        data = config(
            [state("A", "dove"), state("B")],
            [("A", "B")],
            initial_trust=pairs(("A", "B", trust)),
            trust={"paralysis": paralysis},
            steps=400,
        )
        return np.mean(np.array(kinds(run(data), "A", "B")) == 1)

    assert share(0.0) == 1.0
    # initiatives are dropped with probability paralysis * (1 - trust): 400 draws, sd <= 0.025
    assert share(0.5) == pytest.approx(expected, abs=0.08)


def test_paralysis_is_stronger_at_low_trust():
    def share(trust):
        data = config(
            [state("A", "dove"), state("B")],
            [("A", "B")],
            initial_trust=pairs(("A", "B", trust)),
            trust={"paralysis": 0.8},
            steps=300,
        )
        return np.mean(np.array(kinds(run(data), "A", "B")) == 1)

    assert share(0.9) - share(0.1) > 0.5  # expected 0.92 - 0.28 = 0.64


@pytest.mark.parametrize("trust", [0.2, 0.5, 0.9])
def test_a_distrusted_states_constructive_step_is_short_circuited(trust):
    discounted = first_change("dove", trust, trust={"short_circuit": 0.6})
    full = first_change("dove", trust, trust={"short_circuit": 0.0})
    assert full == pytest.approx(adaptive_change(trust, short_circuit=0.0), abs=EXACT)
    # in log-odds the discount is exactly 1 - short_circuit * (1 - T) for a free step
    ratio = (logit(trust + discounted) - logit(trust)) / (logit(trust + full) - logit(trust))
    assert ratio == pytest.approx(1 - 0.6 * (1 - trust), rel=1e-9)


def test_information_warfare_raises_fog_and_perception_noise():
    infowar = {"name": "infowar", "kind": "escalatory", "self_view": 0.0, "other_view": -0.2, "fog": 1.0}

    def residuals(fog_gain):
        data = config(
            [state("A", "all_defect", repertoire={"escalatory": "infowar"}), state("B")],
            [("A", "B")],
            actions=[*SIMPLE, infowar],
            perception={"noise": 0.01, "fog_gain": fog_gain, "fog_decay": 0.1},
            steps=30,
        )
        model = run(data)
        return model, rows(model, "A", "B")["perceived_value"].to_numpy() + 0.2

    foggy_model, foggy = residuals(0.01)
    clear_model, clear = residuals(0.0)
    assert foggy_model.fog[1] == pytest.approx(sum(0.9**k for k in range(30)), rel=1e-9)
    # fog before step t: f_{t-1} = sum_{k < t-1} 0.9^k; same noise draws, so the residuals scale
    fog_before = np.array([sum(0.9**k for k in range(t - 1)) for t in range(1, 31)])
    assert np.allclose(foggy, clear * (0.01 + 0.01 * fog_before) / 0.01, atol=1e-9)
    assert foggy[10:].std() > 5 * clear[10:].std()
    assert clear_model.fog[1] > 0 and np.std(clear) < 0.02


def test_declared_step_raises_trust_more_than_the_same_step_undeclared():
    step = {"name": "restore", "kind": "constructive", "self_view": 0.35, "other_view": 0.35}

    def change(declared, audience_cost=0.5):
        data = config(
            [state("A"), state("B")],
            [("A", "B")],
            actions=[*SIMPLE, step],
            initial_trust=pairs(("B", "A", 0.2)),
            trust={"audience_cost": audience_cost},
            interventions=[{"step": 1, "actor": "A", "action": "restore", "declared": declared}],
            steps=1,
        )
        return float(rows(run(data), "A", "B").loc[1, "trust_change"])

    assert change(False) == pytest.approx(adaptive_change(0.2, 0.35), abs=EXACT)
    assert change(True) == pytest.approx(adaptive_change(0.2, 0.35, declared=True), abs=EXACT)
    assert change(True) - change(False) > 0.01
    # without an audience cost a declaration is cheap talk: it changes nothing
    assert change(True, audience_cost=0.0) == pytest.approx(change(False), abs=EXACT)


def test_declared_step_is_noticed_more_often():
    step = {
        "name": "restore",
        "kind": "constructive",
        "self_view": 0.35,
        "other_view": 0.35,
        "verifiability": 0.5,
    }

    def noticed(declared):
        data = config(
            [state("A"), state("B")],
            [("A", "B")],
            actions=[*SIMPLE, step],
            interventions=[
                {"step": 1, "actor": "A", "action": "restore", "declared": declared, "duration": 300}
            ],
            steps=300,
        )
        return (rows(run(data), "A", "B")["perceived_value"] != 0).mean()

    # verifiability 0.5, plus declared_verifiability 0.3 when announced; 300 draws, sd <= 0.03
    assert noticed(False) == pytest.approx(0.5, abs=0.09)
    assert noticed(True) == pytest.approx(0.8, abs=0.09)


# -- 5. The Bayesian rule (Kydd) ----------------------------------------------------------------------


@pytest.mark.parametrize(("prior", "error"), [(0.6, 0.1), (0.3, 0.05), (0.9, 0.3)])
def test_bayesian_hostile_signal_moves_belief_by_bayes_rule(prior, error):
    data = config(
        [state("A", "all_defect"), state("B")],
        [("A", "B")],
        initial_trust=pairs(("B", "A", prior)),
        trust={"rule": "bayesian", "perception_error": error},
        steps=1,
    )
    model = run(data)
    posterior = prior * error / (prior * error + (1 - prior) * (1 - error))
    assert model.trust[1, 0] == pytest.approx(posterior, abs=EXACT)
    adaptive = run(merge(data, {"trust": {"rule": "adaptive"}}))
    assert abs(adaptive.trust[1, 0] - posterior) > 0.01


def test_costly_signals_move_bayesian_belief_more_than_cheap_ones():
    def belief(cost):
        data = config(
            [state("A", "dove"), state("B")],
            [("A", "B")],
            actions=[{**COOPERATE, "cost": cost}, DEFECT, HOLD],
            initial_trust=pairs(("B", "A", 0.3)),
            trust={"rule": "bayesian", "perception_error": 0.1, "signal_cost_scale": 0.3},
            steps=1,
        )
        return run(data).trust[1, 0]

    def expected(cost, prior=0.3, e=0.1):
        k = 1 - math.exp(-cost / 0.3)
        ratio = (1 - e) / ((1 - k) * (1 - e) + k * e)
        return prior * ratio / (prior * ratio + 1 - prior)

    beliefs = [belief(c) for c in (0.0, 0.1, 0.3, 1.0)]
    assert beliefs[0] == pytest.approx(0.3, abs=EXACT)  # cheap talk carries no information
    assert beliefs == pytest.approx([expected(c) for c in (0.0, 0.1, 0.3, 1.0)], abs=EXACT)
    assert np.all(np.diff(beliefs) > 0.02)


# -- 6. Propagation -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["neighbour", "ally"])
def test_third_party_observes_a_step_toward_its_friend(kind):
    def scene(weight, link=kind):
        return config(
            [state("A", "dove"), state("B"), state("C")],
            [("A", "B", "rival"), ("B", "C", link)],
            propagation={"observation_weight": weight},
            steps=1,
        )

    # C reads A's step toward its friend B at weight 0.2: 0.2 times the direct change at 0.5
    assert run(scene(0.2)).trust[2, 0] == pytest.approx(0.5 + 0.2 * adaptive_change(0.5), abs=EXACT)
    assert run(scene(0.0)).trust[2, 0] == 0.5
    assert run(scene(0.2, "rival")).trust[2, 0] == 0.5  # rivals' quarrels are not read


def test_alliance_influence_pulls_an_allys_view_of_a_third_state():
    def scene(alpha):
        return config(
            [state("X"), state("B"), state("C")],
            [("X", "B", "rival"), ("B", "C", "ally")],
            initial_trust=pairs(("B", "X", 0.9), ("C", "X", 0.1)),
            propagation={"alliance_weight": alpha},
            steps=1,
        )

    pulled, alone = run(scene(0.05)), run(scene(0.0))
    x, b, c = 0, 1, 2
    assert pulled.trust[c, x] == pytest.approx(0.1 + 0.05 * (0.9 - 0.1), abs=EXACT)
    assert pulled.trust[b, x] == pytest.approx(0.9 + 0.05 * (0.1 - 0.9), abs=EXACT)
    assert alone.trust[c, x] == 0.1 and alone.trust[b, x] == 0.9


def test_alliance_influence_does_not_raise_trust_between_agreeing_allies():
    """Allies' views *of a state* pull one's own. When three allies all trust each other at 0.5 and
    only hold, every ally's view of every other is 0.5: there is nothing to pull toward, and trust
    must stay where it is, as it does with the influence switched off. (An ally's trust in itself,
    the diagonal set to 1, is not a view of it.)"""

    def scene(alpha):
        return config(
            [state("A"), state("B"), state("C")],
            [("A", "B", "ally"), ("B", "C", "ally"), ("A", "C", "ally")],
            propagation={"alliance_weight": alpha},
            steps=50,
        )

    pulled, alone = run(scene(0.05)), run(scene(0.0))
    assert np.all(alone.trust[~np.eye(3, dtype=bool)] == 0.5)
    drift = np.abs(pulled.trust - alone.trust).max()
    assert drift < 1e-9, f"allies' trust in each other drifted by {drift:.3f} with no action at all"


def chain_moves(kind):
    """A repeats a constructive step toward B on the chain A-B-C-D (relations of ``kind``):
    how far each of B, C, D's trust in A has moved after 30 steps, and at which step it first moved."""
    data = config(
        [state("A", "dove"), state("B"), state("C"), state("D")],
        [("A", "B", kind), ("B", "C", kind), ("C", "D", kind)],
        propagation={"observation_weight": 0.2, "alliance_weight": 0.05},
        steps=30,
    )
    paths = {code: trust_path(data, 30, code, "A") for code in "BCD"}
    moved = {code: np.abs(path - path[0]) for code, path in paths.items()}
    first = {code: int(np.argmax(m > 1e-9)) if (m > 1e-9).any() else None for code, m in moved.items()}
    return moved, first


def test_a_step_between_allies_changes_trust_one_two_and_three_hops_away():
    """Along an alliance chain the step reaches three hops (observation carries it to the target's
    friends, alliance pooling on along the chain), each hop by less (SPEC item 6)."""
    moved, first = chain_moves("ally")
    assert first["B"] == 1
    assert first["C"] is not None and first["C"] >= first["B"]
    assert first["D"] is not None and first["D"] >= first["C"], f"three hops away never moved: {first}"
    assert moved["B"][-1] > moved["C"][-1] > moved["D"][-1] > 1e-6


def test_among_mere_neighbours_a_step_is_observed_two_hops_away_and_no_further():
    """Neighbours observe how a state treats their friends but do not pool views (only allies do),
    so on a neighbour chain the step reaches the target's neighbour and stops (docs/ODD.md 7.11)."""
    moved, first = chain_moves("neighbour")
    assert first["B"] == 1 and first["C"] == 1
    assert first["D"] is None
    assert moved["B"][-1] > moved["C"][-1] > 1e-6


# -- 7. Policies --------------------------------------------------------------------------------------


def forced(actor, script):
    """Interventions making ``actor`` take ``script[t]`` at step t+1 (None: its policy decides)."""
    return [{"step": t + 1, "actor": actor, "action": a} for t, a in enumerate(script) if a is not None]


def test_tit_for_tat_copies_the_others_last_move():
    script = [None, None, "defect", "defect", None, "cooperate", "defect", None, None, "cooperate"]
    data = config(
        [state("A", "tit_for_tat"), state("B")],
        [("A", "B")],
        interventions=forced("B", script),
        steps=12,
    )
    model = run(data)
    theirs, mine = kinds(model, "B", "A"), kinds(model, "A", "B")
    assert theirs[:10] == [0, 0, -1, -1, 0, 1, -1, 0, 0, 1]
    assert mine == [1, *theirs[:-1]]
    dove = run(merge(data, {"states": [state("A", "dove"), state("B")]}))
    assert kinds(dove, "A", "B") != mine


def test_grudger_never_forgives_a_single_defection():
    def moves(policy):
        data = config(
            [state("A", policy), state("B", "dove")],
            [("A", "B")],
            interventions=[{"step": 3, "actor": "B", "action": "defect"}],
            steps=30,
        )
        return kinds(run(data), "A", "B")

    assert moves("grudger") == [1, 1, 1] + [-1] * 27
    assert moves("tit_for_tat") == [1, 1, 1, -1] + [1] * 26


@pytest.mark.parametrize(("persistence", "pause"), [(5, 5), (4, 3)])
def test_grit_sustains_announced_steps_despite_defection_then_reciprocates_and_renews(persistence, pause):
    actions = [
        {**COOPERATE, "other_view": 0.35, "self_view": 0.35},
        {"name": "defect_small", "kind": "escalatory", "self_view": -0.3, "other_view": -0.3},
        {"name": "defect", "kind": "escalatory", "self_view": -0.9, "other_view": -0.9},
        HOLD,
    ]
    data = config(
        [state("A", "grit"), state("B", "all_defect", repertoire={"escalatory": "defect_small"})],
        [("A", "B")],
        actions=actions,
        policy_params={"grit": {"persistence": persistence, "pause": pause, "step_size": 0.35}},
        steps=3 * (persistence + pause),
    )
    frame = rows(run(data), "A", "B")
    cycle = ["cooperate"] * persistence + ["defect_small"] * pause
    assert frame["action"].astype(str).tolist() == cycle * 3
    # initiatives are announced; retaliation is proportionate (the small step, not the large one)
    assert frame["declared"].tolist() == ([True] * persistence + [False] * pause) * 3
    undeclared = run(merge(data, {"policy_params": {"grit": {"declared": False}}}))
    assert not rows(undeclared, "A", "B")["declared"].any()
    big = merge(data, {"states": [state("A", "grit"), state("B", "all_defect")]})
    assert set(rows(run(big), "A", "B")["action"].astype(str)) == {"cooperate", "defect"}


def test_grit_steps_grow_when_reciprocated():
    def magnitudes(partner):
        data = config(
            [state("A", "grit"), state("B", partner)],
            [("A", "B")],
            actions=None,
            policy_params={"grit": {"step_size": 0.35, "growth": 0.1, "persistence": 50}},
            steps=12,
        )
        model = run(data)
        names = rows(model, "A", "B")["action"].astype(str)
        return [float(model.catalog.other_view[model.catalog.index(n)]) for n in names]

    answered, ignored = magnitudes("dove"), magnitudes("all_defect")
    assert ignored == [0.35] * 12
    assert answered[0] == 0.35
    assert all(later >= earlier for earlier, later in pairwise(answered))
    assert answered[-1] == 0.8


def test_hawk_answers_escalation_with_its_deterrent():
    def first_actions(partner, trust, repertoire=None):
        b = state("B", partner, repertoire={"escalatory": "threaten_invasion"})
        data = config(
            [state("A", "hawk"), b],
            [("A", "B")],
            actions=None,
            initial_trust=pairs(("A", "B", trust)),
            steps=6,
        )
        return rows(run(data), "A", "B")["action"].astype(str).tolist()

    # against escalation: arms first (distrustful), then the negative incentive every round
    assert first_actions("all_defect", 0.3) == ["force_buildup_at_home"] + ["threaten_sanctions"] * 5
    assert first_actions("all_defect", 0.8) == ["hold"] + ["threaten_sanctions"] * 5
    # against a holding partner it never threatens; it arms only while distrustful
    assert first_actions("hold", 0.3) == ["force_buildup_at_home"] * 6
    assert first_actions("hold", 0.8) == ["hold"] * 6


def test_dove_is_constructive_whatever_the_other_does():
    def moves(policy, partner):
        data = config([state("A", policy), state("B", partner)], [("A", "B")], steps=40)
        model = run(data)
        return kinds(model, "A", "B"), model.trust[0, 1]

    dove, dove_trust = moves("dove", "all_defect")
    assert dove == [1] * 40
    assert dove_trust <= 0.01  # it keeps cooperating though its trust is at the floor
    assert moves("tit_for_tat", "all_defect")[0] == [1] + [-1] * 39


def test_generous_tit_for_tat_forgives_at_its_generosity():
    def forgiving(generosity):
        data = config(
            [state("A", "generous_tit_for_tat"), state("B", "all_defect")],
            [("A", "B")],
            policy_params={"generous_tit_for_tat": {"generosity": generosity}},
            steps=400,
        )
        return np.mean(np.array(kinds(run(data), "A", "B")[1:]) == 1)

    assert forgiving(0.0) == 0.0
    assert forgiving(0.3) == pytest.approx(0.3, abs=0.08)
    assert forgiving(None) == pytest.approx(1 / 3, abs=0.08)  # Molander at 5, 3, 1, 0


def test_logit_chooses_more_constructive_steps_at_higher_trust():
    def share(trust, rationality=5.0):
        data = config(
            [state("A", "logit"), state("B")],
            [("A", "B")],
            actions=None,
            initial_trust=pairs(("A", "B", trust)),
            policy_params={"logit": {"rationality": rationality}},
            steps=300,
        )
        return np.mean(np.array(kinds(run(data), "A", "B")) == 1)

    shares = [share(t) for t in (0.1, 0.3, 0.5, 0.7, 0.9)]
    assert all(b > a for a, b in pairwise(shares)), shares
    assert shares[0] < 0.1 and shares[-1] > 0.9
    # with rationality 0 (uniform over kinds) trust no longer matters: a third each
    flat = [share(t, 0.0) for t in (0.1, 0.9)]
    assert flat == pytest.approx([1 / 3, 1 / 3], abs=0.09)


@pytest.mark.parametrize(
    ("last", "expected_cooperation"),
    [
        ("none", 0.45),  # no move yet: trust alone
        ("constructive", 0.45 + 0.3 * (1 - 0.45)),  # responsiveness 0.3 toward 1
        ("neutral", 0.45 + 0.3 * (0.5 - 0.45)),  # toward 1/2
        ("escalatory", 0.45 - 0.6 * 0.45),  # responsiveness_to_conflict 0.6 toward 0
    ],
)
def test_logit_choice_frequencies_are_the_quantal_response_probabilities(last, expected_cooperation):
    """Logit.choose (compiled loops) against the closed form: over draws on an even grid, each
    catalog action is chosen in the share exp(rationality * U) / kind_count / sum, within 1/K,
    with U at the expected cooperation y of the partner: trust moved toward the partner's last
    perceived move by the default responsiveness (0.3; 0.6 after an escalatory move)."""
    from trustsim.config.schema import LogitParams
    from trustsim.model.catalog import Catalog
    from trustsim.model.policies import NONE, POLICIES, C, D, Dyads, N

    catalog = Catalog.from_actions(list(essay_catalog()))
    T, R, P, S = 5.0, 3.0, 1.0, 0.0
    K = 20_000
    trust, temptation, sucker, cost_esc = 0.45, 2.0, -0.7, 0.3
    bonus = 0.5 * catalog.positive
    rationality = 2.0
    draw = (np.arange(K) + 0.5) / K
    view = Dyads(
        edges=np.arange(K),
        trust=np.full(K, trust),
        other_last=np.full(K, {"none": NONE, "constructive": C, "neutral": N, "escalatory": D}[last]),
        other_before=np.zeros(K, dtype=np.int8),
        other_last_value=np.zeros(K),
        own_last=np.zeros(K, dtype=np.int8),
        draw=draw,
        reward=np.full(K, R),
        bonus=bonus,
        payoffs=(T, R, P, S),
        catalog=catalog,
        repertoire={},
        temptation=np.full(K, temptation),
        sucker=np.full(K, sucker),
        escalation_cost=np.full(K, cost_esc),
        own_last_action=np.full(K, -1),  # no last step: routine (on by default) changes nothing
    )
    policy = POLICIES["logit"](LogitParams(rationality=rationality))
    actions, declared = policy.choose(view)
    x, y = catalog.cooperation, expected_cooperation
    utility = (
        (R + bonus) * x * y
        + sucker * x * (1 - y)
        + temptation * (1 - x) * y
        + P * (1 - x) * (1 - y)
        - catalog.cost
        - (catalog.kind == -1) * cost_esc
    )
    weights = np.exp(rationality * (utility - utility.max())) / catalog.kind_count
    expected = weights / weights.sum()
    observed = np.bincount(actions, minlength=len(catalog)) / K
    assert observed == pytest.approx(expected, abs=1.5 / K)
    assert not declared.any()


def test_logit_states_reciprocate_through_their_expectations_and_not_without_them():
    """Event data show reciprocity (Goldstein & Freeman 1990): a partner's last move predicts one's
    own. Two logit states at trust 0.5 with perception noise 0.1, 300 steps, 12 paired seeds; the
    VAR(1) coefficient on the partner's lagged score (trustsim.patterns.events). With the default
    responsiveness (0.3; 0.6 after escalation) it is clearly positive and above the ablation's
    (responsiveness 0), paired per seed, 95% t interval of the difference above 0.05; without it
    the partner's move acts only through trust and the coefficient stays below 0.1."""
    from trustsim.patterns.events import fit_dyad, scored_actions

    def reciprocity(seed: int, responsiveness: float, to_conflict: float) -> float:
        logit = {
            "responsiveness": responsiveness,
            "responsiveness_to_conflict": to_conflict,
            "resolve": 0.0,  # the other channel from the partner's last move (tests/test_asymmetry.py)
        }
        data = config(
            [state("A", "logit"), state("B", "logit")],
            [("A", "B")],
            actions=None,
            steps=300,
            seed=seed,
            perception={"noise": 0.1},
            policy_params={"logit": logit},
        )
        model = run(data)
        scores = scored_actions(model)
        fits = [fit_dyad(scores[:, e], scores[:, model.rev[e]]) for e in range(model.n_edges)]
        return float(np.mean([fit.reciprocity for fit in fits if fit is not None]))

    seeds = range(1, 13)
    default = np.array([reciprocity(seed, 0.3, 0.6) for seed in seeds])
    ablated = np.array([reciprocity(seed, 0.0, 0.0) for seed in seeds])
    # A run whose series settle (both cooperating throughout) cannot be fitted: leave its pair out.
    fitted = ~np.isnan(default) & ~np.isnan(ablated)
    assert fitted.sum() >= 8
    default, ablated = default[fitted], ablated[fitted]
    difference = default - ablated
    t = {8: 2.365, 9: 2.306, 10: 2.262, 11: 2.228, 12: 2.201}[len(difference)]  # t(0.975, pairs - 1)
    half_width = t * difference.std(ddof=1) / math.sqrt(len(difference))
    assert difference.mean() - half_width > 0.05
    assert default.mean() > 0.1 > ablated.mean()


# -- 8. Shared threats and the altered agenda -------------------------------------------------------


def test_altered_agenda_makes_cooperation_rise_with_the_shared_threat():
    """A logit state facing a holding partner at trust 0.4 (below the 0.5 cooperation threshold)."""
    levels = (0.0, 0.5, 1.0)

    def run_at(level, enabled):
        data = config(
            [state("A", "logit"), state("B")],
            [("A", "B")],
            actions=None,
            initial_trust={"default": 0.4},
            threats=[{"name": "climate", "level": level}],
            altered_agenda={"enabled": enabled, "gain": 1.0},
            steps=300,
        )
        model = run(data)
        steps = rows(model, "A", "B")["action"].astype(str)
        constructive = np.mean(np.array(kinds(model, "A", "B")) == 1)
        return constructive, np.mean(steps == "cooperate_on_shared_threat"), records(model)

    on = [run_at(level, True) for level in levels]
    off = [run_at(level, False) for level in levels]
    assert [frame["shared_threat"].iloc[0] for *_, frame in on] == list(levels)
    # roughly 0.29, 0.52, 0.81 constructive (300 draws each, sd <= 0.03; the holding partner's moves
    # raise the expected cooperation from trust 0.4 to 0.43, still below the threshold) ...
    cooperation = [share for share, *_ in on]
    assert all(b - a > 0.1 for a, b in pairwise(cooperation)), cooperation
    assert cooperation[0] < 0.35 and cooperation[-1] > 0.6
    # ... and joint work on the shared threat most of all: roughly 0.04, 0.15, 0.46
    shared_work = [work for _, work, _ in on]
    assert all(b - a > 0.08 for a, b in pairwise(shared_work)), shared_work
    # switched off, the threat changes nothing at all (same seed, same run)
    assert [share for share, *_ in off] == [cooperation[0]] * len(levels)
    assert [work for _, work, _ in off] == [shared_work[0]] * len(levels)
    for *_, frame in off[1:]:
        pd.testing.assert_series_equal(frame["share_constructive"], off[0][2]["share_constructive"])


def test_shared_threat_work_earns_the_agenda_bonus_on_top_of_the_higher_reward():
    def payoffs(step, enabled):
        data = config(
            [state("A", "dove", repertoire={"constructive": step}), state("B", "dove")],
            [("A", "B")],
            actions=None,
            threats=[{"name": "pandemics", "level": 0.8}],
            altered_agenda={"enabled": enabled, "gain": 1.5},
            steps=3,
        )
        model = run(data)
        return rows(model, "A", "B")["payoff"].to_numpy(), rows(model, "B", "A")["payoff"].to_numpy()

    # mutual restraint pays R = 3, + 1.5 * 0.8 on the agenda; a positive incentive adds B = 1 for
    # both, and shared-threat work another 1.5 * 0.8; each side pays its own step's cost.
    agenda = 1.5 * 0.8
    work_on, work_off = (
        payoffs("cooperate_on_shared_threat", True),
        payoffs("cooperate_on_shared_threat", False),
    )
    talk_on, talk_off = payoffs("open_dialogue", True), payoffs("open_dialogue", False)
    assert np.allclose(talk_off[0], 3.0 - 0.02, atol=EXACT)
    assert np.allclose(talk_on[0] - talk_off[0], agenda, atol=EXACT)
    assert np.allclose(work_off[0], 3.0 + 1.0 - 0.3, atol=EXACT)
    assert np.allclose(work_on[0] - work_off[0], 2 * agenda, atol=EXACT)
    assert np.allclose(work_on[1] - work_off[1], 2 * agenda, atol=EXACT)  # for both sides


def test_shared_threat_level_follows_its_time_profile():
    data = config(
        [state("A"), state("B")],
        [("A", "B")],
        threats=[
            {
                "name": "climate",
                "level": 0.2,
                "profile": {"kind": "linear", "start": 10, "end": 20, "to": 1.2},
            },
            {"name": "pandemic", "level": 0.5, "profile": {"kind": "step", "start": 15, "to": 0.0}},
        ],
        steps=25,
    )
    level = records(run(data))["shared_threat"]
    assert level.loc[10] == pytest.approx(0.7, abs=EXACT)
    assert level.loc[15] == pytest.approx(0.7, abs=EXACT)  # climate 0.7, pandemic gone
    assert level.loc[14] == pytest.approx(0.6 + 0.5, abs=EXACT)
    assert level.loc[25] == pytest.approx(1.2, abs=EXACT)


# -- 9. Interventions -------------------------------------------------------------------------------


def test_scheduled_action_overrides_the_policy_at_its_step():
    base = config(
        [state("A"), state("B")],
        [("A", "B")],
        actions=None,
        execution_noise=1.0,
        trust={"paralysis": 1.0},
        initial_trust={"default": 0.0},
        steps=8,
    )
    step = {"step": 4, "actor": "A", "target": "B", "action": "cap_forward_forces", "duration": 2}
    with_step = rows(run(merge(base, {"interventions": [step]})), "A", "B")["action"].astype(str)
    without = rows(run(base), "A", "B")["action"].astype(str)
    assert without.tolist() == ["hold"] * 8
    # not flipped by execution noise nor frozen by paralysis: a scheduled step happens as scheduled
    assert with_step.tolist() == ["hold"] * 3 + ["cap_forward_forces"] * 2 + ["hold"] * 3


def test_scheduled_policy_change_takes_effect_at_its_step():
    data = config(
        [state("A"), state("B")],
        [("A", "B")],
        interventions=[
            {"step": 5, "actor": "A", "policy": "dove"},
            {"step": 9, "actor": "A", "policy": "all_defect"},
        ],
        steps=12,
    )
    model = run(data)
    assert kinds(model, "A", "B") == [0] * 4 + [1] * 4 + [-1] * 4
    assert model.state("A").policy == "all_defect"


def test_intervention_runs_share_random_numbers_until_the_intervention():
    with_step = TrustModel(load_scenario("dyad"))
    without = TrustModel(load_scenario("dyad", ["interventions.0.enabled=false"]))
    for model in (with_step, without):
        model.run(40)
    a, b = records(with_step), records(without)
    pd.testing.assert_frame_equal(a.loc[:19], b.loc[:19])
    da, db = with_step.dyad_log.frame(with_step), without.dyad_log.frame(without)
    pd.testing.assert_frame_equal(da[da["step"] < 20], db[db["step"] < 20])
    assert not np.allclose(a.loc[20:, "mean_trust"], b.loc[20:, "mean_trust"])
    step20 = da[(da["step"] == 20) & (da["source"] == "RUS")]
    assert step20["action"].astype(str).tolist() == ["restore_diplomatic_facilities"]
    assert not np.allclose(da.loc[da["step"] >= 20, "trust"], db.loc[db["step"] >= 20, "trust"])
    # both runs drew exactly the same random numbers, whatever the intervention changed
    assert with_step.rng.bit_generator.state == without.rng.bit_generator.state
    again = TrustModel(load_scenario("dyad"))
    again.run(40)
    assert np.array_equal(again.trust, with_step.trust)
    removed = TrustModel(load_scenario("dyad", ["interventions=[]"]))
    removed.run(40)
    assert np.array_equal(removed.trust, without.trust)  # switched off is the same as absent


def test_intervention_leaves_an_unconnected_dyad_on_the_same_random_numbers():
    """Two separate logit dyads with perception noise: an intervention in one changes it from its step
    on, while the other, drawing the same random numbers, runs exactly as without it."""
    data = config(
        [state("A", "logit"), state("B", "logit"), state("C", "logit"), state("D", "logit")],
        [("A", "B"), ("C", "D")],
        actions=None,
        perception={"noise": 0.05},
        trust={"paralysis": 0.3},
        initial_trust={"default": 0.4},
        steps=40,
    )
    step = [{"step": 10, "actor": "A", "target": "B", "action": "cap_forward_forces", "duration": 5}]
    with_step, without = run(merge(data, {"interventions": step})), run(data)
    fa, fb = with_step.dyad_log.frame(with_step), without.dyad_log.frame(without)
    other = ["C", "D"]
    pd.testing.assert_frame_equal(fa[fa["source"].isin(other)], fb[fb["source"].isin(other)])
    pd.testing.assert_frame_equal(fa[fa["step"] < 10], fb[fb["step"] < 10])
    changed = fa[(fa["step"] >= 10) & (fa["source"] == "A")]["trust"].to_numpy()
    unchanged = fb[(fb["step"] >= 10) & (fb["source"] == "A")]["trust"].to_numpy()
    assert np.abs(changed - unchanged).max() > 0.05


# -- Attribution ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("dyad", ["steps=40"]),
        ("europe", ["steps=40", "record.attribution=true"]),
        ("europe", ["steps=40", "record.attribution=true", "trust.rule=bayesian"]),
        ("europe", ["steps=40", "record.attribution=true", "trust.negativity_bias=4"]),
    ],
    ids=["dyad", "europe", "europe-bayesian", "europe-strong-bias"],
)
def test_attribution_deltas_sum_to_each_trust_change(name, overrides):
    model = TrustModel(load_scenario(name, overrides))
    before, changes = model.trust.copy(), []
    for _ in range(model.config.steps):
        model.step()
        changes.append(model.trust - before)
        before = model.trust.copy()
    frame = model.attribution.frame(model)
    assert set(frame["mechanism"].astype(str)) >= {"direct"}
    observer = frame["observer"].cat.codes.to_numpy()
    subject = frame["subject"].cat.codes.to_numpy()
    attributed = np.zeros((len(changes), model.n, model.n))
    np.add.at(attributed, (frame["step"].to_numpy() - 1, observer, subject), frame["delta"].to_numpy())
    gap = np.abs(attributed - np.array(changes))
    worst = np.unravel_index(gap.argmax(), gap.shape)
    assert gap.max() < 1e-9, (
        f"step {worst[0] + 1}, {model.codes[worst[1]]} in {model.codes[worst[2]]}: attributed "
        f"{attributed[worst]:.6f}, trust changed {np.array(changes)[worst]:.6f}"
    )
