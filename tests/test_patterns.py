"""Event-data patterns (Ward 1982; Goldstein & Freeman 1990) in the model's dyadic action series,
and the ``trustsim patterns`` command that writes docs/patterns.md (issue 13).

The VAR fitting is checked first on synthetic series with known coefficients, then on real runs of
the shipped scenarios at small size (a few replications), each with the tolerance it states.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from support import show
from typer.testing import CliRunner

from trustsim.cli import app
from trustsim.config.loading import load_scenario
from trustsim.model.model import TrustModel
from trustsim.patterns import fit_dyad, interval, patterns, run_fits, scored_actions
from trustsim.patterns.report import _copiers


def simulate_var(inertia: float, reciprocity: float, steps: int = 4000, seed: int = 0) -> np.ndarray:
    """Two series, each x_t = inertia * x_{t-1} + reciprocity * y_{t-1} + noise."""
    rng = np.random.default_rng(seed)
    series = np.zeros((steps, 2))
    for t in range(1, steps):
        own, partner = series[t - 1]
        series[t] = [
            inertia * own + reciprocity * partner + rng.normal(0, 0.3),
            inertia * partner + reciprocity * own + rng.normal(0, 0.3),
        ]
    return series


def test_fit_recovers_known_inertia_and_reciprocity():
    series = simulate_var(inertia=0.5, reciprocity=0.3)
    fit = fit_dyad(series[:, 0], series[:, 1])
    assert fit is not None
    assert fit.inertia == pytest.approx(0.5, abs=0.05)
    assert fit.reciprocity == pytest.approx(0.3, abs=0.05)


def test_fit_separates_the_response_to_conflict_from_that_to_cooperation():
    """own_t = 0.2 * max(y, 0)_{t-1} + 0.7 * min(y, 0)_{t-1} + noise: the split recovers both."""
    rng = np.random.default_rng(1)
    partner = rng.normal(0, 0.5, 4000)
    own = np.zeros_like(partner)
    own[1:] = 0.2 * np.maximum(partner[:-1], 0) + 0.7 * np.minimum(partner[:-1], 0) + rng.normal(0, 0.1, 3999)
    fit = fit_dyad(own, partner)
    assert fit is not None
    assert fit.to_cooperation == pytest.approx(0.2, abs=0.05)
    assert fit.to_conflict == pytest.approx(0.7, abs=0.05)


def test_the_fit_takes_the_partners_parts_summed_over_windows():
    """analysis/event_data_windows.py hands the fit the window sums of each step's parts (a window's
    cooperation and conflict both count); with no parts given they are max(y, 0) and min(y, 0)."""
    rng = np.random.default_rng(3)
    partner = rng.normal(0, 0.5, 4000)
    own = np.zeros_like(partner)
    own[1:] = 0.2 * np.maximum(partner[:-1], 0) + 0.7 * np.minimum(partner[:-1], 0) + rng.normal(0, 0.1, 3999)
    default = fit_dyad(own, partner)
    assert fit_dyad(own, partner, np.maximum(partner, 0.0), np.minimum(partner, 0.0)) == default
    windows = own.reshape(-1, 4).sum(axis=1), partner.reshape(-1, 4).sum(axis=1)
    parts = (
        np.maximum(partner, 0.0).reshape(-1, 4).sum(axis=1),
        np.minimum(partner, 0.0).reshape(-1, 4).sum(axis=1),
    )
    summed = fit_dyad(*windows, *parts)
    assert summed is not None and summed != fit_dyad(*windows)  # the net sum's split is another fit
    swapped = fit_dyad(*windows, parts[1], parts[0])
    assert swapped.to_cooperation == pytest.approx(summed.to_conflict, abs=1e-9)


def test_a_series_that_never_varies_is_not_fitted():
    varying = np.random.default_rng(2).normal(size=50)
    assert fit_dyad(np.full(50, 0.4), varying) is None
    assert fit_dyad(varying, np.abs(varying)) is None  # a partner that never escalates: no conflict part


def test_actions_are_scored_by_their_catalog_goldstein_weight():
    scenario = load_scenario("dyad", ["steps=25"])
    model = TrustModel(scenario)
    model.run()
    scores = scored_actions(model)
    assert scores.shape == (25, model.n_edges)
    np.testing.assert_array_equal(scores[-1], model.catalog.other_view[model.last.actions])
    # RUS restores diplomatic facilities toward the USA at steps 20-22: CAMEO 05, Goldstein +3.5
    rus_to_usa = np.flatnonzero(
        (model.src == model.codes.index("RUS")) & (model.dst == model.codes.index("USA"))
    )
    assert scores[19:22, rus_to_usa[0]].tolist() == [0.35, 0.35, 0.35]


@pytest.fixture(scope="module")
def europe():
    return patterns(load_scenario("europe"), replications=4)


def test_europe_shows_inertia_and_reciprocity(europe):
    """Both intervals clear of zero; reciprocity at least 0.1 (it is about 0.3)."""
    assert europe.dyads == 72
    assert europe.fitted > 0.3
    assert europe.inertia[1] > 0
    assert europe.reciprocity[1] > 0
    assert europe.reciprocity[0] > 0.1
    assert europe.shows["inertia"] and europe.shows["reciprocity"]


def test_reciprocity_comes_from_the_policies_that_read_the_partner(europe):
    """tit-for-tat copies the partner's last move; logit answers it through its expectation and,
    after an escalation, its resolve: less closely (about half as much; under two thirds here)."""
    tit_for_tat = europe.by_policy["tit_for_tat"][1]
    logit = europe.by_policy["logit"][1]
    assert tit_for_tat[1] > 0.5
    assert logit[1] < tit_for_tat[1] * 2 / 3


def test_the_report_says_how_many_fitted_dyads_copy_their_partner(europe):
    """docs/patterns.md's inertia point: the share of fitted dyads on tit-for-tat or generous
    tit-for-tat (pooled over replications) and their pooled coefficients, which copy the partner by
    construction: inertia about zero (within 0.05; +0.001 over 30 seeds), reciprocity above 0.5."""
    copiers = ("tit_for_tat", "generous_tit_for_tat")
    assert set(copiers) <= set(europe.by_policy)
    counts = {policy: europe.by_policy[policy][0] for policy in copiers}
    share = sum(counts.values()) / sum(count for count, _ in europe.by_policy.values())
    sentence = _copiers([europe])
    assert f"act in {share:.0%} of `europe`'s (inertia" in sentence
    assert 0.2 < share < 0.8
    inertia, reciprocity = map(float, re.search(r"\(inertia (\S+), reciprocity (\S+)\)", sentence).groups())
    assert abs(inertia) < 0.05 and reciprocity > 0.5


def test_reciprocity_vanishes_when_no_state_reads_its_partner(europe):
    """Ablation: every state on logit reading nothing of its partner's last move (responsiveness 0,
    resolve 0)
    and trust fixed (no learning, no third parties, no allies), so no choice depends on what the
    partner did but through its posture: the partner's lag explains
    next to nothing (within 0.1, the small-sample bias of 100-step series; under a quarter of the
    full model's reciprocity)."""
    ablated = load_scenario(
        "europe",
        [
            "default_policy=logit",
            *[f"states.{i}.policy=logit" for i in range(13)],
            "trust.learning_rate=0",
            "policy_params.logit.responsiveness=0",
            "policy_params.logit.responsiveness_to_conflict=0",
            "policy_params.logit.resolve=0",
            "propagation.observation_weight=0",
            "propagation.alliance_weight=0",
            "steps=100",
        ],
    )
    result = patterns(ablated, replications=4)
    assert abs(result.reciprocity[0]) < 0.1
    assert abs(result.reciprocity[0]) < europe.reciprocity[0] / 4


def test_the_asymmetry_depends_on_the_policy():
    """docs/patterns.md: reciprocity policies answer cooperation more than conflict (the event data's
    asymmetry reversed); GRIT, whose initiatives ignore the partner while it retaliates in
    proportion, answers conflict relatively more (more than cooperation over 30 seeds; 10 seeds
    here: with 3 the pooled GRIT fits are too few to separate the two). Tit-for-tat's reversal is
    +0.082 over 30 seeds (+0.068 with routine 0: its partners' persisting steps narrow it), +0.041
    over these 10; GRIT's conflict less cooperation +0.127 and +0.131."""
    result = patterns(load_scenario("random_network"), replications=10)
    _, _, grit_cooperation, grit_conflict = result.by_policy["grit"][1]
    _, _, tft_cooperation, tft_conflict = result.by_policy["tit_for_tat"][1]
    assert tft_cooperation > tft_conflict + 0.02
    assert grit_conflict - grit_cooperation > tft_conflict - tft_cooperation + 0.05


def mean_inertia(scenario, seed: int) -> float:
    fits, _ = run_fits(scenario, seed)
    return float(np.mean([fit.inertia for _, fit in fits]))


def test_keeping_course_makes_a_states_steps_persist():
    """``trust.paralysis_keeps_course``: low trust also holds a state to its last kind of step, so
    its own last step predicts its next more (the VAR's inertia rises; europe, paired on seeds 0-7,
    120 steps: +0.106 [+0.096, +0.115], asserted above +0.04 at the interval's lower end;
    ``pytest -s`` prints it).
    Ablation: with paralysis 0 the option changes no step at all."""
    settings = ["steps=120", "record.dyads=true"]
    course = ["trust.paralysis_keeps_course=true"]
    off, on = load_scenario("europe", settings), load_scenario("europe", [*settings, *course])
    gains = [mean_inertia(on, seed) - mean_inertia(off, seed) for seed in range(8)]
    show("europe's inertia, keeping course less not", np.array(gains))
    assert interval(np.array(gains))[1] > 0.04, gains
    still = ["trust.paralysis=0", "steps=40"]
    plain = TrustModel(load_scenario("europe", still))
    keeping = TrustModel(load_scenario("europe", [*still, *course]))
    for _ in range(40):
        plain.step()
        keeping.step()
        np.testing.assert_array_equal(plain.last.actions, keeping.last.actions)


def test_routine_makes_a_logit_states_steps_persist():
    """``policy_params.logit.routine``: a `logit` state's step of the kind of its last is that same
    step again with probability routine, so its scored series persists: the VAR's inertia of
    europe's `logit` dyads rises (routine 0.8 against 0, paired on seeds 0-5: +0.221 [+0.166,
    +0.275], asserted above +0.1 at the interval's lower end; ``pytest -s`` prints it). At
    routine 1, every `logit` step of the kind of the actor's last step (not scheduled) is that last
    step, at every step of a europe run; at routine 0 (the ablation) many are not."""

    def logit_inertia(scenario, seed: int) -> float:
        fits, _ = run_fits(scenario, seed)
        return float(np.mean([fit.inertia for policy, fit in fits if policy == "logit"]))

    off = load_scenario("europe", ["steps=100", "policy_params.logit.routine=0"])
    on = load_scenario("europe", ["steps=100", "policy_params.logit.routine=0.8"])
    gains = [logit_inertia(on, seed) - logit_inertia(off, seed) for seed in range(6)]
    show("europe's logit inertia, routine 0.8 less 0", np.array(gains))
    assert interval(np.array(gains))[1] > 0.1, gains
    assert routine_breaches("policy_params.logit.routine=1") == 0
    assert routine_breaches("policy_params.logit.routine=0") > 100


def routine_breaches(setting: str) -> int:
    """In a europe run of 40 steps without scheduled steps: how many `logit` steps were of the kind of
    the actor's last step toward the partner but another step (europe has no execution noise, and
    paralysis only turns initiatives into holding, of which the catalog has one step)."""
    model = TrustModel(load_scenario("europe", ["steps=40", "interventions=[]", setting]))
    assert model.config.execution_noise == 0
    logit = np.array([model.states[i].policy == "logit" for i in model.src])
    kind, breaches = model.catalog.kind, 0
    for _ in range(40):
        last = model.last_action.copy()
        model.step()
        actions = model.last.actions
        same = logit & (last >= 0) & (kind[actions] == kind[np.maximum(last, 0)])
        breaches += int(np.count_nonzero(same & (actions != last)))
    return breaches


def test_patterns_command_writes_the_report_and_its_figures(tmp_path):
    out = tmp_path / "patterns.md"
    result = CliRunner().invoke(app, ["patterns", "--replications", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "documented windows reproduced" in result.output
    text = out.read_text()
    for heading in (
        "## Historical episodes",
        "## Patterns of event data",
        "## What the model cannot reproduce",
    ):
        assert heading in text
    for name in ("kennedy_1962", "gorbachev_1985", "ukraine_2014"):
        figure = tmp_path / "figures" / f"patterns-{name}.png"
        assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"(figures/patterns-{name}.png)" in text
    assert "| europe | 72 |" in text


def test_patterns_command_refuses_a_missing_folder(tmp_path):
    result = CliRunner().invoke(app, ["patterns", "--out", str(tmp_path / "nowhere" / "patterns.md")])
    assert result.exit_code == 2
    assert "is not a folder" in result.output
