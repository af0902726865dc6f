"""What generation takes from the process: its routes, and the building of its components."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Protocol

from fastapi import Depends, Request

from ai_music.accounts.dependencies import AccountForgetter, AccountsState
from ai_music.generation.event_links import EventLinksState
from ai_music.limits.dependencies import LimitsState
from ai_music.storage.media import MediaLinks
from ai_music.webhooks.sender import WebhookSender

if TYPE_CHECKING:
    # components.py builds from a GenerationState: this one is for the annotation only.
    from ai_music.generation.components import GenerationComponents


class GenerationState(AccountsState, LimitsState, EventLinksState, Protocol):
    media_links: MediaLinks
    webhooks: WebhookSender
    generation: GenerationComponents  # set by start_generation() before the first request
    account_forgetters: list[AccountForgetter]


async def get_generation_state(request: Request) -> GenerationState:
    state: GenerationState = request.app.state.context
    return state


GenerationStateDep = Annotated[GenerationState, Depends(get_generation_state)]
