"""Reading a Gradio app's API description and choosing the endpoint to generate with.

Works on JSON already fetched by the adapter:

* ``<api prefix>/info`` (``/gradio_api/info`` on Gradio ≥ 5, ``/info`` before): per named
  endpoint, its parameters with the function's own parameter names (Gradio ≥ 4), labels,
  components, types and defaults, and its return components;
* ``/config``: the app's dependencies (endpoint, ``fn_index``, input and output component ids)
  and components with their properties: a slider's ``minimum``/``maximum``/``step``, a
  dropdown's ``choices``, ``State`` inputs the API leaves out. Gradio 3 apps without ``/info``
  are described from it alone (by label).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "ApiDescription",
    "Endpoint",
    "EndpointChoiceError",
    "Parameter",
    "choose_endpoint",
    "describe_api",
    "info_paths",
]

ParameterKind = Literal["text", "number", "choice", "boolean", "other"]

_TEXT_COMPONENTS = frozenset({"textbox", "textarea", "text", "markdown", "code"})
_NUMBER_COMPONENTS = frozenset({"number", "slider"})
_CHOICE_COMPONENTS = frozenset({"dropdown", "radio", "checkboxgroup"})
_AUDIO_COMPONENTS = frozenset({"audio"})
_GENERATION_WORDS = (
    "generate", "generation", "predict", "infer", "inference", "run", "compose", "create",
    "synth", "music", "song", "audio", "make", "submit",
)  # fmt: skip
_PUBLIC = ("public", None)


class EndpointChoiceError(ValueError):
    """No endpoint can be chosen; the message lists the ones found and what to set."""


@dataclass(frozen=True)
class Parameter:
    name: str  # the function's parameter name where Gradio gives it, else the label
    label: str
    component: str  # lower case: "textbox", "slider", ...
    kind: ParameterKind
    integer: bool = False
    has_default: bool = False
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[Any, ...] = ()
    multiselect: bool = False

    def describe(self) -> str:
        """``Duration (s)`` (slider 5–30), for people."""
        bounds = ""
        if self.minimum is not None and self.maximum is not None:
            bounds = f" {self.minimum:g}–{self.maximum:g}"
        elif self.choices:
            bounds = " of " + ", ".join(map(str, self.choices[:6]))
            bounds += ", …" if len(self.choices) > 6 else ""
        shown = self.name if self.name == self.label else f"{self.name} ({self.label!r})"
        return f"{shown} [{self.component}{bounds}]"


@dataclass(frozen=True)
class Endpoint:
    api_name: str  # without the leading slash
    fn_index: int | None
    parameters: tuple[Parameter, ...]
    outputs: tuple[str, ...]  # output components, lower case
    # Positions of gr.State inputs: the queue protocol wants a null there, the API omits them.
    state_slots: tuple[int, ...] = ()

    @property
    def audio_outputs(self) -> tuple[int, ...]:
        return tuple(i for i, output in enumerate(self.outputs) if output in _AUDIO_COMPONENTS)

    def describe_outputs(self) -> str:
        shown = [
            f"{output} (taken as the music)" if i in self.audio_outputs else output
            for i, output in enumerate(self.outputs)
        ]
        return ", ".join(shown) or "nothing"

    def with_state_slots(self, inputs: Sequence[Any]) -> list[Any]:
        values = list(inputs)
        for slot in self.state_slots:
            values.insert(slot, None)
        return values


@dataclass(frozen=True)
class ApiDescription:
    source: str  # which document it was read from
    endpoints: tuple[Endpoint, ...]
    version: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def endpoint(self, api_name: str) -> Endpoint | None:
        wanted = api_name.strip("/")
        return next((e for e in self.endpoints if e.api_name == wanted), None)

    def listing(self) -> str:
        return ", ".join(f"/{e.api_name} → {e.describe_outputs()}" for e in self.endpoints)


# --- reading ---------------------------------------------------------------------------------


def describe_api(info: Any, config: Any, *, source: str) -> ApiDescription | None:
    """The app's endpoints from its ``info`` and/or ``config`` JSON; None when neither says."""
    config = config if isinstance(config, dict) else None
    dependencies = _public_dependencies(config)
    components = _components_by_id(config)
    version = config.get("version") if config is not None else None
    version = version if isinstance(version, str) else None
    if isinstance(info, dict) and isinstance(info.get("named_endpoints"), dict):
        endpoints = [
            _endpoint_from_info(name, entry, dependencies.get(name.strip("/")), components)
            for name, entry in info["named_endpoints"].items()
            if isinstance(name, str) and isinstance(entry, dict) and _shown(entry)
        ]
        return ApiDescription(source, tuple(endpoints), version)
    if config is not None and dependencies:
        endpoints = [
            _endpoint_from_config(name, dependency, components)
            for name, dependency in dependencies.items()
        ]
        return ApiDescription("/config", tuple(endpoints), version)
    return None


