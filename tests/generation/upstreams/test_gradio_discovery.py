"""Reading API descriptions, choosing the endpoint and mapping our controls, on plain JSON
(the shapes Gradio 3 and Gradio 6 serve; live apps: tests/generation/test_gradio_apps.py)."""

from __future__ import annotations

from typing import Any

import pytest

from ai_music.generation.upstreams.base import GenerationParams, merged_prompt
from ai_music.generation.upstreams.gradio_discovery import (
    ApiDescription,
    Endpoint,
    EndpointChoiceError,
    Parameter,
    choose_endpoint,
    describe_api,
)
from ai_music.generation.upstreams.gradio_inputs import plan_endpoint, plan_inputs
from ai_music.generation.upstreams.gradio_progress import QueueProgress

PARAMS = GenerationParams("waves", 20.0, "calm", 96, "piano, strings and drums", seed=7)

# Gradio 3: no /info with parameter names; /config has labels and component properties.
GRADIO_3_CONFIG: dict[str, Any] = {
    "version": "3.50.2",
    "dependencies": [
        {"api_name": "predict", "inputs": [1, 2, 3, 9], "outputs": [4], "backend_fn": True},
        {"api_name": None, "inputs": [], "outputs": [1], "backend_fn": False},
    ],
    "components": [
        {"id": 1, "type": "textbox", "props": {"label": "Text prompt", "value": ""}},
        {
            "id": 2,
            "type": "slider",
            "props": {"label": "Seconds", "minimum": 5, "maximum": 12, "step": 0.5, "value": 8},
        },
        {
            "id": 3,
            "type": "radio",
            "props": {"label": "Genre", "choices": ["Rock", "Ambient", "Jazz"], "value": "Rock"},
        },
        {"id": 9, "type": "state", "props": {}},
        {"id": 4, "type": "audio", "props": {"label": "Result"}},
    ],
}


def endpoint(
    *parameters: Parameter, name: str = "run", outputs: tuple[str, ...] = ("audio",)
) -> Endpoint:
    return Endpoint(name, 0, parameters, outputs)


def test_gradio_3_config_alone_describes_the_app_by_label() -> None:
    api = describe_api(None, GRADIO_3_CONFIG, source="/config")
    assert api is not None and api.version == "3.50.2"
    [found] = api.endpoints
    assert (found.api_name, found.fn_index, found.outputs, found.state_slots) == (
        "predict",
        0,
        ("audio",),
        (3,),
    )
    plan = plan_inputs(found, None)
    # Genre is the mood; no tempo or instruments inputs: they are written into the prompt.
    assert plan.build(PARAMS) == [merged_prompt(PARAMS, ("tempo", "instruments")), 12.0, "Ambient"]
    assert plan_endpoint(api, api_name=None, fn_index=None, templates=None).queue_inputs(
        [1, 2, 3]
    ) == [1, 2, 3, None]


@pytest.mark.parametrize(
    ("value", "choices", "expected"),
    [
        ("calm", ("Happy", "Calm"), "Calm"),
        ("very happy", ("Happy", "Sad"), "Happy"),
        ("melancholic", ("Melancholy", "Upbeat"), "Melancholy"),
        (96, (60, 90, 120), 90),
    ],
)
def test_dropdown_gets_the_nearest_choice(
    value: Any, choices: tuple[Any, ...], expected: Any
) -> None:
    mood = Parameter("mood", "Mood", "dropdown", "choice", choices=choices)
    tempo = Parameter("tempo", "Tempo", "dropdown", "choice", choices=choices)
    target = tempo if isinstance(value, int) else mood
    params = GenerationParams("x", 10, str(value), value if isinstance(value, int) else 90, "piano")
    plan = plan_inputs(endpoint(Parameter("prompt", "p", "textbox", "text"), target), None)
    assert plan.build(params)[1] == expected


def test_multiselect_instruments_and_integer_sliders() -> None:
    plan = plan_inputs(
        endpoint(
            Parameter("prompt", "p", "textbox", "text"),
            Parameter(
                "instruments",
                "Instruments",
                "checkboxgroup",
                "choice",
                choices=("Piano", "Strings", "Drums", "Bass"),
                multiselect=True,
            ),
            Parameter(
                "bpm", "BPM", "slider", "number", integer=True, minimum=100, maximum=180, step=4
            ),
            Parameter("seed", "Seed", "number", "number", integer=True),
            Parameter("guidance", "Guidance", "slider", "number", has_default=True, default=3.0),
        ),
        None,
    )
    assert plan.build(PARAMS) == ["waves. Mood: calm.", ["Piano", "Strings", "Drums"], 100, 7, 3.0]


def test_negative_prompt_is_not_the_prompt() -> None:
    plan = plan_inputs(
        endpoint(
            Parameter("negative_prompt", "Negative prompt", "textbox", "text"),
            Parameter("prompt", "Prompt", "textbox", "text"),
        ),
        None,
    )
    assert [b.control for b in plan.bindings] == [None, "prompt"]


def test_explicit_inputs_override_the_names() -> None:
    five = endpoint(*(Parameter(n, n, "textbox", "text") for n in ("prompt", "mood")))
    plan = plan_inputs(five, ["{prompt} in {mood}", 1])
    assert plan.build(PARAMS) == ["waves in calm", 1]


AUDIO = ("audio",)


def api(*endpoints: Endpoint) -> ApiDescription:
    return ApiDescription("/gradio_api/info", endpoints)


@pytest.mark.parametrize(
    ("endpoints", "chosen"),
    [
        ([endpoint(name="anything", outputs=("textbox",))], "anything"),
        ([endpoint(name="describe", outputs=("textbox",)), endpoint(name="song")], "song"),
        (
            [endpoint(name="remix"), endpoint(name="infer"), endpoint(name="tag", outputs=())],
            "infer",
        ),
        ([endpoint(name="generate"), endpoint(name="predict")], "predict"),
        ([endpoint(name="caption", outputs=()), endpoint(name="predict", outputs=())], "predict"),
    ],
)
def test_endpoint_choice(endpoints: list[Endpoint], chosen: str) -> None:
    assert choose_endpoint(api(*endpoints)).api_name == chosen


def test_endpoint_choice_errors_list_what_the_app_has() -> None:
    two = api(endpoint(name="generate_a"), endpoint(name="generate_b"))
    with pytest.raises(EndpointChoiceError, match=r"/generate_a → audio.*Set api_name"):
        choose_endpoint(two)
    with pytest.raises(EndpointChoiceError, match="no endpoint '/predict'; it has: /generate_a"):
        choose_endpoint(two, api_name="/predict")
    assert choose_endpoint(two, api_name="/generate_b").api_name == "generate_b"


def test_progress_eta_from_the_pace_of_the_steps() -> None:
    now = [100.0]
    reports = QueueProgress(clock=lambda: now[0])
    queued = reports.update({"msg": "estimation", "rank": 2, "rank_eta": 12.5})
    assert queued is not None and (queued.queue_position, queued.eta_seconds) == (2, 12.5)
    reports.update({"msg": "process_starts", "eta": None})
    now[0] = 103.0
    step = reports.update(
        {"msg": "progress", "progress_data": [{"index": 1, "length": 4, "desc": "sampling"}]}
    )
    assert step is not None
    assert (step.fraction, step.eta_seconds, step.message) == (0.25, 9.0, "sampling")
