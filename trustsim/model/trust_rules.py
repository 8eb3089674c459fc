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
from trustsim.model import kernels

C, D = 1, -1  # perceived moves, as coded in trustsim.model.policies


def hard_to_fake(
    actions: np.ndarray, cost: np.ndarray, declared: np.ndarray, params: TrustRule
) -> np.ndarray:
    """How costly, hence how hard to fake, each step is: 1 - exp(-(cost + audience cost) / c0), with
    ``cost`` per catalog action and ``actions`` the steps' action ids.

    A declaration ties the actor's hands (Fearon 1997): reneging costs it ``audience_cost``, so the
    declaration adds that cost to the signal. With no audience cost a declaration is cheap talk and
    adds nothing (Kydd 2005, ch. 7). The exponent in one compiled pass, then ``kernels.exp``.
    """
    exponent = kernels.signal_cost_exponent(
        actions, cost, declared, float(params.audience_cost), float(params.signal_cost_scale)
    )
    return np.subtract(1.0, kernels.exp(exponent, out=exponent), out=exponent)


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

    columns = 3  # of evidence: positive, its hard-to-fake part, negative

    def __init__(self, params: TrustRule, band: float = 0.0) -> None:
        self.params = params
        self.band = band

    def evidence(
        self,
        value: np.ndarray,
        declared: np.ndarray,
        actions: np.ndarray,
        cost: np.ndarray,
        provoked: np.ndarray,
        **_: object,
    ) -> np.ndarray:
        """Three columns: positive evidence, its hard-to-fake part, and negative evidence
        (``kernels.adaptive_evidence``: one pass), for steps ``actions`` of catalog costs ``cost``."""
        p = self.params
        costly = hard_to_fake(actions, cost, declared, p)
        return kernels.adaptive_evidence(
            np.asarray(value, dtype=float), costly, np.asarray(provoked), self.band, p.provocation_discount
        )

    def credible(self, trust: np.ndarray, evidence: np.ndarray) -> np.ndarray:
        """Constructive evidence after short-circuiting: what a distrustful observer believes,
        e0 (1 - doubt) + e1 doubt with doubt = short_circuit (1 - T) (``kernels.adaptive_credible``)."""
        return kernels.adaptive_credible(trust, evidence, self.params.short_circuit)

    def respond(self, trust: np.ndarray, hardness: np.ndarray, evidence: np.ndarray) -> np.ndarray:
        """The trust change: log-odds L = logit(T) (T clipped to the floor) move by
        lr (credible (1 - H) + negativity_bias e2). Compiled passes around ``kernels.log`` and
        ``kernels.exp`` (``kernels.adaptive_step`` and ``kernels.moved``: the same numbers as the
        array expression, tests/test_kernels.py)."""
        p = self.params
        step, odds = kernels.adaptive_step(
            trust, hardness, evidence, p.learning_rate, p.negativity_bias, p.short_circuit, p.trust_floor
        )
        decay = kernels.log(odds, out=odds)  # the log-odds, then exp(-(L + step)) in the same buffer
        np.add(decay, step, out=decay)
        np.negative(decay, out=decay)
        kernels.exp(decay, out=decay)
        return kernels.moved(trust, step, decay, p.trust_floor)


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
    columns = 1  # of evidence: the log-likelihood ratio

    def __init__(self, params: TrustRule, band: float = 0.0) -> None:
        self.params = params

    def evidence(
        self,
        declared: np.ndarray,
        move: np.ndarray,
        actions: np.ndarray,
        cost: np.ndarray,
        error: np.ndarray,
        provoked: np.ndarray,
        **_: object,
    ) -> np.ndarray:
        p = self.params
        costly = hard_to_fake(actions, cost, declared, p)
        error = np.clip(error, self.FLOOR, 0.5)
        friendly = kernels.log((1 - error) / ((1 - costly) * (1 - error) + costly * error))
        hostile = kernels.log(error / (1 - error)) * (1.0 - p.provocation_discount * provoked)
        llr = np.where(move == C, friendly, np.where(move == D, hostile, 0.0))
        return llr[..., None]

    def credible(self, trust: np.ndarray, evidence: np.ndarray) -> np.ndarray:
        return np.maximum(evidence[..., 0], 0.0)

    def respond(self, trust: np.ndarray, hardness: np.ndarray, evidence: np.ndarray) -> np.ndarray:
        belief = np.clip(trust, self.FLOOR, 1 - self.FLOOR)
        log_odds = kernels.log(belief / (1 - belief)) + evidence[..., 0]
        return np.where(evidence[..., 0] == 0.0, 0.0, 1.0 / (1.0 + kernels.exp(-log_odds)) - trust)


RULES = {"adaptive": AdaptiveRule, "bayesian": BayesianRule}
