"""The answer first: what a sweep found, as tables and as sentences computed from them.

Each sentence cites every number it states (table, row, column), so that a test can check that the
summary says exactly what the tables hold, and the report shows those tables beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from trustsim.analysis import stats
from trustsim.analysis.errors import NotApplicable
from trustsim.analysis.load import Results, short
from trustsim.analysis.tables import (
    SAMPLED,
    importance_table,
    propagation_table,
    recovery_table,
    replication_table,
    step_effect_table,
)


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


# -- the sentences -----------------------------------------------------------------------------------


def _count(part: pd.DataFrame, table: pd.DataFrame) -> str:
    """``2 of 5`` conditions, or ``none of the 5``."""
    return f"{len(part)} of {len(table)}" if len(part) else f"none of the {len(table)}"


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
    text = (
        f"Trust recovered (final mean trust at or above {threshold}) in most runs in "
        f"{_count(recovered, table)} conditions; most often in the condition {best}: P(recovery) "
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
        text = (
            f"Mistrust congealed (half the dyads hardened) in most runs in {_count(congealed, table)} "
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
