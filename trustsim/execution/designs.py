"""Sweep designs as data: a design spec in, a table of points out (one row per design point)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from trustsim.config.sweep import Design, Range


def _decimals(*numbers: float) -> int:
    """The decimal places the given numbers are written with (``0.25`` -> 2, ``1e-3`` -> 3)."""
    places = 0
    for number in numbers:
        text = np.format_float_positional(float(number), trim="-")
        places = max(places, len(text.split(".")[1]) if "." in text else 0)
    return places


def expand(values: list[Any] | Range) -> list[Any]:
    """The values of one grid parameter, at the precision of the range that gives them: 0.2 to 0.8
    in 4 values is 0.2, 0.4, 0.6, 0.8 (not 0.6000000000000001), so that a filter on 0.6 finds it.
    A ``num`` that does not fall on the range's decimals (0 to 1 in 3 values) gets one more place
    per value needed, up to 12."""
    if isinstance(values, list):
        return values
    if values.num is not None:
        raw = np.linspace(values.start, values.stop, values.num)
        places = _decimals(values.start, values.stop)
        while places < 12 and not np.allclose(raw.round(places), raw, rtol=0, atol=1e-12):
            places += 1
        return [float(v) for v in raw.round(places)]
    count = int(np.floor((values.stop - values.start) / values.step + 1e-9)) + 1
    places = _decimals(values.start, values.step)
    return [float(v) for v in (values.start + values.step * np.arange(count)).round(min(places, 12))]


def problem(design: Design) -> dict[str, Any]:
    """SALib's problem spec for a sampled design."""
    names = list(design.bounds)
    return {"num_vars": len(names), "names": names, "bounds": [list(design.bounds[n]) for n in names]}


def _integer_columns(design: Design, frame: pd.DataFrame) -> pd.DataFrame:
    for path, (low, high) in design.bounds.items():
        if isinstance(low, int | np.integer) and isinstance(high, int | np.integer):
            frame[path] = frame[path].round().astype(int)
    return frame


def points(design: Design, seed: int) -> pd.DataFrame:
    """Every design point, in a fixed order; index ``point`` = 0, 1, ..."""
    if design.kind == "grid":
        grid = [expand(values) for values in design.parameters.values()]
        frame = pd.DataFrame(list(itertools.product(*grid)), columns=list(design.parameters))
    elif design.kind == "list":
        frame = pd.DataFrame(design.points)
    elif design.kind == "lhs":
        from scipy.stats import qmc  # imported here: run workers import this module but never sample

        spec = problem(design)
        unit = qmc.LatinHypercube(d=spec["num_vars"], seed=np.random.default_rng(seed)).random(design.n)
        low, high = np.array(spec["bounds"]).T
        frame = _integer_columns(design, pd.DataFrame(qmc.scale(unit, low, high), columns=spec["names"]))
    elif design.kind == "sobol":
        from SALib.sample import sobol

        samples = sobol.sample(problem(design), design.n, calc_second_order=design.second_order, seed=seed)
        frame = _integer_columns(design, pd.DataFrame(samples, columns=list(design.bounds)))
    else:
        from SALib.sample import morris

        samples = morris.sample(problem(design), design.n, num_levels=design.levels, seed=seed)
        frame = _integer_columns(design, pd.DataFrame(samples, columns=list(design.bounds)))
    frame.index.name = "point"
    return frame
