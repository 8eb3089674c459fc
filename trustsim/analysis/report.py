"""The report: one self-contained HTML page (figures embedded) about a run or a sweep."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from trustsim.analysis import stats
from trustsim.analysis.errors import NotApplicable
from trustsim.analysis.figures import FIGURES, plt
from trustsim.analysis.load import Results, format_value, short
from trustsim.execution.run import write_atomic

SECTIONS = {
    "trajectories": (
        "Trust over time",
        "Mean trust per condition with 95% confidence bands across "
        "replications; within- versus across-bloc trust.",
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
    "sensitivity": ("Sensitivity", "Sensitivity indices of final mean trust with 95% confidence intervals."),
}

STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.5}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
.summary{background:#f4f7fb;border-left:4px solid #0173b2;padding:.8em 1.2em}
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


def _recovery_phrase(row: pd.Series, threshold: float) -> str:
    if pd.notna(row["time_to_recovery"]):
        reached = f"it reached the recovery threshold ({threshold}) at step {int(row['time_to_recovery'])}"
        return reached + ("." if row["final_mean_trust"] >= threshold else " but ended below it.")
    if row["final_mean_trust"] >= threshold:
        return f"it stayed at or above the recovery threshold ({threshold})."
    if row["initial_mean_trust"] >= threshold:
        return f"it fell below the recovery threshold ({threshold}) and did not come back."
    return f"it never reached the recovery threshold ({threshold})."


def summary_sentences(results: Results) -> list[str]:
    """A short plain-language summary generated from the numbers."""
    runs = stats.outcomes(results)
    threshold = stats.recovery_threshold(results)
    sentences = []
    failed = int((results.runs["status"] != "ok").sum())
    if results.kind == "run":
        row = runs.iloc[0]
        sentences.append(
            f"Mean trust went from {_fmt(row['initial_mean_trust'])} to {_fmt(row['final_mean_trust'])} over "
            f"{int(results.steps['step'].max())} steps; " + _recovery_phrase(row, threshold)
        )
        sentences.append(
            f"{int(row['final_congealed_dyads'])} of {int(row['dyads'])} directed dyads ended congealed; "
            f"{row['share_constructive']:.0%} of all steps were constructive and "
            f"{row['share_escalatory']:.0%} escalatory (peak {row['peak_escalation']:.0%} in one step)."
        )
    else:
        sentences.append(
            f"{len(results.runs)} runs ({len(runs)} finished, {failed} failed): "
            f"{results.manifest['design']['points']} design points x {results.replications} replications; "
            f"overall {runs['recovered'].mean():.0%} of runs ended with mean trust at or above {threshold} "
            f"and {runs['congealed'].mean():.0%} saw half their dyads congeal."
        )
        effects = []
        # a sampled design (lhs, sobol, morris) rarely repeats a value: compare values on a grid only
        for parameter in results.varied() if results.design in ("grid", "list") else []:
            by_value = runs.groupby(parameter)[["recovered", "final_mean_trust"]].mean()
            spread = by_value["final_mean_trust"].max() - by_value["final_mean_trust"].min()
            effects.append((spread, parameter, by_value))
        if effects:
            spread, parameter, by_value = max(effects, key=lambda item: item[0])
            low, high = by_value["final_mean_trust"].idxmin(), by_value["final_mean_trust"].idxmax()
            sentences.append(
                f"The parameter that most changed the outcome was {short(parameter)}: final mean trust "
                f"{_fmt(by_value.loc[low, 'final_mean_trust'])} at {short(parameter)} = {format_value(low)}"
                f" against {_fmt(by_value.loc[high, 'final_mean_trust'])} at {format_value(high)} "
                f"(probability of recovery {by_value.loc[low, 'recovered']:.0%} against "
                f"{by_value.loc[high, 'recovered']:.0%}), averaged over the other parameters."
            )
        paired = stats.paired_hop_effects(results)
        if paired is not None and not paired.empty:
            mean = paired.groupby(["distance", "step"])["effect"].mean()
            parts = []
            for distance in ("1 hop", "2 hops", "3 hops"):
                if distance in mean.index.get_level_values(0):
                    series = mean.loc[distance]
                    parts.append(f"{series.max():+.3f} {distance} away (peak at step {int(series.idxmax())})")
            if parts:
                sentences.append(
                    "The small step raised trust in its initiator by "
                    + ", ".join(parts)
                    + ", averaged over paired runs on common random numbers."
                )
        if results.design in ("sobol", "morris") and (results.runs["status"] == "ok").all():
            indices = stats.sensitivity_indices(results)
            index, name = ("ST", "total-order Sobol' index") if "ST" in indices else ("mu_star", "Morris mu*")
            top = indices.loc[indices[index].idxmax()]
            sentences.append(
                f"By its {name}, {short(top['parameter'])} moves final mean trust most "
                f"({index} = {_fmt(top[index], 2)} +/- {_fmt(top[index + '_conf'], 2)})."
            )
        points = stats.tipping_points(results)
        for _, point in points.iterrows():
            if np.isfinite(point["crossing"]):
                sentences.append(point["label"] + ".")
    return sentences


def build_report(results: Results) -> str:
    """The report as one HTML string, every figure embedded as a PNG data URI."""
    manifest = results.manifest
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>trustsim report: "
        f"{html.escape(results.name)}</title><style>{STYLE}</style></head><body>",
        f"<h1>trustsim report: {html.escape(results.name)}</h1>",
        "<p class='caption'>When do small constructive steps propagate into restored trust, and when "
        "does mistrust congeal?</p>",
    ]
    parts.append(
        "<div class='summary'><h2 style='margin-top:.3em;border:0'>Summary</h2>"
        + "".join(f"<p>{html.escape(s)}</p>" for s in summary_sentences(results))
        + "</div>"
    )

    parts.append("<h2>What was run</h2><table class='meta'>")
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

    table = stats.condition_table(results)
    parts.append(
        "<h2>Outcomes per condition</h2>"
        + table.to_html(index=False, float_format="%.3f", border=0, na_rep="n/a")
    )
    for name, (title, caption) in SECTIONS.items():
        try:
            figure = FIGURES[name](results)
        except NotApplicable:
            continue
        parts.append(
            f"<h2>{html.escape(title)}</h2><p class='caption'>{html.escape(caption)}</p>"
            f"<img alt='{html.escape(title)}' src='data:image/png;base64,{_image(figure)}'>"
        )
        if name == "sensitivity":
            parts.append(
                stats.sensitivity_indices(results).to_html(
                    index=False, float_format="%.3f", border=0, na_rep="n/a"
                )
            )
        if name == "tipping_points":
            points = stats.tipping_points(results)[["parameter", "crossing", "low", "high"]]
            parts.append(points.to_html(index=False, float_format="%.3f", border=0, na_rep="n/a"))
    parts.append("<p class='caption'>Generated by <code>trustsim report</code>.</p></body></html>")
    return "\n".join(parts)


def write_report(results: Results, out: Path | None = None) -> Path:
    out = out or results.path / "report.html"
    text = build_report(results)
    write_atomic(out, lambda partial: partial.write_text(text, encoding="utf-8"))
    return out
