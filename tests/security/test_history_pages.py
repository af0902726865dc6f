"""Issue 12, items 5-7: history pages, cursors and Cancel-After against a real server."""

from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path

import httpx

from tests.factories import SignedInUser, sign_up_and_in
from tests.server_process import SERVE, served, server

HUGE = "9" * 30  # far past a 64-bit column


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def rss_mb(process: subprocess.Popen[bytes]) -> float:
    status = Path(f"/proc/{process.pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def fill_history(http: httpx.Client, account: SignedInUser, entries: int) -> None:
    for n in range(entries):
        body = {"prompt": f"{n} " + "x" * 1990, "mood": "calm"}
        assert http.post("/save-history", json=body, headers=account.headers).status_code == 201


def test_out_of_range_cursors_and_deadlines_are_400s_and_hold_no_job_slot(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    with served(tmp_path, database_env) as http:
        account = sign_up_and_in(http)
        for route in ("/history", "/generations"):
            for cursor in (cursor_of(f"{HUGE}:1"), cursor_of(f"1:{HUGE}"), cursor_of("-5:1")):
                response = http.get(route, params={"cursor": cursor}, headers=account.headers)
                if route == "/generations" and cursor == cursor_of(f"1:{HUGE}"):
                    assert response.status_code == 200  # a job id is text: nothing to overflow
                    continue
                assert response.status_code == 400, (route, cursor, response.text)
                assert set(response.json()) == {"error"}
        for deadline in ("9" * 400, "9" * 400 + "s", "999999999h", "0s"):
            refused = http.post(
                "/generations",
                json={"prompt": "a", "duration": 5},
                headers={**account.headers, "Cancel-After": deadline},
            )
            assert refused.status_code == 400, (deadline, refused.text)
            assert "Cancel-After" in refused.json()["error"]

        limits = http.get("/me/limits", headers=account.headers).json()
        assert limits["concurrent_generations"]["used"] == 0
        assert limits["generations_per_day"]["used"] == 0


def test_no_header_is_built_from_a_cursor(tmp_path: Path) -> None:
    with served(tmp_path) as http:
        account = sign_up_and_in(http)
        fill_history(http, account, 3)
        first = http.get("/history", params={"limit": 2}, headers=account.headers)
        cursor = first.json()["next_cursor"]
        assert cursor
        # Server values only: user, history version, page size, the media links' expiry step.
        assert re.fullmatch(r'W/"h\d+\.\d+\.page\.2\.\d+"', first.headers["etag"])

        second = http.get(
            "/history", params={"limit": 2, "cursor": cursor}, headers=account.headers
        )
        assert second.status_code == 200 and len(second.json()["items"]) == 1
        assert "etag" not in second.headers
        for tail in ('",W/"x', "\r\nX-Injected: 1", ", *"):
            response = http.get(
                "/history", params={"cursor": cursor + tail}, headers=account.headers
            )
            assert response.status_code == 400
            assert "x-injected" not in response.headers
            assert "etag" not in response.headers


def test_one_account_cannot_grow_the_history_page_cache_without_bound(tmp_path: Path) -> None:
    # WARNING: no per-request log lines, which would fill the unread pipe of the server's output.
    quiet = {"AI_MUSIC_LOG_LEVEL": "WARNING"}
    with (
        server(SERVE, tmp_path, quiet) as (process, base, _),
        httpx.Client(base_url=base, timeout=30) as http,
    ):
        account = sign_up_and_in(http)
        fill_history(http, account, 100)  # pages of ~200 kB
        for _ in range(3):  # warm up: the first renders allocate what every later one reuses
            http.get(f"/get-history/{account.username}", headers=account.headers)
            http.get("/history", params={"limit": 100}, headers=account.headers)
        before = rss_mb(process)

        for n in range(150):  # distinct cursors, each one a valid cursor to the first page
            cursor = cursor_of(f"{2**41 + n}:{2**41}")  # after every entry
            page = http.get(
                "/history", params={"limit": 100, "cursor": cursor}, headers=account.headers
            )
            assert len(page.json()["items"]) == 100
        for n in range(150):  # each save makes a new version, and so a new cached page
            http.post("/save-history", json={"prompt": f"again {n}"}, headers=account.headers)
            http.get(f"/get-history/{account.username}", headers=account.headers)
        grown = rss_mb(process) - before

    # The default cache holds at most 16 MiB; unbounded, this loop kept ~80 MB of pages.
    assert grown < 40, f"server RSS grew by {grown:.0f} MB"
