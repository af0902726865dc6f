"""Media links: one link string per step (so cached pages and browser caches hold), always
valid for at least the lifetime, refused once expired or altered."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from ai_music.core.signed_urls import SignatureError
from ai_music.storage.media import MediaLinks

LIFETIME_S = 4 * 3600
NOW = 1_800_000_123


def params(url: str) -> tuple[str, str]:
    query = parse_qs(urlsplit(url).query)
    return query["expires"][0], query["signature"][0]


def test_links_made_within_one_step_are_the_same_and_last_at_least_the_lifetime() -> None:
    links = MediaLinks.for_secret("k" * 40, LIFETIME_S)
    step = LIFETIME_S // 4
    first = links.current_expiry(now=NOW)
    assert NOW + LIFETIME_S <= first <= NOW + LIFETIME_S + step
    assert links.current_expiry(now=first - LIFETIME_S - 1) == first
    assert links.current_expiry(now=first - LIFETIME_S + 1) == first + step


def test_a_link_is_refused_for_another_entry_another_key_or_once_expired() -> None:
    links = MediaLinks.for_secret("k" * 40, LIFETIME_S)
    fields = links.fields_for(7)
    expires, signature = params(str(fields["media_url"]))
    assert links.verify(7, expires, signature) > LIFETIME_S - 5
    with pytest.raises(SignatureError):
        links.verify(8, expires, signature)
    with pytest.raises(SignatureError):
        MediaLinks.for_secret("x" * 40, LIFETIME_S).verify(7, expires, signature)
    past = links.fields_for(7, expires=1_000_000_000)
    with pytest.raises(SignatureError, match="expired"):
        links.verify(7, *params(str(past["media_url"])))
    assert links.fields_for(None) == {"media_url": None, "media_url_expires_at": None}
