"""The ``ai-music`` command: serve, migrate, storage, upstream check, the engine's commands."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ai_music.core.config import get_settings


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ai_music.web.serving import uvicorn_options

    settings = get_settings()
    # Files this server writes (database, secrets, audio) are its own: 0600 files, 0700 folders.
    os.umask(0o077)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal to the handler that
    # was there before it; with this one in place, a clean shutdown exits with status 0.
    signal.signal(signal.SIGTERM, lambda *_: None)
    # Each worker process learns how many there are (limits/ warns when they count apart).
    os.environ["AI_MUSIC_WEB_PROCESSES"] = str(args.workers)
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


def worker(_: argparse.Namespace) -> int:
    import asyncio

    from ai_music.worker_process import run_worker

    os.umask(0o077)
    asyncio.run(run_worker(get_settings()))
    return 0


def migrate(_: argparse.Namespace) -> int:
    from ai_music.core.migrate import main as migrate_main

    migrate_main()
    return 0


def storage_migrate(args: argparse.Namespace) -> int:
    from ai_music.core.config import Settings
    from ai_music.storage.bucket import BucketAudioStore
    from ai_music.storage.migration import copy_folder_to_bucket

    settings = get_settings()
    target = Settings.check_audio_store(args.to)
    if target is None:
        raise SystemExit("--to: give the bucket as s3://bucket/prefix")
    source = args.source or settings.data_dir / "audio"
    report = copy_folder_to_bucket(source, BucketAudioStore(target), remove_local=args.remove_local)
    print(
        f"{report.copied} copied, {report.already_there} already in the bucket, "
        f"{report.removed_locally} removed from {source}.\n"
        f"Serve from the bucket with AI_MUSIC_AUDIO_STORE={target}; run this again after "
        "switching to copy anything stored meanwhile."
    )
    return 0


def upstream_check(args: argparse.Namespace) -> int:
    from ai_music.generation.upstream_check import run_check

    return run_check(args.name, generate=not args.no_generate)


def _register_upstream_commands(add_parser: Callable[..., argparse.ArgumentParser]) -> None:
    upstream = add_parser("upstream", help="inspect the configured upstreams")
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

    worker_parser = commands.add_parser(
        "worker", help="run generation jobs, no HTTP (PostgreSQL; AI_MUSIC_WORKER_CONCURRENCY)"
    )
    worker_parser.set_defaults(func=worker)

    migrate_parser = commands.add_parser("migrate", help="upgrade the database schema")
    migrate_parser.set_defaults(func=migrate)

    storage_parser = commands.add_parser("storage", help="audio storage")
    storage_commands = storage_parser.add_subparsers(dest="storage_command", required=True)
    storage_migrate_parser = storage_commands.add_parser(
        "migrate",
        help="copy the local folder's audio into a bucket (resumable; AWS_* for credentials)",
    )
    storage_migrate_parser.add_argument("--to", required=True, help="s3://bucket/prefix")
    storage_migrate_parser.add_argument(
        "--from",
        dest="source",
        type=Path,
        help="the local audio folder (default <AI_MUSIC_DATA_DIR>/audio)",
    )
    storage_migrate_parser.add_argument(
        "--remove-local",
        action="store_true",
        help="delete each local file once the bucket holds it (default: keep them)",
    )
    storage_migrate_parser.set_defaults(func=storage_migrate)

    from ai_music.engine.cli import register as register_engine_commands

    register_engine_commands(commands.add_parser)
    _register_upstream_commands(commands.add_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
