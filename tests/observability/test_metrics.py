from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from ai_music.app import create_app
from ai_music.core.config import Settings
from ai_music.observability import metrics
from tests.factories import signed_in_user
from tests.generation.api_support import running_app


async def scrape(client: httpx.AsyncClient, data_dir: Path) -> httpx.Response:
    """GET /metrics with the token the server generated into its data dir."""
    token = (data_dir / "metrics_token").read_text().strip()
    return await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def test_requests_are_counted_by_route_template_method_and_status(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    before = samples((await scrape(client, settings.data_dir)).text)
    user = await signed_in_user(client)
    for entry_id in (101, 102, 103):
        await client.get(f"/history/{entry_id}", headers=user.headers)
    await client.get("/no/such/thing")
    response = await scrape(client, settings.data_dir)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = samples(response.text)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    counted = "ai_music_http_requests_total"
    assert delta(counted, method="GET", route="/history/{entry_id}", status="404") == 3
    assert delta(counted, method="POST", route="/signin", status="200") == 1
    assert delta(counted, method="GET", route="<unmatched>", status="404") == 1
    latency = "ai_music_http_request_duration_seconds_count"
    assert delta(latency, method="GET", route="/history/{entry_id}") == 3
    assert not any("/history/101" in str(key) for key in after)
    assert delta("ai_music_password_hash_operations_total", operation="verify") == 1


async def test_the_functions_other_components_call_show_up(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    metrics.record_generation("hf-space", "ok", 42.0)
    metrics.observe_upstream("hf-space", "ok", 40.0)
    metrics.set_circuit_state("hf-space", "open")
    metrics.set_queue_depth(3)
    metrics.observe_job(45.0, "succeeded")
    metrics.observe_engine_render(1.5)
    found = samples((await scrape(client, settings.data_dir)).text)
    assert value(found, "ai_music_generations_total", upstream="hf-space", outcome="ok") >= 1
    assert value(found, "ai_music_circuit_breaker_state", upstream="hf-space") == 2
    assert value(found, "ai_music_job_queue_depth") == 3
    assert value(found, "ai_music_job_duration_seconds_count", status="succeeded") >= 1
    assert value(found, "ai_music_engine_render_seconds_count") >= 1
    assert (
        value(
            found,
            "ai_music_upstream_request_duration_seconds_count",
            upstream="hf-space",
            outcome="ok",
        )
        >= 1
    )
    assert value(found, "process_cpu_seconds_total") > 0
    metrics.set_circuit_state("hf-space", "closed")


async def test_a_metrics_token_keeps_the_endpoint_private(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        metrics_token="s3cret-scrape",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            assert (await client.get("/metrics")).status_code == 401
            wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401
            right = await client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"})
            assert right.status_code == 200
            assert "ai_music_http_requests_total" in right.text
            spec = (await client.get("/openapi.json")).json()
            assert "/metrics" not in spec["paths"]


async def test_generations_report_upstream_job_and_engine_metrics(
    tmp_path: Path, database_url: str
) -> None:
    async with running_app(tmp_path, database_url) as (client, _):
        user = await signed_in_user(client)
        body = {"prompt": "calm piano", "duration": 5, "seed": 3}
        assert (
            await client.post("/studio-generate", json=body, headers=user.headers)
        ).status_code == 200
        text = (await scrape(client, tmp_path / "data")).text
    assert 'ai_music_generations_total{outcome="succeeded",upstream="engine"}' in text
    assert (
        'ai_music_upstream_request_duration_seconds_count{outcome="ok",upstream="engine"}' in text
    )
    assert 'ai_music_circuit_breaker_state{upstream="engine"} 0.0' in text
    assert 'ai_music_job_duration_seconds_count{status="succeeded"}' in text
    assert "ai_music_engine_render_seconds_count" in text
    assert "ai_music_job_queue_depth 0.0" in text
