"""Property-based API fuzzing from the app's own OpenAPI document (schemathesis 4).

Signed in as one user, every documented operation except signing out and deleting the account
(both would end the session the run depends on) is called with generated data. Each answer must
not be a server error, must use a documented status code and content type, and must match the
documented schema. The run is bounded (examples per operation, no shrinking deadline) to stay
well under two minutes on a 2-core machine.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ai_music.app import create_app
from ai_music.core.config import Settings

EXAMPLES_PER_OPERATION = int(os.environ.get("AI_MUSIC_FUZZ_EXAMPLES", "25"))
EXCLUDED = (("POST", "/signout"), ("DELETE", "/me"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _fuzz_app() -> Any:
    data_dir = Path(tempfile.mkdtemp(prefix="ai-music-fuzz-"))
    return create_app(Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'fuzz.db'}"))


APP = _fuzz_app()
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
for method, path in EXCLUDED:
    SCHEMA = SCHEMA.exclude(method=method, path=path)


@pytest.fixture(scope="module")
def auth_headers() -> dict[str, str]:
    account = {
        "fullName": "Fuzz User",
        "username": "fuzzer",
        "email": "fuzzer@example.com",
        "password": "fuzzing password",
    }
    with asgi.get_client(APP) as client:
        assert client.post("http://testserver/signup", json=account).status_code == 201
        signed_in = client.post(
            "http://testserver/signin",
            json={"username": "fuzzer", "password": "fuzzing password"},
        )
    assert signed_in.status_code == 200, signed_in.text
    return {"Authorization": f"Bearer {signed_in.json()['token']}"}


@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case: Any, auth_headers: dict[str, str]) -> None:
    case.call_and_validate(headers=auth_headers, checks=CHECKS)
