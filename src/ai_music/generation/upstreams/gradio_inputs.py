"""Mapping generation parameters onto a Gradio app's ordered inputs.

Either by the endpoint's own parameter names and labels, as its API description gives them
(:func:`plan_inputs`), or by explicit templates such as ``"{merged_prompt}"`` (the ``inputs``
setting, which wins over the names).
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .base import GenerationParams, merged_prompt
from .gradio_discovery import ApiDescription, Endpoint, Parameter, choose_endpoint

__all__ = [
    "DEFAULT_INPUTS",
    "TEMPLATE_FIELDS",
    "Binding",
    "EndpointPlan",
    "InputPlan",
    "build_inputs",
    "map_controls",
    "plan_endpoint",
    "plan_inputs",
    "validate_templates",
]

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


# --- mapping our controls onto a described endpoint's parameters, by name ------------------------

Control = Literal["prompt", "duration", "mood", "tempo", "instruments", "seed"]

# Most specific first: "text" or "length" in a name is weaker evidence than "seed" or "bpm".
_SYNONYMS: dict[Control, tuple[str, ...]] = {
    "seed": ("seed",),
    "tempo": ("tempo", "bpm"),
    "duration": ("duration", "length", "seconds", "secs", "sec", "len"),
    "instruments": ("instrument", "instruments", "instrumentation"),
    "mood": ("mood", "style", "genre", "emotion", "vibe"),
    "prompt": ("prompt", "text", "description", "caption", "query"),
}
_NOT_OUR_CONTROL = ("negative",)  # "negative_prompt" is not the prompt
_FOLDABLE: tuple[Control, ...] = ("mood", "tempo", "instruments")
_TEXT_CONTROLS = frozenset({"prompt", "mood", "instruments"})
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


@dataclass(frozen=True)
class Binding:
    """One endpoint parameter and where its value comes from: a control, or its default."""

    parameter: Parameter
    control: Control | None = None
    folded: tuple[Control, ...] = ()  # controls written into the prompt's text

    def describe(self) -> str:
        if self.control is None:
            return f"{self.parameter.describe()} ← its default {_default(self.parameter)!r}"
        source = str(self.control)
        if self.folded:
            source += " + " + ", ".join(self.folded) + " written into the text"
        return f"{self.parameter.describe()} ← {source}"


@dataclass(frozen=True)
class InputPlan:
    """How a generation's parameters become an endpoint's ordered inputs: by the endpoint's
    parameter names (``bindings``), or by explicit ``templates`` (the ``inputs`` setting)."""

    bindings: tuple[Binding, ...] = ()
    templates: tuple[Any, ...] | None = None

    def build(self, params: GenerationParams) -> list[Any]:
        if self.templates is not None:
            return build_inputs(self.templates, params)
        return [_value_for(binding, params) for binding in self.bindings]

    def describe(self) -> list[str]:
        if self.templates is not None:
            return [f"input {i} ← {t!r}" for i, t in enumerate(self.templates, 1)]
        return [binding.describe() for binding in self.bindings]


def plan_inputs(endpoint: Endpoint | None, templates: Sequence[Any] | None) -> InputPlan:
    """Explicit templates win; an undescribed endpoint gets the original's two inputs."""
    if templates is not None:
        return InputPlan(templates=tuple(templates))
    if endpoint is None:
        return InputPlan(templates=DEFAULT_INPUTS)
    return InputPlan(bindings=map_controls(endpoint.parameters))


def map_controls(parameters: Sequence[Parameter]) -> tuple[Binding, ...]:
    controls: dict[int, Control] = {}
    for control in _SYNONYMS:
        position = _named_for(control, parameters, taken=controls.keys())
        if position is not None:
            controls[position] = control
    _fill_by_type(parameters, controls)
    folded = tuple(c for c in _FOLDABLE if c not in controls.values())
    return tuple(
        Binding(p, controls.get(i), folded if controls.get(i) == "prompt" else ())
        for i, p in enumerate(parameters)
    )


def _named_for(
    control: Control, parameters: Sequence[Parameter], *, taken: Collection[int]
) -> int | None:
    """The first free compatible parameter named like ``control`` (its name, then its label)."""
    for by_label in (False, True):
        for position, parameter in enumerate(parameters):
            if position in taken or not _fits(control, parameter):
                continue
            words = _words(parameter.label if by_label else parameter.name)
            if any(w in _NOT_OUR_CONTROL for w in words):
                continue
            if any(w in _SYNONYMS[control] for w in words):
                return position
    return None


