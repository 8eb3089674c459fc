"""The essay's claims as paired experiments: ``trustsim claims`` writes ``docs/claims.md``.

Each claim is one experiment on common random numbers: the same seeds run with the treatment and
with the control, the effect is the mean paired difference of an outcome with a 95% t interval over
the replications, and the ablation repeats the pair with the mechanism switched off, which should
remove the effect. Nothing here is typed in: every figure of docs/claims.md comes from these runs.

The method (``experiment``: a claim, its paired arms and when it holds), what arms are built of
(``arms``: two-state dyads, a network, the outcomes measured), the claims themselves (``essay``) and
their evaluation and page (``report``).
"""

from __future__ import annotations

from trustsim.claims.arms import dyad
from trustsim.claims.essay import CLAIMS
from trustsim.claims.experiment import Claim, ClaimResult
from trustsim.claims.report import evaluate, render_markdown

__all__ = ["CLAIMS", "Claim", "ClaimResult", "dyad", "evaluate", "render_markdown"]
