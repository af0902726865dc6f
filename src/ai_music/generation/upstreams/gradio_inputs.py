"""Mapping generation parameters onto a Gradio app's ordered inputs."""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

from .base import GenerationParams, merged_prompt

__all__ = ["DEFAULT_INPUTS", "TEMPLATE_FIELDS", "build_inputs", "validate_templates"]

DEFAULT_INPUTS: tuple[str, ...] = ("{merged_prompt}", "{duration}")
TEMPLATE_FIELDS = frozenset(
    {"prompt", "duration", "mood", "tempo", "instruments", "seed", "merged_prompt"}
)


def _fields(params: GenerationParams) -> dict[str, Any]:
    return {
        "prompt": params.prompt,
        "duration": params.duration,
        "mood": params.mood,
        "tempo": params.tempo,
        "instruments": params.instruments,
        "seed": params.seed,
        "merged_prompt": merged_prompt(params),
    }


def _whole_field(template: str) -> str | None:
    """The field name when the template is exactly one placeholder like ``{tempo}``."""
    parsed = list(string.Formatter().parse(template))
    if len(parsed) == 1 and parsed[0][0] == "" and parsed[0][1] and not parsed[0][2]:
        return parsed[0][1] if not parsed[0][3] else None
    return None


def validate_templates(templates: Sequence[Any]) -> None:
    """Raise ValueError for a template naming an unknown field or with broken braces."""
    for template in templates:
        if not isinstance(template, str):
            continue
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        except ValueError as exc:
            raise ValueError(f"input template {template!r} is malformed: {exc}") from exc
        unknown = names - TEMPLATE_FIELDS
        if unknown:
            raise ValueError(
                f"input template {template!r} names unknown field(s) {sorted(unknown)}; "
                f"known: {sorted(TEMPLATE_FIELDS)}"
            )


def build_inputs(templates: Sequence[Any], params: GenerationParams) -> list[Any]:
    """Each template filled in; a bare ``{field}`` keeps the field's type (numbers stay numbers).

    Non-string entries (numbers, booleans, null) are passed through as constants.
    """
    fields = _fields(params)
    inputs: list[Any] = []
    for template in templates:
        if not isinstance(template, str):
            inputs.append(template)
            continue
        whole = _whole_field(template)
        inputs.append(fields[whole] if whole is not None else template.format_map(fields))
    return inputs