def _fill_by_type(parameters: Sequence[Parameter], controls: dict[int, Control]) -> None:
    """No parameter named like a prompt: the first free text box takes it; and an endpoint of
    just a text and a number is the original's (prompt, duration)."""
    if "prompt" not in controls.values():
        for position, parameter in enumerate(parameters):
            if position not in controls and parameter.kind == "text":
                controls[position] = "prompt"
                break
    kinds = [p.kind for p in parameters]
    if kinds == ["text", "number"] and "duration" not in controls.values() and 1 not in controls:
        controls[1] = "duration"


def _fits(control: Control, parameter: Parameter) -> bool:
    if control in _TEXT_CONTROLS:
        return parameter.kind in ("text", "choice")
    return parameter.kind in ("number", "text", "choice")


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _value_for(binding: Binding, params: GenerationParams) -> Any:
    parameter, control = binding.parameter, binding.control
    if control is None:
        return _default(parameter)
    value: Any = (
        merged_prompt(params, binding.folded) if control == "prompt" else getattr(params, control)
    )
    if value is None:
        return _default(parameter)
    if parameter.kind == "number":
        return _in_range(float(value), parameter)
    if parameter.kind == "choice":
        return _nearest_choice(value, parameter)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _default(parameter: Parameter) -> Any:
    if parameter.has_default:
        return parameter.default
    if parameter.kind == "number":
        return _in_range(0.0, parameter)
    if parameter.kind == "text":
        return ""
    if parameter.kind == "choice":
        if parameter.multiselect:
            return []
        return parameter.choices[0] if parameter.choices else None
    if parameter.kind == "boolean":
        return False
    return None


def _in_range(value: float, parameter: Parameter) -> float | int:
    """Clamped to the slider's range, on its steps; an integer where the app wants one."""
    if parameter.minimum is not None:
        value = max(parameter.minimum, value)
    if parameter.maximum is not None:
        value = min(parameter.maximum, value)
    if parameter.step:
        origin = parameter.minimum or 0.0
        value = round(origin + round((value - origin) / parameter.step) * parameter.step, 10)
        if parameter.maximum is not None and value > parameter.maximum:
            value -= parameter.step
    return round(value) if parameter.integer else value


def _nearest_choice(value: Any, parameter: Parameter) -> Any:
    choices = parameter.choices
    if parameter.multiselect and isinstance(value, str):
        wanted = [part.strip() for part in re.split(r",|\band\b", value) if part.strip()]
        picked = [_nearest_one(part, choices) for part in wanted]
        return list(dict.fromkeys(choice for choice in picked if choice is not None))
    return _nearest_one(value, choices)


def _nearest_one(value: Any, choices: Sequence[Any]) -> Any:
    if not choices:
        return value
    numbers = [c for c in choices if isinstance(c, int | float) and not isinstance(c, bool)]
    if isinstance(value, int | float) and numbers:
        return min(numbers, key=lambda c: abs(c - value))
    text = str(value).strip().lower()
    by_text = {str(c).strip().lower(): c for c in choices}
    if text in by_text:
        return by_text[text]
    containing = [c for key, c in by_text.items() if key and (key in text or text in key)]
    if containing:
        return containing[0]
    return max(choices, key=lambda c: difflib.SequenceMatcher(None, text, str(c).lower()).ratio())


@dataclass(frozen=True)
class EndpointPlan:
    """The endpoint a Gradio upstream calls and how its inputs are filled."""

    api_name: str
    endpoint: Endpoint | None  # None: the app did not describe itself
    inputs: InputPlan
    source: str | None = None  # the API description it was read from

    def queue_inputs(self, inputs: Sequence[Any]) -> list[Any]:
        """The queue protocol's inputs: with a null for each ``gr.State`` the API omits."""
        return self.endpoint.with_state_slots(inputs) if self.endpoint else list(inputs)

    def report(self) -> dict[str, Any]:
        """What was found, for ``/ready`` and ``ai-music upstream check``."""
        return {
            "described_by": self.source,
            "endpoint": f"/{self.api_name}",
            "inputs": self.inputs.describe(),
            "outputs": self.endpoint.describe_outputs() if self.endpoint else "not described",
        }


def plan_endpoint(
    api: ApiDescription | None,
    *,
    api_name: str | None,
    fn_index: int | None,
    templates: Sequence[Any] | None,
) -> EndpointPlan:
    """Raises EndpointChoiceError when the description fits no endpoint."""
    if api is None:
        return EndpointPlan(api_name or "predict", None, plan_inputs(None, templates))
    endpoint = choose_endpoint(api, api_name=api_name, fn_index=fn_index)
    return EndpointPlan(endpoint.api_name, endpoint, plan_inputs(endpoint, templates), api.source)
