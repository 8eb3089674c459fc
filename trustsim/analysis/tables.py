"""The tables a sweep's answer is computed from, one row per condition (or parameter, or outcome):
recovery and congealing, the step's paired effect, what matters, how far the step carries, and how
many replications the intervals need. Intervals: t for means, Wilson (1927) for shares."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from trustsim.analysis import stats
from trustsim.analysis.load import Results, format_value, short

ALL_RUNS = "all runs"


# -- intervals ---------------------------------------------------------------------------------------


def mean_interval(values: pd.Series, bounds: tuple[float, float] | None = None) -> tuple[float, float, float]:
    """Mean and 95% t-interval (NaN bounds for fewer than two values), clipped to ``bounds``."""
    values = values.dropna().to_numpy(float)
    if len(values) == 0:
        return (np.nan, np.nan, np.nan)
    mean = float(values.mean())
    if len(values) < 2:
        return (mean, np.nan, np.nan)
    half = scipy_stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    low, high = mean - half, mean + half
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return (mean, low, high)


def wilson(successes: float, n: int) -> tuple[float, float, float]:
    """Share and 95% Wilson score interval (Wilson 1927): sound at 0/n and n/n, unlike p +/- 2 se."""
    if n == 0:
        return (np.nan, np.nan, np.nan)
    p, z = successes / n, 1.959963984540054
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (p, max(0.0, centre - half), min(1.0, centre + half))


def _label(row: pd.Series, parameters: list[str]) -> str:
    return ", ".join(f"{short(p)}={format_value(row[p])}" for p in parameters) if parameters else ALL_RUNS


# -- the tables --------------------------------------------------------------------------------------


SAMPLED = ("lhs", "sobol", "morris")
BINS = 5  # a sampled design's parameter, cut into quantile bins to give each condition many runs


def sampled_conditions(results: Results, parameter: str) -> tuple[pd.Series, list[str]]:
    """For a sampled design (one run per point): the quantile bin of ``parameter`` each run falls in,
    as ``name low-high`` labels, and the labels in order."""
    runs = results.ok
    bins = pd.qcut(runs[parameter].astype(float), BINS, duplicates="drop")
    labels = bins.map(lambda b: f"{short(parameter)} {b.left:.3g}-{b.right:.3g}").astype(str)
    order = [f"{short(parameter)} {b.left:.3g}-{b.right:.3g}" for b in bins.cat.categories]
    return labels, order


def recovery_table(results: Results, binned: str | None = None) -> pd.DataFrame:
    """Per condition (in parameter order): P(recovery) and P(congealing) with Wilson intervals, final
    mean trust with a t-interval. ``binned``: conditions are the quantile bins of that parameter
    (for a sampled design, whose points are each run once)."""
    runs = stats.outcomes(results)
    varied = results.varied()
    order = results.condition_order()
    if binned is not None:
        runs["condition"], order = sampled_conditions(results, binned)
        varied = []
    rows = []
    for condition in order:
        group = runs[runs["condition"] == condition]
        if group.empty:
            continue
        p, p_low, p_high = wilson(group["recovered"].sum(), len(group))
        c, c_low, c_high = wilson(group["congealed"].sum(), len(group))
        trust, t_low, t_high = mean_interval(group["final_mean_trust"], (0.0, 1.0))
        rows.append(
            {
                "condition": condition,
                **{p_: group[p_].iloc[0] for p_ in varied},
                "runs": len(group),
                "p_recovery": p,
                "p_recovery_low": p_low,
                "p_recovery_high": p_high,
                "final_trust": trust,
                "final_trust_low": t_low,
                "final_trust_high": t_high,
                "p_congealing": c,
                "p_congealing_low": c_low,
                "p_congealing_high": c_high,
            }
        )
    return pd.DataFrame(rows).set_index("condition")


def step_effect_table(results: Results) -> pd.DataFrame | None:
    """Per condition of the other parameters: the paired effect of the step on final mean trust
    (with minus without, same replication: common random numbers), with a 95% t-interval over the
    pairs, and P(recovery) with and without the step."""
    switch = stats.step_switch(results)
    if switch is None:
        return None
    runs = stats.outcomes(results)
    others = [p for p in results.varied() if p != switch]
    runs["pair_condition"] = runs.apply(lambda row: _label(row, others), axis=1)
    keys = ["pair_condition", "replication"]
    on = runs[runs[switch].astype(bool)].set_index(keys)
    off = runs[~runs[switch].astype(bool)].set_index(keys)
    paired = (
        on[["final_mean_trust", "recovered"]]
        .add_suffix("_with")
        .join(off[["final_mean_trust", "recovered"]].add_suffix("_without"), how="inner")
    )
    paired["effect"] = paired["final_mean_trust_with"] - paired["final_mean_trust_without"]
    order = list(dict.fromkeys(runs.sort_values(others, kind="stable")["pair_condition"])) if others else None
    rows = []
    for condition in order or [ALL_RUNS]:
        group = paired.xs(condition, level="pair_condition")
        effect, low, high = mean_interval(group["effect"], (-1.0, 1.0))
        first = runs[runs["pair_condition"] == condition].iloc[0]
        rows.append(
            {
                "condition": condition,
                **{p: first[p] for p in others},
                "pairs": len(group),
                "effect": effect,
                "effect_low": low,
                "effect_high": high,
                "p_recovery_with": group["recovered_with"].mean(),
                "p_recovery_without": group["recovered_without"].mean(),
            }
        )
    return pd.DataFrame(rows).set_index("condition")


def importance_table(results: Results) -> pd.DataFrame:
    """How much each swept parameter matters for final mean trust and P(recovery).

    A grid or list design: the share of the variance across runs explained by the parameter's values
    (the main-effect eta squared), averaged over the other parameters. A Sobol' design: the
    total-order index; Morris: mu*; a Latin hypercube: the squared Spearman rank correlation."""
    runs = stats.outcomes(results)
    rows = []
    for parameter in results.varied():
        row = {"parameter": short(parameter), "path": parameter}
        for outcome in ("final_mean_trust", "recovered"):
            y = runs[outcome].astype(float)
            if results.design in ("grid", "list", None):
                total = ((y - y.mean()) ** 2).sum()
                means = y.groupby(runs[parameter]).transform("mean")
                row[outcome] = float(((means - y.mean()) ** 2).sum() / total) if total > 0 else 0.0
            else:
                rho = scipy_stats.spearmanr(runs[parameter].astype(float), y).statistic
                row[outcome] = float(rho**2) if np.isfinite(rho) else 0.0
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    return table.sort_values("final_mean_trust", ascending=False).set_index("parameter")


def propagation_table(results: Results) -> pd.DataFrame | None:
    """Per distance from the initiator: the step at which the paired effect on trust in the initiator
    is largest in size (signed), its mean over pairs and a 95% t-interval."""
    paired = stats.paired_hop_effects(results)
    if paired is None or paired.empty:
        return None
    rows = []
    for distance, frame in paired.groupby("distance"):
        mean = frame.groupby("step")["effect"].mean()
        step = int(mean.abs().idxmax())
        effect, low, high = mean_interval(frame.loc[frame["step"] == step, "effect"])
        rows.append(
            {"distance": distance, "step": step, "effect": effect, "effect_low": low, "effect_high": high}
        )
    return pd.DataFrame(rows).set_index("distance")


# the outcomes whose intervals the replications must make usable, with the half-width aimed at
REPLICATION_TARGETS = {
    "final_mean_trust": ("final mean trust", 0.05),
    "recovered": ("P(recovery)", 0.10),
    "time_to_recovery": ("time to recovery (steps)", None),  # 5% of the steps run
    "peak_crises": ("peak crises", None),  # 10% of its mean
}


def replication_table(results: Results) -> pd.DataFrame:
    """Per outcome: the spread within conditions, the 95% half-width the replications give, and the
    replications a half-width of the target needs (n = (1.96 sd / target)^2)."""
    runs = stats.outcomes(results)
    steps = int(stats.config_of(results).get("steps", 100))
    rows = []
    for column, (label, target) in REPLICATION_TARGETS.items():
        if column not in runs:
            continue
        values = runs[column].astype(float)
        if column == "time_to_recovery":
            values = values.fillna(steps)  # never recovered: censored at the last step
            target = 0.05 * steps
        if target is None:
            target = max(0.1 * abs(values.mean()), 0.5)
        sd = float(np.sqrt(values.groupby(runs["condition"]).var(ddof=1).mean()))
        have = results.replications
        need = int(np.ceil((1.96 * sd / target) ** 2)) if np.isfinite(sd) and sd > 0 else 2
        rows.append(
            {
                "outcome": label,
                "target_half_width": target,
                "sd_within_conditions": sd,
                "replications": have,
                "half_width_now": 1.96 * sd / np.sqrt(have) if have > 1 else np.nan,
                "replications_needed": max(need, 2),
            }
        )
    return pd.DataFrame(rows).set_index("outcome")
