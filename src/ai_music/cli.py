"""The ``ai-music`` command: serve, migrate, upstream check, and the engine's own commands."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence

from ai_music.config import get_settings


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal to the handler that
    # was there before it; with this one in place, a clean shutdown exits with status 0.
    signal.signal(signal.SIGTERM, lambda *_: None)
    uvicorn.run(
        "ai_music.main:app",
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
        access_log=False,  # our request log line (observability/) replaces uvicorn's
        ws="none",  # no WebSocket routes: not loading a WebSocket library saves memory
        timeout_graceful_shutdown=args.graceful_timeout,
        timeout_keep_alive=settings.keep_alive_s,
    )
    return 0


def migrate(_: argparse.Namespace) -> int:
    from ai_music.migrate import main as migrate_main

    migrate_main()
    return 0


def upstream_check(args: argparse.Namespace) -> int:
    from ai_music.generation.upstream_check import run_check

    return run_check(args.name, generate=not args.no_generate)


def _register_upstream_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    upstream = commands.add_parser("upstream", help="inspect the configured upstreams")
    upstream_commands = upstream.add_subparsers(dest="upstream_command", required=True)
    check = upstream_commands.add_parser(
        "check", help="probe upstreams, show how requests map onto them, run a test generation"
    )
    check.add_argument("name", nargs="?", help="only this upstream (default: all)")
    check.add_argument(
        "--no-generate", action="store_true", help="probe only; skip the test generation"
    )
    check.set_defaults(func=upstream_check)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ai-music", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve_parser = commands.add_parser("serve", help="run the API server")
    serve_parser.add_argument("--host", help="default 127.0.0.1 (AI_MUSIC_HOST)")
    serve_parser.add_argument("--port", type=int, help="default 8000 (PORT / AI_MUSIC_PORT)")
    serve_parser.add_argument("--workers", type=int, default=1, help="worker processes")
    serve_parser.add_argument(
        "--graceful-timeout", type=int, default=30, help="seconds to finish in-flight requests"
    )
    serve_parser.set_defaults(func=serve)

    migrate_parser = commands.add_parser("migrate", help="upgrade the database schema")
    migrate_parser.set_defaults(func=migrate)

    from ai_music.engine.cli import register as register_engine_commands

    register_engine_commands(commands)
    _register_upstream_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
