"""The app's Solara components: the network, the charts, the status line, the intervention panel,
the counterfactual, the scenario picker and the settings (seed and sliders, saving and exporting).
Each takes the model SolaraViz holds and redraws after every step."""

# Solara components are named like classes (NetworkView, ...):
# ruff: noqa: N802
from __future__ import annotations

from dataclasses import replace
from html import escape
from typing import cast

import solara
from mesa.visualization.utils import force_update

from trustsim.app.charts import CounterfactualCharts, LiveCharts, difference, measure
from trustsim.app.controls import (
    SLIDER_FIELDS,
    Settings,
    control_label,
    parameter_help,
    scenario_value,
    shown_value,
)
from trustsim.app.export import records_csv, scenario_yaml
from trustsim.app.network import COLOUR_MODES, KIND_NAMES, network_svg
from trustsim.app.scenarios import file_record, scenario_choices
from trustsim.app.viz_model import VizModel
from trustsim.config.loading import ConfigError, read_yaml
from trustsim.config.schema import Intervention
from trustsim.model import records
from trustsim.model.catalog import CONSTRUCTIVE, ESCALATORY, NEUTRAL


@solara.component
def NetworkView(model: VizModel, tick: int = 0):
    """The relations network, redrawn after every step, with the node-colour toggle."""
    colour_by, set_colour_by = solara.use_state("bloc")
    modes = list(COLOUR_MODES if model.initiator is not None else COLOUR_MODES[:2])
    mode = colour_by if colour_by in modes else "bloc"
    svg = solara.use_memo(lambda: network_svg(model, mode), [model, tick, mode])
    with solara.Column(gap="4px", classes=["trustsim-fill", "trustsim-network"]):
        solara.ToggleButtonsSingle(value=mode, values=modes, on_value=set_colour_by, dense=True)
        solara.HTML(tag="div", unsafe_innerHTML=svg, classes=["trustsim-svg", "trustsim-network-svg"])


@solara.component
def ChartsView(model: VizModel, tick: int = 0):
    """The live charts, drawn with Matplotlib once per step (only their data, ``LiveCharts.png``)."""
    charts = solara.use_memo(lambda: LiveCharts(model.config.steps), [model])
    image = solara.use_memo(lambda: charts.png(model), [model, tick])
    with solara.Column(classes=["trustsim-fill", "trustsim-charts"]):
        solara.Image(image, format="png")


@solara.component
def StatusView(model: VizModel, tick: int = 0):
    """Where the run is: the step counter and the last step in numbers."""
    with solara.Column(gap="0px", classes=["trustsim-status"]):
        solara.Text(f"Step {model.steps} of {model.config.steps}", classes=["trustsim-step"],
                    style={"font-size": "1.2em", "font-weight": "500"})  # fmt: skip
        if model.problem:
            solara.Warning(model.problem, dense=True)
        if model.last is None:
            _html("Press <b>Step</b> or <b>▶</b> to run the model.")
        else:
            kind = model.catalog.kind[model.last.actions]
            constructive, escalatory = (kind == CONSTRUCTIVE).sum(), (kind == ESCALATORY).sum()
            trust, congealed = (records.measure(model, name) for name in ("mean_trust", "congealed_dyads"))
            _html(
                f"mean trust <b>{trust:.3f}</b> · constructive <b>{constructive}</b>, "
                f"escalatory <b>{escalatory}</b> of {model.n_edges} directed steps · congealed dyads "
                f"<b>{congealed}</b> · shared threat <b>{model.last.threat:.2f}</b>"
            )
        values = [f"this run: seed {model.config.seed}"]
        values += [
            f"{control_label(path)} {shown_value(scenario_value(model.config, path))}"
            for path in SLIDER_FIELDS
        ]
        solara.Text(" · ".join(values), classes=["trustsim-values"],
                    style={"font-size": "0.8em", "color": "#555"})  # fmt: skip


def _html(markup: str, size: str = "0.95em") -> None:
    """A paragraph of our own markup (solara.Markdown would load KaTeX from the CDN: not offline)."""
    solara.HTML(tag="div", unsafe_innerHTML=markup, style=f"font-size: {size}; margin: 4px 0")


def _action_label(model: VizModel, name: str) -> str:
    """``open_dialogue (constructive)``: what the action picker shows; the name is the first word."""
    return f"{name} ({KIND_NAMES[int(model.catalog.kind[model.catalog.index(name)])]})"


