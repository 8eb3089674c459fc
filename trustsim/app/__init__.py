"""The browser app: trustsim on Mesa's SolaraViz (``trustsim viz``; see docs/app.md).

What it shows: the relations network (``network``: nodes coloured by bloc, by the trust they
receive or by their trust in an intervention's initiator, sized by posture; each edge drawn as two
halves, the half at a state's end coloured and weighted by that state's trust in the other; the
last step's constructive and escalatory steps as arrows; congealed dyads dotted), live charts of
the model-level measures (``charts``, Matplotlib), sliders derived from the config schema
(``controls``), a scenario picker (``scenarios``) and a panel to schedule an intervention in the
running model (``components``, ``viz_model``). ``layout`` puts them in Mesa's SolaraViz.

Solara serves this package (``SOLARA_APP=trustsim.app``) and renders its ``Page``.
"""

# Solara components are named like classes (Page):
# ruff: noqa: N802
import solara

from trustsim.app.charts import charts_figure, difference
from trustsim.app.controls import (
    SLIDER_FIELDS,
    bounds,
    control_for,
    control_label,
    model_params,
    parameter_help,
    scenario_value,
    schema_field,
)
from trustsim.app.export import records_csv, records_frame, scenario_yaml
from trustsim.app.layout import COMPONENTS, GRID_LAYOUT, TrustViz, current_choice
from trustsim.app.network import network_svg, trust_colours
from trustsim.app.scenarios import (
    DEFAULT_SCENARIO,
    OVERRIDES_ENV,
    SCENARIO_ENV,
    Choice,
    build_scenario,
    file_record,
    initial_choice,
    scenario_choices,
)
from trustsim.app.viz_model import VizModel, network_layout


@solara.component
def Page():
    """The app: SolaraViz for the scenario chosen in the picker."""
    choice = current_choice.value
    TrustViz(choice).key(f"trustviz-{choice}")


def make_page(choice: str | None = None):
    """The app's page, opening on a picker entry or scenario name (default: ``trustsim viz``'s)."""
    if choice is not None:
        current_choice.set(choice)
    return Page()


page = Page()

__all__ = [
    "COMPONENTS",
    "DEFAULT_SCENARIO",
    "GRID_LAYOUT",
    "OVERRIDES_ENV",
    "SCENARIO_ENV",
    "SLIDER_FIELDS",
    "Choice",
    "Page",
    "TrustViz",
    "VizModel",
    "bounds",
    "build_scenario",
    "charts_figure",
    "control_for",
    "control_label",
    "current_choice",
    "difference",
    "file_record",
    "initial_choice",
    "make_page",
    "model_params",
    "network_layout",
    "network_svg",
    "page",
    "parameter_help",
    "records_csv",
    "records_frame",
    "scenario_choices",
    "scenario_value",
    "scenario_yaml",
    "schema_field",
    "trust_colours",
]
