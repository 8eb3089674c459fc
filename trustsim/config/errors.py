"""Config errors phrased for people: ``file: key.path: what is allowed (got X)``, from pydantic's
first error or from a check of our own."""

from __future__ import annotations

import difflib
import reprlib
import typing
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from trustsim.config.schema import Scenario


class ConfigError(Exception):
    """A config problem, phrased for people: ``file: key.path: what is allowed (got X)``."""


def dotted(loc: Iterable[Any]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


_REPR = reprlib.Repr(maxlevel=2, maxdict=4, maxlist=4, maxtuple=4, maxstring=50, maxother=50)


def short_repr(value: Any) -> str:
    """A short repr, never of the whole value (a huge or deeply nested one would take minutes)."""
    text = _REPR.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def format_validation_error(source: str, error: ValidationError, root: type[BaseModel] | None = None) -> str:
    """Render pydantic's first error as one line naming the file, the key path and what is allowed."""
    first = error.errors()[0]
    loc = [part for part in first["loc"] if not str(part).startswith("function-after") and part != "[key]"]
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = _unknown_key(loc, root or Scenario)
    elif first["type"] == "missing":
        message = "required key is missing"
    got = "" if first["type"] in ("missing",) else f" (got {short_repr(first.get('input'))})"
    if first["type"] == "extra_forbidden" or first["loc"] == () or isinstance(first.get("input"), dict):
        got = ""
    return f"{source}: {dotted(loc)}: {message}{got}"


def section_class(annotation: Any) -> type[BaseModel] | None:
    """The config section a field holds, through ``list[...]`` and ``... | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        if (found := section_class(arg)) is not None:
            return found
    return None


def _unknown_key(loc: Sequence[Any], root: type[BaseModel]) -> str:
    """Say which keys the section at ``loc`` (from ``root``) allows, and the nearest one to the typo."""
    model: type[BaseModel] | None = root
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        model = section_class(field.annotation) if field is not None else None
    if model is None:
        return "unknown key (check the spelling; `trustsim validate` shows every key)"
    keys = sorted(field.alias or name for name, field in model.model_fields.items())
    near = difflib.get_close_matches(str(loc[-1]), keys, n=1) if loc else []
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    return f"unknown key{hint}; allowed: {', '.join(keys)}"
