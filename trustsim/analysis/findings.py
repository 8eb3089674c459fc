"""The answer first: what a sweep found, as tables and as sentences computed from them.

Each sentence cites every number it states (table, row, column), so that a test can check that the
summary says exactly what the tables hold, and the report shows those tables beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from trustsim.analysis import stats
from trustsim.analysis.errors import NotApplicable
from trustsim.analysis.load import Results, format_value, short

ALL_RUNS = "all runs"


@dataclass
class Number:
    """One number a sentence states, and where it comes from."""

    table: str
    row: str
    column: str
    text: str


@dataclass
class Sentence:
    text: str
    numbers: list[Number] = field(default_factory=list)


@dataclass
class Findings:
    """Named tables (index: condition label or parameter) and the sentences built on them."""

    tables: dict[str, pd.DataFrame]
    sentences: list[Sentence]
    warnings: list[str]


class Cite:
    """Formats numbers from a table and remembers each one for the sentence being written."""

    def __init__(self, tables: dict[str, pd.DataFrame]) -> None:
        self.tables = tables
        self.numbers: list[Number] = []

    def __call__(self, table: str, row: str, column: str) -> str:
        value = self.tables[table].loc[row, column]
        text = format_number(value, spec_of(table, column))
        self.numbers.append(Number(table, row, column, text))
        return text

    def interval(self, table: str, row: str, column: str) -> str:
        """``value [low, high]`` from the columns ``column``, ``column_low``, ``column_high``."""
        value = self(table, row, column)
        if not np.isfinite(self.tables[table].loc[row, f"{column}_low"]):
            return value
        return f"{value} [{self(table, row, f'{column}_low')}, {self(table, row, f'{column}_high')}]"

    def sentence(self, text: str) -> Sentence:
        done, self.numbers = self.numbers, []
        return Sentence(text, done)


def spec_of(table: str, column: str) -> str:
    """How a column's numbers print, the same in the summary and in the report's tables."""
    if column in ("runs", "pairs", "step", "replications", "replications_needed"):
        return "d"
    if table == "propagation" and column.startswith("effect"):
        return "+.4f"
    if table == "step_effect" and column.startswith("effect"):
        return "+.3f"
    if column.startswith("p_") or table in ("importance", "discovery"):
        return ".2f"
    if table == "tipping":
        return ".3g"
    return ".3f"


def format_number(value: float, spec: str = ".3f") -> str:
    """As the summary and the tables print it (a signed zero is ``0.000``)."""
    if isinstance(value, str | bool | np.bool_):
        return str(value)
    if value is None or not np.isfinite(value):
        return "n/a"
    if spec == "d":
        return str(int(value))
    text = f"{value:{spec}}"
    return text.lstrip("+-") if float(text) == 0 else text


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


# -- the sentences -----------------------------------------------------------------------------------


def _restoring(cite: Cite, tables: dict[str, pd.DataFrame], threshold: float) -> list[Sentence]:
    if "step_effect" in tables:
        table = tables["step_effect"]
        raised = table[table["effect_low"] > 0]
        lowered = table[table["effect_high"] < 0]
        sentences = []
        if not raised.empty:
            best = raised["effect"].idxmax()
            text = (
                f"The step restored trust in {len(raised)} of {len(table)} conditions (its paired effect on "
                f"final mean trust has a 95% interval above zero); most in the condition {best}: "
                f"{cite.interval('step_effect', best, 'effect')}, P(recovery) "
                f"{cite('step_effect', best, 'p_recovery_with')} with the step against "
                f"{cite('step_effect', best, 'p_recovery_without')} without."
            )
            sentences.append(cite.sentence(text))
        else:
            largest = table["effect"].abs().idxmax()
            text = (
                f"The step did not detectably restore trust in any of {len(table)} conditions: its largest "
                f"paired effect on final mean trust is {cite.interval('step_effect', largest, 'effect')}"
                f" in the condition {largest}."
            )
            sentences.append(cite.sentence(text))
        if not lowered.empty:
            worst = lowered["effect"].idxmin()
            text = (
                f"It lowered final mean trust in {len(lowered)} conditions, most in the condition {worst}: "
                f"{cite.interval('step_effect', worst, 'effect')}."
            )
            sentences.append(cite.sentence(text))
        return sentences
    table = tables["recovery"]
    recovered = table[table["p_recovery"] >= 0.5]
    best = table["p_recovery"].idxmax()
    count = f"{len(recovered)} of {len(table)}" if len(recovered) else f"none of the {len(table)}"
    text = (
        f"Trust recovered (final mean trust at or above {threshold}) in most runs in {count} "
        f"conditions; most often in the condition {best}: P(recovery) "
        f"{cite.interval('recovery', best, 'p_recovery')}, final mean trust "
        f"{cite.interval('recovery', best, 'final_trust')}."
    )
    return [cite.sentence(text)]


def _congealing(cite: Cite, tables: dict[str, pd.DataFrame]) -> list[Sentence]:
    table = tables["recovery"]
    held = table[table["p_recovery"] < 0.5]
    sentences = []
    if not held.empty:
        worst = held["final_trust"].idxmin()
        text = (
            f"Mistrust held (P(recovery) below one half) in {len(held)} of {len(table)} conditions; "
            f"deepest in the condition {worst}: final mean trust "
            f"{cite.interval('recovery', worst, 'final_trust')}, "
            f"P(recovery) {cite.interval('recovery', worst, 'p_recovery')}."
        )
        sentences.append(cite.sentence(text))
    if (table["p_congealing"] > 0).any():
        most = table["p_congealing"].idxmax()
        congealed = table[table["p_congealing"] >= 0.5]
        count = f"{len(congealed)} of {len(table)}" if len(congealed) else f"none of the {len(table)}"
        text = (
            f"Mistrust congealed (half the dyads hardened) in most runs in {count} "
            f"conditions; most often in the condition {most}: P(congealing) "
            f"{cite.interval('recovery', most, 'p_congealing')}."
        )
        sentences.append(cite.sentence(text))
    else:
        sentences.append(Sentence("In no run did half the dyads congeal."))
    return sentences


def _parameters(cite: Cite, tables: dict[str, pd.DataFrame], design: str | None) -> list[Sentence]:
    table = tables.get("importance")
    if table is None or table.empty:
        return []
    measure = {
        "sobol": "its total-order Sobol' index",
        "morris": "its Morris mu*",
        "lhs": "the squared rank correlation with it",
    }.get(design or "", "the share of the variance across runs its values explain")
    parts = [f"{name} ({cite('importance', name, 'final_mean_trust')})" for name in table.index[:3]]
    text = f"The parameters that matter most for final mean trust, by {measure}: " + ", ".join(parts) + "."
    return [cite.sentence(text)]


def _propagation(cite: Cite, tables: dict[str, pd.DataFrame]) -> list[Sentence]:
    table = tables.get("propagation")
    if table is None:
        return []
    parts = [
        f"{cite.interval('propagation', distance, 'effect')} {distance} away at step "
        f"{cite('propagation', distance, 'step')}"
        for distance in table.index
    ]
    text = (
        "The step's largest effect on trust in its initiator (with minus without, paired on common random "
        "numbers): " + ", ".join(parts) + "."
    )
    return [cite.sentence(text)]


def _tipping(cite: Cite, tables: dict[str, pd.DataFrame]) -> list[Sentence]:
    table = tables.get("tipping")
    if table is None or table.empty:
        return []
    sentences = []
    for parameter in table.index:
        if np.isfinite(table.loc[parameter, "crossing"]):
            value = cite("tipping", parameter, "crossing")
            low, high = (cite("tipping", parameter, c) for c in ("low", "high"))
            text = f"P(recovery) crosses one half at {parameter} = {value} [{low}, {high}] (bootstrap)."
            sentences.append(cite.sentence(text))
    return sentences


def _discovery(cite: Cite, tables: dict[str, pd.DataFrame]) -> list[Sentence]:
    table = tables.get("discovery")
    if table is None:
        return []
    box = table.index[0]
    text = (
        f"Scenario discovery (PRIM) bounds where {table.attrs['what']}: {box} "
        f"(density {cite('discovery', box, 'density')}, coverage {cite('discovery', box, 'coverage')})."
    )
    return [cite.sentence(text)]


def replication_warnings(table: pd.DataFrame) -> list[str]:
    warnings = []
    for outcome, row in table.iterrows():
        if row["replications"] < row["replications_needed"]:
            warnings.append(
                f"Too few replications for {outcome}: {int(row['replications'])} give a 95% half-width of "
                f"{format_number(row['half_width_now'], '.3g')}; "
                f"{int(row['replications_needed'])} are needed for "
                f"{format_number(row['target_half_width'], '.3g')}."
            )
    return warnings


def findings(results: Results) -> Findings:
    """The tables and sentences that open a sweep's report."""
    tables: dict[str, pd.DataFrame] = {}
    importance = importance_table(results)
    if results.design == "sobol" and not importance.empty:
        try:
            indices = stats.sensitivity_indices(results).set_index("parameter")
            importance["final_mean_trust"] = [indices.loc[path, "ST"] for path in importance["path"]]
            importance = importance.sort_values("final_mean_trust", ascending=False)
        except NotApplicable:
            pass
    binned = importance["path"].iloc[0] if results.design in SAMPLED and not importance.empty else None
    tables["recovery"] = recovery_table(results, binned)
    effect = step_effect_table(results)
    if effect is not None:
        tables["step_effect"] = effect
    tables["importance"] = importance
    propagation = propagation_table(results)
    if propagation is not None:
        tables["propagation"] = propagation
    tipping = stats.tipping_points(results)
    if not tipping.empty:
        tipping = tipping.drop(columns="label").assign(parameter=tipping["parameter"].map(short))
        tables["tipping"] = tipping.set_index("parameter")
    try:
        from trustsim.analysis.discovery import discover

        box = discover(results)
        row = box.trajectory.loc[box.chosen]
        tables["discovery"] = pd.DataFrame(
            {"coverage": [row["coverage"]], "density": [row["density"]], "mass": [row["mass"]]},
            index=pd.Index([box.where], name="box"),
        )
        switch = stats.step_switch(results) is not None
        tables["discovery"].attrs["what"] = "the step restored trust" if switch else "trust recovered"
    except NotApplicable:
        pass
    replications = replication_table(results)
    if results.replications > 1:  # one run per point: no spread within a condition to judge by
        tables["replications"] = replications
    cite = Cite(tables)
    threshold = stats.recovery_threshold(results)
    sentences = [
        *_restoring(cite, tables, threshold),
        *_congealing(cite, tables),
        *_parameters(cite, tables, results.design),
        *_propagation(cite, tables),
        *_tipping(cite, tables),
        *_discovery(cite, tables),
    ]
    warnings = replication_warnings(replications) if results.replications > 1 else []
    return Findings(tables, sentences, warnings)
