"""The app's Solara components: the network, the charts, the status line, the intervention panel
and the scenario picker. Each takes the model SolaraViz holds and redraws after every step."""

# Solara components are named like classes (NetworkView, ...):
# ruff: noqa: N802
from __future__ import annotations

from html import escape
from typing import cast

import solara
from mesa.visualization.utils import force_update, update_counter

from trustsim.app.charts import PNG, LiveCharts
from trustsim.app.controls import SLIDER_FIELDS, control_label, parameter_help, scenario_value, shown_value
from trustsim.app.network import COLOUR_MODES, KIND_NAMES, network_svg
from trustsim.app.scenarios import scenario_choices
from trustsim.app.viz_model import VizModel
from trustsim.config.loading import ConfigError, read_yaml
from trustsim.config.schema import Intervention
from trustsim.model.catalog import CONSTRUCTIVE, ESCALATORY, NEUTRAL
from trustsim.model.records import congealed_dyads, mean_trust


@solara.component
def NetworkView(model: VizModel):
    """The relations network, redrawn after every step, with the node-colour toggle."""
    update_counter.get()
    colour_by, set_colour_by = solara.use_state("bloc")
    modes = list(COLOUR_MODES if model.initiator is not None else COLOUR_MODES[:2])
    mode = colour_by if colour_by in modes else "bloc"
    svg = solara.use_memo(lambda: network_svg(model, mode), [model, update_counter.value, mode])
    with solara.Column(gap="4px", classes=["trustsim-fill", "trustsim-network"]):
        solara.ToggleButtonsSingle(value=mode, values=modes, on_value=set_colour_by, dense=True)
        solara.HTML(tag="div", unsafe_innerHTML=svg, classes=["trustsim-svg", "trustsim-network-svg"])


@solara.component
def ChartsView(model: VizModel):
    """The live charts, drawn with Matplotlib once per step."""
    update_counter.get()
    drawn = [model, update_counter.value]
    charts = solara.use_memo(LiveCharts, [model])
    figure = charts.update(model)
    with solara.Column(classes=["trustsim-fill", "trustsim-charts"]):
        solara.FigureMatplotlib(figure, dependencies=drawn, **PNG)


@solara.component
def StatusView(model: VizModel):
    """Where the run is: the step counter and the last step in numbers."""
    update_counter.get()
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
            _html(
                f"mean trust <b>{mean_trust(model):.3f}</b> · constructive <b>{constructive}</b>, "
                f"escalatory <b>{escalatory}</b> of {model.n_edges} directed steps · congealed dyads "
                f"<b>{congealed_dyads(model)}</b> · shared threat <b>{model.last.threat:.2f}</b>"
            )
        values = [f"seed {model.config.seed}"]
        values += [
            f"{control_label(path)} {shown_value(scenario_value(model.config, path))}"
            for path in SLIDER_FIELDS
        ]
        solara.Text("This run: " + " · ".join(values), classes=["trustsim-values"],
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
def InterventionPanel(model: VizModel):
    """Schedule a step (state, action, target) in the running model and follow it."""
    update_counter.get()
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
            item = model.schedule(
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
