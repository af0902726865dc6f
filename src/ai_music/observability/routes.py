"""``GET /metrics``: Prometheus text format, behind a bearer token unless configured public
(the token is ``AI_MUSIC_METRICS_TOKEN``, or one generated into the data dir)."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import Response

from ai_music.core.errors import Unauthorized
from ai_music.deps import ContextDep
from ai_music.observability.metrics import exposition

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, context: ContextDep) -> Response:
    expected = context.metrics_token
    if expected and not _bearer_matches(request.headers.get("authorization", ""), expected):
        raise Unauthorized("Metrics token required")
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)


def _bearer_matches(header: str, expected: str) -> bool:
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(
        token.strip().encode(), expected.encode()
    )
