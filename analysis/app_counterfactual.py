"""The app's "With and without" panel on europe, as docs/app.md quotes it: Russia's declared limits on
military exercises from step 2 for 6 steps, scheduled after one step, and the panel's figures at
step 7 (mean trust with and without the step, and the difference in trust in Russia one relation
away), computed as the panel computes them (``trustsim.app.charts.measure`` and ``difference``).

    python analysis/app_counterfactual.py
"""

import sys

from trustsim.app.charts import difference, measure
from trustsim.app.viz_model import VizModel


def main() -> int:
    model = VizModel("europe")
    model.step()
    model.schedule_step("RUS", "limit_military_exercises", step=2, duration=6, declared=True)
    for _ in range(6):
        model.step()
    with_trust = measure(model, "mean_trust")[-1]
    without_trust = measure(model.without, "mean_trust")[-1]
    near = difference(model, "trust_in_initiator_1hop")[-1]
    print(
        f"step {model.steps}: mean trust {with_trust:.3f} with, {without_trust:.3f} without "
        f"({with_trust - without_trust:+.3f}); trust in RUS one relation away {near:+.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
