"""Every metric the service exports, and the small functions the rest of the code calls.

The metric objects are module-level, in a registry of our own (``REGISTRY``): the code that
records them (upstream adapters, the engine, the job runner) has no app at hand, and metrics
describe the process, which runs one app. Being created once at import, they never collide
when tests build many apps; tests read deltas.

Under several worker processes (uvicorn ``--workers``, gunicorn) each process counts alone.
Set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory before the workers start and
``/metrics`` aggregates all of them (prometheus-client's multiprocess mode); see
docs/operations.md.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
)
from prometheus_client.exposition import generate_latest
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

REGISTRY = CollectorRegistry(auto_describe=True)
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    ProcessCollector(registry=REGISTRY)
    PlatformCollector(registry=REGISTRY)
    GCCollector(registry=REGISTRY)

# Request latencies: sub-millisecond hot reads up to minute-long generations.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
LONG_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 90, 120, 180, 300)

HTTP_REQUESTS = Counter(
    "ai_music_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "ai_music_http_request_duration_seconds",
    "Time from request to the last byte of the answer, by route template and method.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
HTTP_IN_PROGRESS = Gauge(
    "ai_music_http_requests_in_progress",
    "Requests being answered right now.",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
GENERATIONS = Counter(
    "ai_music_generations",
    "Generations finished, by upstream and outcome (ok, timeout, upstream_error, ...).",
    ["upstream", "outcome"],
    registry=REGISTRY,
)
GENERATION_DURATION = Histogram(
    "ai_music_generation_duration_seconds",
    "Wall time of a generation, retries included, by upstream and outcome.",
    ["upstream", "outcome"],
    buckets=LONG_BUCKETS,
    registry=REGISTRY,
)
UPSTREAM_DURATION = Histogram(
    "ai_music_upstream_request_duration_seconds",
    "One call to an upstream, by upstream and outcome.",
    ["upstream", "outcome"],
    buckets=LONG_BUCKETS,
    registry=REGISTRY,
)
CIRCUIT_STATE = Gauge(
    "ai_music_circuit_breaker_state",
    "Circuit breaker per upstream: 0 closed, 1 half-open, 2 open.",
    ["upstream"],
    registry=REGISTRY,
    multiprocess_mode="max",
)
JOB_QUEUE_DEPTH = Gauge(
    "ai_music_job_queue_depth",
    "Generation jobs waiting to run.",
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
JOB_DURATION = Histogram(
    "ai_music_job_duration_seconds",
    "Generation job run time, by final status.",
    ["status"],
    buckets=LONG_BUCKETS,
    registry=REGISTRY,
)
ENGINE_RENDER = Histogram(
    "ai_music_engine_render_seconds",
    "Time the built-in engine takes to render one piece.",
    buckets=LONG_BUCKETS,
    registry=REGISTRY,
)
PASSWORD_HASHING = Counter(
    "ai_music_password_hash_operations",
    "Password hasher calls (argon2id), by operation: hash or verify.",
    ["operation"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "ai_music_rate_limited",
    "Requests refused with 429, by limit.",
    ["limit"],
    registry=REGISTRY,
)

CIRCUIT_STATES = {"closed": 0, "half_open": 1, "half-open": 1, "open": 2}
UNMATCHED_ROUTE = "<unmatched>"


def record_generation(upstream: str, outcome: str, seconds: float) -> None:
    GENERATIONS.labels(upstream, outcome).inc()
    GENERATION_DURATION.labels(upstream, outcome).observe(seconds)


def observe_upstream(upstream: str, outcome: str, seconds: float) -> None:
    UPSTREAM_DURATION.labels(upstream, outcome).observe(seconds)


def set_circuit_state(upstream: str, state: str) -> None:
    """``state`` is "closed", "half_open" (or "half-open") or "open"."""
    CIRCUIT_STATE.labels(upstream).set(CIRCUIT_STATES[state.lower()])


def set_queue_depth(depth: int) -> None:
    JOB_QUEUE_DEPTH.set(depth)


def observe_job(seconds: float, status: str) -> None:
    JOB_DURATION.labels(status).observe(seconds)


def observe_engine_render(seconds: float) -> None:
    ENGINE_RENDER.observe(seconds)


def record_password_hashing(operation: str) -> None:
    PASSWORD_HASHING.labels(operation).inc()


def record_rate_limited(limit: str) -> None:
    RATE_LIMITED.labels(limit).inc()


class RequestMetrics:
    """The per-request counters, with label children cached: ``labels()`` takes a lock."""

    def __init__(self) -> None:
        self._counters: dict[tuple[str, str, int], Counter] = {}
        self._histograms: dict[tuple[str, str], Histogram] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = HTTP_REQUESTS.labels(method, route, str(status))
        counter.inc()
        histogram = self._histograms.get((method, route))
        if histogram is None:
            histogram = self._histograms[(method, route)] = HTTP_DURATION.labels(method, route)
        histogram.observe(seconds)


REQUESTS = RequestMetrics()


def exposition() -> bytes:
    """The text exposition of every metric, across processes in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)
