"""Validation: the model against results known from the literature and from closed-form formulas.

Each check runs the full :class:`TrustModel` in a special case where the answer is known (SPEC item
10): the iterated Prisoner's Dilemma against the exact Markov chain of memory-one strategies,
Richardson's arms race against its equilibrium, the Bayesian rule against Bayes' rule, alliance
influence against DeGroot's consensus, GRIT against Osgood's schedule, the altered agenda, and the
mechanisms of trust switched off one at a time. A check returns a :class:`CheckResult`; tolerances
come from standard errors (stochastic checks) or are numerical bounds (deterministic ones).

``python -m trustsim.validation [--out docs/validation.md]`` runs them all and writes the page.
"""

from __future__ import annotations

import argparse
import copy
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from trustsim.config.loading import load_scenario, read_yaml, resolve_config_path, scenario_from_dict
from trustsim.config.schema import Scenario
from trustsim.execution.match import MatchResult, match_scenario, play, run_match
from trustsim.model.catalog import CONSTRUCTIVE
from trustsim.model.model import TrustModel

EXACT = 1e-9  # tolerance of deterministic checks: rounding only
Z_EQUAL = 4.0  # standard errors allowed between a stochastic measurement and its expectation
Z_DIFFERENCE = 3.0  # standard errors a difference must exceed to count as a real rise

# -- records ------------------------------------------------------------------------------------

RELATIONS = {
    "=": lambda m, e, tol: abs(m - e) <= tol,
    ">=": lambda m, e, tol: m >= e - tol,
    "<=": lambda m, e, tol: m <= e + tol,
    ">": lambda m, e, tol: m > e + tol,
    "<": lambda m, e, tol: m < e - tol,
}
CRITERIA = {
    "=": "within tol",
    ">=": ">= expected - tol",
    "<=": "<= expected + tol",
    ">": "> expected + tol",
    "<": "< expected - tol",
}


@dataclass(frozen=True)
class Comparison:
    """One measured number against what it should be, under a relation with a tolerance."""

    label: str
    expected: float
    measured: float
    tolerance: float
    relation: str = "="

    @property
    def passed(self) -> bool:
        return bool(RELATIONS[self.relation](self.measured, self.expected, self.tolerance))

    @property
    def usage(self) -> float:
        """How much of its allowance the comparison uses: 0 is spot on, above 1 is a failure.

        Equality: |difference| / tol. Bounds (>=, <=): the shortfall past the bound / tol.
        Strict margins (>, <): tol / the gap achieved.
        """
        gap = self.measured - self.expected
        if self.relation in ("<", "<="):
            gap = -gap
        if self.relation == "=":
            gap = abs(gap)
            return gap / self.tolerance if self.tolerance > 0 else (0.0 if gap == 0 else math.inf)
        if self.relation in (">=", "<="):
            return 0.0 if gap >= 0 else (-gap / self.tolerance if self.tolerance > 0 else math.inf)
        if gap <= 0:
            return math.inf
        return self.tolerance / gap

    def describe(self) -> str:
        return (
            f"{self.label}: expected {self.relation} {self.expected:.12g}, measured {self.measured:.12g}, "
            f"tolerance {self.tolerance:.3g} (criterion: measured {CRITERIA[self.relation]})"
        )


@dataclass(frozen=True)
class CheckResult:
    """What a check compared, where the expectation comes from, and whether the model met it."""

    name: str
    source: str
    setup: str
    expected: str
    measured: str
    tolerance: str
    comparisons: list[Comparison]
    notes: str = ""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.comparisons)

    def failures(self) -> str:
        failed = [c.describe() for c in self.comparisons if not c.passed]
        return f"{self.name} failed:\n  " + "\n  ".join(failed) if failed else f"{self.name} passed"


def _result(
    name: str,
    source: str,
    setup: str,
    expected: str,
    tolerance: str,
    comparisons: list[Comparison],
    notes: str = "",
) -> CheckResult:
    """A result whose ``measured`` summary names the comparison nearest to (or past) its limit."""
    if len(comparisons) == 1:
        measured = f"{comparisons[0].measured:.6g}"
    else:
        worst = max(comparisons, key=lambda c: c.usage)
        failed = sum(not c.passed for c in comparisons)
        head = f"{failed} of {len(comparisons)} failed; " if failed else f"all {len(comparisons)} hold; "
        if worst.relation == "=":
            gap = abs(worst.measured - worst.expected)
            measured = head + f"largest |difference| {gap:.3g} = {worst.usage:.2f} tol ({worst.label})"
        else:
            measured = head + (
                f"closest: {worst.label}: {worst.measured:.6g} {worst.relation} {worst.expected:.6g}"
                + (f" (tol {worst.tolerance:.3g})" if worst.tolerance else "")
            )
    return CheckResult(name, source, setup, expected, measured, tolerance, comparisons, notes)


def _stochastic(label: str, expected: float, measured: float, stderr: float) -> Comparison:
    """Equality within Z_EQUAL standard errors (EXACT when the measurement has no spread)."""
    return Comparison(label, expected, measured, max(Z_EQUAL * stderr, EXACT))


# -- the iterated Prisoner's Dilemma as a Markov chain -------------------------------------------


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


