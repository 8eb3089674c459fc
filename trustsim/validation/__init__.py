"""Validation: the model against results known from the literature and from closed-form formulas.

Each check runs the full :class:`TrustModel` in a special case where the answer is known (SPEC item
10): the iterated Prisoner's Dilemma against the exact Markov chain of memory-one strategies
(``ipd``), Richardson's arms race against its equilibrium (``richardson``), the Bayesian rule
against Bayes' rule (``bayes``), alliance influence against DeGroot's consensus (``degroot``), GRIT
against Osgood's schedule (``grit``), the altered agenda (``threat``), and the mechanisms of trust
switched off one at a time (``mechanisms``). A check returns a :class:`CheckResult` (``records``);
tolerances come from standard errors (stochastic checks) or are numerical bounds (deterministic
ones). ``render`` writes the page.

``python -m trustsim.validation [--out docs/validation.md]`` runs them all and writes the page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from trustsim.validation.bayes import check_bayesian_costly_signal, check_bayesian_hostile_moves
from trustsim.validation.degroot import check_alliance_degroot
from trustsim.validation.grit import check_grit_against_stft, check_grit_sucker_bound
from trustsim.validation.ipd import (
    check_gtft_molander,
    check_ipd_echo_effect,
    check_ipd_markov,
    check_tft_against_stft,
    check_wsls_against_all_defect,
)
from trustsim.validation.mechanisms import (
    check_congealing_hysteresis,
    check_negativity_bias_symmetry,
    check_short_circuit_ablation,
)
from trustsim.validation.records import CheckResult, Comparison
from trustsim.validation.render import render
from trustsim.validation.richardson import (
    check_richardson_euler_step,
    check_richardson_stable,
    check_richardson_unstable,
)
from trustsim.validation.threat import check_shared_threat

CHECKS: tuple[Callable[..., CheckResult], ...] = (
    check_ipd_markov,
    check_ipd_echo_effect,
    check_gtft_molander,
    check_wsls_against_all_defect,
    check_tft_against_stft,
    check_richardson_stable,
    check_richardson_unstable,
    check_richardson_euler_step,
    check_bayesian_hostile_moves,
    check_bayesian_costly_signal,
    check_alliance_degroot,
    check_grit_against_stft,
    check_grit_sucker_bound,
    check_shared_threat,
    check_congealing_hysteresis,
    check_negativity_bias_symmetry,
    check_short_circuit_ablation,
)


def run_all(progress: Callable[[CheckResult], None] | None = None) -> list[CheckResult]:
    """Run every check at the documentation's sizes, timing each."""
    results = []
    for check in CHECKS:
        started = time.perf_counter()
        result = check()
        result = replace(result, seconds=time.perf_counter() - started)
        results.append(result)
        if progress is not None:
            progress(result)
    return results


__all__ = [
    "CHECKS",
    "CheckResult",
    "Comparison",
    "render",
    "run_all",
    *(check.__name__ for check in CHECKS),
]
