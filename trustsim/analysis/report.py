"""The report: one self-contained HTML page (figures embedded) about a run or a sweep."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from trustsim.analysis import findings as answer
from trustsim.analysis import stats
from trustsim.analysis.errors import NotApplicable
from trustsim.analysis.figures import FIGURES, plt
from trustsim.analysis.load import Results, short
from trustsim.execution.run import write_atomic

SECTIONS = {
    "trajectories": (
        "Trust over time",
        "Mean trust per condition with 95% confidence bands across "
        "replications; within- versus across-bloc trust.",
    ),
    "dyads": (
        "Trust per dyad",
        "Trust of each state in each partner at every step of this run; scheduled steps shaded.",
    ),
    "propagation": (
        "Propagation of a small step",
        "Change in trust in the state that took the step, one, two and three relations away.",
    ),
    "heatmaps": (
        "Outcomes over two parameters",
        "Final mean trust, probability of recovery (final mean "
        "trust at or above the recovery threshold) and of congealing (half the dyads congealed).",
    ),
    "tipping_maps": (
        "Tipping maps",
        "P(recovery) over two swept parameters (95% bootstrap interval per cell, runs resampled within "
        "it); the white line is the estimated tipping boundary where P(recovery) = 1/2, the dashed lines "
        "where its interval bounds cross 1/2 (interpolated between cells). With an on/off step, the "
        "step's paired effect on final mean trust over the same cells.",
    ),
    "tipping_points": (
        "Tipping points",
        "Where along a swept parameter the probability of recovery "
        "crosses one half, with a 95% bootstrap interval.",
    ),
    "survival": (
        "Time to recovery",
        "Kaplan-Meier curves of the time until mean trust reaches the recovery "
        "threshold, for runs that start below it.",
    ),
    "hysteresis": ("Congealing: hysteresis", "Trust against a shared threat raised and then lowered."),
    "action_mix": (
        "What states do",
        "Shares of constructive, neutral and escalatory steps; the gap between "
        "how steps are meant and how they are read (countervailing rights).",
    ),
    "discovery": (
        "Scenario discovery",
        "PRIM (Friedman and Fisher 1999; the EMA Workbench's implementation) peels the swept parameters "
        "down to a box where the step restored trust (without an on/off step: where trust recovered): "
        "each point of its trajectory trades coverage for "
        "density; the box chosen is the densest that keeps at least half the restored cases. Beside it, "
        "extra-trees feature scores; below, the box's limits and a CART tree (scikit-learn).",
    ),
    "sensitivity": (
        "Sensitivity",
        "Sensitivity indices of final mean trust, P(recovery), time to recovery (never: the last step) and "
        "peak crises, with 95% confidence intervals (outcomes that do not vary are left out).",
    ),
}

# the tables that back the summary, in the order shown, with what each holds
ANSWER_TABLES = {
    "step_effect": "The step's paired effect on final mean trust (with minus without, same replication), "
    "95% t-interval over the pairs; P(recovery) with and without it.",
    "recovery": "P(recovery) and P(congealing) per condition with 95% Wilson intervals; final mean trust "
    "with a 95% t-interval.",
    "importance": "How much each parameter matters (see the summary for the measure): final mean trust "
    "and P(recovery).",
    "propagation": "The largest paired effect on trust in the initiator, by distance.",
    "tipping": "Where P(recovery) crosses one half along a parameter (95% bootstrap interval).",
    "discovery": "The PRIM box chosen (see Scenario discovery): density, coverage and mass.",
    "replications": "How many replications the 95% intervals need, per outcome.",
}
# charts that take ``by`` (facet by a swept parameter) and captions that fit a single run
FACETED = {"trajectories", "survival", "action_mix"}
ONE_RUN_CAPTIONS = {
    "trajectories": "Mean trust at each step of this one run; within- versus across-bloc trust.",
    "survival": "The step at which mean trust first reached the recovery threshold in this run (one run: "
    "a time, not a distribution).",
    "action_mix": "Shares of constructive, neutral and escalatory steps in this run; the gap between how "
    "steps are meant and how they are read.",
}
LONG_TABLE = 20  # rows shown before a table is summarized (the full table is a download)

STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.5}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
.summary{background:#f4f7fb;border-left:4px solid #0173b2;padding:.8em 1.2em}
.warning{background:#fff4e5;border-left:4px solid #de8f05;padding:.4em 1em}
img{max-width:100%;height:auto} table{border-collapse:collapse;font-size:.9em;margin:1em 0}
th,td{border:1px solid #ddd;padding:.3em .6em;text-align:right} th{background:#f0f0f0}
td:first-child,th:first-child{text-align:left} pre{background:#f7f7f7;padding:1em;overflow:auto;
font-size:.8em} .meta td{text-align:left} .caption{color:#555;font-size:.92em}
"""


