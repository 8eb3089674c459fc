"""Trust update rules (SPEC item 5): how a perceived signal moves an observer's trust in its author.

Both rules work on whole arrays of (observer, subject) entries at once. ``evidence`` turns perceived
signals into evidence in the rule's own currency; ``respond`` turns summed evidence into trust changes
given the current trust and congealing hardness of each entry.
"""

from __future__ import annotations

import numpy as np

from trustsim.config.schema import TrustRule
from trustsim.model.policies import C, D


class AdaptiveRule:
    """Trust as an adaptive attitude with the essay's pathologies.

    - negativity bias: losses scale by ``negativity_bias`` >= 1 (trust "lost faster than gained");
    - congealing: gains shrink by (1 - hardness), hardness growing while trust stays low;
    - short-circuiting: a gain from a distrusted author is discounted by
      1 - short_circuit * (1 - trust), less so for a declared step (``declared_credibility``).

    gain = lr * v * (1 - T) * (1 - H) * credibility, loss = lr * bias * v * T (v < 0).
    """

    def __init__(self, params: TrustRule) -> None:
        self.params = params

    def evidence(self, value: np.ndarray, declared: np.ndarray, **_: object) -> np.ndarray:
        """Three evidence columns: positive value, positive value of declared steps, negative value."""
        positive = np.maximum(value, 0.0)
        return np.stack([positive, positive * declared, np.minimum(value, 0.0)], axis=-1)

    def respond(self, trust: np.ndarray, hardness: np.ndarray, evidence: np.ndarray) -> np.ndarray:
        p = self.params
        positive, positive_declared, negative = evidence[..., 0], evidence[..., 1], evidence[..., 2]
        doubt = p.short_circuit * (1.0 - trust)
        credible = positive * (1.0 - doubt) + positive_declared * doubt * p.declared_credibility
        gain = p.learning_rate * credible * (1.0 - trust) * (1.0 - hardness)
        loss = p.learning_rate * p.negativity_bias * negative * trust
        return gain + loss


class BayesianRule:
    """Trust as the belief that the other is a security seeker rather than expansionist (Kydd 2005).

    A perceived hostile move has likelihood e under "security seeker" and 1 - e under "expansionist"
    (e the perception error); a perceived constructive move has 1 - e against (1-k)(1-e) + k*e,
    where k = 1 - exp(-cost / signal_cost_scale) is how costly, hence how hard to fake, the step is
    (costly signalling, Kydd 2005 ch. 7; Fearon 1997). Cheap talk (k = 0) carries no information.
    Evidence is the log-likelihood ratio; beliefs update by Bayes' rule in log-odds.
    """

    FLOOR = 1e-12

    def __init__(self, params: TrustRule) -> None:
        self.params = params

    def evidence(
        self,
        value: np.ndarray,
        declared: np.ndarray,
        move: np.ndarray,
        cost: np.ndarray,
        error: np.ndarray,
    ) -> np.ndarray:
        p = self.params
        costly = 1.0 - np.exp(-cost / p.signal_cost_scale)
        costly = costly + declared * p.declared_credibility * (1.0 - costly)
        error = np.clip(error, self.FLOOR, 0.5)
        friendly = np.log((1 - error) / ((1 - costly) * (1 - error) + costly * error))
        hostile = np.log(error / (1 - error))
        llr = np.where(move == C, friendly, np.where(move == D, hostile, 0.0))
        return llr[..., None]

    def respond(self, trust: np.ndarray, hardness: np.ndarray, evidence: np.ndarray) -> np.ndarray:
        belief = np.clip(trust, self.FLOOR, 1 - self.FLOOR)
        log_odds = np.log(belief / (1 - belief)) + evidence[..., 0]
        return 1.0 / (1.0 + np.exp(-log_odds)) - trust


RULES = {"adaptive": AdaptiveRule, "bayesian": BayesianRule}
