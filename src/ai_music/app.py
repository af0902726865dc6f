"""The FastAPI application: routers, error handlers, middleware and the process's lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.responses import Response

from ai_music import migrate
from ai_music.accounts.router import router as accounts_router
from ai_music.accounts.security import PasswordHashing, TokenCodec
from ai_music.config import Settings, get_settings
from ai_music.context import AppContext
from ai_music.db import Database
from ai_music.deps import ContextDep
from ai_music.errors import install_error_handlers
from ai_music.generation.storage import LocalAudioStorage
from ai_music.history.router import router as history_router
from ai_music.middleware import RequestContextMiddleware
from ai_music.web import json_response

log = logging.getLogger("ai_music")

HEALTH_BODY = {"status": "ok", "service": "AI Music Backend"}


def build_context(settings: Settings) -> AppContext:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return AppContext(
        settings=settings,
        db=Database(settings),
        hashing=PasswordHashing(settings),
        tokens=TokenCodec(settings.token_secret(), settings.token_ttl_seconds),
        storage=LocalAudioStorage(settings.data_dir / "audio"),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        context = build_context(settings)
        if settings.migrate_on_start:
            await migrate.upgrade_to_head(context.db.engine)
        app.state.context = context
        try:
            yield
        finally:
            await context.db.aclose()

    app = FastAPI(
        title="ai-music-backend",
        version="0.1.0",
        summary="Accounts, history with audio, and music generation for AI music studio apps.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=False,
        allow_methods=["*"],
        allow_headers=["Content-Type", "Authorization", "X-Request-ID", "Range"],
        expose_headers=["X-Request-ID", "Content-Disposition", "Content-Range", "Accept-Ranges"],
    )
    app.add_middleware(RequestContextMiddleware)
    app.include_router(accounts_router)
    app.include_router(history_router)
    app.add_api_route("/health", health, methods=["GET"], tags=["operations"])
    app.add_api_route("/ready", ready, methods=["GET"], tags=["operations"])
    return app


async def health() -> Response:
    """Liveness: the original's exact answer."""
    return json_response(HEALTH_BODY)


async def ready(context: ContextDep) -> Response:
    """Readiness: 200 when the database answers, 503 otherwise."""
    checks: dict[str, object] = {}
    healthy = True
    try:
        await context.db.ping()
        checks["database"] = "ok"
    except Exception:
        log.exception("readiness: database check failed")
        checks["database"] = "unavailable"
        healthy = False
    body = {"status": "ready" if healthy else "unavailable", "checks": checks}
    return json_response(body, status_code=200 if healthy else 503)
