"""Signed, short-lived links to one job's event stream, for a plain browser ``EventSource``.

``EventSource`` cannot send ``Authorization``, and a bearer token in a URL ends up in logs and
histories. A job's JSON carries ``events_url`` instead: its events path with an expiry and an
HMAC (signed_urls.py, purpose "events"), good for that one job only and for a short while. The
stream, once open, runs until the job ends; a client whose link expired asks for the job again.
"""

from __future__ import annotations

from typing import Protocol

from ai_music.core.config import Settings
from ai_music.core.errors import Forbidden
from ai_music.core.signed_urls import SignatureError, UrlSigner, signer_for

EVENTS_PURPOSE = "events"


class EventLinksState(Protocol):
    settings: Settings
    events_signer: UrlSigner  # events_signer(settings), built once per process


def events_signer(settings: Settings) -> UrlSigner:
    return signer_for(settings.token_secret(), EVENTS_PURPOSE)


def events_path(job_id: str) -> str:
    return f"/generations/{job_id}/events"


def signed_events_url(state: EventLinksState, job_id: str) -> str:
    url, _ = state.events_signer.sign(
        events_path(job_id), lifetime_s=state.settings.events_url_ttl_s
    )
    return url


def check_events_link(
    state: EventLinksState, job_id: str, expires: str | None, signature: str | None
) -> None:
    """Raise Forbidden unless ``expires``/``signature`` sign this job's events path."""
    try:
        state.events_signer.verify(events_path(job_id), expires, signature)
    except SignatureError as error:
        raise Forbidden(str(error)) from None
