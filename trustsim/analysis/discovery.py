"""Scenario discovery: where in the swept parameters the step restored trust (Bryant & Lempert 2010).

PRIM boxes from the EMA Workbench (Kwakkel 2017, ``ema_workbench.analysis.prim``) with their
coverage-density trade-off, a CART tree (scikit-learn) and extra-trees feature scores
(``ema_workbench.analysis.feature_scoring``), all on the same cases: one row per run (or per pair
of runs with and without the step), the swept parameters as columns.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import pandas as pd

from trustsim.analysis import stats
from trustsim.analysis.errors import NotApplicable
from trustsim.analysis.load import Results, format_value, short

MIN_CASES = 20  # fewer runs than this give boxes that describe single runs
MIN_COVERAGE = 0.5  # the box chosen: the densest that still holds half the cases of interest


@dataclass
class Discovery:
    cases: pd.DataFrame  # the parameters (short names) and ``restored`` (0/1)
    what: str  # what ``restored`` means
    trajectory: pd.DataFrame  # PRIM's peeling trajectory: coverage, density, mass, res_dim
    chosen: int  # the row of ``trajectory`` chosen
    limits: pd.DataFrame  # the chosen box: parameter, low, high (restricted dimensions only)
    where: str  # the chosen box's limits in words, on the values the design ran
    words: str  # the chosen box with its density and coverage, in a sentence
    tree: str  # the CART tree as text
    tree_accuracy: float  # share of cases the tree classifies right (on the cases it was fitted to)
    scores: pd.Series  # extra-trees feature scores, by parameter, highest first


def cases(results: Results) -> tuple[pd.DataFrame, str]:
    """One row per case with the swept parameters and whether the step restored trust.

    With an on/off step: one case per pair (same replication and other parameters), restored when
    the run with the step recovered and ended above the run without it. Otherwise one case per run,
    restored when it recovered (final mean trust at or above the recovery threshold)."""
    if results.kind != "sweep" or not results.varied():
        raise NotApplicable("needs a sweep that varies at least one parameter")
    runs = stats.outcomes(results)
    threshold = stats.recovery_threshold(results)
    switch = stats.step_switch(results)
    parameters = [p for p in results.varied() if p != switch]
    if not parameters:
        raise NotApplicable("needs a parameter swept besides the step's on/off switch")
    if switch is not None:
        keys = [*parameters, "replication"]
        on = runs[runs[switch].astype(bool)].set_index(keys)
        off = runs[~runs[switch].astype(bool)].set_index(keys)
        joined = on[["final_mean_trust", "recovered"]].join(off[["final_mean_trust"]].add_suffix("_off"))
        restored = (joined["recovered"] > 0) & (joined["final_mean_trust"] > joined["final_mean_trust_off"])
        frame = restored.rename("restored").reset_index()
        what = (
            f"the run with the step recovered (final mean trust >= {threshold}) and ended above the same "
            "run without it"
        )
    else:
        frame = runs[[*parameters]].assign(restored=runs["recovered"] > 0)
        what = f"the run recovered (final mean trust >= {threshold})"
    frame = frame[[*parameters, "restored"]].rename(columns={p: short(p) for p in parameters})
    for column in frame.columns[:-1]:
        # numbers as floats: the Workbench's pasting writes a midpoint (7.5) into an integer column's
        # limits, which pandas >= 2.1 refuses for an int64 column (ema_workbench 3.0)
        if pd.api.types.is_numeric_dtype(frame[column]) or frame[column].dtype == bool:
            frame[column] = frame[column].astype(float)
        else:
            frame[column] = frame[column].astype("category")
    frame["restored"] = frame["restored"].astype(int)
    return frame.reset_index(drop=True), what


def _prim():
    """EMA Workbench's PRIM, imported quietly (it warns about optional parallel back-ends)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import feature_scoring, prim
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return prim, feature_scoring


def _box_words(limits: pd.DataFrame, full: pd.DataFrame, x: pd.DataFrame) -> str:
    """The box as conditions on the values the design ran (a limit between two grid values, as
    PRIM's pasting leaves it, is said as the nearest value inside the box)."""
    parts = []
    for parameter, row in limits.iterrows():
        low, high = row["low"], row["high"]
        if isinstance(low, set | frozenset):
            parts.append(f"{parameter} in {{{', '.join(sorted(map(format_value, low)))}}}")
            continue
        inside = x[parameter][(x[parameter] >= low) & (x[parameter] <= high)]
        low, high = (inside.min(), inside.max()) if len(inside) else (low, high)
        whole_low, whole_high = full.loc[parameter, "low"], full.loc[parameter, "high"]
        if low > whole_low and high < whole_high:
            parts.append(f"{format_value(low)} <= {parameter} <= {format_value(high)}")
        elif low > whole_low:
            parts.append(f"{parameter} >= {format_value(low)}")
        else:
            parts.append(f"{parameter} <= {format_value(high)}")
    return " and ".join(parts) if parts else "the whole swept range"


def discover(results: Results, seed: int = 0) -> Discovery:
    """PRIM's first box, CART and feature scores for "the step restored trust"."""
    frame, what = cases(results)
    x, y = frame.drop(columns="restored"), frame["restored"].to_numpy()
    if len(frame) < MIN_CASES:
        raise NotApplicable(f"needs at least {MIN_CASES} runs (has {len(frame)})")
    if y.min() == y.max():
        raise NotApplicable(
            f"the step restored trust in {'every' if y.min() else 'no'} case: nothing to tell apart"
        )
    prim, feature_scoring = _prim()
    with warnings.catch_warnings():  # its own use of a pandas keyword deprecated in pandas 3.1
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        box = prim.Prim(x, y, mass_min=0.05).find_box()
    trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim", "n"]].copy()
    eligible = trajectory[trajectory["coverage"] >= MIN_COVERAGE]
    chosen = int(eligible["density"].idxmax()) if not eligible.empty else 0
    lims = box.box_lims[chosen]
    initial = box.prim.box_init
    restricted = [c for c in x.columns if not lims[c].equals(initial[c])]
    limits = pd.DataFrame(
        {"low": [lims.loc[0, c] for c in restricted], "high": [lims.loc[1, c] for c in restricted]},
        index=pd.Index(restricted, name="parameter"),
    )
    full = pd.DataFrame({"low": initial.loc[0], "high": initial.loc[1]})
    row = trajectory.loc[chosen]
    where = _box_words(limits, full, x)
    words = (
        f"{where}: {row['density']:.0%} of the cases in this box are restored (density), and it holds "
        f"{row['coverage']:.0%} of all restored cases (coverage), {row['mass']:.0%} of the cases"
    )
    from sklearn.tree import DecisionTreeClassifier, export_text

    numeric = x.apply(lambda c: c.cat.codes if isinstance(c.dtype, pd.CategoricalDtype) else c)
    tree = DecisionTreeClassifier(max_depth=3, min_samples_leaf=max(5, len(x) // 20), random_state=seed)
    tree.fit(numeric, y)
    text = export_text(tree, feature_names=list(numeric.columns), class_names=["not restored", "restored"])
    scores, _ = feature_scoring.get_ex_feature_scores(
        numeric, y, max_features=max(1, numeric.shape[1]), random_state=seed
    )
    return Discovery(
        frame,
        what,
        trajectory,
        chosen,
        limits,
        where,
        words,
        text,
        float(tree.score(numeric, y)),
        scores.iloc[:, 0].rename("score"),
    )
