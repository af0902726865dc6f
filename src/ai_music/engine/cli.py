"""Command line: `ai-music engine` (the standalone service) and `ai-music compose` (a file).

ai_music.cli calls register(subparsers.add_parser); `python -m ai_music.engine.cli` runs
the same commands on their own.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path


def register(add_parser: Callable[..., argparse.ArgumentParser]) -> None:
    engine = add_parser("engine", help="run the music engine as an HTTP service")
    engine.add_argument("--host", default="127.0.0.1")
    engine.add_argument("--port", type=int, default=9100)
    engine.add_argument("--workers", type=int, default=2, help="concurrent renders (default 2)")
    engine.add_argument("--soundfont", default=None, help="render with this .sf2/.sf3 SoundFont")
    engine.set_defaults(func=run_engine)

    compose = add_parser("compose", help="compose a piece into an audio or MIDI file")
    compose.add_argument("prompt", nargs="?", default="", help='e.g. "calm piano at night"')
    compose.add_argument("--mood", default=None)
    compose.add_argument("--tempo", type=int, default=None, help="beats per minute")
    compose.add_argument("--duration", type=float, default=12.0, help="seconds (1-600)")
    compose.add_argument("--instruments", default=None, help='e.g. "piano, strings and soft drums"')
    compose.add_argument("--seed", type=int, default=None)
    compose.add_argument(
        "--format", default=None, help="mp3, wav or mid (default: from -o, else mp3)"
    )
    compose.add_argument("--soundfont", default=None, help="render with this .sf2/.sf3 SoundFont")
    compose.add_argument(
        "--explain", action="store_true", help="print how the prompt was read, render nothing"
    )
    compose.add_argument(
        "-o", "--output", default=None, help="output file (default: piece-<seed>.<format>)"
    )
    compose.set_defaults(func=run_compose)


def run_engine(args: argparse.Namespace) -> int:
    from ai_music.engine.server import serve

    serve(host=args.host, port=args.port, workers=args.workers, soundfont=args.soundfont)
    return 0


def _format_for(args: argparse.Namespace) -> str:
    from ai_music.engine.service import normalise_format

    if args.format:
        return normalise_format(args.format)
    if args.output and Path(args.output).suffix:
        return normalise_format(Path(args.output).suffix)
    return "mp3"


def _progress_line(started: float) -> Callable[[float], None]:
    def show(fraction: float) -> None:
        bar = "#" * int(fraction * 20)
        sys.stderr.write(
            f"\rcomposing [{bar:<20}] {fraction * 100:3.0f}%  {time.perf_counter() - started:5.2f}s"
        )
        sys.stderr.flush()

    return show


def run_compose(args: argparse.Namespace) -> int:
    # Imported here: `ai-music serve` builds this parser too, and must not load the engine.
    from ai_music.engine.service import EngineInputError, EngineRequest, plan_of, render

    if args.explain:
        from ai_music.engine.plan import explain

        sys.stdout.write(explain(plan_of(EngineRequest.of(args))) + "\n")
        return 0
    try:
        request = EngineRequest.of(args, format=_format_for(args))
        started = time.perf_counter()
        show = _progress_line(started)
        result = render(request, show, soundfont=args.soundfont)
    except (EngineInputError, OSError, RuntimeError) as exc:
        sys.stderr.write(f"\nerror: {exc}\n")
        return 2
    output = Path(args.output or f"piece-{result.seed}.{result.format}")
    output.write_bytes(result.audio)
    sys.stderr.write(
        f"\nwrote {output} ({len(result.audio)} bytes): "
        f"{result.duration_s:g} s, {result.tempo} BPM, "
        f"mood {result.mood}, style {result.style}, instruments {', '.join(result.instruments)}, "
        f"seed {result.seed}\n"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ai-music")
    register(parser.add_subparsers(dest="command", required=True).add_parser)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
