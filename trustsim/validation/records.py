"""What a check compared and whether the model met it: ``Comparison`` (one number against its
expectation, under a relation with a tolerance) and ``CheckResult`` (a check's comparisons, setup and
source), with the tolerances every check shares.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EXACT = 1e-9  # tolerance of deterministic checks: rounding only
Z_EQUAL = 4.0  # standard errors allowed between a stochastic measurement and its expectation
Z_DIFFERENCE = 3.0  # standard errors a difference must exceed to count as a real rise


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


def result(
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


def stochastic(label: str, expected: float, measured: float, stderr: float) -> Comparison:
    """Equality within Z_EQUAL standard errors (EXACT when the measurement has no spread)."""
    return Comparison(label, expected, measured, max(Z_EQUAL * stderr, EXACT))
