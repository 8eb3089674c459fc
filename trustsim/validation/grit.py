"""GRIT (Osgood 1962): converting suspicious tit for tat, and losses against all-defect bounded by
its own schedule.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from trustsim.execution.match import match_scenario, play, run_match
from trustsim.validation.ipd import ipd_payoffs
from trustsim.validation.records import EXACT, CheckResult, Comparison, result


def check_grit_against_stft(turns: int = 200) -> CheckResult:
    """GRIT's sustained initiative converts suspicious TFT; TFT only alternates with it."""
    grit = run_match("grit", "suspicious_tit_for_tat", turns, 0.0, 1)
    tft = run_match("tit_for_tat", "suspicious_tit_for_tat", turns + turns % 2, 0.0, 1)
    comparisons = [
        Comparison("GRIT's cooperation rate vs STFT", 0.95, grit.cooperation[0], 0.0, ">"),
        Comparison("STFT's cooperation rate vs GRIT", 0.95, grit.cooperation[1], 0.0, ">"),
        Comparison("TFT's cooperation rate vs STFT", 0.5, tft.cooperation[0], EXACT),
        Comparison("STFT's cooperation rate vs TFT", 0.5, tft.cooperation[1], EXACT),
    ]
    return result(
        "GRIT: a sustained initiative reaches mutual cooperation",
        "Osgood (1962), An Alternative to War or Surrender; Lindskold (1978)",
        f"classic_ipd (GRIT step size 1, persistence 5, pause 5), {turns} turns, noise 0.",
        "GRIT vs STFT: both cooperate > 0.95 of turns; TFT vs STFT: 0.5 each (alternation)",
        "strict bound 0.95; 1e-9 for the alternation",
        comparisons,
        "STFT's opening defection does not stop GRIT, which keeps its initiative for `persistence` "
        "rounds; STFT copies the next cooperation and both stay there. TFT copies the defection "
        "instead and the pair alternates for ever.",
    )


def grit_sucker_bound(
    T: float, R: float, P: float, S: float, persistence: int, pause: int, turns: int
) -> float:
    """Mean payoff floor of GRIT against ALLD: at most p sucker rounds per cycle of p + q rounds,
    so over n turns at most p ceil(n/(p+q)) of them: mean >= P - (P - S) p ceil(n/(p+q)) / n."""
    return P - (P - S) * persistence * math.ceil(turns / (persistence + pause)) / turns


def check_grit_sucker_bound(
    schedules: Sequence[tuple[int, int, int]] = ((5, 5, 200), (3, 7, 203), (8, 2, 97), (1, 0, 50)),
) -> CheckResult:
    """Against ALLD, GRIT's per-turn payoff never falls below the bound of its initiative schedule."""
    payoffs = ipd_payoffs()
    comparisons = []
    for persistence, pause, turns in schedules:
        scenario = match_scenario("grit", "all_defect", turns, 0.0).model_copy(deep=True)
        scenario.policy_params.grit.persistence = persistence
        scenario.policy_params.grit.pause = pause
        payoff, _ = play(scenario, np.random.SeedSequence(0))
        bound = grit_sucker_bound(*payoffs, persistence, pause, turns)
        comparisons.append(
            Comparison(f"p={persistence}, q={pause}, n={turns}: GRIT payoff", bound, payoff[0], EXACT, ">=")
        )
    return result(
        "GRIT: bounded losses against always-defect",
        "Osgood (1962); the GRIT policy's documented cycle (trustsim/model/policies.py)",
        "classic_ipd, GRIT vs ALLD, noise 0, for (persistence p, pause q, turns n) in "
        f"{', '.join(str(s) for s in schedules)}.",
        "mean payoff >= P - (P - S) p ceil(n/(p+q)) / n",
        "1e-9 (deterministic)",
        comparisons,
        "The bound: an initiative lasts at most p rounds before GRIT answers in kind for q rounds, "
        "so each cycle of p + q rounds holds at most p sucker's payoffs S and the rest are "
        "mutual defection P. Over n turns at most ceil(n/(p+q)) cycles begin, hence at most "
        "p ceil(n/(p+q)) sucker rounds and a mean payoff of at least P - (P - S) p ceil(n/(p+q)) / n. "
        "With q = 0 the bound is S: GRIT without a pause is a dove.",
    )
