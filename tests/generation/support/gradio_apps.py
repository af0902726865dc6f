"""Real Gradio apps of the shapes users connect, in one process: ``python gradio_apps.py <port>``.

Gradio takes seconds to import and start, so every app is mounted on one FastAPI server at
its own path (``/readme``, ``/original``, ...). Each app records the values its function
received; ``GET /received/<app>`` returns them, newest last, for the tests to assert on.
"""

from __future__ import annotations

import base64
import io
import os
import sys
import time
import wave
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr
import numpy as np
import uvicorn
from fastapi import FastAPI

RATE = 8000
received: dict[str, list[dict[str, Any]]] = {}


def record(app: str, **values: Any) -> None:
    received.setdefault(app, []).append(values)


def tone(seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(RATE * min(float(seconds), 1.0))) / RATE
    return (np.sin(2 * np.pi * 330 * t) * 10000).astype(np.int16)


def wav_file(seconds: float = 0.5) -> str:
    """A WAV file on disk, as a model that writes its output would return it."""
    path = os.path.join(os.environ.get("GRADIO_TEMP_DIR", "/tmp"), f"out-{time.time_ns()}.wav")
    with wave.open(path, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(tone(seconds).tobytes())
    return path


# The original README's Colab example: five inputs, a function named `generate`.
def generate(prompt: str, duration: float, mood: str, tempo: float, instruments: str) -> str:
    values = {"duration": duration, "mood": mood, "tempo": tempo, "instruments": instruments}
    record("readme", prompt=prompt, **values)
    return wav_file()


readme = gr.Interface(
    generate,
    [gr.Textbox(), gr.Number(), gr.Textbox(), gr.Number(), gr.Textbox()],
    gr.Audio(),
)


# The original implementation's upstream: one text (the merged prompt) and a duration.
def generate_two(prompt: str, duration: float) -> str:
    record("original", prompt=prompt, duration=duration)
    return wav_file()


original = gr.Interface(generate_two, [gr.Textbox(), gr.Number()], gr.Audio(), api_name="generate")


# A Blocks app with several endpoints, two of them audio generators: needs api_name. Its
# session state is an input the API leaves out and the queue protocol still expects.
with gr.Blocks() as blocks:
    text, seconds, audio, caption = gr.Textbox(), gr.Number(value=8), gr.Audio(), gr.Textbox()
    takes = gr.State(0)
    button = gr.Button()

    def compose_song(description: str, length: float, take: int) -> str:
        record("blocks", endpoint="compose_song", description=description, length=length)
        return wav_file()

    def generate_variation(description: str) -> str:
        record("blocks", endpoint="generate_variation", description=description)
        return wav_file()

    def describe(description: str) -> str:
        return f"about {description}"

    button.click(compose_song, [text, seconds, takes], audio, api_name="compose_song")
    button.click(generate_variation, [text], audio, api_name="generate_variation")
    button.click(describe, [text], caption, api_name="describe")


# Sliders with ranges, a mood dropdown, and a setting of the model's own (temperature).
def music(
    text: str, length: float, mood: str, bpm: float, temperature: float, seed: float
) -> tuple[int, np.ndarray]:
    record(
        "sliders",
        text=text,
        length=length,
        mood=mood,
        bpm=bpm,
        temperature=temperature,
        seed=seed,
    )
    return RATE, tone()


sliders = gr.Interface(
    music,
    [
        gr.Textbox(label="Describe the music"),
        gr.Slider(1, 15, value=8, step=1, label="Length (seconds)"),
        gr.Dropdown(["Happy", "Sad", "Energetic", "Calm"], value="Happy", label="Mood"),
        gr.Slider(60, 140, value=100, step=1, label="BPM"),
        gr.Slider(0.1, 1.5, value=0.7, label="Temperature"),
        gr.Number(value=0, precision=0, label="Seed"),
    ],
    gr.Audio(),
)


# numpy audio: a (sample rate, float array) tuple, which Gradio serves as a file.
def synthesize(prompt: str, duration: float) -> tuple[int, np.ndarray]:
    record("numpy", prompt=prompt, duration=duration)
    return RATE, tone().astype(np.float32) / 32768.0


numpy_app = gr.Interface(synthesize, [gr.Textbox(), gr.Number()], gr.Audio(type="numpy"))


# gr.Progress: five steps of 0.3 s each, so a job sees progress and an ETA while it runs.
def infer(prompt: str, duration: float, progress: gr.Progress = gr.Progress()) -> str:
    record("progress", prompt=prompt, duration=duration)
    for step in range(5):
        progress((step, 5), desc="sampling")
        time.sleep(0.3)
    return wav_file()


progress_app = gr.Interface(infer, [gr.Textbox(), gr.Number()], gr.Audio())


# Two outputs, text first: the audio is not the first item of the answer.
def predict(prompt: str, duration: float) -> tuple[str, str]:
    record("two_outputs", prompt=prompt, duration=duration)
    return f"made {duration:g} s of {prompt}", wav_file()


two_outputs = gr.Interface(
    predict, [gr.Textbox(), gr.Number()], [gr.Textbox(label="info"), gr.Audio()]
)


# Audio as a base64 data URL in a text output (how some apps avoid file serving).
def encode(prompt: str, duration: float) -> str:
    record("data_url", prompt=prompt, duration=duration)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(tone().tobytes())
    return "data:audio/wav;base64," + base64.b64encode(buffer.getvalue()).decode()


data_url = gr.Interface(encode, [gr.Textbox(), gr.Number()], gr.Textbox())

APPS = {
    "readme": readme,
    "original": original,
    "blocks": blocks,
    "sliders": sliders,
    "numpy": numpy_app,
    "progress": progress_app,
    "two_outputs": two_outputs,
    "data_url": data_url,
}

server = FastAPI()


@server.get("/received/{app}")
def received_by(app: str) -> list[dict[str, Any]]:
    return received.get(app, [])


@server.get("/healthz")
def healthz() -> str:
    return "ok"


for path, demo in APPS.items():
    server = gr.mount_gradio_app(server, demo.queue(default_concurrency_limit=8), path=f"/{path}")

if __name__ == "__main__":
    uvicorn.run(server, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
