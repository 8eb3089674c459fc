"""The validation checks of trustsim.validation (SPEC item 10), at sizes a test run can afford.

Each test runs one check and asserts that the model meets it; tolerances are the checks' own
(standard errors for stochastic checks, rounding or a stated bound for deterministic ones). The
full-size run is ``python -m trustsim.validation``, which writes docs/validation.md; the last test
fails when that page is stale.
"""

from __future__ import annotations

import re
from pathlib import Path

from trustsim import validation
from trustsim.validation import CheckResult
from trustsim.validation.render import check_section, summary_row


def assert_passes(result: CheckResult) -> None:
    assert result.passed, (
        f"{result.name}\n  expected: {result.expected}\n  measured: {result.measured}\n"
        f"  tolerance: {result.tolerance}\n  setup: {result.setup}\n{result.failures()}"
    )


def test_ipd_payoffs_match_the_markov_chain_of_memory_one_strategies():
    assert_passes(validation.check_ipd_markov(turns=20, repetitions=50))


def test_noisy_tit_for_tat_echoes_down_to_the_mean_of_the_four_payoffs():
    assert_passes(validation.check_ipd_echo_effect(turns=300, repetitions=30, noise=0.1))


def test_generous_tit_for_tat_forgives_at_molanders_rate():
    assert_passes(validation.check_gtft_molander(turns=80, repetitions=40))


def test_win_stay_lose_shift_earns_half_of_s_plus_p_against_all_defect():
    assert_passes(validation.check_wsls_against_all_defect(turns=40))


def test_tit_for_tat_and_suspicious_tit_for_tat_alternate():
    assert_passes(validation.check_tft_against_stft(turns=40))


def test_richardson_postures_converge_to_the_equilibrium_when_ab_exceeds_kl():
    assert_passes(validation.check_richardson_stable())


def test_richardson_postures_run_away_or_collapse_when_kl_exceeds_ab():
    assert_passes(validation.check_richardson_unstable())


def test_richardson_posture_step_is_the_euler_step():
    assert_passes(validation.check_richardson_euler_step())


def test_bayesian_belief_follows_bayes_rule_on_perceived_escalation():
    assert_passes(validation.check_bayesian_hostile_moves())


def test_bayesian_costly_signal_moves_belief_more_than_a_cheap_one():
    assert_passes(validation.check_bayesian_costly_signal())


def test_alliance_influence_reaches_the_degroot_consensus():
    assert_passes(validation.check_alliance_degroot())


def test_grit_converts_suspicious_tit_for_tat_where_tit_for_tat_alternates():
    assert_passes(validation.check_grit_against_stft())


def test_grit_losses_against_all_defect_stay_within_its_schedule_bound():
    assert_passes(validation.check_grit_sucker_bound())


def test_shared_threat_raises_cooperation_only_with_the_altered_agenda():
    assert_passes(validation.check_shared_threat(seeds=30, steps=40))


def test_congealing_is_what_makes_the_way_back_up_path_dependent():
    assert_passes(validation.check_congealing_hysteresis())


def test_negativity_bias_one_makes_gain_and_loss_symmetric():
    assert_passes(validation.check_negativity_bias_symmetry())


def test_without_short_circuiting_a_distrusted_states_step_counts_fully():
    assert_passes(validation.check_short_circuit_ablation())


def test_validation_page_names_every_check_and_says_it_is_generated():
    results = [validation.check_richardson_euler_step(), validation.check_bayesian_hostile_moves()]
    page = validation.render(results)
    assert "python -m trustsim.validation" in page
    assert "must not be edited by hand" in page
    for result in results:
        assert result.name in page


# -- docs/validation.md is current ------------------------------------------------------------------

PAGE = Path(__file__).resolve().parents[1] / "docs" / "validation.md"
# Run at the page's own sizes these take minutes (about 2.5 min together on the 2-core development
# machine), so the staleness test reruns only the others; their rows and sections must match.
SLOW_AT_FULL_SIZE = {
    "check_ipd_markov",
    "check_ipd_echo_effect",
    "check_gtft_molander",
    "check_shared_threat",
}
ROUNDING = re.compile(r"-?\d(?:\.\d+)?e-(?:1[3-9]|[2-9]\d)")  # a difference of 1e-13 or less


def _comparable(text: str) -> str:
    """Differences at rounding level vary with the BLAS build and thread count: not compared."""
    return ROUNDING.sub("~0", text)


def test_the_validation_page_is_what_the_generator_writes():
    """Regenerate with ``python -m trustsim.validation --out docs/validation.md`` when this fails."""
    page = _comparable(PAGE.read_text())
    intro = validation.render([]).split("**0 of 0 checks pass.**")[0]
    assert page.startswith(intro)
    assert f"**{len(validation.CHECKS)} of {len(validation.CHECKS)} checks pass.**" in page
    assert page.count('<a id="check-') == len(validation.CHECKS)
    for number, check in enumerate(validation.CHECKS, 1):
        if check.__name__ in SLOW_AT_FULL_SIZE:
            continue
        result = check()
        assert _comparable(summary_row(number, result)) in page, f"{result.name}: summary row is stale"
        section = "\n".join(check_section(number, result))
        assert _comparable(section) in page, f"{result.name}: section is stale"
