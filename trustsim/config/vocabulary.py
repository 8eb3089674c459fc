"""Names a config may use that the model implements: its decision policies and its measures.

They live here, in the config layer, so that loading can check a config's references without
importing the model (imports run config -> model, never back up). The model's registries
(``trustsim.model.policies.POLICIES``, ``trustsim.model.records.MODEL_REPORTERS``) implement exactly
these names, in this order; ``tests/test_architecture.py`` checks that they agree.
"""

from __future__ import annotations

POLICY_NAMES: tuple[str, ...] = (
    "all_cooperate",
    "all_defect",
    "hold",
    "tit_for_tat",
    "suspicious_tit_for_tat",
    "generous_tit_for_tat",
    "win_stay_lose_shift",
    "grudger",
    "tit_for_two_tats",
    "dove",
    "hawk",
    "grit",
    "logit",
)

MEASURE_NAMES: tuple[str, ...] = (
    "mean_trust",
    "min_trust",
    "trust_within_blocs",
    "trust_across_blocs",
    "share_constructive",
    "share_neutral",
    "share_escalatory",
    "mean_posture",
    "congealed_dyads",
    "national_security",
    "mutual_security",
    "crises",
    "self_other_gap",
    "rights_exercised",
    "shared_threat",
    "trust_in_initiator_1hop",
    "trust_in_initiator_2hops",
    "trust_in_initiator_3hops",
)

# `trustsim match` and ``execution.match.run_match``: one match setting each, defaulted here once.
MATCH_DEFAULTS: dict[str, object] = {
    "turns": 200,
    "noise": 0.0,
    "repetitions": 100,
    "seed": 0,
    "payoffs": (5.0, 3.0, 1.0, 0.0),  # T, R, P, S as in configs/classic_ipd.yaml (Axelrod 1984)
}
