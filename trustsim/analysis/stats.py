"""The numbers behind the charts and the report: outcomes per run, paired effects, survival,
sensitivity indices and tipping points. Functions of loaded ``Results``, nothing else."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from trustsim.analysis.errors import NotApplicable
from trustsim.analysis.load import HOP_MEASURES, Results, format_value, short

HOP_LABELS = dict(zip(HOP_MEASURES, ["1 hop", "2 hops", "3 hops"], strict=True))
ENABLED = re.compile(r"^interventions\.\d+\.enabled$")


def config_of(results: Results) -> dict:
    return results.manifest.get("config") or results.manifest.get("base") or {}


def recovery_threshold(results: Results) -> float:
    return float(config_of(results).get("outcomes", {}).get("recovery_threshold", 0.5))


def outcomes(results: Results) -> pd.DataFrame:
    """Finished runs with 0/1 outcomes: ``recovered`` (final mean trust at or above the recovery
    threshold) and ``congealed`` (half the dyads congealed at some step)."""
    runs = results.ok.copy()
    runs["condition"] = results.condition()
    runs["recovered"] = (runs["final_mean_trust"] >= recovery_threshold(results)).astype(float)
    runs["congealed"] = runs["time_to_congealing"].notna().astype(float)
    return runs


def condition_table(results: Results) -> pd.DataFrame:
    """Outcome summary per condition, in the order of the parameter values (numbers as numbers)."""
    runs = outcomes(results)
    table = runs.groupby("condition", sort=False).agg(
        runs=("run_id", "size"),
        final_trust_mean=("final_mean_trust", "mean"),
        final_trust_sd=("final_mean_trust", "std"),
        p_recovery=("recovered", "mean"),
        p_congealing=("congealed", "mean"),
        constructive=("share_constructive", "mean"),
        peak_crises=("peak_crises", "mean"),
    )
    return table.reindex([c for c in results.condition_order() if c in table.index]).reset_index()


def step_switch(results: Results) -> str | None:
    """The swept ``interventions.N.enabled`` switch, if the sweep pairs runs with and without a step."""
    switches = [p for p in results.varied() if ENABLED.match(p)]
    return switches[0] if switches else None


def paired_hop_effects(results: Results) -> pd.DataFrame | None:
    """With-minus-without trust in the initiator by distance, per step, for runs paired on their
    replication (common random numbers) and the other parameters."""
    switches = [p for p in results.varied() if ENABLED.match(p)]
    if not switches or not set(HOP_MEASURES) & set(results.steps):
        return None
    switch = switches[0]
    others = [p for p in results.varied() if p != switch]
    steps = results.tidy_steps()
    steps["condition"] = (
        steps[others].apply(lambda r: ", ".join(f"{short(p)}={format_value(r[p])}" for p in others), axis=1)
        if others
        else ""
    )
    keys = ["condition", "replication", "step"]
    on = steps[steps[switch].astype(bool)].set_index(keys)[HOP_MEASURES]
    off = steps[~steps[switch].astype(bool)].set_index(keys)[HOP_MEASURES]
    effect = (on - off.reindex(on.index)).reset_index()
    long = effect.melt(id_vars=keys, value_vars=HOP_MEASURES, var_name="distance", value_name="effect")
    long["distance"] = long["distance"].map(HOP_LABELS)
    return long.dropna(subset=["effect"])


def attributed_hop_changes(results: Results) -> pd.DataFrame:
    """Cumulative attributed change of trust in the initiator, by the observer's distance from it:
    per observer, averaged over the states at that distance (the change in ``trust_in_initiator_*``)."""
    network = results.manifest["network"]
    distance = dict(zip(network["states"], network["hops"], strict=True))
    observers = pd.Series(network["hops"]).value_counts()
    initiator = network["initiator"]
    rows = results.attribution[results.attribution["subject"].astype(str) == initiator].copy()
    rows["hops"] = rows["observer"].astype(str).map(distance)
    rows = rows[rows["hops"].between(1, 3)]
    steps = int(results.steps["step"].max())
    table = rows.pivot_table(index="step", columns="hops", values="delta", aggfunc="sum")
    table = table.div(observers.reindex(table.columns), axis="columns")
    table = table.reindex(range(1, steps + 1), fill_value=0.0).fillna(0.0).cumsum()
    long = table.reset_index().melt(id_vars="step", var_name="hops", value_name="change")
    long["distance"] = long["hops"].map({1: "1 hop", 2: "2 hops", 3: "3 hops"})
    return long


def kaplan_meier(times: pd.Series, horizon: int) -> pd.Series:
    """Share of runs without the event by each step; a missing time is censored at ``horizon``."""
    event = times.notna().to_numpy()
    t = np.where(event, times.fillna(horizon).to_numpy(float), horizon)
    steps = np.arange(0, horizon + 1)
    survival = np.ones(len(steps))
    alive = 1.0
    for i, step in enumerate(steps):
        at_risk = (t >= step).sum()
        events = ((t == step) & event).sum()
        if at_risk:
            alive *= 1 - events / at_risk
        survival[i] = alive
    return pd.Series(survival, index=steps)


# the outcomes sensitivity is reported for, as run columns (recovered: 0/1; never recovered: censored)
SENSITIVITY_OUTCOMES = {
    "final_mean_trust": "final mean trust",
    "recovered": "P(recovery)",
    "time_to_recovery": "time to recovery",
    "peak_crises": "peak crises",
}


def _per_point(results: Results, output: str, points: int | None = None) -> np.ndarray:
    """One value per design point (mean over its replications), in point order."""
    runs = outcomes(results)
    values = runs[output].astype(float)
    if output == "time_to_recovery":
        values = values.fillna(float(config_of(results).get("steps", 100)))
    per_point = values.groupby(runs["point"]).mean().sort_index().to_numpy()
    return per_point if points is None else per_point[:points]


def sensitivity_indices(
    results: Results, output: str = "final_mean_trust", base_samples: int | None = None
) -> pd.DataFrame:
    """Sobol' S1/ST (SALib's sobol.analyze) or Morris mu* (morris.analyze) with 95% intervals, of
    one outcome; ``base_samples`` uses only the first that many Saltelli base samples (to check
    convergence). An index below zero by less than its interval is sampling noise: set to 0 and
    flagged in ``S1_noise`` / ``ST_noise``."""
    design = results.design
    problem = results.manifest.get("design", {}).get("problem")
    if design not in ("sobol", "morris") or not problem:
        raise NotApplicable("needs a sweep with a sobol or morris design")
    runs = results.runs
    if (runs["status"] != "ok").any():
        raise NotApplicable("some runs failed: sensitivity indices need every design point")
    if design == "sobol":
        from SALib.analyze import sobol

        second = bool(results.manifest["sweep"]["design"].get("second_order", False))
        block = problem["num_vars"] * (2 if second else 1) + 2
        per_point = _per_point(results, output, base_samples * block if base_samples else None)
        if np.ptp(per_point) == 0:
            raise NotApplicable(f"{output} is the same at every design point")
        # SALib's estimators divide by the variance over the base samples (the design's A and B
        # rows, the first and last of each block) and return 0 with no interval when there is
        # none: an outcome that varies only between the other rows (a rare event, such as the 7
        # recoveries in 1,024 runs of configs/sweeps/sobol.yaml) would read as no influence at all
        ends = np.r_[per_point[0::block], per_point[block - 1 :: block]]
        if np.ptp(ends) == 0:
            varies = int((per_point != ends[0]).sum())
            raise NotApplicable(
                f"{output} is the same ({ends[0]:g}) on all {ends.size} base samples of the Saltelli "
                f"design (it differs at {varies} of its other points): its Sobol' indices cannot be "
                "estimated; a larger n or more replications could"
            )
        # seed 1, not 0: SALib's sobol.analyze ignores a falsy seed and draws its bootstrap from the
        # global NumPy state, so the intervals would change from call to call (figure vs table)
        found = sobol.analyze(problem, per_point, calc_second_order=second, seed=1, print_to_console=False)
        table = pd.DataFrame(
            {
                "parameter": problem["names"],
                "S1": found["S1"],
                "S1_conf": found["S1_conf"],
                "ST": found["ST"],
                "ST_conf": found["ST_conf"],
            }
        )
        for index in ("S1", "ST"):
            noise = (table[index] < 0) & (table[index].abs() <= table[f"{index}_conf"])
            table[f"{index}_noise"] = noise
            table.loc[noise, index] = 0.0
        return table
    from SALib.analyze import morris

    per_point = _per_point(results, output)
    design_points = pd.read_parquet(results.path / "design.parquet").set_index("point")[problem["names"]]
    found = morris.analyze(
        problem,
        design_points.to_numpy(float),
        per_point,
        num_levels=results.manifest["sweep"]["design"].get("levels", 4),
        seed=0,
    )
    return pd.DataFrame(
        {"parameter": problem["names"], "mu_star": found["mu_star"], "mu_star_conf": found["mu_star_conf"]}
    )


def sensitivity_by_outcome(results: Results) -> pd.DataFrame:
    """``sensitivity_indices`` for every outcome of SENSITIVITY_OUTCOMES that varies, stacked; the
    outcomes left out, each with its reason, in ``attrs["left_out"]`` (label -> reason)."""
    frames, left_out = [], {}
    for output, label in SENSITIVITY_OUTCOMES.items():
        if output not in outcomes(results):
            continue
        try:
            frames.append(sensitivity_indices(results, output).assign(outcome=label))
        except NotApplicable as reason:
            if "failed" in str(reason) or "needs" in str(reason):
                raise
            left_out[label] = str(reason)
    if not frames:
        raise NotApplicable("no outcome varies over the design")
    table = pd.concat(frames, ignore_index=True)
    table = table[["outcome", *[c for c in table.columns if c != "outcome"]]]
    table.attrs["left_out"] = left_out
    return table


def sensitivity_convergence(results: Results, output: str = "final_mean_trust") -> pd.DataFrame:
    """Total-order Sobol' indices from the first quarter, half and all of the base samples: indices
    that still move between the last two are not converged (more samples needed)."""
    if results.design != "sobol":
        raise NotApplicable("needs a sobol design")
    n = int(results.manifest["sweep"]["design"]["n"])
    sizes = sorted({max(2, n // 4), max(2, n // 2), n})
    rows = []
    for size in sizes:
        indices = sensitivity_indices(results, output, base_samples=size)
        for _, row in indices.iterrows():
            rows.append(
                {
                    "base_samples": size,
                    "parameter": row["parameter"],
                    "ST": row["ST"],
                    "ST_conf": row["ST_conf"],
                }
            )
    table = pd.DataFrame(rows)
    wide = table.pivot(index="parameter", columns="base_samples", values="ST")
    last, before = wide[sizes[-1]], wide[sizes[-2]] if len(sizes) > 1 else wide[sizes[-1]]
    conf = table[table["base_samples"] == sizes[-1]].set_index("parameter")["ST_conf"]
    # converged: the last doubling moved the index by less than its own 95% interval
    converged = ((last - before).abs() <= conf.reindex(wide.index)).rename("converged")
    table = table.merge(converged, left_on="parameter", right_index=True)
    return table


def _crossing(values: np.ndarray, means: np.ndarray, level: float = 0.5) -> float:
    """First value at which the curve crosses ``level``, by linear interpolation (NaN if never)."""
    above = means >= level
    for i in range(1, len(values)):
        if above[i] != above[i - 1]:
            x0, x1, y0, y1 = values[i - 1], values[i], means[i - 1], means[i]
            return float(x0 + (level - y0) * (x1 - x0) / (y1 - y0))
    return float("nan")


def tipping_points(results: Results, boot: int = 400, seed: int = 0) -> pd.DataFrame:
    """Per numeric swept parameter: where P(recovery) crosses 1/2, with a 95% bootstrap interval."""
    if results.kind != "sweep" or results.design not in ("grid", "list"):
        # sampled designs (lhs, sobol, morris) rarely repeat a value: P(recovery) per value would be
        # one or two 0/1 runs, and its first crossing of 1/2 noise
        return pd.DataFrame()
    runs = outcomes(results)
    rng = np.random.default_rng(seed)
    rows = []
    for parameter in results.varied():
        column = pd.to_numeric(runs[parameter], errors="coerce")
        if column.isna().any() or column.nunique() < 3 or runs[parameter].dtype == bool:
            continue
        groups = [g["recovered"].to_numpy() for _, g in runs.groupby(column)]
        values = np.sort(column.unique())
        crossing = _crossing(values, np.array([g.mean() for g in groups]))
        draws = [
            _crossing(values, np.array([rng.choice(g, len(g)).mean() for g in groups])) for _ in range(boot)
        ]
        draws = np.array(draws)
        found = draws[np.isfinite(draws)]
        # no interval around a crossing that the curve itself does not make
        low, high = (
            np.percentile(found, [2.5, 97.5]) if len(found) and np.isfinite(crossing) else (np.nan,) * 2
        )
        label = (
            f"P(recovery) crosses 1/2 at {short(parameter)} = {crossing:.3g} [{low:.3g}, {high:.3g}]"
            if np.isfinite(crossing)
            else "no crossing in the swept range"
        )
        rows.append(
            {
                "parameter": parameter,
                "crossing": crossing,
                "low": low,
                "high": high,
                "label": label,
                "share_of_boots_with_crossing": len(found) / boot,
            }
        )
    return pd.DataFrame(rows)


def _numeric_parameters(results: Results) -> list[str]:
    runs = results.ok
    return [
        p
        for p in results.varied()
        if not ENABLED.match(p)
        and runs[p].dtype != bool
        and pd.to_numeric(runs[p], errors="coerce").notna().all()
        and runs[p].nunique() >= 2
    ]


def tipping_map_axes(results: Results) -> tuple[str, str]:
    """The two numeric swept parameters a tipping map spans: those whose values explain most of the
    variance of recovery (the first two in the design's order on a tie)."""
    if results.kind != "sweep" or results.design not in ("grid", "list"):
        raise NotApplicable("needs a grid or list sweep (a sampled design rarely repeats a value)")
    numeric = _numeric_parameters(results)
    if len(numeric) < 2:
        raise NotApplicable("needs a grid over at least two numeric parameters")
    runs = outcomes(results)

    def explained(parameter: str) -> float:
        y = runs["recovered"]
        total = ((y - y.mean()) ** 2).sum()
        means = y.groupby(runs[parameter]).transform("mean")
        return float(((means - y.mean()) ** 2).sum() / total) if total > 0 else 0.0

    ranked = sorted(numeric, key=lambda p: -explained(p))
    first, second = sorted(ranked[:2], key=numeric.index)
    return first, second


def _bootstrap_mean(values: np.ndarray, rng: np.random.Generator, boot: int) -> tuple[float, float, float]:
    if len(values) == 0:
        return (np.nan, np.nan, np.nan)
    means = rng.choice(values, (boot, len(values))).mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return (float(values.mean()), float(low), float(high))


def tipping_map(results: Results, boot: int = 400, seed: int = 0) -> pd.DataFrame:
    """P(recovery) per cell of the two parameters of ``tipping_map_axes`` (others pooled), with a 95%
    bootstrap interval (runs resampled within the cell); with an on/off step switch, P(recovery) of
    the runs with the step and the step's paired effect on final mean trust, with its interval."""
    x, y = tipping_map_axes(results)
    runs = outcomes(results)
    switch = next((p for p in results.varied() if ENABLED.match(p)), None)
    rng = np.random.default_rng(seed)
    rows = []
    for (xv, yv), cell in runs.groupby([x, y]):
        row = {"x": xv, "y": yv, "runs": len(cell)}
        if switch is not None:
            on, off = cell[cell[switch].astype(bool)], cell[~cell[switch].astype(bool)]
            others = [p for p in results.varied() if p not in (x, y, switch)]
            keys = [*others, "replication"]
            pairs = on.set_index(keys)["final_mean_trust"] - off.set_index(keys)["final_mean_trust"]
            effect, low, high = _bootstrap_mean(pairs.dropna().to_numpy(), rng, boot)
            row.update(effect=effect, effect_low=low, effect_high=high)
            cell = on
        p, low, high = _bootstrap_mean(cell["recovered"].to_numpy(float), rng, boot)
        row.update(p_recovery=p, p_recovery_low=low, p_recovery_high=high)
        rows.append(row)
    table = pd.DataFrame(rows)
    table.attrs.update(x=x, y=y, switch=switch)
    return table
