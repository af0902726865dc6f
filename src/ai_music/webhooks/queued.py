"""Webhook deliveries as Procrastinate jobs (the distributed mode): a delivery and its
retries are rows in PostgreSQL, so they survive a restart and any worker sends them.

Each attempt is one job run; a failure worth retrying is retried after the receiver's
Retry-After, else after an exponential backoff (1, 2, 4 ... s, at most 60 s), up to
``AI_MUSIC_WEBHOOK_MAX_ATTEMPTS`` attempts. The message id stays the same across attempts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from procrastinate import App, BaseRetryStrategy, RetryDecision
from procrastinate.jobs import Job

from ai_music.webhooks.sender import WebhookSender, new_message_id

SecretOf = Callable[[int], Awaitable[str | None]]
BACKOFF_MAX_S = 60.0


class DeliveryFailed(Exception):
    def __init__(self, retryable: bool, retry_after: float | None) -> None:
        super().__init__("webhook delivery failed")
        self.retryable = retryable
        self.retry_after = retry_after


class _Backoff(BaseRetryStrategy):
    def __init__(self, max_attempts: int) -> None:
        self.max_attempts = max_attempts

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if not isinstance(exception, DeliveryFailed) or not exception.retryable:
            return None
        if job.attempts + 1 >= self.max_attempts:
            return None
        delay = min(exception.retry_after or 2**job.attempts, BACKOFF_MAX_S)
        return RetryDecision(retry_at=datetime.now(UTC) + timedelta(seconds=delay))


class QueuedWebhooks:
    def __init__(
        self, app: App, sender: WebhookSender, secret_of: SecretOf, max_attempts: int
    ) -> None:
        self._sender = sender
        self._secret_of = secret_of

        @app.task(name="deliver_webhook", queue="webhooks", retry=_Backoff(max_attempts))
        async def deliver_webhook(
            url: str, user_id: int, event: str, payload: dict[str, Any], msg_id: str
        ) -> None:
            await self._deliver(url, user_id, event, payload, msg_id)

        self._task = deliver_webhook

    async def schedule(
        self, url: str, *, user_id: int, event: str, payload: dict[str, Any]
    ) -> None:
        await self._task.defer_async(
            url=url, user_id=user_id, event=event, payload=payload, msg_id=new_message_id()
        )

    async def _deliver(
        self, url: str, user_id: int, event: str, payload: dict[str, Any], msg_id: str
    ) -> None:
        secret = await self._secret_of(user_id)
        if secret is None:  # the account is gone
            return
        delivered, retryable, retry_after = await self._sender.deliver_once(
            url, secret=secret, event=event, payload=payload, msg_id=msg_id
        )
        if not delivered:
            raise DeliveryFailed(retryable, retry_after)
