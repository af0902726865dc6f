from __future__ import annotations

from fastapi import APIRouter, Response

from ai_music.deps import CurrentUserDep, SessionDep
from ai_music.webhooks import service
from ai_music.webhooks.schemas import WebhookSecret

router = APIRouter(tags=["webhooks"])


@router.get(
    "/me/webhook-secret",
    response_model=WebhookSecret,
    responses={401: {"description": "Missing or invalid bearer token"}},
)
async def webhook_secret(
    current: CurrentUserDep, session: SessionDep, response: Response
) -> WebhookSecret:
    """The secret that signs your job webhooks; made on the first call, the same afterwards."""
    response.headers["Cache-Control"] = "no-store"
    return WebhookSecret(secret=await service.get_or_create_secret(session, current.id))
