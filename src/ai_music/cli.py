"""The ``ai-music`` command: serve, migrate, and the engine's own commands."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence

from ai_music.config import get_settings


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ai_music.serving import uvicorn_options

    settings = get_settings()
    # Files this server writes (database, secrets, audio) are its own: 0600 files, 0700 folders.
    os.umask(0o077)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal to the handler that
    # was there before it; with this one in place, a clean shutdown exits with status 0.
    signal.signal(signal.SIGTERM, lambda *_: None)
    uvicorn.run(
        "ai_music.main:app",
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        access_log=False,  # our request log line (observability/) replaces uvicorn's
        ws="none",  # no WebSocket routes: not loading a WebSocket library saves memory
        timeout_graceful_shutdown=args.graceful_timeout,
        # Trusted proxies, head size and timeouts: the same as under gunicorn.
        **uvicorn_options(settings),
    )
    return 0


def migrate(_: argparse.Namespace) -> int:
    from ai_music.migrate import main as migrate_main

    migrate_main()
    return 0


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
