"""Signed, short-lived links to one job's event stream, for a plain browser ``EventSource``.

``EventSource`` cannot send ``Authorization``, and a bearer token in a URL ends up in logs and
histories. A job's JSON carries ``events_url`` instead: its events path with an expiry and an
HMAC (signed_urls.py, purpose "events"), good for that one job only and for a short while. The
stream, once open, runs until the job ends; a client whose link expired asks for the job again.
"""

from __future__ import annotations

from ai_music.context import AppContext
from ai_music.core.errors import Forbidden
from ai_music.core.signed_urls import SignatureError, UrlSigner, signer_for

EVENTS_PURPOSE = "events"
_SIGNER_KEY = "events_signer"


def events_path(job_id: str) -> str:
    return f"/generations/{job_id}/events"


def _signer(context: AppContext) -> UrlSigner:
    signer: UrlSigner | None = context.extras.get(_SIGNER_KEY)
    if signer is None:
        signer = signer_for(context.settings.token_secret(), EVENTS_PURPOSE)
        context.extras[_SIGNER_KEY] = signer
    return signer


def signed_events_url(context: AppContext, job_id: str) -> str:
    url, _ = _signer(context).sign(
        events_path(job_id), lifetime_s=context.settings.events_url_ttl_s
    )
    return url


def check_events_link(
    context: AppContext, job_id: str, expires: str | None, signature: str | None
) -> None:
    """Raise Forbidden unless ``expires``/``signature`` sign this job's events path."""
    try:
        _signer(context).verify(events_path(job_id), expires, signature)
    except SignatureError as error:
        raise Forbidden(str(error)) from None