def _image(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _fmt(value: float, digits: int = 3) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def _csv_link(frame: pd.DataFrame, name: str) -> str:
    data = base64.b64encode(frame.to_csv().encode("utf-8")).decode("ascii")
    return (
        f"<a download='{html.escape(name)}.csv' href='data:text/csv;base64,{data}'>download the full "
        f"table ({len(frame)} rows, CSV)</a>"
    )


def answer_table_html(name: str, frame: pd.DataFrame, keep: set[str]) -> str:
    """A findings table as HTML, numbers printed as the summary prints them. Over ``LONG_TABLE`` rows,
    it shows the rows the summary cites and the first and last rows, and embeds the whole as a CSV."""
    shown = frame.drop(columns=[c for c in frame.columns if "." in c or c == "path"])
    if len(shown) > LONG_TABLE:
        edges = set(shown.index[:5]) | set(shown.index[-5:])
        shown = shown[[label in keep or label in edges for label in shown.index]]
    body = "".join(
        "<tr><td>"
        + html.escape(str(label))
        + "</td>"
        + "".join(f"<td>{answer.format_number(row[c], answer.spec_of(name, c))}</td>" for c in shown.columns)
        + "</tr>"
        for label, row in shown.iterrows()
    )
    head = "".join(f"<th>{html.escape(c)}</th>" for c in [frame.index.name or "", *shown.columns])
    note = ""
    if len(shown) < len(frame):
        note = (
            f"<p class='caption'>{len(shown)} of {len(frame)} rows: those the summary cites, the first and "
            f"the last; {_csv_link(frame, name)}.</p>"
        )
    return f"<table id='table-{name}'><tr>{head}</tr>{body}</table>{note}"


def long_table_html(frame: pd.DataFrame, name: str, sort_by: str) -> str:
    """A table as HTML; over ``LONG_TABLE`` rows, the five lowest and highest by ``sort_by`` and the
    whole as a CSV download."""
    if len(frame) <= LONG_TABLE:
        return frame.to_html(index=False, float_format="%.3f", border=0, na_rep="n/a")
    ordered = frame.sort_values(sort_by)
    shown = pd.concat([ordered.head(5), ordered.tail(5)])
    return (
        f"<p class='caption'>The five lowest and five highest of {len(frame)} rows by {sort_by}; "
        f"{_csv_link(frame.set_index(frame.columns[0]), name)}.</p>"
        + shown.to_html(index=False, float_format="%.3f", border=0, na_rep="n/a")
    )


def _recovery_phrase(row: pd.Series, threshold: float) -> str:
    if pd.notna(row["time_to_recovery"]):
        reached = f"it reached the recovery threshold ({threshold}) at step {int(row['time_to_recovery'])}"
        return reached + ("." if row["final_mean_trust"] >= threshold else " but ended below it.")
    if row["final_mean_trust"] >= threshold:
        return f"it stayed at or above the recovery threshold ({threshold})."
    if row["initial_mean_trust"] >= threshold:
        return f"it fell below the recovery threshold ({threshold}) and did not come back."
    return f"it never reached the recovery threshold ({threshold})."


def run_sentences(results: Results) -> list[str]:
    """What one run did, from its numbers (n = 1: no intervals, no probabilities)."""
    row = stats.outcomes(results).iloc[0]
    threshold = stats.recovery_threshold(results)
    return [
        f"Mean trust went from {_fmt(row['initial_mean_trust'])} to {_fmt(row['final_mean_trust'])} over "
        f"{int(results.steps['step'].max())} steps; " + _recovery_phrase(row, threshold),
        f"{int(row['final_congealed_dyads'])} of {int(row['dyads'])} directed dyads ended congealed; "
        f"{row['share_constructive']:.0%} of all steps were constructive and "
        f"{row['share_escalatory']:.0%} escalatory (peak {row['peak_escalation']:.0%} in one step).",
        "This is one run (one seed): it shows what can happen, not how often; a sweep with replications "
        "gives probabilities and intervals.",
    ]


def sweep_opening(results: Results) -> str:
    runs = stats.outcomes(results)
    failed = int((results.runs["status"] != "ok").sum())
    return (
        f"{len(results.runs)} runs ({len(runs)} finished, {failed} failed): "
        f"{results.manifest['design']['points']} design points x {results.replications} replications; "
        f"overall {runs['recovered'].mean():.0%} of runs ended with mean trust at or above "
        f"{stats.recovery_threshold(results)} and {runs['congealed'].mean():.0%} saw half their dyads "
        "congeal."
    )


def summary_sentences(results: Results) -> list[str]:
    """The plain-language summary: for a sweep, what it found (every number from a findings table)."""
    if results.kind == "run":
        return run_sentences(results)
    return [sweep_opening(results), *(s.text for s in answer.findings(results).sentences)]


def _figure_section(name: str, results: Results, by: str | None) -> str:
    title, caption = SECTIONS[name]
    try:
        figure = FIGURES[name](results, by=by) if name in FACETED else FIGURES[name](results)
    except NotApplicable:
        return ""
    if results.kind == "run" and name in ONE_RUN_CAPTIONS:
        caption = ONE_RUN_CAPTIONS[name]
    parts = [
        f"<h2>{html.escape(title)}</h2><p class='caption'>{html.escape(caption)}</p>"
        f"<img alt='{html.escape(title)}' src='data:image/png;base64,{_image(figure)}'>"
    ]
    if name == "sensitivity":
        parts.append(sensitivity_tables(results))
    if name == "discovery":
        parts.append(discovery_text(results))
    if name == "tipping_points":
        points = stats.tipping_points(results)[["parameter", "crossing", "low", "high"]]
        parts.append(points.to_html(index=False, float_format="%.3f", border=0, na_rep="n/a"))
    return "".join(parts)


def discovery_text(results: Results) -> str:
    from trustsim.analysis.discovery import discover

    found = discover(results)
    limits = found.limits.reset_index()
    return (
        f"<p>A case is restored when {html.escape(found.what)}. The box chosen: "
        f"<b>{html.escape(found.words)}</b>.</p><p class='caption'>PRIM's limits as it found them (after "
        "pasting, a limit may fall between two values the design ran; the sentence above names the values "
        "inside):</p>"
        + limits.to_html(index=False, float_format="%.3g", border=0)
        + f"<details><summary>The CART tree (depth 3; it classifies {found.tree_accuracy:.0%} of the "
        f"cases right)</summary><pre>{html.escape(found.tree)}</pre></details>"
    )


def sensitivity_tables(results: Results) -> str:
    """The indices of every outcome, and for Sobol' whether they converged over the sample size."""
    table = stats.sensitivity_by_outcome(results)
    shown = table.assign(parameter=table["parameter"].map(short))
    flags = [c for c in shown.columns if c.endswith("_noise")]
    if flags:
        noise = shown[flags].any(axis=1)
        shown = shown.drop(columns=flags).assign(note=np.where(noise, "negative within its interval: 0", ""))
    parts = [shown.to_html(index=False, float_format="%.3f", border=0, na_rep="n/a")]
    left_out = table.attrs.get("left_out", {})
    if left_out:
        parts.append(
            "<p class='caption'>Left out: "
            + "; ".join(f"{html.escape(label)}: {html.escape(reason)}" for label, reason in left_out.items())
            + ".</p>"
        )
    if results.design == "sobol":
        convergence = stats.sensitivity_convergence(results)
        wide = convergence.pivot(index="parameter", columns="base_samples", values="ST")
        wide.columns = [f"ST, {n} base samples" for n in wide.columns]
        done = convergence.drop_duplicates("parameter").set_index("parameter")["converged"]
        wide["converged"] = done.reindex(wide.index).map({True: "yes", False: "no: more samples"})
        wide.index = wide.index.map(short)
        parts.append(
            "<p class='caption'>Convergence of the total-order index of final mean trust: from the first "
            "quarter, half and all of the base samples; converged when the last doubling moved it by less "
            "than its 95% interval.</p>"
            + wide.reset_index().to_html(index=False, float_format="%.3f", border=0)
        )
    return "".join(parts)


def _what_was_run(results: Results) -> list[str]:
    manifest = results.manifest
    parts = ["<h2>What was run</h2><table class='meta'>"]
    if results.kind == "sweep":
        design = manifest["design"]
        rows = [
            ("sweep", manifest["name"]),
            ("source", manifest.get("source")),
            (
                "design",
                f"{design['kind']}: {design['points']} points x {manifest['replications']} "
                f"replications = {manifest['runs']} runs",
            ),
            ("parameters", ", ".join(design["parameters"])),
            ("master seed", manifest["master_seed"]),
            ("common random numbers", manifest.get("common_random_numbers")),
            (
                "run seeds",
                "derived from the master seed and each run's identity (NumPy SeedSequence); "
                "listed per run in runs.parquet",
            ),
            ("wall time", f"{manifest.get('wall_time_seconds', 0):.1f} s"),
        ]
    else:
        rows = [
            ("scenario", manifest["scenario"]),
            ("source", manifest.get("source")),
            ("seed", manifest["seed"]),
            ("steps", manifest["steps"]),
            ("wall time", f"{manifest.get('wall_time_seconds', 0):.2f} s"),
        ]
    rows.append(("versions", ", ".join(f"{k} {v}" for k, v in manifest.get("versions", {}).items())))
    parts += [f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows]
    parts.append("</table>")
    config = manifest.get("sweep") or manifest.get("config")
    parts.append(
        "<details><summary>The configuration, resolved</summary><pre>"
        + html.escape(yaml.safe_dump(config, sort_keys=False))
        + "</pre></details>"
    )
    if results.kind == "sweep":
        parts.append(
            "<details><summary>The base scenario, resolved</summary><pre>"
            + html.escape(yaml.safe_dump(manifest["base"], sort_keys=False))
            + "</pre></details>"
        )
    return parts


def build_report(
    results: Results, by: str | None = None, progress: Callable[[str], None] | None = None
) -> str:
    """The report as one HTML string, every figure embedded as a PNG data URI: the answer first
    (summary and the tables it cites), then what was run, the figures, and the outcomes per
    condition last (summarized when long). ``by`` facets the charts by a swept parameter;
    ``progress`` is told the name of each part as it is built."""
    tell = progress or (lambda name: None)
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>trustsim report: "
        f"{html.escape(results.name)}</title><style>{STYLE}</style></head><body>",
        f"<h1>trustsim report: {html.escape(results.name)}</h1>",
        "<p class='caption'>When do small constructive steps propagate into restored trust, and when "
        "does mistrust congeal?</p>",
    ]
    tell("summary")
    found = answer.findings(results) if results.kind == "sweep" else None
    sentences = (
        [sweep_opening(results), *(s.text for s in found.sentences)] if found else run_sentences(results)
    )
    parts.append(
        "<div class='summary'><h2 style='margin-top:.3em;border:0'>Summary</h2>"
        + "".join(f"<p>{html.escape(s)}</p>" for s in sentences)
        + "".join(f"<p class='warning'>{html.escape(w)}</p>" for w in (found.warnings if found else []))
        + "</div>"
    )
    if found:
        cited: dict[str, set[str]] = {}
        for sentence in found.sentences:
            for number in sentence.numbers:
                cited.setdefault(number.table, set()).add(number.row)
        parts.append("<h2>The answer in numbers</h2>")
        for name, caption in ANSWER_TABLES.items():
            if name in found.tables and not found.tables[name].empty:
                parts.append(f"<p class='caption'>{html.escape(caption)}</p>")
                parts.append(answer_table_html(name, found.tables[name], cited.get(name, set())))
    parts += _what_was_run(results)
    for name in SECTIONS:
        tell(name)
        parts.append(_figure_section(name, results, by))
    tell("tables")
    table = stats.condition_table(results)
    parts.append("<h2>Outcomes per condition</h2>" + long_table_html(table, "conditions", "final_trust_mean"))
    parts.append("<p class='caption'>Generated by <code>trustsim report</code>.</p></body></html>")
    return "\n".join(part for part in parts if part)


def write_report(
    results: Results,
    out: Path | None = None,
    by: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> Path:
    out = out or results.path / "report.html"
    text = build_report(results, by, progress)
    write_atomic(out, lambda partial: partial.write_text(text, encoding="utf-8"))
    return out
