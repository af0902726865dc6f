"""The FastAPI application: routers, error handlers, middleware and the process's lifespan."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from redis.exceptions import RedisError
from starlette.responses import Response

from ai_music.accounts.routes import router as accounts_router
from ai_music.accounts.security import PasswordHashing, TokenCodec
from ai_music.context import AppContext
from ai_music.core import migrate
from ai_music.core.config import Settings, get_settings
from ai_music.core.db import Database
from ai_music.core.errors import install_error_handlers
from ai_music.core.memory import return_large_buffers_to_the_system
from ai_music.core.responses import json_response
from ai_music.generation.components import start_generation
from ai_music.generation.event_links import events_signer
from ai_music.generation.notifications import job_event_notifier
from ai_music.generation.routes import router as generation_router
from ai_music.history.cache import HistoryPageCache
from ai_music.history.routes import router as history_router
from ai_music.limits.body import BodySizeLimitMiddleware
from ai_music.limits.components import build_limits, per_process_warning
from ai_music.observability.logs import configure_logging
from ai_music.observability.middleware import ObservabilityMiddleware
from ai_music.observability.routes import router as metrics_router
from ai_music.storage.media import MediaLinks
from ai_music.storage.stores import open_audio_store
from ai_music.studio.routes import PAGE_URL, install_studio, page_csp
from ai_music.web.api_docs import DOCS_PATHS, install_offline_docs
from ai_music.web.client_ip import ClientAddressResolver
from ai_music.web.cors import ApiCORSMiddleware
from ai_music.web.head import HeadAsGetMiddleware
from ai_music.web.middleware import RequestContextMiddleware
from ai_music.web.openapi import install_error_documentation
from ai_music.web.security_headers import DOCS_CSP, SecurityHeadersMiddleware
from ai_music.webhooks.components import build_sender
from ai_music.webhooks.routes import router as webhooks_router

log = logging.getLogger("ai_music")

HEALTH_BODY = {"status": "ok", "service": "AI Music Backend"}
# Net new container objects between two young-generation collections (CPython's default: 700).
GC_YOUNG_THRESHOLD = 50_000


def build_context(settings: Settings) -> AppContext:
    settings.private_data_dir()
    limits = build_limits(settings)
    context = AppContext(
        settings=settings,
        db=Database(settings),
        hashing=PasswordHashing(settings),
        tokens=TokenCodec(settings.token_secret(), settings.token_ttl_seconds),
        storage=open_audio_store(settings),
        media_links=MediaLinks.for_secret(settings.token_secret(), settings.media_url_lifetime_s),
        history_pages=HistoryPageCache(settings.history_cache_bytes),
        limits=limits,
        webhooks=build_sender(settings),
        events_signer=events_signer(settings),
        metrics_token=settings.metrics_bearer() if settings.metrics_enabled else None,
    )
    context.account_forgetters.append(limits.quota.forget)
    return context


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    return_large_buffers_to_the_system()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings)
        context = build_context(settings)
        if warning := per_process_warning(settings):
            log.warning(warning)
        if settings.migrate_on_start:
            await migrate.ensure_latest_schema(context.db.engine, settings)
        app.state.context = context
        generation = await start_generation(context, on_event=job_event_notifier(context))
        # What exists now (modules, classes, the app) lives as long as the process; freezing
        # it keeps a full collection, a stall of whatever request is running, down to the
        # objects made since (docs/architecture.md).
        gc.collect()
        gc.freeze()
        # Young collections less often: under a burst of requests the objects they hold were
        # walked again and again by collections that found little (docs/architecture.md).
        thresholds = gc.get_threshold()
        gc.set_threshold(GC_YOUNG_THRESHOLD, *thresholds[1:])
        try:
            yield
        finally:
            gc.set_threshold(*thresholds)
            gc.unfreeze()
            await generation.aclose()
            await context.webhooks.aclose()
            await context.db.aclose()
            await context.limits.aclose()

    app = FastAPI(
        title="ai-music-backend",
        version="0.1.0",
        summary="Accounts, history with audio, and music generation for AI music studio apps.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    install_error_documentation(app)
    # Innermost, so that logs and metrics still say HEAD.
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(ApiCORSMiddleware, allow_origins=settings.cors_origins)
    app.add_middleware(
        ObservabilityMiddleware, client_addresses=ClientAddressResolver(settings.trusted_proxies)
    )
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, page_policies=page_policies(settings))
    install_offline_docs(app)
    app.include_router(accounts_router)
    app.include_router(history_router)
    app.include_router(generation_router)
    app.include_router(webhooks_router)
    if settings.metrics_enabled:
        app.include_router(metrics_router)
    app.add_api_route("/health", health, methods=["GET"], tags=["operations"])
    app.add_api_route("/ready", ready, methods=["GET"], tags=["operations"])
    if settings.studio_enabled:
        install_studio(app)
    return app


def page_policies(settings: Settings) -> dict[str, bytes]:
    """The CSP of each path that is a page; every other answer gets the API's deny-all."""
    policies = dict.fromkeys(DOCS_PATHS, DOCS_CSP)
    if settings.studio_enabled:
        policies[PAGE_URL] = page_csp(settings)
    return policies


async def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


ContextDep = Annotated[AppContext, Depends(get_context)]


async def health() -> Response:
    """Liveness: the original's exact answer."""
    return json_response(HEALTH_BODY)


async def ready(context: ContextDep) -> Response:
    """Readiness: 200 when the database answers, 503 otherwise; with each upstream's state."""
    checks: dict[str, object] = {}
    healthy = True
    try:
        await context.db.ping()
        checks["database"] = "ok"
    except Exception:
        log.exception("readiness: database check failed")
        checks["database"] = "unavailable"
        healthy = False
    router = context.generation.router
    try:
        await router.refresh_states()
    except (RedisError, OSError):
        log.exception("readiness: shared upstream state unavailable")
    checks["upstreams"] = router.states()
    body = {"status": "ready" if healthy else "unavailable", "checks": checks}
    return json_response(body, status_code=200 if healthy else 503)