def _shown(entry: Mapping[str, Any]) -> bool:
    return entry.get("api_visibility") in _PUBLIC and entry.get("show_api", True) is not False


def _public_dependencies(config: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for position, dependency in enumerate((config or {}).get("dependencies") or []):
        if not isinstance(dependency, dict):
            continue
        api_name = dependency.get("api_name")
        if not isinstance(api_name, str) or not api_name or not _shown(dependency):
            continue
        if dependency.get("backend_fn") is False:
            continue
        found.setdefault(api_name.strip("/"), {**dependency, "_position": position})
    return found


def _components_by_id(config: Mapping[str, Any] | None) -> dict[int, dict[str, Any]]:
    components = (config or {}).get("components") or []
    return {c["id"]: c for c in components if isinstance(c, dict) and isinstance(c.get("id"), int)}


def _fn_index(dependency: Mapping[str, Any] | None) -> int | None:
    if dependency is None:
        return None
    found = dependency.get("id", dependency.get("_position"))
    return found if isinstance(found, int) else None


def _input_components(
    dependency: Mapping[str, Any] | None, components: Mapping[int, dict[str, Any]]
) -> tuple[list[dict[str, Any]], tuple[int, ...]]:
    """The dependency's non-State input components in order, and the State positions."""
    inputs, states = [], []
    for position, component_id in enumerate((dependency or {}).get("inputs") or []):
        component = components.get(component_id, {})
        if str(component.get("type", "")).lower() == "state":
            states.append(position)
        else:
            inputs.append(component)
    return inputs, tuple(states)


def _endpoint_from_info(
    name: str,
    entry: Mapping[str, Any],
    dependency: Mapping[str, Any] | None,
    components: Mapping[int, dict[str, Any]],
) -> Endpoint:
    inputs, states = _input_components(dependency, components)
    raw_parameters = [p for p in entry.get("parameters") or [] if isinstance(p, dict)]
    parameters = []
    for position, raw in enumerate(raw_parameters):
        props = _mapping(inputs[position].get("props")) if position < len(inputs) else {}
        parameters.append(_parameter(raw, props))
    returns = [r for r in entry.get("returns") or [] if isinstance(r, dict)]
    outputs = tuple(str(r.get("component", "")).lower() for r in returns)
    return Endpoint(name.strip("/"), _fn_index(dependency), tuple(parameters), outputs, states)


def _endpoint_from_config(
    name: str, dependency: Mapping[str, Any], components: Mapping[int, dict[str, Any]]
) -> Endpoint:
    inputs, states = _input_components(dependency, components)
    parameters = []
    for component in inputs:
        props = _mapping(component.get("props"))
        label = props.get("label") if isinstance(props.get("label"), str) else ""
        raw = {"label": label, "component": component.get("type", "")}
        if "value" in props:
            raw |= {"parameter_has_default": True, "parameter_default": props["value"]}
        parameters.append(_parameter(raw, props))
    outputs = tuple(
        str(components.get(i, {}).get("type", "")).lower() for i in dependency.get("outputs") or []
    )
    return Endpoint(name, _fn_index(dependency), tuple(parameters), outputs, states)


def _parameter(raw: Mapping[str, Any], props: Mapping[str, Any]) -> Parameter:
    component = str(raw.get("component") or "").lower()
    label = str(raw.get("label") or props.get("label") or "")
    name = raw.get("parameter_name")
    name = name if isinstance(name, str) and name else label
    schema, python_type = _mapping(raw.get("type")), _mapping(raw.get("python_type"))
    choices = _choices(props.get("choices")) or tuple(schema.get("enum") or ())
    minimum, maximum = _number(props.get("minimum")), _number(props.get("maximum"))
    if minimum is None and maximum is None:
        minimum, maximum = _bounds_from_description(str(schema.get("description") or ""))
    default = raw.get("parameter_default") if raw.get("parameter_has_default") else None
    has_default = bool(raw.get("parameter_has_default"))
    if not has_default and "value" in props and props["value"] is not None:
        has_default, default = True, props["value"]
    return Parameter(
        name=name,
        label=label,
        component=component,
        kind=_kind(component, schema, choices),
        integer=(
            schema.get("type") == "integer"
            or python_type.get("type") == "int"
            or props.get("precision") == 0
        ),
        has_default=has_default,
        default=default,
        minimum=minimum,
        maximum=maximum,
        step=_number(props.get("step")) if component == "slider" else None,
        choices=choices,
        multiselect=bool(props.get("multiselect")) or component == "checkboxgroup",
    )


def _kind(component: str, schema: Mapping[str, Any], choices: tuple[Any, ...]) -> ParameterKind:
    if choices or component in _CHOICE_COMPONENTS:
        return "choice"
    if component in _NUMBER_COMPONENTS or schema.get("type") in ("number", "integer"):
        return "number"
    if component == "checkbox" or schema.get("type") == "boolean":
        return "boolean"
    if component in _TEXT_COMPONENTS or schema.get("type") == "string":
        return "text"
    return "other"


def _choices(raw: Any) -> tuple[Any, ...]:
    """Gradio ≥ 4 lists choices as ``[display, value]`` pairs, Gradio 3 as plain values."""
    if not isinstance(raw, list):
        return ()
    return tuple(c[1] if isinstance(c, list | tuple) and len(c) == 2 else c for c in raw)


_BETWEEN = re.compile(r"between (-?[\d.]+) and (-?[\d.]+)")


def _bounds_from_description(text: str) -> tuple[float | None, float | None]:
    """``numeric value between 5 and 30``: a slider's range as /info alone states it."""
    match = _BETWEEN.search(text)
    if match is None:
        return None, None
    try:
        return float(match.group(1)), float(match.group(2))
    except ValueError:
        return None, None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


# --- choosing ----------------------------------------------------------------------------------


def choose_endpoint(
    api: ApiDescription, *, api_name: str | None = None, fn_index: int | None = None
) -> Endpoint:
    """The configured endpoint, else the only one, else the one audio generator, else the one
    named ``predict``.

    Raises :class:`EndpointChoiceError` naming the endpoints found when none fits.
    """
    if api_name:
        found = api.endpoint(api_name)
        if found is None:
            raise EndpointChoiceError(
                f"the app has no endpoint '/{api_name.strip('/')}'; it has: "
                f"{api.listing() or 'none'}. Set api_name to one of them."
            )
        return found
    if fn_index is not None:
        for endpoint in api.endpoints:
            if endpoint.fn_index == fn_index:
                return endpoint
        raise EndpointChoiceError(
            f"the app has no endpoint with fn_index {fn_index}; it has: {api.listing()}."
        )
    if len(api.endpoints) == 1:
        return api.endpoints[0]
    audio = [e for e in api.endpoints if e.audio_outputs]
    if len(audio) == 1:
        return audio[0]
    generating = [e for e in audio if _looks_like_generation(e.api_name)]
    if len(generating) == 1:
        return generating[0]
    # What this server called before it read descriptions: configurations relied on it.
    predict = api.endpoint("predict")
    if predict is not None:
        return predict
    if not api.endpoints:
        raise EndpointChoiceError(
            "the app shows no API endpoint (are they all hidden with api_visibility?)."
        )
    raise EndpointChoiceError(
        "cannot tell which endpoint generates the music; the app has: "
        f"{api.listing()}. Set api_name to the one to use."
    )


def _looks_like_generation(api_name: str) -> bool:
    words = re.split(r"[^a-z]+", api_name.lower())
    return any(word.startswith(_GENERATION_WORDS) for word in words if word)


def info_paths(config: Any) -> tuple[str, ...]:
    """Where to read the API description, most likely first: the prefix the app's config
    names (``/gradio_api`` on Gradio ≥ 5), then Gradio 4's ``/info``."""
    prefix = config.get("api_prefix") if isinstance(config, dict) else None
    first = (
        "/" + prefix.strip("/") + "/info" if isinstance(prefix, str) and prefix.strip("/") else None
    )
    return tuple(dict.fromkeys(p for p in (first, "/gradio_api/info", "/info") if p))
