"""``ai-music worker``: a process that runs generation jobs and serves no HTTP.

It builds what the API process builds for jobs (database, audio store, limits, webhooks,
upstreams) and runs Procrastinate's worker until SIGTERM or SIGINT; then it takes no new job
and gives the running ones ``AI_MUSIC_WORKER_GRACE_S`` to end (what is still running goes back
to the queue for another worker).
"""

from __future__ import annotations

import asyncio
import logging
import signal

from ai_music.app import build_context
from ai_music.core import migrate
from ai_music.core.config import Settings
from ai_music.generation.components import start_generation
from ai_music.generation.notifications import job_event_notifier
from ai_music.limits.components import per_process_warning
from ai_music.observability.logs import configure_logging

log = logging.getLogger("ai_music")


async def run_worker(settings: Settings) -> None:
    if not settings.distributed_jobs:
        raise SystemExit(
            "ai-music worker needs the PostgreSQL job queue: set DATABASE_URL to a PostgreSQL "
            "database (with SQLite, `ai-music serve` runs the jobs itself)"
        )
    settings = settings.model_copy(update={"run_worker": True})
    configure_logging(settings)
    context = build_context(settings)
    if warning := per_process_warning(settings, worker_process=True):
        log.warning(warning)
    if settings.migrate_on_start:
        await migrate.ensure_latest_schema(context.db.engine, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    generation = await start_generation(context, on_event=job_event_notifier(context))
    log.info("worker started; stopping on SIGTERM (grace %g s)", settings.worker_grace_s)
    try:
        await stop.wait()
        log.info("worker stopping: no new jobs; running ones get %g s", settings.worker_grace_s)
    finally:
        await generation.aclose()
        await context.webhooks.aclose()
        await context.db.aclose()
        await context.limits.aclose()
