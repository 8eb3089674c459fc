"""Shared existential threats (SPEC item 8): nuclear multipolarity, climate, pandemics.

The essay's "altered agenda" puts them at the centre; when it is switched on their summed level
raises the reward of mutual restraint (see ``TrustModel.step``).
"""

from __future__ import annotations

from collections.abc import Sequence

from trustsim.config.schema import Threat


def profile_level(threat: Threat, step: int) -> float:
    """The level of one threat at ``step`` (1-based) under its time profile."""
    p = threat.profile
    if p.kind == "constant":
        return threat.level
    if p.kind == "step":
        return threat.level if step < p.start else p.to
    if p.kind == "pulse":
        rise = max(p.end - p.start, 1)
        distance = abs(step - p.end)
        return threat.level + (p.to - threat.level) * max(0.0, 1.0 - distance / rise)
    if p.kind == "linear":
        if step <= p.start:
            return threat.level
        if step >= p.end:
            return p.to
        return threat.level + (p.to - threat.level) * (step - p.start) / (p.end - p.start)
    return p.series[min(step, len(p.series)) - 1]


def threat_level(threats: Sequence[Threat], step: int) -> float:
    """Summed level of all shared threats at ``step``."""
    return float(sum(profile_level(threat, step) for threat in threats))