def _action_labels(model: VizModel) -> list[str]:
    names = list(model.catalog.names)
    order = {CONSTRUCTIVE: 0, NEUTRAL: 1, ESCALATORY: 2}
    names.sort(key=lambda name: (order[int(model.catalog.kind[model.catalog.index(name)])], name))
    return [_action_label(model, name) for name in names]


ALL_PARTNERS = "all partners"


@solara.component
def InterventionPanel(model: VizModel, tick: int = 0):
    """Schedule a step (state, action, target) in the running model and follow it."""
    defaults = Intervention.model_fields
    actor, set_actor = solara.use_state(model.codes[0])
    action, set_action = solara.use_state(_action_label(model, model.config.repertoire.constructive))
    target, set_target = solara.use_state(ALL_PARTNERS)
    duration, set_duration = solara.use_state(int(defaults["duration"].default))
    declared, set_declared = solara.use_state(bool(defaults["declared"].default))
    at_step, set_at_step = solara.use_state(cast(int | None, None))
    message, set_message = solara.use_state(("", ""))
    if actor not in model.codes:  # a Reset with another seed can draw another network
        actor = model.codes[0]
    targets = [ALL_PARTNERS, *model.partners(actor)]
    if target not in targets:
        target = ALL_PARTNERS
    if action not in _action_labels(model):
        action = _action_label(model, model.config.repertoire.constructive)
    step = model.steps + 1 if at_step is None or at_step <= model.steps else at_step

    def schedule():
        try:
            item = model.schedule_step(
                actor,
                action.split(" ")[0],
                None if target == ALL_PARTNERS else target,
                step=step,
                duration=duration,
                declared=declared,
            )
        except (ConfigError, ValueError) as exc:
            set_message(("error", str(exc).splitlines()[0]))
            return
        repeat = f" for {item.duration} steps" if item.duration > 1 else ""
        set_message(
            ("ok", f"{item.actor} → {item.target or ALL_PARTNERS}: {item.action} at step {item.step}{repeat}")
        )
        set_at_step(None)
        force_update()

    with solara.Column(gap="0px", classes=["trustsim-intervention"]):
        solara.Text("Schedule an intervention", style={"font-size": "1.1em", "font-weight": "500"})
        with solara.Row(gap="12px"):
            solara.Select("state", value=actor, values=list(model.codes), on_value=set_actor)
            solara.Select("toward", value=target, values=targets, on_value=set_target)
        solara.Select("action", value=action, values=_action_labels(model), on_value=set_action)
        with solara.Row(gap="12px"):
            solara.InputInt("at step", value=step, on_value=set_at_step)
            solara.InputInt("for steps", value=duration, on_value=set_duration)
        solara.Checkbox(label="declared (announced as meant to restore trust)", value=declared,
                        on_value=set_declared)  # fmt: skip
        solara.Button("Schedule", color="primary", on_click=schedule, disabled=not model.running)
        kind, text = message
        if kind == "error":
            solara.Error(text)
        elif kind == "ok":
            solara.Success(f"Scheduled: {text}")
        planned = [i for i in model.config.interventions if i.action is not None and i.enabled]
        if planned:
            _html(
                "In this run: "
                + "; ".join(
                    escape(f"{i.actor} → {i.target or 'all'}: {i.action} at step {i.step}")
                    + (f" for {i.duration} steps" if i.duration > 1 else "")
                    for i in planned
                ),
                size="0.85em",
            )


@solara.component
def ScenarioPicker(choice: str, on_choice):
    """The scenario picker (every scenario in configs/), its description and the sliders' meaning."""
    choices = scenario_choices()
    description = ""
    if choice in choices:
        try:
            description = str(read_yaml(choices[choice].path).get("description", ""))
        except ConfigError:
            description = ""
    with solara.Card("Scenario"):
        solara.Select("scenario", value=choice, values=list(choices), on_value=on_choice)
        if description:
            solara.Text(description, style={"font-size": "0.85em"})
        with solara.Details("What the sliders set"):
            items = "".join(f"<li><b>{escape(k)}</b>: {escape(t)}</li>" for k, t in parameter_help())
            _html(f"<ul style='padding-left: 1.2em'>{items}</ul>", size="0.85em")


