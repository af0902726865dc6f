"""Generation quotas: the service the generation routes call, and GET /me/limits."""

from __future__ import annotations

import asyncio
import calendar
import time
from typing import Any

import pytest

from ai_music.context import AppContext
from ai_music.limits.quota import GenerationQuota, QuotaExceeded
from tests.factories import signed_in_user
from tests.support.limits import ServeApp


def quota(app: Any) -> GenerationQuota:
    context: AppContext = app.state.context
    return context.limits.quota


async def test_concurrent_generations_are_capped_and_a_release_frees_a_slot(
    serve_app: ServeApp, limits_backend: dict[str, Any]
) -> None:
    async with serve_app(max_active_jobs_per_user=2, **limits_backend) as (_, app):
        first, second = await quota(app).acquire(1), await quota(app).acquire(1)
        with pytest.raises(QuotaExceeded) as refused:
            await quota(app).acquire(1)
        assert refused.value.status_code == 429
        assert refused.value.headers is not None
        assert int(refused.value.headers["Retry-After"]) >= 1
        assert refused.value.headers["RateLimit-Limit"] == "20"

        other_user = await quota(app).acquire(2)
        await first.release()
        await first.release()  # idempotent: frees one slot, not two
        third = await quota(app).acquire(1)
        with pytest.raises(QuotaExceeded):
            await quota(app).acquire(1)
        for lease in (second, third, other_user):
            await lease.release()
        assert (await quota(app).status(1)).concurrent_used == 0


async def test_the_daily_count_runs_out_says_when_it_resets_and_comes_back(
    serve_app: ServeApp, limits_backend: dict[str, Any]
) -> None:
    async with serve_app(generation_daily_limit="3 per 1 second", **limits_backend) as (_, app):
        for expected_remaining in (2, 1, 0):
            lease = await quota(app).acquire(7)
            assert lease.headers["RateLimit-Limit"] == "3"
            assert lease.headers["RateLimit-Remaining"] == str(expected_remaining)
            assert 0 <= int(lease.headers["RateLimit-Reset"]) <= 1
            await lease.release()
        with pytest.raises(QuotaExceeded) as refused:
            await quota(app).acquire(7)
        headers = refused.value.headers or {}
        assert headers["RateLimit-Remaining"] == "0"
        assert headers["Retry-After"] == "1"
        assert (await quota(app).status(7)).concurrent_used == 0  # the refused one gave back

        await (await quota(app).acquire(8)).release()  # someone else is unaffected
        await asyncio.sleep(1.1)
        await (await quota(app).acquire(7)).release()


async def test_a_slot_held_by_a_crashed_process_expires(
    serve_app: ServeApp, limits_backend: dict[str, Any]
) -> None:
    async with serve_app(
        max_active_jobs_per_user=1, generation_lease_seconds=1, **limits_backend
    ) as (_, app):
        await quota(app).acquire(3)  # never released
        with pytest.raises(QuotaExceeded):
            await quota(app).acquire(3)
        await asyncio.sleep(1.1)
        await (await quota(app).acquire(3)).release()


async def test_me_limits_tells_the_user_where_they_stand(
    serve_app: ServeApp, limits_backend: dict[str, Any]
) -> None:
    async with serve_app(
        generation_daily_limit="5 per day", max_active_jobs_per_user=2, **limits_backend
    ) as (client, app):
        user = await signed_in_user(client)
        fresh = await client.get("/me/limits", headers=user.headers)
        assert fresh.status_code == 200
        assert fresh.json()["generations_per_day"]["used"] == 0
        assert fresh.json()["generations_per_day"]["reset_in_seconds"] == 86400

        running = await quota(app).acquire(user.id)
        await (await quota(app).acquire(user.id)).release()
        response = await client.get("/me/limits", headers=user.headers)
        body = response.json()
        daily = body["generations_per_day"]
        assert (daily["limit"], daily["used"], daily["remaining"]) == (5, 2, 3)
        assert 86390 <= daily["reset_in_seconds"] <= 86400
        reset_at = calendar.timegm(time.strptime(daily["reset_at"][:19], "%Y-%m-%dT%H:%M:%S"))
        assert abs(reset_at - (time.time() + 86400)) < 15
        assert body["concurrent_generations"] == {"limit": 2, "used": 1, "remaining": 1}
        assert response.headers["ratelimit-limit"] == "5"
        assert response.headers["ratelimit-remaining"] == "3"
        assert 86390 <= int(response.headers["ratelimit-reset"]) <= 86400
        await running.release()

        assert (await client.get("/me/limits")).status_code == 401
