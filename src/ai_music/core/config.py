"""Typed settings, read once from the environment (prefix ``AI_MUSIC_``).

Plain ``DATABASE_URL`` and ``PORT`` are honoured too, because that is what Render-like hosts set.
Every setting is listed, with its default, in the README's Configuration section.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SECRET_KEY_FILE = "secret_key"
METRICS_TOKEN_FILE = "metrics_token"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AI_MUSIC_", extra="ignore")

    # --- storage -------------------------------------------------------------------------
    data_dir: Path = Path("./data")
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "AI_MUSIC_DATABASE_URL")
    )
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    db_pool_size: int = Field(default=10, ge=1)

    # --- server --------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = Field(default=8000, validation_alias=AliasChoices("PORT", "AI_MUSIC_PORT"))
    cors_origins: Annotated[list[str], NoDecode] = ["*"]
    migrate_on_start: bool = True
    log_level: str = "INFO"
    # Seconds an idle client connection stays open. Behind a load balancer, set it above the
    # balancer's idle timeout (AWS ALB: 60 s), or the balancer may reuse a connection the
    # server is closing and answer 502.
    keep_alive_s: int = Field(default=5, ge=1)

    # --- accounts ------------------------------------------------------------------------
    secret_key: str | None = Field(default=None, min_length=32)
    token_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    argon2_time_cost: int = Field(default=2, ge=1)
    argon2_memory_kib: int = Field(default=19 * 1024, ge=8 * 1024)
    argon2_parallelism: int = Field(default=1, ge=1)
    password_hash_workers: int = Field(default=2, ge=1)

    # --- history -------------------------------------------------------------------------
    legacy_history_limit: int = Field(default=500, ge=1)
    # Bytes of rendered history pages kept in memory (history/cache.py); 0 turns the cache off.
    history_cache_bytes: int = Field(default=16 * 1024 * 1024, ge=0)

    # --- limits & observability ----------------------------------------------------------
    # Rate limits use the `limits` notation ("10 per 5 minutes"); docs/operations.md lists them.
    redis_url: str | None = None
    limits_key_prefix: str = "ai_music"
    trusted_proxies: Annotated[list[str], NoDecode] = []
    signin_limit_per_ip_user: str = "10 per 5 minutes"
    signin_limit_per_ip: str = "60 per minute"
    signup_limit_per_ip: str = "10 per hour"
    generation_daily_limit: str = "20 per day"
    generation_lease_seconds: int = Field(default=600, ge=1)
    # HTTP server processes in this instance: set by gunicorn.conf.py (its workers) and by
    # `ai-music serve --workers`; with more than one and no Redis, start-up warns (limits/).
    web_processes: int = Field(default=1, ge=1)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    metrics_enabled: bool = True
    metrics_token: str | None = None
    log_format: Literal["auto", "json", "text"] = "auto"

    # --- security (issue 12; docs/security.md) ----------------------------------------------
    # Request heads larger than this get 431; a head not complete within the head timeout gets
    # 408; a request body that sends nothing for the body timeout is dropped. Both launchers
    # (ai-music serve, gunicorn) apply them (serving.py).
    max_request_head_bytes: int = Field(default=16 * 1024, ge=1024)
    request_head_timeout_s: float = Field(default=10.0, gt=0)
    request_body_timeout_s: float = Field(default=30.0, gt=0)
    # /metrics without a token (only behind a network that keeps it private).
    metrics_public: bool = False

    # --- webhooks ------------------------------------------------------------------------
    # Private targets are for tests and private deployments only (SSRF otherwise).
    webhook_allow_private_network: bool = False
    webhook_max_attempts: int = Field(default=5, ge=1)
    webhook_timeout_s: float = Field(default=10, gt=0)

    @field_validator(
        "signin_limit_per_ip_user",
        "signin_limit_per_ip",
        "signup_limit_per_ip",
        "generation_daily_limit",
    )
    @classmethod
    def check_rate_limit(cls, value: str) -> str:
        import limits

        limits.parse(value)
        return value

    # --- audio storage & media links ------------------------------------------------------
    # Empty: files under <data dir>/audio. "s3://bucket/prefix": an S3-compatible bucket, with
    # credentials, region and endpoint from the standard AWS_* variables (docs/deploy.md).
    audio_store: str | None = None
    # How long a signed media_url plays without a header; links are renewed in steps of a
    # quarter of this, so a cached history page keeps its links for that long.
    media_url_lifetime_s: int = Field(default=4 * 3600, ge=120)

    @field_validator("audio_store")
    @classmethod
    def check_audio_store(cls, value: str | None) -> str | None:
        if not value:
            return None
        bucket = value.removeprefix("s3://").split("/", 1)[0]
        if not value.startswith("s3://") or not bucket:
            raise ValueError("AI_MUSIC_AUDIO_STORE: leave empty for a local folder, or s3://bucket")
        return value.rstrip("/")

    # --- generation gateway & jobs ----------------------------------------------------------
    upstreams: str | None = Field(default=None, description="JSON list of upstream configs")
    upstreams_file: Path | None = None
    hf_api_url: str | None = Field(
        default=None, validation_alias=AliasChoices("HF_API_URL", "AI_MUSIC_HF_API_URL")
    )
    hf_token: str | None = Field(
        default=None, validation_alias=AliasChoices("HF_TOKEN", "AI_MUSIC_HF_TOKEN")
    )
    colab_url_allowlist: Annotated[list[str], NoDecode] = []
    colab_allow_private_network: bool = False
    min_duration_s: float = Field(default=5, gt=0)
    max_duration_s: float = Field(default=30, gt=0)
    allow_guest_generation: bool = False
    engine_workers: int = Field(default=2, ge=1)
    # Queued + running generations per user (the quota's concurrent part; 429 past it).
    max_active_jobs_per_user: int = Field(default=3, ge=1)
    job_heartbeat_s: float = Field(default=2.0, gt=0)
    job_stale_after_s: float = Field(default=15.0, gt=0)
    studio_generate_timeout_s: float = Field(default=600.0, gt=0)
    # --- job queue (README "Jobs"; docs/operations.md) ------------------------------------
    # "auto": Procrastinate on PostgreSQL (any process may run any job), the in-process runner
    # on SQLite; "memory" keeps the in-process runner on PostgreSQL too (one process only).
    job_queue: Literal["auto", "memory", "procrastinate"] = "auto"
    # Whether `ai-music serve` runs jobs too; API instances beside `ai-music worker`s say false.
    run_worker: bool = True
    # Jobs one worker process runs at once; unset: the first upstream's max_concurrency.
    worker_concurrency: int | None = Field(default=None, ge=1)
    # Seconds a stopping worker gives its running jobs; what is still running then goes back
    # to the queue. Render waits 30 s by default (maxShutdownDelaySeconds, at most 300).
    worker_grace_s: float = Field(default=25.0, ge=0, le=3600)
    # Runs of one job (first run + restarts after a crash or a deploy) before it fails.
    job_max_attempts: int = Field(default=3, ge=1)
    mp3_bitrate_kbps: int = Field(default=192, ge=32, le=320)

    # --- studio page & browser access ---------------------------------------------------
    # The studio page at / (studio/): off for an API-only deployment.
    studio_enabled: bool = True
    # The API origin the page talks to; unset: the origin that serves the page.
    studio_api_url: str | None = Field(default=None, max_length=2000)
    # Lifetime of a job's signed events_url (a plain EventSource's link to its progress).
    events_url_ttl_s: int = Field(default=900, ge=10)

    @field_validator("cors_origins", "trusted_proxies", "colab_url_allowlist", mode="before")
    @classmethod
    def split_comma_list(cls, value: object) -> object:
        """The list settings come from the environment as comma-separated text (NoDecode)."""
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @property
    def distributed_jobs(self) -> bool:
        """Whether jobs go through Procrastinate (PostgreSQL) rather than one process's memory."""
        if self.job_queue == "auto":
            return self.sqlalchemy_url.startswith("postgresql")
        return self.job_queue == "procrastinate"

    @property
    def postgres_conninfo(self) -> str:
        """The database URL as libpq (psycopg, Procrastinate's driver) takes it."""
        return self.sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)

    @property
    def sqlalchemy_url(self) -> str:
        """The async SQLAlchemy URL: Render's ``postgres://`` form is accepted as is."""
        url = (
            self.database_url or f"sqlite+aiosqlite:///{(self.data_dir / 'ai_music.db').resolve()}"
        )
        for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url[len(prefix) :]
        if url.startswith("sqlite://"):
            return "sqlite+aiosqlite://" + url[len("sqlite://") :]
        return url

    def token_secret(self) -> str:
        """The configured secret, or one generated once and kept in the data dir."""
        if self.secret_key:
            return self.secret_key
        return _load_or_create_secret(self.data_dir / SECRET_KEY_FILE)

    def metrics_bearer(self) -> str | None:
        """The token ``/metrics`` requires: the configured one, or one generated once into the
        data dir (printed when it is made); None when metrics are configured public."""
        if self.metrics_public:
            return None
        if self.metrics_token:
            return self.metrics_token
        return _load_or_create_secret(self.data_dir / METRICS_TOKEN_FILE, announce=_print_once)

    def private_data_dir(self) -> Path:
        """The data dir, made readable by this user only (0700) when it is created here."""
        ensure_private_dir(self.data_dir)
        return self.data_dir


def ensure_private_dir(path: Path) -> None:
    if not path.exists():
        path.mkdir(parents=True, mode=0o700, exist_ok=True)


def _print_once(path: Path, secret: str) -> None:
    print(
        f"ai-music: generated the /metrics token into {path} (shown only this once): {secret}",
        file=sys.stderr,
        flush=True,
    )


def _load_or_create_secret(path: Path, announce: Callable[[Path, str], None] | None = None) -> str:
    ensure_private_dir(path.parent)
    try:
        # O_EXCL: when several workers start at once, exactly one writes the secret.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    secret = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    if announce is not None:
        announce(path, secret)
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    for _ in range(50):
        secret = path.read_text().strip()
        if secret:
            return secret
        # Another worker created the file a moment ago and is still writing it.
        time.sleep(0.01)
    raise RuntimeError(f"secret key file {path} is empty")


@lru_cache
def get_settings() -> Settings:
    return Settings()