@solara.component
def CounterfactualView(model: VizModel, tick: int = 0):
    """The run beside the same run without its interventions, on common random numbers."""
    charts = solara.use_memo(lambda: CounterfactualCharts(model.config.steps), [model])
    following = model.without is not None
    image = solara.use_memo(lambda: charts.png(model) if following else None, [model, tick, following])
    with solara.Column(gap="2px", classes=["trustsim-fill", "trustsim-counterfactual"]):
        solara.Text("With and without the interventions", style={"font-size": "1.1em", "font-weight": "500"})
        if model.without is None:
            _html(
                "Schedule an intervention: the same run without it (the same config and seed, so the same "
                "random numbers, the intervention switched off) runs beside it from then on, and this "
                "panel shows both and their difference.",
                size="0.85em",
            )
            return
        if model.steps == 0:
            _html("Press <b>Step</b>: the run with and the run without advance together.", size="0.85em")
        else:
            with_trust = measure(model, "mean_trust")[-1]
            without_trust = measure(model.without, "mean_trust")[-1]
            parts = [
                f"step {model.steps}: mean trust <b>{with_trust:.3f}</b> with, <b>{without_trust:.3f}</b> "
                f"without (<b>{with_trust - without_trust:+.3f}</b>)"
            ]
            if model.initiator is not None:
                near = difference(model, "trust_in_initiator_1hop")[-1]
                code = escape(model.codes[model.initiator])
                if near == near:  # not NaN: the initiator has partners
                    parts.append(f"trust in {code} one relation away <b>{near:+.3f}</b>")
            _html(" · ".join(parts), size="0.85em")
        solara.Image(image, format="png")


@solara.component
def SettingsPanel(model: solara.Reactive[VizModel], controls: dict, model_parameters: solara.Reactive[dict]):
    """The seed and the sliders (each showing its value), what is pending until Reset, and saving.

    It stands in for Mesa's ``ModelCreator`` (``layout.py``): the values live in ``settings`` and are
    handed to Mesa's Reset whole (``model_parameters``), so Reset builds the scenario picked with
    every value shown, however the page was remounted."""
    running = model.value
    current = settings.value
    if current is None or current.choice != running.choice:
        current = Settings.of(running.config, running.choice)

    def publish():
        model_parameters.set(current.kwargs())

    solara.use_effect(publish, [current, model_parameters])

    def set_value(path: str, value) -> None:
        settings.set(current.with_value(path, value))

    def set_seed(text: str | None) -> None:
        settings.set(replace(current, seed=str(text or "").strip()))

    solara.InputText("seed", value=current.seed, continuous_update=False, on_value=set_seed)
    for path, value in current.values:
        control = controls[path]
        now = scenario_value(running.config, path)
        label = f"{control_label(path)} = {shown_value(value)}"
        if shown_value(now) != shown_value(value):
            label += f" (this run: {shown_value(now)})"
        if isinstance(control, dict):
            solara.Checkbox(label=label, value=bool(value), on_value=lambda v, p=path: set_value(p, v))
            continue
        slider = solara.SliderFloat if control.is_float_slider else solara.SliderInt
        slider(label, value=value, min=control.min, max=control.max, step=control.step,
               on_value=lambda v, p=path: set_value(p, v), thumb_label=True)  # fmt: skip
    pending = current.pending(running.config)
    if pending:
        changes = "; ".join(f"{escape(label)} {escape(old)} → {escape(new)}" for label, old, new in pending)
        solara.HTML(
            tag="div",
            unsafe_innerHTML=f"<b>Pending until Reset</b>: {changes}",
            classes=["trustsim-pending"],
            style="font-size: 0.85em; background: #fff4d6; border-left: 3px solid #f5a623; padding: 4px 6px",
        )
    name = running.config.name
    with solara.Row(gap="6px", style={"flex-wrap": "wrap", "margin-top": "6px"}):
        solara.FileDownload(lambda: scenario_yaml(running, file_record(running.choice)), f"{name}.yaml",
                            label="Save scenario (YAML)", icon_name=None, mime_type="text/yaml")  # fmt: skip
        solara.FileDownload(lambda: records_csv(running), f"{name}-records.csv",
                            label="Export records (CSV)", icon_name=None, mime_type="text/csv")  # fmt: skip


settings = solara.reactive(cast(Settings | None, None))  # the sidebar's values, per browser session
