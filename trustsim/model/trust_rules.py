"""Trust update rules (SPEC item 5): how a perceived signal moves an observer's trust in its author.

Both rules work on whole arrays of (observer, subject) entries at once and move trust in log-odds,
so that no trust level is absorbing and an asymmetry between gains and losses holds at every level.
``evidence`` turns perceived signals into evidence in the rule's own currency; ``respond`` turns
summed evidence into trust changes given the current trust and congealing hardness of each entry;
``credible`` is the constructive evidence that thaws congealed mistrust.
"""

from __future__ import annotations

import numpy as np

from trustsim.config.schema import TrustRule

C, D = 1, -1  # perceived moves, as coded in trustsim.model.policies


def hard_to_fake(cost: np.ndarray, declared: np.ndarray, params: TrustRule) -> np.ndarray:
    """How costly, hence how hard to fake, a step is: 1 - exp(-(cost + audience cost) / c0).

    A declaration ties the actor's hands (Fearon 1997): reneging costs it ``audience_cost``, so the
    declaration adds that cost to the signal. With no audience cost a declaration is cheap talk and
    adds nothing (Kydd 2005, ch. 7).
    """
    return 1.0 - np.exp(-(cost + declared * params.audience_cost) / params.signal_cost_scale)


def _logit(trust: np.ndarray, floor: float) -> np.ndarray:
    belief = np.clip(trust, floor, 1.0 - floor)
    return np.log(belief / (1.0 - belief))


def _moved(trust: np.ndarray, step: np.ndarray, floor: float) -> np.ndarray:
    """The change of trust when its log-odds move by ``step``; exactly zero where ``step`` is zero."""
    after = 1.0 / (1.0 + np.exp(-(_logit(trust, floor) + step)))
    return np.where(step == 0.0, 0.0, np.clip(after, floor, 1.0 - floor) - trust)


class AdaptiveRule:
    """Trust as an adaptive attitude with the essay's pathologies, in log-odds.

    Evidence is the perceived value beyond the neutral band, v' = sign(v) max(|v| - band, 0), so
    that zero-mean noise within the band is no evidence at all. Then, with L = logit(T):

    - gains: dL = lr * v' * credibility * (1 - H), credibility = 1 - short_circuit * (1 - T) * (1 - k)
      where k is how hard the step is to fake (cost and declaration with audience cost);
      a distrusted state's cheap step is read as a trick (short-circuiting), a costly one less so;
    - losses: dL = lr * negativity_bias * v' (v' < 0), discounted by ``provocation_discount`` when the
      observer knows its own last step provoked the reply (Jervis 1976, ch. 3).
    """

    def __init__(self, params: TrustRule, band: float = 0.0) -> None:
        self.params = params
        self.band = band

    def evidence(
        self,
        value: np.ndarray,
        declared: np.ndarray,
        cost: np.ndarray,
        provoked: np.ndarray,
        **_: object,
    ) -> np.ndarray:
        """Three columns: positive evidence, its hard-to-fake part, and negative evidence."""
        p = self.params
        beyond = np.sign(value) * np.maximum(np.abs(value) - self.band, 0.0)
        positive = np.maximum(beyond, 0.0)
        negative = np.minimum(beyond, 0.0) * (1.0 - p.provocation_discount * provoked)
        return np.stack([positive, positive * hard_to_fake(cost, declared, p), negative], axis=-1)

    def credible(self, trust: np.ndarray, evidence: np.ndarray) -> np.ndarray:
        """Constructive evidence after short-circuiting: what a distrustful observer believes."""
        doubt = self.params.short_circuit * (1.0 - trust)
        return evidence[..., 0] * (1.0 - doubt) + evidence[..., 1] * doubt

    def respond(self, trust: np.ndarray, hardness: np.ndarray, evidence: np.ndarray) -> np.ndarray:
        p = self.params
        step = p.learning_rate * (
            self.credible(trust, evidence) * (1.0 - hardness) + p.negativity_bias * evidence[..., 2]
        )
        return _moved(trust, step, p.trust_floor)


class BayesianRule:
    """Trust as the belief that the other is a security seeker rather than greedy (Kydd 2005).

    A perceived hostile move has likelihood e under "security seeker" and 1 - e under "greedy"
    (e the perception error); a perceived constructive move has 1 - e against (1-k)(1-e) + k*e,
    where k is how hard to fake the step is (``hard_to_fake``: its cost, plus the audience cost of a
    declaration). Cheap talk (k = 0) carries no information. Evidence is the log-likelihood ratio;
    beliefs update by Bayes' rule in log-odds. A hostile reply the observer provoked is discounted
    as in the adaptive rule.
    """

    FLOOR = 1e-12

    def __init__(self, params: TrustRule, band: float = 0.0) -> None:
        self.params = params

    def evidence(
        self,
        declared: np.ndarray,
        move: np.ndarray,
        cost: np.ndarray,
        error: np.ndarray,
        provoked: np.ndarray,
        **_: object,
    ) -> np.ndarray:
        p = self.params
        costly = hard_to_fake(cost, declared, p)
        error = np.clip(error, self.FLOOR, 0.5)
        friendly = np.log((1 - error) / ((1 - costly) * (1 - error) + costly * error))
        hostile = np.log(error / (1 - error)) * (1.0 - p.provocation_discount * provoked)
        llr = np.where(move == C, friendly, np.where(move == D, hostile, 0.0))
        return llr[..., None]

    def credible(self, trust: np.ndarray, evidence: np.ndarray) -> np.ndarray:
        return np.maximum(evidence[..., 0], 0.0)

    def respond(self, trust: np.ndarray, hardness: np.ndarray, evidence: np.ndarray) -> np.ndarray:
        belief = np.clip(trust, self.FLOOR, 1 - self.FLOOR)
        log_odds = np.log(belief / (1 - belief)) + evidence[..., 0]
        return np.where(evidence[..., 0] == 0.0, 0.0, 1.0 / (1.0 + np.exp(-log_odds)) - trust)


RULES = {"adaptive": AdaptiveRule, "bayesian": BayesianRule}
