"""A real Gradio app for integration tests: ``python gradio_app.py <port>``.

Outputs are Textbox then Audio (the audio is deliberately not first); the function reports
progress through ``gr.Progress`` so the queue protocol carries progress events. Each of its
four steps takes 2 s when the prompt contains "slow", 0.4 s for "brisk", else 0.05 s.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr
import numpy as np

STEPS = 4


def compose(
    prompt: str, duration: float, progress: gr.Progress = gr.Progress()
) -> tuple[str, tuple[int, np.ndarray]]:
    delay = 2.0 if "slow" in prompt else 0.4 if "brisk" in prompt else 0.05
    for step in range(STEPS):
        progress((step, STEPS), desc="composing")
        time.sleep(delay)
    rate = 8000
    t = np.arange(int(rate * min(float(duration), 1.0))) / rate
    tone = (np.sin(2 * np.pi * 330 * t) * 10000).astype(np.int16)
    return f"composed: {prompt}", (rate, tone)


demo = gr.Interface(
    fn=compose,
    inputs=[gr.Textbox(label="prompt"), gr.Number(label="duration")],
    outputs=[gr.Textbox(label="status"), gr.Audio(label="audio", format="wav")],
    api_name="predict",
)

if __name__ == "__main__":
    demo.queue(default_concurrency_limit=8).launch(
        server_name="127.0.0.1",
        server_port=int(sys.argv[1]),
        prevent_thread_lock=False,
        show_error=True,
    )