def _ipd_payoffs() -> tuple[float, float, float, float]:
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
        _stochastic(
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
    payoffs = _ipd_payoffs()
    comparisons = []
    for i, noise in enumerate(noise_levels):
        for j, (a, b) in enumerate(pairings):
            label = f"{_short(a)} vs {_short(b)}, e={noise:g}"
            match_seed = 1000 * seed + len(pairings) * i + j  # independent streams per match
            comparisons += _payoff_comparisons(label, a, b, turns, noise, repetitions, match_seed, payoffs)[0]
    g = molander_generosity(*payoffs)
    return _result(
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
    payoffs = _ipd_payoffs()
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
            _stochastic(
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
    return _result(
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
    for payoffs in (_ipd_payoffs(), (5.0, 4.0, 2.0, 0.0)):
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
            _stochastic(f"{payoffs}: GTFT cooperation rate vs ALLD", rate, match.cooperation[0], rate_se),
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
        _ipd_payoffs(),
    )[0]
    return _result(
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


def check_wsls_against_all_defect(turns: int = 200) -> CheckResult:
    """Win-stay-lose-shift alternates against ALLD: (S+P)/2 per turn for it, (T+P)/2 for ALLD."""
    T, _, P, S = _ipd_payoffs()
    even = turns + turns % 2
    match = run_match("win_stay_lose_shift", "all_defect", even, 0.0, 1)
    comparisons = [
        Comparison("WSLS payoff per turn", (S + P) / 2, match.mean_payoff[0], EXACT),
        Comparison("ALLD payoff per turn", (T + P) / 2, match.mean_payoff[1], EXACT),
        Comparison("WSLS cooperation rate", 0.5, match.cooperation[0], EXACT),
    ]
    return _result(
        "IPD: win-stay-lose-shift against always-defect",
        "Nowak & Sigmund (1993); Kraines & Kraines (1989)",
        f"classic_ipd, WSLS vs ALLD, {even} turns (even), noise 0.",
        f"(S+P)/2 = {(S + P) / 2:g} per turn for WSLS",
        "1e-9 (deterministic)",
        comparisons,
        "WSLS cooperates, is exploited (S), shifts to defection (P), loses again and shifts back: "
        "it alternates C, D against ALLD, so over an even number of turns it earns (S+P)/2 per turn "
        "and ALLD (T+P)/2.",
    )


def check_tft_against_stft(turns: int = 200) -> CheckResult:
    """TFT and suspicious TFT lock into alternation: (T+S)/2 each."""
    T, _, _, S = _ipd_payoffs()
    even = turns + turns % 2
    match = run_match("tit_for_tat", "suspicious_tit_for_tat", even, 0.0, 1)
    comparisons = [
        Comparison("TFT payoff per turn", (T + S) / 2, match.mean_payoff[0], EXACT),
        Comparison("STFT payoff per turn", (T + S) / 2, match.mean_payoff[1], EXACT),
        Comparison("TFT cooperation rate", 0.5, match.cooperation[0], EXACT),
        Comparison("STFT cooperation rate", 0.5, match.cooperation[1], EXACT),
    ]
    return _result(
        "IPD: tit-for-tat against suspicious tit-for-tat",
        "Beaufils, Delahaye & Mathieu (1996); Axelrod (1984)",
        f"classic_ipd, TFT vs STFT, {even} turns (even), noise 0.",
        f"(T+S)/2 = {(T + S) / 2:g} per turn each, cooperation 0.5",
        "1e-9 (deterministic)",
        comparisons,
        "STFT opens with a defection that TFT copies one round later, while STFT copies TFT's "
        "cooperation: the two alternate (C, D), (D, C) for ever, each earning S and T in turn.",
    )


# -- Richardson's arms race ---------------------------------------------------------------------


def richardson_parameters(scenario: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-state (reaction, fatigue, grievance), from the states' overrides or the posture section."""
    base = scenario.posture
    reaction, fatigue, grievance = [], [], []
    for state in scenario.states:
        r = state.richardson
        reaction.append(base.reaction if r.reaction is None else r.reaction)
        fatigue.append(base.fatigue if r.fatigue is None else r.fatigue)
        grievance.append(base.grievance if r.grievance is None else r.grievance)
    return np.array(reaction), np.array(fatigue), np.array(grievance)


def richardson_equilibrium(scenario: Scenario) -> np.ndarray:
    """x* = (b g + k h)/(a b - k l), y* = (a h + l g)/(a b - k l)."""
    (k, ell), (a, b), (g, h) = richardson_parameters(scenario)
    det = a * b - k * ell
    return np.array([(b * g + k * h) / det, (a * h + ell * g) / det])


def _euler_map(scenario: Scenario) -> np.ndarray:
    """The linear part of one Euler step, I + dt J with J = [[-a, k], [l, -b]]."""
    (k, ell), (a, b), _ = richardson_parameters(scenario)
    return np.eye(2) + scenario.posture.dt * np.array([[-a, k], [ell, -b]])


def _postures(scenario: Scenario, steps: int) -> np.ndarray:
    """Posture of each state after every step of the model: array (steps + 1, n)."""
    model = TrustModel(scenario)
    path = [model.posture.copy()]
    for _ in range(steps):
        model.step()
        path.append(model.posture.copy())
    return np.array(path)


RICHARDSON_SOURCE = "Richardson (1960), Arms and Insecurity; Intriligator (1964)"


def check_richardson_stable() -> CheckResult:
    """With ab > kl the postures converge to Richardson's equilibrium."""
    scenario = load_scenario("richardson", ["record.model=false", "record.dyads=false"])
    (k, ell), (a, b), (g, h) = richardson_parameters(scenario)
    star = richardson_equilibrium(scenario)
    steps = scenario.steps
    # Distance left after n steps of the linear map: ||V diag(lambda^n) V^-1 e0||_inf <= bound.
    values, vectors = np.linalg.eig(_euler_map(scenario))
    start = np.array([s.posture for s in scenario.states])
    bound = (
        np.linalg.norm(vectors, np.inf)
        * np.linalg.norm(np.linalg.inv(vectors), np.inf)
        * np.max(np.abs(values)) ** steps
        * np.max(np.abs(start - star))
    )
    final = _postures(scenario, steps)[-1]
    comparisons = [
        Comparison(f"x after {steps} steps", star[0], final[0], bound + 1e-12),
        Comparison(f"y after {steps} steps", star[1], final[1], bound + 1e-12),
    ]
    return _result(
        "Richardson: convergence to the stable equilibrium",
        RICHARDSON_SOURCE,
        f"configs/richardson.yaml as shipped: k = {k:g}, a = {a:g}, g = {g:g} (X); l = {ell:g}, b = {b:g}, "
        f"h = {h:g} (Y); ab = {a * b:g} > kl = {k * ell:g}; dt = {scenario.posture.dt:g}, {steps} steps "
        f"from ({start[0]:g}, {start[1]:g}).",
        f"x* = (bg + kh)/(ab - kl) = {star[0]:.6g}, y* = (ah + lg)/(ab - kl) = {star[1]:.6g}",
        f"{bound:.2g} + 1e-12: what the Euler map's contraction leaves after {steps} steps",
        comparisons,
        "With trust held at 0, capability 1 and one rival edge the posture update is the Euler "
        "step of dx/dt = k y - a x + g, dy/dt = l x - b y + h, whose fixed point is Richardson's. "
        "The tolerance is the bound cond(V) rho^n max|p0 - p*| on what the linear Euler map "
        "I + dt J (eigenvectors V, spectral radius rho) leaves of the initial distance.",
    )


def _unstable_scenario(start: Sequence[float]) -> Scenario:
    """Reactions 0.6 and 0.5 (ab < kl) and a standing goodwill (g, h < 0), so p* lies in the
    positive quadrant."""
    return load_scenario(
        "richardson",
        [
            "states.0.richardson.reaction=0.6",
            "states.1.richardson.reaction=0.5",
            "states.0.richardson.grievance=-0.2",
            "states.1.richardson.grievance=-0.2",
            f"states.0.posture={start[0]}",
            f"states.1.posture={start[1]}",
            "record.model=false",
            "record.dyads=false",
        ],
    )


def check_richardson_unstable(offset: float = 0.5, window: int = 100) -> CheckResult:
    """With ab < kl postures run away from above the saddle and collapse to the floor from below."""
    probe = _unstable_scenario((1.0, 1.0))
    (k, ell), (a, b), (g, h) = richardson_parameters(probe)
    star = richardson_equilibrium(probe)
    values = np.linalg.eigvals(_euler_map(probe))
    growth = np.max(np.real(values))  # per-step factor of the unstable mode, 1 + dt * lambda_u
    above = _unstable_scenario(star + offset)
    below = _unstable_scenario(star - offset)
    steps = probe.steps
    run_up = _postures(above, steps)
    run_down = _postures(below, steps)
    # Euler iteration computed here, floor included, for the whole path.
    linear = _euler_map(probe)
    grievance = probe.posture.dt * np.array([g, h])
    floor = probe.posture.floor

    def iterate(start: np.ndarray) -> np.ndarray:
        path = [start]
        for _ in range(steps):
            path.append(np.maximum(floor, linear @ path[-1] + grievance))
        return np.array(path)

    expected_up = iterate(star + offset)
    factor = (run_up[-1] - star) / (run_up[-1 - window] - star)
    comparisons = [
        Comparison(
            "above: largest relative gap to the Euler iteration",
            0.0,
            float(np.max(np.abs(run_up - expected_up) / np.maximum(1.0, np.abs(expected_up)))),
            EXACT,
        ),
        Comparison(f"above: x - x* grows by (1 + dt lambda_u)^{window}", growth**window, factor[0], EXACT),
        Comparison(f"above: y - y* grows by (1 + dt lambda_u)^{window}", growth**window, factor[1], EXACT),
        Comparison("above: x after the run exceeds 100 x*", 100 * star[0], run_up[-1, 0], 0.0, ">"),
        Comparison("below: x collapses to the floor", floor, run_down[-1, 0], 1e-12),
        Comparison("below: y collapses to the floor", floor, run_down[-1, 1], 1e-12),
    ]
    return _result(
        "Richardson: runaway and collapse when ab < kl",
        RICHARDSON_SOURCE,
        f"configs/richardson.yaml with reactions k = {k:g}, l = {ell:g} (ab = {a * b:g} < kl = "
        f"{k * ell:.2g}) and grievances g = h = {g:g}; {steps} steps from p* +/- {offset:g} per state.",
        f"unstable p* = ({star[0]:.6g}, {star[1]:.6g}); above it growth at rate 1 + dt lambda_u "
        f"= {growth:.6g} per step; below it the floor {floor:g}",
        "1e-9 (deterministic), relative to the size of the posture",
        comparisons,
        "With ab < kl the equilibrium is a saddle. With the shipped positive grievances it lies in "
        "the negative quadrant (x* = -4.3, y* = -3.2 at reactions 0.6/0.5), so every start runs "
        "away and there is no 'below' to collapse from; a standing goodwill g = h = -0.2 puts p* in "
        "the positive quadrant. Both starts lie on the unstable eigenvector's side of the stable "
        "manifold (the unstable eigenvector is positive), so p* + (c, c) runs away and p* - (c, c) "
        "falls to the floor, where the negative grievance holds it.",
    )


def check_richardson_euler_step() -> CheckResult:
    """One posture step equals x + dt (k sum w (1-T) cap y - a x + g) exactly."""
    comparisons = []
    variants = {
        "as shipped": [],
        "trust 0.4, salience 1.5, capabilities 0.7/2": [
            "initial_trust.default=0.4",
            "relations.0.salience=1.5",
            "states.0.capability=0.7",
            "states.1.capability=2.0",
        ],
    }
    for label, overrides in variants.items():
        scenario = load_scenario("richardson", [*overrides, "record.model=false", "record.dyads=false"])
        (k, ell), (a, b), (g, h) = richardson_parameters(scenario)
        dt = scenario.posture.dt
        trust = scenario.initial_trust.default
        w = scenario.relations[0].salience
        cap = [s.capability for s in scenario.states]
        x0, y0 = (s.posture for s in scenario.states)
        x1 = x0 + dt * (k * w * (1 - trust) * cap[1] * y0 - a * x0 + g)
        y1 = y0 + dt * (ell * w * (1 - trust) * cap[0] * x0 - b * y0 + h)
        measured = _postures(scenario, 1)[1]
        comparisons += [
            Comparison(f"{label}: x1", x1, measured[0], EXACT),
            Comparison(f"{label}: y1", y1, measured[1], EXACT),
        ]
    return _result(
        "Richardson: one Euler step",
        RICHARDSON_SOURCE,
        "configs/richardson.yaml, one step, as shipped and with trust, salience and capability "
        "changed so that every factor of the reaction term counts.",
        "x1 = x0 + dt (k w (1 - T) cap_Y y0 - a x0 + g), and likewise for y",
        "1e-9 (deterministic)",
        comparisons,
        "The distrust-weighted reaction term is the model's generalisation of Richardson's k y: "
        "salience w, distrust 1 - T and the rival's capability scale the rival's posture.",
    )


# -- the Bayesian rule --------------------------------------------------------------------------


def _trust_path(scenario: Scenario, steps: int, observer: int, subject: int) -> np.ndarray:
    model = TrustModel(scenario)
    path = [model.trust[observer, subject]]
    for _ in range(steps):
        model.step()
        path.append(model.trust[observer, subject])
    return np.array(path)


def check_bayesian_hostile_moves(prior: float = 0.6, error: float = 0.2, steps: int = 8) -> CheckResult:
    """Each perceived escalation multiplies the odds of 'security seeker' by e/(1-e) (Kydd 2005)."""
    scenario = load_scenario(
        "classic_ipd",
        [
            "trust.rule=bayesian",
            f"trust.perception_error={error}",
            f"initial_trust.default={prior}",
            "states.0.policy=all_defect",
            "states.1.policy=hold",
            "record.model=false",
            "record.dyads=false",
        ],
    )
    holder = _trust_path(scenario, steps, observer=1, subject=0)
    defector = _trust_path(scenario, steps, observer=0, subject=1)
    one_step = prior * error / (prior * error + (1 - prior) * (1 - error))
    odds = prior / (1 - prior) * (error / (1 - error)) ** steps
    comparisons = [
        Comparison("holder's belief after 1 step", one_step, holder[1], 1e-12),
        Comparison(f"holder's belief after {steps} steps", odds / (1 + odds), holder[-1], 1e-12),
        Comparison("largest gap to the odds product along the path", 0.0, _odds_gap(holder, error), 1e-12),
        Comparison("defector's belief about the holder (no evidence)", prior, defector[-1], 1e-12),
    ]
    return _result(
        "Bayesian rule: updating on perceived escalation",
        "Kydd (2005), Trust and Mistrust in International Relations, ch. 1-2; Bayes' rule",
        f"classic_ipd with trust.rule=bayesian, perception noise 0, perception_error e = {error:g}, "
        f"prior p = {prior:g}; A plays all_defect toward B, who holds; {steps} steps.",
        "p1 = p e / (p e + (1-p)(1-e)); after n steps odds_n = odds_0 (e/(1-e))^n",
        "1e-12 (deterministic)",
        comparisons,
        "A hostile move is likely e from a security seeker and 1 - e from an expansionist, so each "
        "perceived escalation multiplies the odds on 'security seeker' by e/(1-e). Holding is "
        "neutral and carries no evidence, so the defector's belief stays at the prior.",
    )


def _odds_gap(path: np.ndarray, error: float) -> float:
    n = np.arange(len(path))
    odds = path[0] / (1 - path[0]) * (error / (1 - error)) ** n
    return float(np.max(np.abs(path - odds / (1 + odds))))


def check_bayesian_costly_signal(
    prior: float = 0.3, error: float = 0.1, cheap: float = 0.02, costly: float = 0.5
) -> CheckResult:
    """A costly constructive step moves belief more than a cheap one (costly signalling)."""

    def belief_after_one(cost: float) -> float:
        scenario = load_scenario(
            "classic_ipd",
            [
                "trust.rule=bayesian",
                f"trust.perception_error={error}",
                f"initial_trust.default={prior}",
                f"actions.0.cost={cost}",
                "states.0.policy=all_cooperate",
                "states.1.policy=hold",
                "record.model=false",
                "record.dyads=false",
            ],
        )
        return float(_trust_path(scenario, 1, observer=1, subject=0)[-1])

    scale = load_scenario("classic_ipd").trust.signal_cost_scale

    def formula(cost: float) -> float:
        k = 1 - math.exp(-cost / scale)  # how hard the step is to fake
        ratio = (1 - error) / ((1 - k) * (1 - error) + k * error)
        odds = prior / (1 - prior) * ratio
        return odds / (1 + odds)

    measured = {cost: belief_after_one(cost) for cost in (0.0, cheap, costly)}
    comparisons = [
        Comparison(f"cost {cost:g}: belief after one step", formula(cost), measured[cost], 1e-12)
        for cost in measured
    ]
    comparisons.append(
        Comparison(
            f"gain of the costly step (cost {costly:g}) exceeds that of the cheap one ({cheap:g})",
            measured[cheap] - prior,
            measured[costly] - prior,
            EXACT,
            ">",
        )
    )
    return _result(
        "Bayesian rule: costly signals are more informative",
        "Kydd (2005, ch. 7); Fearon (1997), Signaling Foreign Policy Interests",
        f"classic_ipd with trust.rule=bayesian, prior {prior:g}, e = {error:g}, signal_cost_scale "
        f"{scale:g}; A cooperates once at cost 0, {cheap:g} (open_dialogue's) or {costly:g} "
        "(cap_forward_forces'); B holds.",
        "odds x (1-e)/((1-k)(1-e) + k e), k = 1 - exp(-cost/scale); costly gain > cheap gain",
        "1e-12 (formula); the gain difference must exceed 1e-9",
        comparisons,
        "Cheap talk (k = 0) is equally likely from both types and carries no information; the "
        "costlier the step, the less an expansionist would take it, and the more it moves belief.",
    )


# -- propagation: alliance influence as DeGroot learning ----------------------------------------

ALLIANCE = ("M1", "M2", "M3", "M4", "M5")
ALLY_EDGES = (("M1", "M2", 1.0), ("M2", "M3", 2.0), ("M3", "M4", 0.5), ("M4", "M5", 1.0), ("M5", "M1", 1.5))
OUTSIDER_EDGES = (("M1", "J", "rival"), ("M3", "J", "neighbour"))
TRUST_IN_OUTSIDER = (0.1, 0.3, 0.5, 0.7, 0.9)


def _ipd_base() -> dict[str, Any]:
    """The classic IPD config as raw data, to build small deterministic worlds from."""
    return copy.deepcopy(read_yaml(resolve_config_path("classic_ipd")))


def degroot_scenario(alpha: float, steps: int) -> Scenario:
    data = _ipd_base()
    data.update(
        name="degroot",
        steps=steps,
        default_policy="hold",
        states=[{"code": code, "bloc": "alliance"} for code in ALLIANCE] + [{"code": "J", "bloc": "other"}],
        relations=[{"a": a, "b": b, "kind": "ally", "salience": w} for a, b, w in ALLY_EDGES]
        + [{"a": a, "b": b, "kind": kind} for a, b, kind in OUTSIDER_EDGES],
        initial_trust={
            "default": 0.5,
            "symmetric_pairs": False,
            "pairs": [
                {"from": code, "to": "J", "value": value}
                for code, value in zip(ALLIANCE, TRUST_IN_OUTSIDER, strict=True)
            ],
        },
        propagation={"observation_weight": 0.0, "alliance_weight": alpha},
        record={"model": False, "dyads": False},
    )
    return scenario_from_dict(data, "degroot (validation)")


def ally_influence(scenario: Scenario, members: Sequence[str]) -> np.ndarray:
    """W: row-stochastic weights of each member's allies, proportional to the ally edge's salience."""
    index = {code: i for i, code in enumerate(members)}
    weights = np.zeros((len(members), len(members)))
    for relation in scenario.relations:
        if relation.kind == "ally":
            i, j = index[relation.a], index[relation.b]
            weights[i, j] = weights[j, i] = relation.salience
    return weights / weights.sum(axis=1, keepdims=True)


def check_alliance_degroot(alpha: float = 0.3, early: int = 5) -> CheckResult:
    """Allies' trust in an outsider converges to the DeGroot consensus sum_k pi_k T0[k, J]."""
    probe = degroot_scenario(alpha, 1)
    W = ally_influence(probe, ALLIANCE)
    M = (1 - alpha) * np.eye(len(ALLIANCE)) + alpha * W
    values, vectors = np.linalg.eig(M.T)
    pi = np.real(vectors[:, np.argmin(np.abs(values - 1))])
    pi = pi / pi.sum()
    t0 = np.array(TRUST_IN_OUTSIDER)
    consensus = float(pi @ t0)
    second = np.sort(np.abs(values))[-2]
    steps = math.ceil(math.log(1e-13) / math.log(second))
    model = TrustModel(degroot_scenario(alpha, steps))
    outsider = model.codes.index("J")
    members = [model.codes.index(code) for code in ALLIANCE]
    model.run(early)
    after_early = model.trust[members, outsider].copy()
    model.run(steps - early)
    final = model.trust[members, outsider]
    comparisons = [
        Comparison(f"{code}'s trust in J after {early} steps = (M^{early} T0)", e, m, 1e-12)
        for code, e, m in zip(ALLIANCE, np.linalg.matrix_power(M, early) @ t0, after_early, strict=True)
    ] + [
        Comparison(f"{code}'s trust in J after {steps} steps", consensus, m, EXACT)
        for code, m in zip(ALLIANCE, final, strict=True)
    ]
    return _result(
        "Propagation: alliance influence is DeGroot learning",
        "DeGroot (1974), Reaching a Consensus; Golub & Jackson (2010)",
        f"Five allies in a ring (saliences {', '.join(f'{a}-{b} {w:g}' for a, b, w in ALLY_EDGES)}), "
        f"an outsider J (rival of M1, neighbour of M3); every state holds, perception noise 0, "
        f"observation_weight 0, alliance_weight alpha = {alpha:g}; initial trust in J "
        f"{TRUST_IN_OUTSIDER}; {steps} steps (|lambda_2|^n < 1e-13, |lambda_2| = {second:.4g}).",
        f"consensus sum_k pi_k T0[k, J] = {consensus:.10g}, pi = ({', '.join(f'{p:.4g}' for p in pi)})",
        f"1e-12 for the path M^t T0; 1e-9 for the limit after {steps} steps",
        comparisons,
        "W is built here from the config's ally relations (row i: the saliences of i's allies, "
        "normalised), M = (1 - alpha) I + alpha W. pi is the left eigenvector of M for eigenvalue "
        "1 (the same as W's), normalised to sum 1: each ally's weight in the consensus. "
        "Holding is read as neutral, so no direct evidence moves trust; only the allies' pull does.",
    )


# -- GRIT ---------------------------------------------------------------------------------------


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
    return _result(
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
    payoffs = _ipd_payoffs()
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
    return _result(
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


# -- shared existential threats: the altered agenda ---------------------------------------------


def _cooperation_shares(
    levels: Sequence[float], enabled: bool, seeds: int, steps: int, seed: int
) -> np.ndarray:
    """Share of constructive steps per run (rows: levels, columns: seeds), common random numbers."""
    shares = np.zeros((len(levels), seeds))
    children = np.random.SeedSequence(seed).spawn(seeds)
    for row, level in enumerate(levels):
        scenario = load_scenario(
            "dyad",
            [
                "interventions=[]",
                "initial_trust={default: 0.5}",
                f"threats=[{{name: shared, level: {level}}}]",
                f"altered_agenda.enabled={'true' if enabled else 'false'}",
                "policy_params.logit.rationality=2",
                f"steps={steps}",
                "record.model=false",
                "record.dyads=false",
                "record.attribution=false",
            ],
        )
        for column, child in enumerate(children):
            model = TrustModel(scenario, rng=np.random.default_rng(child))
            constructive = 0.0
            for _ in range(steps):
                model.step()
                constructive += (model.catalog.kind[model.last.actions] == CONSTRUCTIVE).mean()
            shares[row, column] = constructive / steps
    return shares


def check_shared_threat(
    levels: Sequence[float] = (0.0, 0.5, 1.0, 2.0), seeds: int = 60, steps: int = 60, seed: int = 4
) -> CheckResult:
    """With the altered agenda on, cooperation rises with the shared threat; off, it ignores it."""
    on = _cooperation_shares(levels, True, seeds, steps, seed)
    off = _cooperation_shares(levels, False, max(5, seeds // 4), steps, seed)
    comparisons = []
    for low, high, a, b in zip(levels, levels[1:], on, on[1:], strict=False):
        rise = b - a  # paired by seed: common random numbers
        se = rise.std(ddof=1) / math.sqrt(len(rise))
        comparisons.append(
            Comparison(
                f"agenda on: share({high:g}) - share({low:g})", 0.0, rise.mean(), Z_DIFFERENCE * se, ">"
            )
        )
    comparisons += [
        Comparison(f"agenda off: largest |share({level:g}) - share(0)| over seeds", 0.0, gap, 1e-12)
        for level, gap in zip(levels[1:], np.abs(off[1:] - off[0]).max(axis=1), strict=True)
    ]
    means = ", ".join(f"{level:g}: {share:.3f}" for level, share in zip(levels, on.mean(axis=1), strict=True))
    return _result(
        "Shared threat: the altered agenda raises cooperation",
        "Legvold's essay (the 'altered agenda'); SPEC item 8; McKelvey & Palfrey (1995)",
        f"configs/dyad.yaml without its intervention, initial trust 0.5, both states on the logit "
        f"policy (rationality 2), constant shared threat at levels {', '.join(f'{x:g}' for x in levels)}, "
        f"{steps} steps, {seeds} seeds (agenda on) and {off.shape[1]} (off), the same seeds "
        "at every level.",
        "share rises with each step up in the threat (agenda on); identical at every level (off)",
        f"each rise > {Z_DIFFERENCE:g} SE of the paired differences; off: 1e-12",
        comparisons,
        f"Mean cooperation share with the agenda on by threat level: {means}. The altered agenda "
        "adds gain x threat to R, which raises the logit utility of constructive steps. Runs at "
        "different levels share their random numbers, so the rise is measured per seed and its "
        "standard error is that of the paired differences. With the agenda off the threat enters "
        "nothing the states decide on, so the runs are identical, not merely alike. The logit "
        "precision is lowered from 5 to 2 so that choices respond smoothly to R rather than "
        "locking in, which the test can resolve with few seeds.",
    )


# -- the mechanisms of trust, switched off one at a time ----------------------------------------


def _dyad_with_interventions(trust: dict[str, Any], interventions: list[dict], steps: int) -> Scenario:
    data = _ipd_base()
    data.update(
        name="ablation",
        steps=steps,
        default_policy="hold",
        record={"model": False, "dyads": False},
        interventions=interventions,
    )
    for state in data["states"]:
        state["policy"] = "hold"
    data["initial_trust"] = {"default": 0.5}
    data["trust"] = {**data.get("trust", {}), **trust}
    return scenario_from_dict(data, "ablation (validation)")


def check_congealing_hysteresis(
    down: int = 3, low: int = 40, up: int = 5, congeal_rate: float | None = None
) -> CheckResult:
    """Without congealing the way back up depends only on where trust is; with it, on how long
    trust has been low (hysteresis)."""
    default_rate = load_scenario("classic_ipd").trust.congeal_rate if congeal_rate is None else congeal_rate

    def up_path(rate: float, low_steps: int) -> np.ndarray:
        pressure = {"step": 1, "actor": "A", "target": "B", "action": "defect", "duration": down}
        start = down + low_steps + 1
        relief = {"step": start, "actor": "A", "target": "B", "action": "cooperate", "duration": up}
        scenario = _dyad_with_interventions({"congeal_rate": rate}, [pressure, relief], start - 1 + up)
        return _trust_path(scenario, start - 1 + up, observer=1, subject=0)[start - 1 :]

    flat_long, flat_short = up_path(0.0, low), up_path(0.0, 0)
    hard_long, hard_short = up_path(default_rate, low), up_path(default_rate, 0)
    comparisons = [
        Comparison(
            "congeal_rate 0: trust when the pressure ends, with vs without the low phase",
            flat_short[0],
            flat_long[0],
            1e-12,
        ),
        Comparison(
            "congeal_rate 0: largest gap between the two paths back up",
            0.0,
            float(np.max(np.abs(flat_long - flat_short))),
            1e-12,
        ),
        Comparison(
            f"congeal_rate {default_rate:g}: trust after {up} steps up, with the low phase < without",
            hard_short[-1],
            hard_long[-1],
            EXACT,
            "<",
        ),
    ]
    return _result(
        "Mechanism: congealing causes hysteresis",
        "Legvold's essay (mistrust 'deepened and then congealed'); SPEC item 5",
        f"classic_ipd dyad, both holding, initial trust 0.5; A escalates toward B for {down} steps, "
        f"holds for {low} steps (the low phase) or not at all, then takes {up} constructive steps. "
        f"B's trust in A, with congeal_rate 0 and {default_rate:g}.",
        "no congealing: the same path back up whether or not trust stayed low; congealing: lower",
        "1e-12 (deterministic); the congealed path must be lower by more than 1e-9",
        comparisons,
        f"Trust after the way back up: without congealing {flat_long[-1]:.6f} (low phase) vs "
        f"{flat_short[-1]:.6f} (none); with congealing {hard_long[-1]:.6f} vs {hard_short[-1]:.6f}. "
        "Holding leaves trust where the pressure put it, so the low phase changes nothing but the "
        "time spent below the congealing threshold; only hardness, accumulated in that time, can "
        "make the way up differ.",
    )


def _one_step_change(value: float, trust0: float, trust: dict[str, Any]) -> float:
    """Change of B's trust in A after A takes one step perceived as ``value`` (sign = kind)."""
    action = "cooperate" if value > 0 else "defect"
    data = _ipd_base()
    for entry in data["actions"]:
        if entry["name"] == action:
            entry["self_view"] = entry["other_view"] = value
    data.update(
        name="one_step",
        steps=1,
        record={"model": False, "dyads": False},
        initial_trust={"default": trust0},
        trust={**data.get("trust", {}), **trust},
    )
    data["states"][0]["policy"] = "all_cooperate" if value > 0 else "all_defect"
    data["states"][1]["policy"] = "hold"
    path = _trust_path(scenario_from_dict(data, "one step (validation)"), 1, observer=1, subject=0)
    return float(path[1] - path[0])


def _log_odds(trust: float) -> float:
    return math.log(trust / (1 - trust))


def check_negativity_bias_symmetry(
    value: float = 0.4, levels: Sequence[float] = (0.2, 0.5, 0.8), bias: float = 2.0
) -> CheckResult:
    """negativity_bias = 1: a step +v at trust T gains (in log-odds) what -v at 1 - T loses; bias b:
    b times as much, at every trust level."""
    comparisons = []
    for trust0 in levels:
        for b in (1.0, bias):
            params = {"negativity_bias": b, "short_circuit": 0.0}
            gain = _log_odds(trust0 + _one_step_change(value, trust0, params)) - _log_odds(trust0)
            after = 1 - trust0 + _one_step_change(-value, 1 - trust0, params)
            loss = _log_odds(1 - trust0) - _log_odds(after)
            comparisons.append(
                Comparison(
                    f"bias {b:g}, T = {trust0:g}: log-odds loss at 1 - T vs {b:g} x gain at T",
                    b * gain,
                    loss,
                    1e-9,
                )
            )
    return _result(
        "Mechanism: negativity bias 1 makes gain and loss symmetric",
        "Legvold's essay (trust 'lost faster than gained'); Slovic (1993); SPEC item 5",
        f"classic_ipd dyad, one step perceived as +{value:g} by B at trust T, or -{value:g} at trust "
        f"1 - T, for T in {', '.join(f'{t:g}' for t in levels)}; short_circuit 0, no hardness yet.",
        "log-odds loss(-v at 1 - T) = negativity_bias x log-odds gain(+v at T)",
        "1e-9 (deterministic, through a log)",
        comparisons,
        "The adaptive rule moves log-odds by lr v' for a gain and lr bias v' for a loss (v' the value "
        "beyond the neutral band), so the loss is bias times the gain at every trust level. The "
        "short-circuit discount is set to 0 here, as it would otherwise shrink gains (only) at "
        "low trust and break the symmetry for a reason of its own (checked separately).",
    )


def check_short_circuit_ablation(
    distrusted: float = 0.1, trusted: float = 0.9, short_circuit: float | None = None
) -> CheckResult:
    """short_circuit = 0: a distrusted state's constructive step counts fully, gain ~ (1 - T)."""
    default_sc = load_scenario("classic_ipd").trust.short_circuit if short_circuit is None else short_circuit
    comparisons = []
    for sc in (0.0, default_sc):
        params = {"short_circuit": sc}
        low = _log_odds(distrusted + _one_step_change(1.0, distrusted, params)) - _log_odds(distrusted)
        high = _log_odds(trusted + _one_step_change(1.0, trusted, params)) - _log_odds(trusted)
        scaled = high
        if sc == 0:
            comparisons.append(Comparison(f"short_circuit 0: gain at T = {distrusted:g}", scaled, low, 1e-9))
        else:
            discount = (1 - sc * (1 - distrusted)) / (1 - sc * (1 - trusted))
            comparisons += [
                Comparison(
                    f"short_circuit {sc:g}: gain at T = {distrusted:g} (discounted)", scaled, low, EXACT, "<"
                ),
                Comparison(
                    f"short_circuit {sc:g}: gain at T = {distrusted:g} = scaled x discount",
                    scaled * discount,
                    low,
                    1e-9,
                ),
            ]
    return _result(
        "Mechanism: without short-circuiting a distrusted state's step counts fully",
        "Legvold's essay (a step by the distrusted is read as a trick); SPEC item 5",
        f"classic_ipd dyad, one constructive step (perceived +1) by A toward B, B's trust in A "
        f"T = {distrusted:g} (distrusted) or {trusted:g} (trusted); short_circuit 0 and {default_sc:g}.",
        f"log-odds gain(T = {distrusted:g}) = log-odds gain(T = {trusted:g})",
        "1e-9 (deterministic, through a log); the discounted gain must be lower by more than 1e-9",
        comparisons,
        "Without the discount the adaptive rule's gain is lr v' in log-odds at any trust: the "
        "distrusted state's step is worth exactly the trusted state's. With short_circuit s, a free "
        "step's gain is multiplied by 1 - s (1 - T), which hits the distrusted state's step hardest.",
    )


# -- running them all ---------------------------------------------------------------------------

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


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _number(x: float) -> str:
    return f"{x:.10g}"


def render(results: Sequence[CheckResult]) -> str:
    """The validation page: intro, summary table, then each check's setup, source and comparisons."""
    passed = sum(r.passed for r in results)
    lines = [
        "# Validation",
        "",
        "<!-- Generated by `python -m trustsim.validation --out docs/validation.md`. "
        "Do not edit by hand: change trustsim/validation.py and regenerate. -->",
        "",
        "trustsim must reduce to known results in the special cases where they apply (SPEC item 10). "
        "Each check below runs the full `TrustModel` (for the Prisoner's Dilemma, through "
        "`trustsim.execution.match.run_match` on `configs/classic_ipd.yaml`) and compares what it "
        "measures with a value computed independently: the exact Markov chain of memory-one "
        "strategies, Richardson's equilibrium, Bayes' rule, DeGroot's consensus, Osgood's schedule, "
        "or the trust rule's own formula with one mechanism switched off. Deterministic checks allow "
        "only rounding (1e-9 or tighter) or a stated numerical bound; stochastic ones allow "
        f"{Z_EQUAL:g} standard errors of the mean (exact ones, from the Markov chain, for the "
        "Prisoner's Dilemma), and a difference counts as real only beyond "
        f"{Z_DIFFERENCE:g} standard errors. The same checks run, at smaller sizes, as "
        "`tests/test_validation.py`.",
        "",
        "This page was generated by `python -m trustsim.validation --out docs/validation.md` and "
        "must not be edited by hand.",
        "",
        f"**{passed} of {len(results)} checks pass.**",
        "",
        "| # | Check | Source | Expected | Measured | Tolerance | Result |",
        "|---|---|---|---|---|---|---|",
    ]
    for number, r in enumerate(results, 1):
        cells = [
            str(number),
            f"[{r.name}](#check-{number})",
            r.source,
            r.expected,
            r.measured,
            r.tolerance,
            "pass" if r.passed else "**FAIL**",
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines += ["", "## Checks", ""]
    for number, r in enumerate(results, 1):
        lines += [
            f'<a id="check-{number}"></a>',
            f"### {number}. {r.name} ({'pass' if r.passed else 'FAIL'})",
            "",
            f"- **Source:** {r.source}",
            f"- **Setup:** {r.setup}",
            f"- **Expected:** {r.expected}",
            f"- **Tolerance:** {r.tolerance}",
            "",
            r.notes,
            "",
            "| Comparison | Expected | Measured | Difference | Tolerance | Criterion | Result |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in r.comparisons:
            cells = [
                c.label,
                _number(c.expected),
                _number(c.measured),
                f"{c.measured - c.expected:.3g}",
                f"{c.tolerance:.3g}",
                CRITERIA[c.relation],
                "pass" if c.passed else "**FAIL**",
            ]
            lines.append("| " + " | ".join(_cell(x) for x in cells) + " |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m trustsim.validation",
        description="Run the validation checks and write the validation page.",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("docs/validation.md"), help="Markdown page to write."
    )
    args = parser.parse_args(argv)

    def report(result: CheckResult) -> None:
        status = "pass" if result.passed else "FAIL"
        print(f"{status:4}  {result.seconds:6.1f} s  {result.name}", flush=True)
        if not result.passed:
            print("      " + result.failures().replace("\n", "\n      "), flush=True)

    results = run_all(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(results))
    print(f"{sum(r.passed for r in results)} of {len(results)} checks pass; wrote {args.out}")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
