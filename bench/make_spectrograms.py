"""Spectrograms of a dozen contrasting prompts: docs/spectrograms/<name>.png.

Each prompt of PROMPTS renders a 30 s piece with a fixed seed (genre, mood, tempo and band
as the engine reads the prompt; `ai-music compose "<prompt>" --explain` shows how). The
picture is the mono mix's short-time spectrum on a logarithmic frequency axis (30 Hz -
16 kHz), in dB below the piece's loudest bin, so notes show as horizontal lines and drum hits
as vertical ones.

The STFT is numpy; the picture is drawn with Pillow (already installed with the `test` extra,
through gradio), so the engine gains no dependency. Run from the repository root:

    .venv/bin/python bench/make_spectrograms.py [--seed 7] [--duration 30] [--out docs/spectrograms]
"""

from __future__ import annotations

import argparse
import io
import math
import wave
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ai_music.engine import EngineRequest, render

# (file name, prompt): contrasting genres, moods and instruments.
PROMPTS = (
    ("lofi", "lofi hip hop beats to study"),
    ("rock", "energetic rock with drums"),
    ("metal", "heavy metal"),
    ("jazz", "late night jazz with a saxophone"),
    ("blues", "slow blues"),
    ("bossa", "bossa nova at a cafe"),
    ("reggae", "reggae on the beach"),
    ("funk", "funky groove with horns"),
    ("edm", "edm festival drop"),
    ("orchestral", "epic orchestral soundtrack"),
    ("ambient", "calm ambient music"),
    ("chamber", "sad classical piece for violin and cello"),
)
FRAME = 4096  # STFT window (93 ms): enough resolution for bass notes
HOP = 1024
LOW_HZ, HIGH_HZ = 30.0, 16000.0
FLOOR_DB = -80.0
PLOT_HEIGHT = 360
LEFT, RIGHT, TOP, BOTTOM = 64, 86, 34, 40
FREQ_TICKS = (50, 100, 200, 500, 1000, 2000, 5000, 10000)
COLOURS = 240  # palette entries for the colour map; then white, black, grey
WHITE, BLACK, GREY = COLOURS, COLOURS + 1, COLOURS + 2

# Anchor colours of a magma-like map (dark violet -> red -> pale yellow).
_ANCHORS = np.array(
    [
        [0, 0, 4],
        [28, 16, 68],
        [79, 18, 123],
        [129, 37, 129],
        [181, 54, 122],
        [229, 80, 100],
        [251, 135, 97],
        [254, 194, 135],
        [252, 253, 191],
    ],
    dtype=np.float64,
)


def palette() -> list[int]:
    positions = np.linspace(0, 1, len(_ANCHORS))
    ramp = np.linspace(0, 1, COLOURS)
    colours = np.stack([np.interp(ramp, positions, _ANCHORS[:, c]) for c in range(3)], axis=1)
    entries: list[int] = np.round(colours).astype(int).reshape(-1).tolist()
    entries += [255, 255, 255, 0, 0, 0, 150, 150, 150]
    return entries + [0] * (768 - len(entries))


def mono_of(wav: bytes) -> tuple[np.ndarray, int]:
    with wave.open(io.BytesIO(wav)) as reader:
        rate, channels = reader.getframerate(), reader.getnchannels()
        frames = reader.readframes(reader.getnframes())
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
    return samples.reshape(-1, channels).mean(axis=1), rate


