"""Building and closing what generation needs for one server process."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ai_music.accounts.models import User
from ai_music.accounts.service import CurrentUser
from ai_music.accounts.usernames import GUEST_USERNAME
from ai_music.egress import UpstreamClients
from ai_music.generation import repository
from ai_music.generation.dependencies import GenerationState
from ai_music.generation.dispatch import InProcessQueue, JobQueue
from ai_music.generation.jobs import JobEventHook, JobRunner
from ai_music.generation.service import ColabRouters, GenerationService
from ai_music.generation.upstreams.config import build_router, parse_upstreams
from ai_music.generation.upstreams.failover import SharedUpstreamState, UpstreamRouter
from ai_music.limits.backend import LimitsBackend


class LazyEnginePool:
    """The engine's worker pool, imported and started on the first render.

    A server whose upstreams are all remote never loads the engine (NumPy alone is ~10 MB of
    the idle memory budget).
    """

    def __init__(self, max_workers: int) -> None:
        self._max_workers = max_workers
        self._pool: Any = None

    async def render(self, request: Any) -> Any:
        if self._pool is None:
            from ai_music.engine import EnginePool

            self._pool = EnginePool(max_workers=self._max_workers)
        return await self._pool.render(request)

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()


@dataclass
class GenerationComponents:
    clients: UpstreamClients
    engine_pool: LazyEnginePool
    router: UpstreamRouter
    colab: ColabRouters
    service: GenerationService
    queue: JobQueue
    guest: CurrentUser | None

    async def aclose(self) -> None:
        await self.queue.aclose()
        await self.router.aclose()
        await self.colab.aclose()
        await self.clients.aclose()
        await self.engine_pool.aclose()


def generation_components(context: GenerationState) -> GenerationComponents:
    return context.generation


async def start_generation(
    context: GenerationState, *, on_event: JobEventHook | None = None
) -> GenerationComponents:
    settings = context.settings
    configs = parse_upstreams(
        settings.upstreams, settings.upstreams_file, settings.hf_api_url, settings.hf_token
    )
    spool_dir = settings.data_dir / "spool"
    clients = UpstreamClients()
    engine_pool = LazyEnginePool(settings.engine_workers)
    shared = shared_upstream_state(context.limits.backend, settings.limits_key_prefix)
    # The engine renders WAV; the service encodes MP3 when asked, so both formats are exact.
    router = build_router(
        configs,
        clients=clients,
        spool_dir=spool_dir,
        engine_pool=engine_pool,
        engine_workers=settings.engine_workers,
        engine_format="wav",
        shared=shared,
    )
    colab = ColabRouters(settings, spool_dir, shared)
    service = GenerationService(
        settings=settings, router=router, colab=colab, storage=context.storage, spool_dir=spool_dir
    )
    states = router.states()
    max_running = settings.worker_concurrency or (int(states[0]["limit"]) if states else 1)
    queue = _build_queue(context, service, max_running, on_event)
    guest = await _guest_user(context) if settings.allow_guest_generation else None
    components = GenerationComponents(clients, engine_pool, router, colab, service, queue, guest)
    context.generation = components
    context.account_forgetters.append(queue.cancel_jobs_of)
    await queue.start()
    return components


def shared_upstream_state(backend: LimitsBackend, key_prefix: str) -> SharedUpstreamState | None:
    """With Redis, every process shares each upstream's circuit and concurrency limit."""
    if backend.redis is None:
        return None
    return SharedUpstreamState(backend.redis, key_prefix, backend.slots)


def _build_queue(
    context: GenerationState,
    service: GenerationService,
    max_running: int,
    on_event: JobEventHook | None,
) -> JobQueue:
    settings = context.settings
    if not settings.distributed_jobs:
        runner = JobRunner(
            db=context.db,
            service=service,
            settings=settings,
            max_running=max_running,
            on_event=on_event,
            release_slot=context.limits.quota.release_job,
        )
        return InProcessQueue(runner, context.db)
    from ai_music.generation.queue import DistributedQueue
    from ai_music.generation.worker import GenerationRun

    async def emit(event: str, job_id: str) -> None:
        if on_event is None:
            return
        async with context.db.read_sessionmaker() as session:
            job = await repository.get(session, job_id)
        if job is not None:
            await on_event(event, job)

    run = GenerationRun(
        db=context.db, service=service, settings=settings, runner_id="", on_event=emit
    )
    queue = DistributedQueue(
        db=context.db,
        settings=settings,
        run=run,
        max_running=max_running,
        on_ended=context.limits.quota.release_job,
        webhooks=context.webhooks,
    )
    run.runner_id = queue.runner_id
    return queue


async def _guest_user(context: GenerationState) -> CurrentUser:
    """The shared account that demo (unauthenticated) generations are recorded under.

    Its password is random and never stored anywhere, so nobody can sign in as it.
    """
    async with context.db.transaction() as session:
        user = await session.scalar(select(User).where(User.username_key == GUEST_USERNAME))
        if user is not None and not user.is_system:
            # Signed up before "guest" was reserved: a person's account is never adopted.
            raise RuntimeError(
                "AI_MUSIC_ALLOW_GUEST_GENERATION is set, but the username 'guest' belongs to a "
                f"person's account (id {user.id}); rename that account first"
            )
        if user is None:
            user = User(
                full_name="Guest",
                username=GUEST_USERNAME,
                username_key=GUEST_USERNAME,
                email="guest@localhost.invalid",
                password_hash=await context.hashing.hash(secrets.token_urlsafe(32)),
                is_system=True,
            )
            session.add(user)
            await session.flush()
        return CurrentUser(
            id=user.id,
            full_name=user.full_name,
            username=user.username,
            email=user.email,
            session_id="guest",
        )
