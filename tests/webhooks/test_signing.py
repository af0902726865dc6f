from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest

from ai_music.webhooks.signing import new_secret, sign, verify

# The worked example of the Standard Webhooks specification.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def _headers(msg_id: str, timestamp: int, signature: str) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }


def test_sign_matches_the_specification_example() -> None:
    assert sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_sign_matches_an_independent_hmac() -> None:
    secret = new_secret()
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, b"msg_1.1700000000.{}", hashlib.sha256).digest()
    assert sign(secret, "msg_1", 1_700_000_000, b"{}") == "v1," + base64.b64encode(mac).decode()


def test_new_secrets_are_32_random_bytes_in_whsec_form() -> None:
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) == 32
    assert first != second


def test_verify_accepts_the_specification_example_at_its_time() -> None:
    headers = _headers(SPEC_ID, SPEC_TIMESTAMP, SPEC_SIGNATURE)
    assert verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TIMESTAMP + 10)


def test_verify_round_trip_with_case_insensitive_headers_and_several_signatures() -> None:
    secret, now = new_secret(), int(time.time())
    signature = sign(secret, "msg_2", now, b'{"id": "job"}')
    headers = {
        "Webhook-Id": "msg_2",
        "Webhook-Timestamp": str(now),
        "Webhook-Signature": f"v1,bm90LWl0 {signature}",
    }
    assert verify(secret, headers, b'{"id": "job"}')


@pytest.mark.parametrize(
    ("secret", "msg_id", "timestamp", "body"),
    [
        (new_secret(), "msg_3", None, b'{"id": "job"}'),  # another secret
        (None, "msg_other", None, b'{"id": "job"}'),  # another message id
        (None, "msg_3", 1, b'{"id": "job"}'),  # another timestamp
        (None, "msg_3", None, b'{"id": "jab"}'),  # a tampered body
    ],
)
def test_verify_refuses_anything_changed(
    secret: str | None, msg_id: str, timestamp: int | None, body: bytes
) -> None:
    real_secret, now = new_secret(), int(time.time())
    signature = sign(real_secret, "msg_3", now, b'{"id": "job"}')
    headers = _headers(msg_id, now if timestamp is None else now + timestamp, signature)
    assert not verify(secret or real_secret, headers, body)


def test_verify_refuses_old_and_future_timestamps() -> None:
    secret, now = new_secret(), int(time.time())
    for timestamp in (now - 301, now + 301):
        headers = _headers("msg_4", timestamp, sign(secret, "msg_4", timestamp, b"{}"))
        assert not verify(secret, headers, b"{}")
        assert verify(secret, headers, b"{}", tolerance_s=600)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"webhook-id": "msg_5", "webhook-timestamp": "soon", "webhook-signature": "v1,x"},
        {"webhook-id": "msg_5", "webhook-timestamp": "1", "webhook-signature": ""},
    ],
)
def test_verify_refuses_missing_or_malformed_headers(headers: dict[str, str]) -> None:
    assert not verify(new_secret(), headers, b"{}")


def test_a_signature_of_another_version_is_not_accepted() -> None:
    secret, now = new_secret(), int(time.time())
    value = sign(secret, "msg_6", now, b"{}").removeprefix("v1,")
    assert not verify(secret, _headers("msg_6", now, f"v1a,{value}"), b"{}")