def spectrogram_db(mono: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(frames, bins) power in dB re the loudest bin, and the bin frequencies."""
    padded = np.concatenate([np.zeros(FRAME // 2, np.float32), mono, np.zeros(FRAME, np.float32)])
    count = 1 + (len(padded) - FRAME) // HOP
    window = np.hanning(FRAME).astype(np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(padded, FRAME)[::HOP][:count]
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
    db = 10 * np.log10(np.maximum(power, 1e-20) / power.max())
    return db, np.fft.rfftfreq(FRAME, 1 / rate)


def log_frequency_rows(db: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """(PLOT_HEIGHT, frames): each row the loudest bin in its log-frequency band, top = high."""
    edges = np.geomspace(LOW_HZ, HIGH_HZ, PLOT_HEIGHT + 1)
    rows = np.empty((PLOT_HEIGHT, db.shape[0]), dtype=np.float64)
    for row in range(PLOT_HEIGHT):
        lo, hi = edges[row], edges[row + 1]
        inside = np.nonzero((freqs >= lo) & (freqs < hi))[0]
        if len(inside):
            rows[row] = db[:, inside].max(axis=1)
        else:  # below ~200 Hz a band is narrower than a bin: interpolate between bins
            centre = math.sqrt(lo * hi)
            index = np.searchsorted(freqs, centre)
            weight = (centre - freqs[index - 1]) / (freqs[index] - freqs[index - 1])
            rows[row] = (1 - weight) * db[:, index - 1] + weight * db[:, index]
    return rows[::-1]


def _y_of(freq: float) -> int:
    fraction = math.log(freq / LOW_HZ) / math.log(HIGH_HZ / LOW_HZ)
    return TOP + round((1 - fraction) * (PLOT_HEIGHT - 1))


def picture(rows: np.ndarray, seconds: float, title: str) -> Image.Image:
    width = rows.shape[1]
    indices = np.clip((rows - FLOOR_DB) / -FLOOR_DB, 0, 1) * (COLOURS - 1)
    plot = Image.fromarray(np.round(indices).astype(np.uint8), mode="P")
    image = Image.new("P", (LEFT + width + RIGHT, TOP + PLOT_HEIGHT + BOTTOM), WHITE)
    image.putpalette(palette())
    image.paste(plot, (LEFT, TOP))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=12)
    draw.text((LEFT, 8), title, fill=BLACK, font=font)
    draw.rectangle((LEFT - 1, TOP - 1, LEFT + width, TOP + PLOT_HEIGHT), outline=BLACK)
    for freq in FREQ_TICKS:
        y = _y_of(freq)
        draw.line((LEFT - 5, y, LEFT - 1, y), fill=BLACK)
        label = f"{freq // 1000}k" if freq >= 1000 else str(freq)
        draw.text((LEFT - 8, y), label, fill=BLACK, font=font, anchor="rm")
    draw.text((6, TOP + PLOT_HEIGHT // 2), "Hz", fill=BLACK, font=font, anchor="lm")
    for second in range(0, int(seconds) + 1, 2):
        x = LEFT + round(second / seconds * (width - 1))
        draw.line((x, TOP + PLOT_HEIGHT, x, TOP + PLOT_HEIGHT + 4), fill=BLACK)
        draw.text((x, TOP + PLOT_HEIGHT + 6), str(second), fill=BLACK, font=font, anchor="mt")
    draw.text(
        (LEFT + width // 2, TOP + PLOT_HEIGHT + 22), "time (s)", fill=BLACK, font=font, anchor="mt"
    )
    # Colour bar: 0 dB at the top, FLOOR_DB at the bottom.
    bar_left = LEFT + width + 14
    for y in range(PLOT_HEIGHT):
        level = round((1 - y / (PLOT_HEIGHT - 1)) * (COLOURS - 1))
        draw.line((bar_left, TOP + y, bar_left + 12, TOP + y), fill=level)
    draw.rectangle((bar_left - 1, TOP - 1, bar_left + 13, TOP + PLOT_HEIGHT), outline=BLACK)
    for db in range(0, int(FLOOR_DB) - 1, -20):
        y = TOP + round(db / FLOOR_DB * (PLOT_HEIGHT - 1))
        draw.text((bar_left + 17, y), f"{db} dB", fill=BLACK, font=font, anchor="lm")
    return image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=Path("docs/spectrograms"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, prompt in PROMPTS:
        result = render(
            EngineRequest(prompt=prompt, duration=args.duration, seed=args.seed, format="wav")
        )
        mono, rate = mono_of(result.audio)
        db, freqs = spectrogram_db(mono, rate)
        title = (
            f'"{prompt}": {result.style}, {result.mood}, {result.tempo} BPM, '
            f"{', '.join(result.instruments)}"
        )
        path = args.out / f"{name}.png"
        picture(log_frequency_rows(db, freqs), args.duration, title).save(path, optimize=True)
        print(f"{path}: {title}")


if __name__ == "__main__":
    main()
