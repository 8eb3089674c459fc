"""The decision stage of a step (SPEC items 4 and 7, docs/ODD.md Sections 7.3-7.3a): the threat
each actor faces, the payoffs as each actor sees them, each policy's choice over its dyads, then
execution noise and paralysis. ``Decisions`` is a part of ``TrustModel`` (which inherits it), kept
apart so that the step reads as its stages; every attribute is the model's.
"""

from __future__ import annotations

import numpy as np

from trustsim.model import kernels
from trustsim.model.policies import StepDyads


class Decisions:
    """The decision stage of ``TrustModel.step`` (a mixin: every attribute is the model's)."""

    def _edge_views(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per edge i -> j, as trust stands before the step's updates: i's trust in j, j's trust in i,
        and the threat i faces from j: distrust * capability_j * posture_j, the national-security
        threat of Richardson's reaction term (``kernels.edge_views``: one pass)."""
        return kernels.edge_views(
            self.trust.ravel(), self.flat_src_dst, self.rev, self.dst, self.capability, self.posture
        )

    def decision_terms(self, threat_faced: np.ndarray) -> dict[str, np.ndarray]:
        """What each actor's payoffs look like to it this step (per edge), for the policies.

        - temptation: T for a greedy actor, ``security_temptation`` (< R) for a security seeker
          (Kydd 2005: security seekers prefer mutual restraint to exploitation);
        - sucker: S, lowered for a security seeker by ``fear`` times the threat it faces, including
          threatened costs: the more threatened, the worse being caught restraining (Jervis 1976,
          the spiral model);
        - escalation_cost: the cost the actor expects for escalating: threatened negative incentives
          (deterrence) and the audience cost of reneging on a declaration still binding it;
        - security_seeker: whether the actor's motive is security; only a security seeker answers a
          provocation out of resolve (``Logit.answer_provocation``): a greedy state's escalation is
          no answer but its dominant move, checked by deterrence alone (Jervis 1976, ch. 3).
        """
        cfg = self.config.payoffs
        secure = cfg.security_temptation if cfg.security_temptation is not None else (cfg.P + cfg.R) / 2
        temptation, sucker, escalation_cost = kernels.decision_terms(
            self.edge_greedy,
            threat_faced,
            self.threatened,
            self.commitment,
            float(cfg.T),
            float(secure),
            float(cfg.S),
            float(cfg.fear),
            float(self.config.trust.audience_cost),
            float(cfg.deterrence),
        )
        return {
            "temptation": temptation,
            "sucker": sucker,
            "escalation_cost": escalation_cost,
            "security_seeker": self.security_seeker,  # fixed for the model's life (read-only)
        }

    def _decide(
        self,
        draw: np.ndarray,
        reward: float,
        bonus: np.ndarray,
        trust: np.ndarray,
        threat_faced: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        actions = np.empty(self.n_edges, dtype=np.int64)
        declared = np.zeros(self.n_edges, dtype=bool)
        cfg = self.config.payoffs
        terms = self.decision_terms(threat_faced)
        sources = {
            "trust": trust,
            "other_last": self.other_last,
            "other_before": self.other_before,
            "other_last_value": self.other_last_value,
            "own_last": self.own_last,
            "own_last_action": self.last_action,
            "draw": draw,
            **terms,
        }
        for name, (edges, repertoire) in self._policy_view_parts().items():
            policy = self.policy(name)
            keys = [f"{name}.{field}" for field in policy.memory]
            view = StepDyads(
                edges,
                sources,
                reward,
                bonus=bonus,
                payoffs=(cfg.T, cfg.R, cfg.P, cfg.S),
                catalog=self.catalog,
                repertoire=dict(repertoire),
                memory={
                    field: self.memory[key][edges] for field, key in zip(policy.memory, keys, strict=True)
                },
            )
            actions[edges], declared[edges] = policy.choose(view)
            for field, key in zip(policy.memory, keys, strict=True):
                self.memory[key][edges] = view.memory[field]
        return actions, declared

    def _slips(
        self, actions: np.ndarray, noise_draw: np.ndarray, paralysis_draw: np.ndarray, forced, trust
    ) -> np.ndarray:
        """What comes of the intended actions (SPEC item 7; one compiled pass, ``kernels.slips``):

        - execution noise: with probability ``execution_noise`` an intended move comes out as its
          opposite (the actor's escalatory step for a constructive one, and back);
        - paralysis: low trust paralyses the will to try: an initiative (a constructive step not
          answering one) is dropped for holding with probability paralysis * (1 - trust);
        - with ``trust.paralysis_keeps_course``, low trust paralyses the will "to alter the current
          trajectory" too: any other change in the kind of step toward a partner (escalating after
          holding, holding after escalating, ...) gives way to the step the actor took last, with
          the same probability and draw (docs/ODD.md Section 7.6).

        A scheduled (forced) action is taken as scheduled.
        """
        repertoire = self.edge_repertoire
        return kernels.slips(
            actions,
            noise_draw,
            paralysis_draw,
            forced,
            self.catalog.kind,
            repertoire["constructive"],
            repertoire["escalatory"],
            repertoire["neutral"],
            self.other_last,
            self.last_action,
            trust,
            float(self.config.execution_noise),
            float(self.config.trust.paralysis),
            bool(self.config.trust.paralysis_keeps_course),
        )
