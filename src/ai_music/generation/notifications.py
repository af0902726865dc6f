"""Job webhooks: when a job starts or ends, POST it to the URL its owner gave, signed."""

from __future__ import annotations

from ai_music.generation.components import generation_components
from ai_music.generation.dependencies import GenerationState
from ai_music.generation.jobs import JobEventHook
from ai_music.generation.models import GenerationJob
from ai_music.generation.public import job_json, public_job
from ai_music.webhooks.events import wanted_events
from ai_music.webhooks.service import get_or_create_secret


def job_event_notifier(context: GenerationState) -> JobEventHook:
    async def notify(event: str, job: GenerationJob) -> None:
        if not job.webhook_url or event not in wanted_events(job.webhook_events):
            return
        async with context.db.transaction() as session:
            secret = await get_or_create_secret(session, job.user_id)
        payload = job_json(public_job(job, media_links=context.media_links))
        queue = generation_components(context).queue
        if await queue.queue_webhook(
            job.webhook_url, user_id=job.user_id, event=event, payload=payload
        ):
            return
        context.webhooks.schedule(job.webhook_url, secret=secret, event=event, payload=payload)

    return notify
