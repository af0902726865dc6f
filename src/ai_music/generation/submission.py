"""Turning a client's request into a queued job: validation, idempotency and limits."""

from __future__ import annotations

import math
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from ai_music.accounts.service import CurrentUser
from ai_music.context import AppContext
from ai_music.db import now_ms
from ai_music.errors import BadRequest, Conflict
from ai_music.generation import repository
from ai_music.generation.components import generation_components
from ai_music.generation.jobs import LiveJob
from ai_music.generation.models import GenerationJob
from ai_music.generation.outbound import OutboundURLRefused
from ai_music.generation.schemas import JobCreate
from ai_music.limits.errors import TooManyRequests
from ai_music.webhooks.components import webhooks_of


def _checked_duration(body: JobCreate, context: AppContext) -> float:
    low, high = context.settings.min_duration_s, context.settings.max_duration_s
    if not math.isfinite(body.duration) or not low <= body.duration <= high:
        raise BadRequest(f"duration must be between {low:g} and {high:g} seconds")
    return body.duration


def _checked_colab_url(body: JobCreate, context: AppContext) -> str | None:
    if not body.use_colab or not body.colab_url:
        return None
    try:
        return generation_components(context).colab.check(body.colab_url)
    except OutboundURLRefused as exc:
        raise BadRequest(f"colab_url refused: {exc}") from exc


def _checked_webhook(body: JobCreate, context: AppContext) -> str | None:
    if not body.webhook:
        return None
    try:
        checked: str = webhooks_of(context).validate_target(body.webhook)
    except OutboundURLRefused as exc:
        raise BadRequest(f"webhook refused: {exc}") from exc
    return checked


async def submit_job(
    context: AppContext,
    current: CurrentUser,
    body: JobCreate,
    *,
    idempotency_key: str | None = None,
    cancel_after_s: float | None = None,
) -> tuple[GenerationJob, LiveJob | None, bool]:
    """The job for this request (an existing one for a repeated Idempotency-Key), the runner's
    live handle when it was queued here, and whether it is new."""
    duration = _checked_duration(body, context)
    colab_url = _checked_colab_url(body, context)
    webhook = _checked_webhook(body, context)
    fingerprint = repository.params_hash(body)
    limit = context.settings.max_active_jobs_per_user

    async def insert(session: AsyncSession) -> tuple[GenerationJob, bool]:
        if idempotency_key:
            existing = await repository.find_by_idempotency_key(
                session, user_id=current.id, key=idempotency_key
            )
            if existing is not None:
                if existing.params_hash != fingerprint:
                    raise Conflict("Idempotency-Key was already used with different parameters")
                return existing, False
        if await repository.count_active(session, current.id) >= limit:
            raise TooManyRequests(
                f"You already have {limit} generations in progress; wait for one to finish",
                retry_after=10,
            )
        job = GenerationJob(
            id=uuid.uuid4().hex,
            user_id=current.id,
            status="queued",
            prompt=body.prompt,
            mood=body.mood,
            instruments=body.instruments,
            tempo=body.tempo,
            duration=duration,
            format=body.format,
            seed=body.seed,
            colab_url=colab_url,
            params_hash=fingerprint,
            idempotency_key=idempotency_key,
            created_at_ms=now_ms(),
            deadline_ms=now_ms() + int(cancel_after_s * 1000) if cancel_after_s else None,
            webhook_url=webhook,
            webhook_events=",".join(body.webhook_events_filter) if webhook else None,
            runner_id=generation_components(context).runner.runner_id,
            heartbeat_ms=now_ms(),
        )
        session.add(job)
        await session.flush()
        return job, True

    job, created = await context.db.writes.run(insert)
    runner = generation_components(context).runner
    live = runner.enqueue(repository.spec_of(job)) if created else runner.live(job.id)
    return job, live, created
