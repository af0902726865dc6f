"""Signed paths: accepted as made, refused when tampered, replayed for another use, or expired."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from ai_music.core.signed_urls import SignatureError, signer_for


def _parts(signed: str) -> tuple[str, str, str]:
    split = urlsplit(signed)
    query = parse_qs(split.query)
    return split.path, query["expires"][0], query["signature"][0]


def test_a_signed_path_verifies_until_it_expires() -> None:
    signer = signer_for("k" * 32, "audio")
    signed, expires = signer.sign("/media/7", lifetime_s=60, now=1_000)
    path, expires_text, signature = _parts(signed)
    assert (path, int(expires_text), expires) == ("/media/7", 1_060, 1_060)
    signer.verify(path, expires_text, signature, now=1_059)
    with pytest.raises(SignatureError, match="expired"):
        signer.verify(path, expires_text, signature, now=1_061)


@pytest.mark.parametrize(
    ("path", "expires", "signature"),
    [
        ("/media/8", None, None),  # another path
        ("/media/7", "1061", None),  # a later expiry
        ("/media/7", None, "0" * 64),  # a forged signature
        ("/media/7", "-5", None),  # not a number
        ("/media/7", "9" * 40, None),  # absurdly large
    ],
)
def test_a_tampered_link_is_refused(path: str, expires: str | None, signature: str | None) -> None:
    signer = signer_for("k" * 32, "audio")
    signed, _ = signer.sign("/media/7", lifetime_s=60, now=1_000)
    _, good_expires, good_signature = _parts(signed)
    with pytest.raises(SignatureError, match="not valid"):
        signer.verify(path, expires or good_expires, signature or good_signature, now=1_000)


def test_a_signature_for_one_purpose_is_refused_for_another() -> None:
    signed, _ = signer_for("k" * 32, "audio").sign("/generations/1", lifetime_s=60, now=0)
    path, expires, signature = _parts(signed)
    with pytest.raises(SignatureError):
        signer_for("k" * 32, "events").verify(path, expires, signature, now=0)
    with pytest.raises(SignatureError):
        signer_for("z" * 32, "audio").verify(path, expires, signature, now=0)
