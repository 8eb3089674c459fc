"""``record.attribution_scope: focus`` keeps the changes of trust in the initiator (and those its
steps cause) row by row, and sums every other change into one ``(others)`` row per step and
mechanism: the same totals as the full log, far fewer rows, and the same initiator rows."""

from __future__ import annotations

import pandas as pd

from trustsim.config.loading import load_scenario
from trustsim.model.model import TrustModel

STEP = "[{step: 3, actor: RUS, action: limit_military_exercises, declared: true, duration: 10}]"


def attribution(scope: str) -> tuple[pd.DataFrame, TrustModel]:
    config = load_scenario(
        "europe",
        ["steps=30", "record.attribution=true", f"record.attribution_scope={scope}", f"interventions={STEP}"],
    )
    model = TrustModel(config)
    model.run(30)
    return model.attribution.frame(model), model


def test_focus_scope_keeps_the_initiators_rows_and_every_total():
    full, model = attribution("all")
    focus, _ = attribution("focus")
    assert model.codes[model.initiator] == "RUS"
    totals = [f.groupby(["step", "mechanism"], observed=True)["delta"].sum() for f in (full, focus)]
    pd.testing.assert_series_equal(totals[0], totals[1], atol=1e-12, rtol=0)
    about = lambda f: f[(f["subject"] == "RUS") | (f["actor"] == "RUS")].reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(
        about(full).astype({c: str for c in ("observer", "subject", "actor")}),
        about(focus).astype({c: str for c in ("observer", "subject", "actor")}),
    )
    others = focus[focus["observer"] == "(others)"]
    assert len(others) == len(focus) - len(about(focus))
    assert len(others) <= 30 * 3  # at most one row per step and mechanism (direct, observation, alliance)
    assert len(focus) < len(full) / 3


def test_recording_attribution_in_either_scope_changes_nothing_in_the_run():
    (_, full), (_, focus) = attribution("all"), attribution("focus")
    config = load_scenario("europe", ["steps=30", "record.attribution=false", f"interventions={STEP}"])
    bare = TrustModel(config)
    bare.run(30)
    assert (full.trust == bare.trust).all() and (focus.trust == bare.trust).all()
