"""Delivering job events to client-chosen URLs: signed, retried, and guarded against SSRF.

:meth:`WebhookSender.validate_target` is the cheap check made when a job is created. Every
delivery attempt then goes through :class:`ai_music.egress.OutboundClient`, whose resolver
checks the host's addresses again and connects only to one it approved, because DNS can
change between the job's creation and its webhook.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from yarl import URL

from ai_music.egress import (
    AddressLookup,
    OutboundClient,
    OutboundURLRefused,
    SocketFactory,
    names_private_host,
    parse_http_url,
    system_resolver,
)
from ai_music.egress.backoff import jittered_backoff
from ai_music.egress.retry_after import parse_retry_after
from ai_music.webhooks.signing import sign

__all__ = ["WebhookSender", "new_message_id"]

log = logging.getLogger("ai_music.webhooks")

USER_AGENT = "ai-music-backend"
Sleep = Callable[[float], Awaitable[None]]


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


@dataclass(frozen=True)
class _Message:
    url: str
    secret: str
    event: str
    job_id: str
    msg_id: str
    body: bytes


@dataclass(frozen=True)
class _Outcome:
    delivered: bool
    retryable: bool
    reason: str
    retry_after: float | None = None


def _host_of(url: str) -> str:
    # Logs name the host only: receivers often put their own tokens in the path or query.
    try:
        return URL(url).host or "?"
    except (TypeError, ValueError):
        return "?"


def _outcome_of(response: aiohttp.ClientResponse) -> _Outcome:
    status = response.status
    if 200 <= status < 300:
        return _Outcome(delivered=True, retryable=False, reason=f"answered {status}")
    if status == 429 or status >= 500:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return _Outcome(False, True, f"answered {status}", retry_after)
    if status in (301, 302, 303, 307, 308) and "location" in response.headers:
        return _Outcome(False, False, f"answered {status}; redirects are not followed")
    return _Outcome(False, False, f"answered {status}")


class WebhookSender:
    """Sends signed job events, retrying failures with exponential backoff and jitter.

    ``resolver`` and ``socket_factory`` exist for tests: they replace DNS and the sockets
    connections are made on.
    """

    def __init__(
        self,
        *,
        allow_private_network: bool = False,
        timeout_s: float = 10,
        max_attempts: int = 5,
        backoff_base_s: float = 1.0,
        backoff_max_s: float = 60,
        sleep: Sleep = asyncio.sleep,
        resolver: AddressLookup = system_resolver,
        socket_factory: SocketFactory | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._allow_private = allow_private_network
        self._timeout_s = timeout_s
        self._max_attempts = max_attempts
        self._backoff_base_s = backoff_base_s
        self._backoff_max_s = backoff_max_s
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._client = OutboundClient(
            allowlist=None,
            allow_private=allow_private_network,
            resolver=resolver,
            timeout=timeout_s,
            socket_factory=socket_factory,
        )
        self._tasks: set[asyncio.Task[bool]] = set()
        self._closing = False

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    def validate_target(self, url: str) -> str:
        """The normalised URL if a webhook may be sent there; else :class:`OutboundURLRefused`.

        Checks only what the URL itself shows (scheme, credentials, literal addresses,
        ``localhost``); names are resolved and checked again at each delivery.
        """
        parsed = parse_http_url(url)
        if not self._allow_private and names_private_host(parsed.host or ""):
            raise OutboundURLRefused(
                "The server does not send webhooks to localhost, loopback, private, "
                "link-local or otherwise non-public addresses."
            )
        return str(parsed)

    def schedule(self, url: str, *, secret: str, event: str, payload: dict[str, Any]) -> None:
        """Delivers in the background; :meth:`aclose` waits for what is still in flight."""
        if self._closing:
            log.warning("webhook %s for job %s dropped: shutting down", event, payload.get("id"))
            return
        task = asyncio.get_running_loop().create_task(
            self.deliver(url, secret=secret, event=event, payload=payload),
            name=f"webhook {event} {payload.get('id')}",
        )
        self._tasks.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[bool]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("webhook delivery crashed (%s)", task.get_name(), exc_info=task.exception())

    async def deliver(
        self,
        url: str,
        *,
        secret: str,
        event: str,
        payload: dict[str, Any],
        msg_id: str | None = None,
    ) -> bool:
        """Sends one event, retrying as needed; True once the receiver answered 2xx."""
        message = _Message(
            url=url,
            secret=secret,
            event=event,
            job_id=str(payload.get("id", "?")),
            msg_id=msg_id or new_message_id(),
            body=orjson.dumps(payload),
        )
        for attempt in range(1, self._max_attempts + 1):
            outcome = await self._attempt(message)
            if outcome.delivered:
                return True
            self._log_failure(message, attempt, outcome)
            if not outcome.retryable or attempt == self._max_attempts:
                break
            await self._sleep(self._delay(attempt, outcome.retry_after))
        return False

    async def deliver_once(
        self, url: str, *, secret: str, event: str, payload: dict[str, Any], msg_id: str
    ) -> tuple[bool, bool, float | None]:
        """One attempt, for a queue that retries (webhooks/queued.py): (delivered, worth
        retrying, the receiver's Retry-After)."""
        message = _Message(
            url, secret, event, str(payload.get("id", "?")), msg_id, orjson.dumps(payload)
        )
        outcome = await self._attempt(message)
        if not outcome.delivered:
            self._log_failure(message, 0, outcome)
        return outcome.delivered, outcome.retryable, outcome.retry_after

    def _headers(self, message: _Message) -> dict[str, str]:
        # Signed per attempt: the timestamp is the attempt's, the id stays the message's.
        timestamp = int(time.time())
        return {
            "webhook-id": message.msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(message.secret, message.msg_id, timestamp, message.body),
            "content-type": "application/json",
            "user-agent": USER_AGENT,
        }

    async def _attempt(self, message: _Message) -> _Outcome:
        try:
            self.validate_target(message.url)
            async with (
                asyncio.timeout(self._timeout_s),
                self._client.session().post(
                    message.url,
                    data=message.body,
                    headers=self._headers(message),
                    allow_redirects=False,
                ) as response,
            ):
                # The status is the whole answer; the body is never read.
                return _outcome_of(response)
        except OutboundURLRefused as exc:
            # A failed lookup may pass; an address that is not allowed will not.
            return _Outcome(False, isinstance(exc.__cause__, OSError), str(exc))
        except TimeoutError:
            return _Outcome(False, True, f"no answer within {self._timeout_s:g} s")
        except aiohttp.ClientError as exc:
            return _Outcome(False, True, f"{type(exc).__name__}: {exc}")

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self._backoff_max_s)
        return jittered_backoff(
            attempt - 1,
            base_s=self._backoff_base_s,
            max_s=self._backoff_max_s,
            rng=self._rng,
            floor=0.5,
        )

    def _log_failure(self, message: _Message, attempt: int, outcome: _Outcome) -> None:
        log.warning(
            "webhook %s (%s) for job %s to %s failed, attempt %d of %d%s: %s",
            message.event,
            message.msg_id,
            message.job_id,
            _host_of(message.url),
            attempt,
            self._max_attempts,
            "" if outcome.retryable else ", not retrying",
            outcome.reason,
        )

    async def aclose(self, timeout_s: float = 5) -> None:
        """Waits up to ``timeout_s`` for deliveries in flight, cancels the rest, closes."""
        self._closing = True
        if self._tasks:
            _, unfinished = await asyncio.wait(set(self._tasks), timeout=timeout_s)
            if unfinished:
                log.warning("cancelling %d unfinished webhook deliveries", len(unfinished))
            for task in unfinished:
                task.cancel()
            await asyncio.gather(*unfinished, return_exceptions=True)
        await self._client.aclose()
