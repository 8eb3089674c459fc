"""The iterated Prisoner's Dilemma against the exact Markov chain of memory-one strategies (Nowak &
Sigmund 1990, 1993; Axelrod 1984; Bendor, Kramer & Stout 1991): the oracle and its five checks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from trustsim.config.loading import load_scenario
from trustsim.execution.match import MatchResult, run_match
from trustsim.validation.records import EXACT, Z_EQUAL, CheckResult, Comparison, result, stochastic


def molander_generosity(T: float, R: float, P: float, S: float) -> float:
    """Molander (1985): the largest forgiveness that pays neither a defector nor an alternator."""
    return min(1 - (T - R) / (R - S), (R - P) / (T - P))


def memory_one(policy: str, payoffs: Sequence[float]) -> tuple[float, np.ndarray]:
    """A classic strategy as (p0; pCC, pCD, pDC, pDD): probability of cooperating first and after
    each outcome (own move, other's move) of the previous round (Nowak & Sigmund 1990)."""
    g = molander_generosity(*payoffs)
    table = {
        "all_cooperate": (1.0, (1, 1, 1, 1)),
        "all_defect": (0.0, (0, 0, 0, 0)),
        "tit_for_tat": (1.0, (1, 0, 1, 0)),
        "suspicious_tit_for_tat": (0.0, (1, 0, 1, 0)),
        "generous_tit_for_tat": (1.0, (1, g, 1, g)),
        "win_stay_lose_shift": (1.0, (1, 0, 0, 1)),
    }
    first, after = table[policy]
    return first, np.array(after, dtype=float)


def _noisy(p: float | np.ndarray, noise: float) -> float | np.ndarray:
    """Execution noise flips the intended move: cooperation with p(1-e) + (1-p)e."""
    return p * (1 - noise) + (1 - p) * noise


def markov_chain(
    policy_a: str, policy_b: str, noise: float, payoffs: Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    """First-round distribution and transition matrix over outcomes (CC, CD, DC, DD) seen by A."""
    a0, a = memory_one(policy_a, payoffs)
    b0, b = memory_one(policy_b, payoffs)
    p0, q0 = _noisy(a0, noise), _noisy(b0, noise)
    p = _noisy(a, noise)
    q = _noisy(b[[0, 2, 1, 3]], noise)  # B sees A's CD as its own DC, and A's DC as its CD
    start = np.array([p0 * q0, p0 * (1 - q0), (1 - p0) * q0, (1 - p0) * (1 - q0)])
    matrix = np.column_stack([p * q, p * (1 - q), (1 - p) * q, (1 - p) * (1 - q)])
    return start, matrix


def _payoff_vectors(payoffs: Sequence[float]) -> np.ndarray:
    T, R, P, S = payoffs
    return np.array([[R, S, T, P], [R, T, S, P]], dtype=float)  # rows: A, B over CC, CD, DC, DD


def payoff_moments(
    policy_a: str, policy_b: str, turns: int, noise: float, payoffs: Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean and standard deviation of each player's mean payoff per turn in one match.

    With v_t the outcome distribution of round t and r the payoff vector, E[sum r] = sum_t v_t r
    and E[(sum r)^2] = sum_s v_s (r * r + 2 r * sum_{j=1}^{n-1-s} M^j r).
    """
    start, matrix = markov_chain(policy_a, policy_b, noise, payoffs)
    rounds = [start]
    for _ in range(turns - 1):
        rounds.append(rounds[-1] @ matrix)
    occupancy = np.array(rounds)  # (turns, 4)
    mean, sd = np.zeros(2), np.zeros(2)
    for player, r in enumerate(_payoff_vectors(payoffs)):
        ahead = np.zeros((turns, 4))  # ahead[m] = sum_{j=1}^{m} M^j r
        for m in range(1, turns):
            ahead[m] = matrix @ (r + ahead[m - 1])
        total = occupancy.sum(axis=0) @ r
        second = sum(occupancy[s] @ (r * r + 2 * r * ahead[turns - 1 - s]) for s in range(turns))
        mean[player] = total / turns
        sd[player] = math.sqrt(max(0.0, second - total**2)) / turns
    return mean, sd


def expected_payoffs(
    policy_a: str, policy_b: str, turns: int, noise: float, payoffs: Sequence[float]
) -> np.ndarray:
    """Exact expected mean payoff per turn of A and B over ``turns`` rounds."""
    return payoff_moments(policy_a, policy_b, turns, noise, payoffs)[0]


def stationary_payoffs(policy_a: str, policy_b: str, noise: float, payoffs: Sequence[float]) -> np.ndarray:
    """Long-run payoff per turn: the chain's stationary distribution (unique when noise > 0)."""
    _, matrix = markov_chain(policy_a, policy_b, noise, payoffs)
    values, vectors = np.linalg.eig(matrix.T)
    pi = np.real(vectors[:, np.argmin(np.abs(values - 1))])
    return _payoff_vectors(payoffs) @ (pi / pi.sum())


def ipd_payoffs() -> tuple[float, float, float, float]:
    p = load_scenario("classic_ipd").payoffs
    return (p.T, p.R, p.P, p.S)


IPD_SOURCE = "Nowak & Sigmund (1990, 1993); Axelrod (1984); Bendor, Kramer & Stout (1991)"
PAIRINGS = (
    ("all_cooperate", "all_defect"),
    ("tit_for_tat", "tit_for_tat"),
    ("tit_for_tat", "suspicious_tit_for_tat"),
    ("tit_for_tat", "all_defect"),
    ("generous_tit_for_tat", "generous_tit_for_tat"),
    ("generous_tit_for_tat", "all_defect"),
    ("win_stay_lose_shift", "win_stay_lose_shift"),
    ("win_stay_lose_shift", "tit_for_tat"),
    ("win_stay_lose_shift", "suspicious_tit_for_tat"),
)


def _short(policy: str) -> str:
    return {
        "all_cooperate": "ALLC",
        "all_defect": "ALLD",
        "tit_for_tat": "TFT",
        "suspicious_tit_for_tat": "STFT",
        "generous_tit_for_tat": "GTFT",
        "win_stay_lose_shift": "WSLS",
        "grit": "GRIT",
    }.get(policy, policy)


def _payoff_comparisons(
    label: str,
    policy_a: str,
    policy_b: str,
    turns: int,
    noise: float,
    repetitions: int,
    seed: int,
    payoffs: Sequence[float],
) -> tuple[list[Comparison], MatchResult]:
    """``run_match``'s mean payoffs against the chain's exact expectation, within Z_EQUAL exact
    standard errors (sd / sqrt(repetitions), sd from :func:`payoff_moments`); and the match."""
    mean, sd = payoff_moments(policy_a, policy_b, turns, noise, payoffs)
    repetitions = repetitions if np.any(sd > EXACT) else 1  # a deterministic match needs one run
    match = run_match(policy_a, policy_b, turns, noise, repetitions, seed, payoffs)
    comparisons = [
        stochastic(
            f"{label}: player {'AB'[p]}", mean[p], match.mean_payoff[p], sd[p] / math.sqrt(repetitions)
        )
        for p in (0, 1)
    ]
    return comparisons, match


def check_ipd_markov(
    turns: int = 100,
    repetitions: int = 100,
    noise_levels: Sequence[float] = (0.0, 0.01, 0.05, 0.1),
    pairings: Sequence[tuple[str, str]] = PAIRINGS,
    seed: int = 1,
) -> CheckResult:
    """Mean payoff per turn of ``run_match`` against the exact finite-horizon Markov expectation."""
    payoffs = ipd_payoffs()
    comparisons = []
    for i, noise in enumerate(noise_levels):
        for j, (a, b) in enumerate(pairings):
            label = f"{_short(a)} vs {_short(b)}, e={noise:g}"
            match_seed = 1000 * seed + len(pairings) * i + j  # independent streams per match
            comparisons += _payoff_comparisons(label, a, b, turns, noise, repetitions, match_seed, payoffs)[0]
    g = molander_generosity(*payoffs)
    return result(
        "IPD: payoffs = Markov chain of memory-one strategies",
        IPD_SOURCE,
        f"`run_match` on configs/classic_ipd.yaml (T, R, P, S = {payoffs}), {turns} turns, "
        f"{repetitions} repetitions (1 for a deterministic match), noise e in "
        f"{', '.join(f'{e:g}' for e in noise_levels)}; {len(pairings)} pairings.",
        "Exact expected mean payoff per turn over the horizon, from the 4-state chain",
        f"{Z_EQUAL:g} exact standard errors of the mean (1e-9 when deterministic)",
        comparisons,
        "Strategies as (p0; pCC, pCD, pDC, pDD), the probabilities of cooperating first and after "
        "each (own, other) outcome: ALLC (1; 1,1,1,1), ALLD (0; 0,0,0,0), TFT (1; 1,0,1,0), "
        f"STFT (0; 1,0,1,0), GTFT (1; 1,g,1,g) with Molander's g = {g:.6g}, WSLS (1; 1,0,0,1). "
        "Noise e turns each p into p(1-e) + (1-p)e, the first move included. The expectation is "
        "the mean over t = 1..n of the outcome distribution v_t = v_1 M^(t-1) dotted with the "
        "payoffs, computed in code from these probabilities. The standard error is exact too: "
        "the variance of a match's mean payoff follows from the same chain (see "
        "`payoff_moments`), so the tolerance does not rest on a sample estimate, which at low "
        "noise and short horizons (most matches without a single flip) is badly skewed. Each "
        "match has its own seed, so the comparisons are independent.",
    )


def check_ipd_echo_effect(
    turns: int = 1000, repetitions: int = 50, noise: float = 0.05, seed: int = 2
) -> CheckResult:
    """Noisy tit-for-tat echoes defections: the long-run payoff falls from R to (T+R+P+S)/4."""
    payoffs = ipd_payoffs()
    T, R, P, S = payoffs
    quarter = (T + R + P + S) / 4
    stationary = stationary_payoffs("tit_for_tat", "tit_for_tat", noise, payoffs)
    horizon, sd = payoff_moments("tit_for_tat", "tit_for_tat", turns, noise, payoffs)
    stderr = sd / math.sqrt(repetitions)
    match = run_match("tit_for_tat", "tit_for_tat", turns, noise, repetitions, seed, payoffs)
    clean = run_match("tit_for_tat", "tit_for_tat", turns, 0.0, 1, seed, payoffs)
    comparisons = [Comparison("noise-free TFT vs TFT (model)", R, clean.mean_payoff[0], EXACT)]
    for player in (0, 1):
        name = "A" if player == 0 else "B"
        comparisons += [
            Comparison(f"stationary Markov value, player {name}", quarter, stationary[player], EXACT),
            stochastic(
                f"model over {turns} turns vs finite-horizon Markov, player {name}",
                horizon[player],
                match.mean_payoff[player],
                stderr[player],
            ),
            Comparison(
                f"model over {turns} turns vs (T+R+P+S)/4, player {name}",
                quarter,
                match.mean_payoff[player],
                Z_EQUAL * stderr[player] + abs(horizon[player] - quarter),
            ),
        ]
    return result(
        "IPD: echo effect of noisy tit-for-tat",
        "Molander (1985); Bendor, Kramer & Stout (1991); Axelrod (1984)",
        f"TFT vs TFT on classic_ipd, noise e = {noise:g}, {turns} turns, {repetitions} repetitions.",
        f"(T+R+P+S)/4 = {quarter:g} in the long run (R = {R:g} without noise)",
        f"1e-9 (Markov, noise-free); {Z_EQUAL:g} exact SE, plus the finite-horizon bias vs the limit",
        comparisons,
        "Under noise, two TFT players echo each defection back and forth; the chain of noisy TFT "
        "against itself is doubly stochastic, so its stationary distribution is uniform over CC, "
        "CD, DC, DD and each player gets (T+R+P+S)/4. Against the limit the tolerance adds the "
        "computed distance between the finite-horizon expectation and the stationary value.",
    )


def check_gtft_molander(turns: int = 200, repetitions: int = 100, seed: int = 3) -> CheckResult:
    """GTFT forgives with Molander's probability, and a defector cannot beat R against it."""
    comparisons = []
    rows = []
    for payoffs in (ipd_payoffs(), (5.0, 4.0, 2.0, 0.0)):
        R = payoffs[1]
        g = molander_generosity(*payoffs)
        rows.append(f"at (T, R, P, S) = {payoffs}, g = {g:.6g}")
        label = f"{payoffs}: GTFT vs ALLD"
        gtft, alld = "generous_tit_for_tat", "all_defect"
        played, match = _payoff_comparisons(label, gtft, alld, turns, 0.0, repetitions, seed, payoffs)
        # GTFT cooperates first, then each round independently with probability g.
        rate = (1 + (turns - 1) * g) / turns
        rate_se = math.sqrt((turns - 1) * g * (1 - g) / repetitions) / turns
        long_run = stationary_payoffs("generous_tit_for_tat", "all_defect", 0.0, payoffs)
        comparisons += [
            stochastic(f"{payoffs}: GTFT cooperation rate vs ALLD", rate, match.cooperation[0], rate_se),
            *played,
            Comparison(f"{payoffs}: ALLD long-run payoff vs GTFT (Markov) <= R", R, long_run[1], EXACT, "<="),
        ]
    comparisons += _payoff_comparisons(
        "(5.0, 3.0, 1.0, 0.0): GTFT vs GTFT at e=0.05",
        "generous_tit_for_tat",
        "generous_tit_for_tat",
        turns,
        0.05,
        repetitions,
        seed + 1,
        ipd_payoffs(),
    )[0]
    return result(
        "IPD: generous tit-for-tat at Molander's generosity",
        "Molander (1985); Nowak & Sigmund (1992)",
        f"classic_ipd, {turns} turns, {repetitions} repetitions, GTFT with its default generosity "
        f"{'; '.join(rows)}.",
        "Cooperation rate (1 + (n-1) g)/n against ALLD; payoffs = Markov chain; ALLD gains <= R",
        f"{Z_EQUAL:g} exact SE (binomial for the rate, Markov for payoffs); 1e-9 for the Markov bound",
        comparisons,
        "g = min(1 - (T-R)/(R-S), (R-P)/(T-P)), computed here independently of the policy. At "
        "(5, 3, 1, 0) the first term binds (g = 1/3); at (5, 4, 2, 0) the second one does (g = 2/3) "
        "and an unconditional defector's long-run payoff g T + (1-g) P equals R exactly: "
        "generosity is as large as it can be without paying a defector. The model's GTFT must "
        "forgive at exactly this rate (binomial standard error sqrt((n-1) g (1-g) / reps) / n).",
    )


def _noise_free_match(
    name: str,
    source: str,
    policies: tuple[str, str],
    turns: int,
    payoff: tuple[float, float],
    cooperation: tuple[float | None, float | None],
    expected: str,
    notes: str,
) -> CheckResult:
    """One noise-free match over an even number of turns (a deterministic cycle of two rounds closes):
    each player's payoff per turn and cooperation rate (None: not compared) against its exact value."""
    even = turns + turns % 2
    match = run_match(*policies, even, 0.0, 1)
    names = [_short(policy) for policy in policies]
    comparisons = [
        Comparison(f"{names[p]} payoff per turn", payoff[p], match.mean_payoff[p], EXACT) for p in (0, 1)
    ] + [
        Comparison(f"{names[p]} cooperation rate", rate, match.cooperation[p], EXACT)
        for p, rate in enumerate(cooperation)
        if rate is not None
    ]
    setup = f"classic_ipd, {names[0]} vs {names[1]}, {even} turns (even), noise 0."
    return result(name, source, setup, expected, "1e-9 (deterministic)", comparisons, notes)


def check_wsls_against_all_defect(turns: int = 200) -> CheckResult:
    """Win-stay-lose-shift alternates against ALLD: (S+P)/2 per turn for it, (T+P)/2 for ALLD."""
    T, _, P, S = ipd_payoffs()
    return _noise_free_match(
        "IPD: win-stay-lose-shift against always-defect",
        "Nowak & Sigmund (1993); Kraines & Kraines (1989)",
        ("win_stay_lose_shift", "all_defect"),
        turns,
        ((S + P) / 2, (T + P) / 2),
        (0.5, None),
        f"(S+P)/2 = {(S + P) / 2:g} per turn for WSLS",
        "WSLS cooperates, is exploited (S), shifts to defection (P), loses again and shifts back: "
        "it alternates C, D against ALLD, so over an even number of turns it earns (S+P)/2 per turn "
        "and ALLD (T+P)/2.",
    )


def check_tft_against_stft(turns: int = 200) -> CheckResult:
    """TFT and suspicious TFT lock into alternation: (T+S)/2 each."""
    T, _, _, S = ipd_payoffs()
    return _noise_free_match(
        "IPD: tit-for-tat against suspicious tit-for-tat",
        "Beaufils, Delahaye & Mathieu (1996); Axelrod (1984)",
        ("tit_for_tat", "suspicious_tit_for_tat"),
        turns,
        ((T + S) / 2, (T + S) / 2),
        (0.5, 0.5),
        f"(T+S)/2 = {(T + S) / 2:g} per turn each, cooperation 0.5",
        "STFT opens with a defection that TFT copies one round later, while STFT copies TFT's "
        "cooperation: the two alternate (C, D), (D, C) for ever, each earning S and T in turn.",
    )
