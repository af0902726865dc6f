"""The engine's public interface: render a request to audio, in-process or in a worker pool.

render() is synchronous, CPU-bound and pure: the same request with the same seed gives the
same bytes. EnginePool runs renders off the event loop on a bounded set of workers.
"""

from __future__ import annotations

import asyncio
import math
import secrets
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from ai_music.engine.composer import compose
from ai_music.engine.encode import mp3_bytes, wav_bytes
from ai_music.engine.formats import MEDIA_TYPES
from ai_music.engine.master import master
from ai_music.engine.midi import midi_bytes
from ai_music.engine.mix import mix_score
from ai_music.engine.plan import Plan, make_plan, variation
from ai_music.engine.sound import SAMPLE_RATE

_FORMAT_ALIASES = {
    "mp3": "mp3",
    "mpeg": "mp3",
    "wav": "wav",
    "wave": "wav",
    "mid": "mid",
    "midi": "mid",
}
MAX_SEED = 2**32 - 1
_MUSIC_PARAMS = ("prompt", "duration", "mood", "tempo", "instruments", "seed")


class EngineInputError(ValueError):
    """A request the engine cannot render (unknown format, non-numeric duration...)."""


@dataclass(frozen=True)
class EngineRequest:
    prompt: str = ""
    duration: float = 12.0  # seconds, engine accepts 1..600
    mood: str | None = None
    tempo: int | None = None  # BPM; None -> from mood/style; engine clamps to 40..220
    instruments: str | None = None
    seed: int | None = None
    format: str = "mp3"  # "mp3" | "wav" | "mid"
    # Also write the score as MIDI beside the audio, from the same composition (no second render).
    with_midi: bool = False

    @classmethod
    def of(cls, params: object, *, format: str = "mp3", with_midi: bool = False) -> EngineRequest:
        """The request for ``params``: anything with this request's musical attributes (an
        upstream's GenerationParams, the command line's arguments)."""
        music = {name: getattr(params, name) for name in _MUSIC_PARAMS}
        return cls(**music, format=format, with_midi=with_midi)


@dataclass(frozen=True)
class EngineResult:
    audio: bytes
    format: str  # "mp3" | "wav" | "mid"
    media_type: str  # audio/mpeg, audio/wav, audio/midi
    seed: int
    duration_s: float
    tempo: int
    mood: str  # the mood actually used (after fallback)
    style: str
    instruments: tuple[str, ...]  # voices actually used
    midi: bytes | None = None  # the score as a Standard MIDI File, when with_midi was asked


def normalise_format(value: str) -> str:
    fmt = _FORMAT_ALIASES.get(str(value).strip().lower().lstrip("."))
    if fmt is None:
        raise EngineInputError(f"unsupported format {value!r}; use mp3, wav or mid")
    return fmt


def _check(request: EngineRequest) -> None:
    if not isinstance(request.duration, int | float) or not math.isfinite(request.duration):
        raise EngineInputError("duration must be a finite number of seconds")
    if request.tempo is not None and (
        not isinstance(request.tempo, int | float) or not math.isfinite(request.tempo)
    ):
        raise EngineInputError("tempo must be a number of beats per minute")
    if request.seed is not None and not isinstance(request.seed, int):
        raise EngineInputError("seed must be an integer")


def plan_of(request: EngineRequest) -> Plan:
    """How the request is read: style, mood, tempo, band (what ``--explain`` prints)."""
    return make_plan(
        prompt=request.prompt,
        duration=request.duration,
        mood=request.mood,
        tempo=request.tempo,
        instruments=request.instruments,
    )


def render(
    request: EngineRequest,
    progress: Callable[[float], None] | None = None,
    *,
    soundfont: str | None = None,
) -> EngineResult:
    """Compose, synthesize, master and encode one piece. Pure: same seed, same bytes."""
    _check(request)
    fmt = normalise_format(request.format)
    report = progress or (lambda fraction: None)
    seed = (
        request.seed % (MAX_SEED + 1)
        if request.seed is not None
        else secrets.randbelow(MAX_SEED + 1)
    )
    plan = plan_of(request)
    score = compose(plan, variation(seed, request.prompt or ""))
    report(0.15)
    if fmt == "mid":
        audio = midi_bytes(score)
    else:
        total_samples = round(plan.duration * SAMPLE_RATE)
        reverb_amount = plan.mood.reverb * plan.style.reverb / 0.3
        if soundfont:
            from ai_music.engine.soundfont import SoundFontError, render_soundfont

            try:
                stereo = render_soundfont(score, total_samples, reverb_amount, soundfont)
            except SoundFontError as error:
                raise EngineInputError(str(error)) from error
        else:
            stereo = mix_score(score, total_samples, reverb_amount, seed)
        report(0.7)
        mastered = master(stereo)
        report(0.85)
        audio = (
            wav_bytes(mastered, SAMPLE_RATE) if fmt == "wav" else mp3_bytes(mastered, SAMPLE_RATE)
        )
    report(1.0)
    return EngineResult(
        audio=audio,
        format=fmt,
        media_type=MEDIA_TYPES[fmt],
        seed=seed,
        duration_s=plan.duration,
        tempo=plan.tempo,
        mood=plan.mood.name,
        style=plan.style.name,
        instruments=plan.voices,
        midi=midi_bytes(score) if request.with_midi and fmt != "mid" else None,
    )


def _render_in_worker(request: EngineRequest, soundfont: str | None) -> EngineResult:
    return render(request, soundfont=soundfont)


@dataclass(eq=False)
class EnginePool:
    """Bounded worker pool that renders off the event loop.

    Threads by default: rendering spends most of its time in numpy calls that release the
    GIL, so two threads render two pieces almost twice as fast as one, without the memory
    of a second interpreter (bench/bench_engine.py measures both). kind="process" uses
    lazily started "spawn" workers instead, never forking the server's event loop.
    """

    max_workers: int = 2
    soundfont: str | None = None
    kind: Literal["thread", "process"] = field(default="thread", kw_only=True)
    _executor: Executor | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_workers < 1:
            raise ValueError("max_workers must be at least 1")

    def _get_executor(self) -> Executor:
        if self._executor is None:
            if self.kind == "process":
                import multiprocessing
                from concurrent.futures import ProcessPoolExecutor

                context = multiprocessing.get_context("spawn")
                self._executor = ProcessPoolExecutor(self.max_workers, mp_context=context)
            else:
                self._executor = ThreadPoolExecutor(
                    self.max_workers, thread_name_prefix="ai-music-engine"
                )
        return self._executor

    async def render(self, request: EngineRequest) -> EngineResult:
        _check(request)
        normalise_format(request.format)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._get_executor(), _render_in_worker, request, self.soundfont
        )

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    async def aclose(self) -> None:
        await asyncio.to_thread(self.close)
