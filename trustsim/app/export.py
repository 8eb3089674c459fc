"""What the page saves: the running scenario as a YAML file ``trustsim run`` accepts, and the run's
records (the model-level measures per step, with the counterfactual's beside them) as CSV."""

from __future__ import annotations

import io

import pandas as pd
import yaml

from trustsim.app.viz_model import VizModel
from trustsim.config.schema import Record, essay_catalog


def scenario_yaml(model: VizModel, record: Record | None = None) -> str:
    """The scenario the page is running (the picker's entry with the seed and slider values of the
    last Reset, and every intervention, those scheduled from the page included) as YAML: ``trustsim
    run`` on it repeats this run step for step. ``record`` is what the file asked to record (the app
    itself records only the model-level measures); the default catalog is left implicit."""
    config = model.config.model_copy(update={"record": record or Record()})
    data = config.model_dump(mode="json", by_alias=True, exclude_none=True)
    if config.actions == list(essay_catalog()):
        del data["actions"]  # the default: the essay's catalog (trustsim list actions)
    header = (
        f"# {config.name}, saved from trustsim viz at step {model.steps} of {config.steps} "
        f"(seed {config.seed}); `trustsim run` on this file repeats that run.\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def records_frame(model: VizModel) -> pd.DataFrame:
    """The model-level measures per step as a tidy table: one row per run and step, ``run`` being
    ``with`` (the run shown) or ``without`` (its counterfactual, when there is one)."""
    frames = []
    for run, source in (("with", model), ("without", model.without)):
        if source is None:
            continue
        frame = source.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        frame.insert(0, "step", range(1, len(frame) + 1))
        frame.insert(0, "run", run)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def records_csv(model: VizModel) -> str:
    buffer = io.StringIO()
    records_frame(model).to_csv(buffer, index=False)
    return buffer.getvalue()
