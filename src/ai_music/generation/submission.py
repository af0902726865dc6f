"""Turning a client's request into a queued job: validation, idempotency and limits."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from ai_music.accounts.service import CurrentUser
from ai_music.core.db import now_ms
from ai_music.core.errors import BadRequest, Conflict
from ai_music.egress import OutboundURLRefused
from ai_music.generation import repository
from ai_music.generation.components import generation_components
from ai_music.generation.dependencies import GenerationState
from ai_music.generation.live_job import LiveJob
from ai_music.generation.models import GenerationJob
from ai_music.generation.schemas import JobCreate
from ai_music.webhooks.events import stored_events


def _checked_duration(body: JobCreate, context: GenerationState) -> float:
    low, high = context.settings.min_duration_s, context.settings.max_duration_s
    if not math.isfinite(body.duration) or not low <= body.duration <= high:
        raise BadRequest(f"duration must be between {low:g} and {high:g} seconds")
    return body.duration


async def _checked_colab_url(body: JobCreate, context: GenerationState) -> str | None:
    if not body.use_colab or not body.colab_url:
        return None
    try:
        return await generation_components(context).colab.check(body.colab_url)
    except OutboundURLRefused as exc:
        raise BadRequest(f"colab_url refused: {exc}") from exc


def _checked_webhook(body: JobCreate, context: GenerationState) -> str | None:
    if not body.webhook:
        return None
    try:
        checked: str = context.webhooks.validate_target(body.webhook)
    except OutboundURLRefused as exc:
        raise BadRequest(f"webhook refused: {exc}") from exc
    return checked


@dataclass
class Submission:
    job: GenerationJob
    live: LiveJob | None  # the runner's handle, when this process queued the job
    created: bool  # False for a repeated Idempotency-Key
    rate_limit_headers: dict[str, str]


async def _replayed(
    context: GenerationState, user_id: int, key: str | None, fingerprint: str
) -> GenerationJob | None:
    """The job an earlier request with this Idempotency-Key made (409 if its body differed)."""
    if not key:
        return None
    async with context.db.transaction() as session:
        existing = await repository.find_by_idempotency_key(session, user_id=user_id, key=key)
    if existing is not None and existing.params_hash != fingerprint:
        raise Conflict("Idempotency-Key was already used with different parameters")
    return existing


async def submit_job(
    context: GenerationState,
    current: CurrentUser,
    body: JobCreate,
    *,
    idempotency_key: str | None = None,
    cancel_after_s: float | None = None,
) -> Submission:
    """Queues the job this request asks for, within the user's quota; a repeated
    Idempotency-Key returns the job the first request made and starts nothing."""
    duration = _checked_duration(body, context)
    colab_url = await _checked_colab_url(body, context)
    webhook = _checked_webhook(body, context)
    # Only a repeated Idempotency-Key is compared with its first request's parameters.
    fingerprint = repository.params_hash(body) if idempotency_key else ""
    queue = generation_components(context).queue
    existing = await _replayed(context, current.id, idempotency_key, fingerprint)
    if existing is not None:
        return Submission(existing, queue.live(existing.id), False, {})

    now = now_ms()
    job = GenerationJob(
        id=uuid.uuid4().hex,
        user_id=current.id,
        status="queued",
        progress=0.0,
        attempts=0,
        cancel_requested=False,
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
        created_at_ms=now,
        deadline_ms=now + int(cancel_after_s * 1000) if cancel_after_s else None,
        webhook_url=webhook,
        webhook_events=stored_events(body.webhook_events_filter) if webhook else None,
        runner_id=queue.runner_id,
    )
    # Taken once the request is known to be valid: a refused request holds no slot. Named
    # after the job, so that whichever process ends the job frees it.
    lease = await context.limits.quota.acquire(current.id, job.id)
    try:
        await context.db.writes.run(
            lambda session: repository.insert_job(session, job), urgent=True
        )
    except IntegrityError:
        # The same Idempotency-Key arrived twice at once and the other request won.
        await lease.release()
        replay = await _replayed(context, current.id, idempotency_key, fingerprint)
        if replay is None:
            raise
        return Submission(replay, queue.live(replay.id), False, {})
    except BaseException:
        await lease.release()
        raise
    try:
        live = await queue.enqueue(job, on_settled=lease.release)
    except Exception:
        await context.db.writes.run(
            lambda session: repository.finish(
                session, job_id=job.id, status="failed", error="Could not queue the job"
            )
        )
        await lease.release()
        raise
    return Submission(job, live, True, lease.headers)
