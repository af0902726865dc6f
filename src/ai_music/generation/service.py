"""Producing one piece: ask the upstreams, bring the answer into the requested format, store it.

The job runner (jobs.py) decides when this runs and records the outcome; this module knows
nothing of queues, HTTP requests or the database.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import anyio

from ai_music.core.config import Settings
from ai_music.core.file_work import run_file_work
from ai_music.egress import (
    OutboundClient,
    check_url_allowed,
    default_port,
    resolve_public_addresses,
)
from ai_music.generation.audio import UnsupportedAudio, convert_wav_to_mp3, probe_duration
from ai_music.generation.upstreams.base import (
    ClientURLRefused,
    GenerationParams,
    ProgressSink,
    ReceivedAudio,
    UpstreamBadAnswer,
    UpstreamRedirectRefused,
)
from ai_music.generation.upstreams.download import RemoteEndpoint
from ai_music.generation.upstreams.failover import (
    RoutePolicy,
    SharedUpstreamState,
    UpstreamRouter,
)
from ai_music.generation.upstreams.http import HttpUpstream
from ai_music.storage.base import AudioStore, BlockingPut


@dataclass(frozen=True)
class JobSpec:
    """What the runner needs to run one job."""

    job_id: str
    user_id: int
    params: GenerationParams
    format: str
    colab_url: str | None = None
    deadline_ms: int | None = None
    webhook_url: str | None = None
    webhook_events: frozenset[str] = field(default_factory=frozenset)
    attempts: int = 0


@dataclass(frozen=True)
class StoredAudio:
    key: str
    format: str
    size: int
    duration_s: float | None
    upstream: str
    details: dict[str, str]
    midi_key: str | None = None  # the score as MIDI, when the upstream wrote one

    @property
    def keys(self) -> list[str]:
        """Every stored object of the piece."""
        return [self.key, *([self.midi_key] if self.midi_key else [])]


class ColabRouters:
    """Routers for client-named URLs that the operator put on the allow-list.

    Each allowed URL gets its own router (and so its own circuit breaker, in Redis when
    ``shared`` is given, so every process sees it), and every request it makes goes through the
    outbound guard: address checked and pinned, no redirect to another host. The guarded client
    is made on first use: most servers allow no colab_url at all.
    """

    POLICY = RoutePolicy(retries=1)

    def __init__(
        self, settings: Settings, spool_dir: Path, shared: SharedUpstreamState | None = None
    ) -> None:
        self._shared = shared
        self._allowlist = settings.colab_url_allowlist
        self._allow_private = settings.colab_allow_private_network
        self._spool_dir = spool_dir
        self._client: OutboundClient | None = None
        self._routers: dict[str, UpstreamRouter] = {}

    async def check(self, url: str) -> str:
        """The URL, normalised, when it is on the allow-list and resolves only to addresses
        this server may reach; raises OutboundURLRefused (a 400) otherwise."""
        allowed = check_url_allowed(url, self._allowlist)
        await resolve_public_addresses(
            allowed.host or "", default_port(allowed), allow_private=self._allow_private
        )
        return str(allowed)

    def router_for(self, url: str) -> UpstreamRouter:
        router = self._routers.get(url)
        if router is None:
            if self._client is None:
                self._client = OutboundClient(
                    allowlist=self._allowlist, allow_private=self._allow_private
                )
            endpoint = RemoteEndpoint("colab", url, self._client, self._spool_dir)
            upstream = HttpUpstream(endpoint)
            router = UpstreamRouter([(upstream, self.POLICY)], shared=self._shared_for(url))
            self._routers[url] = router
        return router

    def _shared_for(self, url: str) -> SharedUpstreamState | None:
        """The circuit's place in Redis, one per URL; the colab lane's concurrency stays local."""
        if self._shared is None:
            return None
        digest = hashlib.sha256(url.encode()).hexdigest()[:24]
        prefix = f"{self._shared.key_prefix}:colab:{digest}"
        return replace(self._shared, key_prefix=prefix, circuits_only=True)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


@dataclass(kw_only=True, eq=False)
class GenerationService:
    settings: Settings
    router: UpstreamRouter
    colab: ColabRouters
    storage: AudioStore
    spool_dir: Path

    def __post_init__(self) -> None:
        storage = self.storage
        self._blocking_put = storage if isinstance(storage, BlockingPut) else None
        self._convert_limiter = anyio.CapacityLimiter(self.settings.engine_workers)

    def expected_seconds(self) -> float | None:
        """How long a generation usually takes here (for progress estimates)."""
        for upstream in self.router.upstreams:
            expected = self.router.expected_duration(upstream.name)
            if expected is not None:
                return expected
        return None

    async def produce(self, spec: JobSpec, progress: ProgressSink | None = None) -> StoredAudio:
        router = self.colab.router_for(spec.colab_url) if spec.colab_url else self.router
        try:
            received, upstream = await router.generate(spec.params, progress=progress)
        except UpstreamRedirectRefused as exc:
            if not spec.colab_url:
                raise
            # The client chose this URL, so where it leads is the client's to fix.
            raise ClientURLRefused(
                f"The colab_url redirected to another host ({exc.target_host}), which this "
                "server does not follow; give the URL that answers the request itself.",
                upstream=exc.upstream,
            ) from exc
        leftovers = [received.path, _mp3_beside(received.path), received.score_path]
        try:
            path, container = await self._in_requested_format(received, spec.format)
            duration_s, size, key = await self._probe_and_store(path, container, spec.user_id)
            midi_key = await self._store_score(received, key, spec.user_id)
            # The store took the audio and the score; only a converted original is left.
            leftovers = [received.path] if path != received.path else []
        finally:
            # Whatever the store did not take: the upstream's files, a conversion's output.
            for leftover in leftovers:
                if leftover is not None:
                    with contextlib.suppress(FileNotFoundError):
                        leftover.unlink()
        return StoredAudio(
            key, container, size, duration_s, upstream, dict(received.details), midi_key
        )

    async def _probe_and_store(
        self, path: Path, container: str, user_id: int
    ) -> tuple[float | None, int, str]:
        """The piece's duration, its size and its new key. A store that takes a file as plain
        file work gets it in the same worker-thread hop as the probe: each hop costs the event
        loop more than the work itself."""

        def probe() -> tuple[float | None, int]:
            return probe_duration(path, container), path.stat().st_size

        blocking_put = self._blocking_put
        if blocking_put is not None:

            def probe_and_put() -> tuple[float | None, int, str]:
                duration_s, size = probe()
                key = blocking_put.put_file_blocking(path, user_id=user_id, extension=container)
                return duration_s, size, key

            return await run_file_work(probe_and_put)
        duration_s, size = await run_file_work(probe)
        key = await self.storage.put_file(path, user_id=user_id, extension=container)
        return duration_s, size, key

    async def _store_score(
        self, received: ReceivedAudio, audio_key: str, user_id: int
    ) -> str | None:
        """Stores the upstream's MIDI beside the audio; if that fails, the audio goes too,
        so a failed piece leaves no object behind."""
        if received.score_path is None:
            return None
        try:
            return await self.storage.put_file(
                received.score_path, user_id=user_id, extension="mid"
            )
        except BaseException:
            with anyio.CancelScope(shield=True):  # a cancelled job must not leave the audio
                await self.storage.delete_many([audio_key])
            raise

    async def _in_requested_format(self, received: ReceivedAudio, wanted: str) -> tuple[Path, str]:
        """MP3 asked and WAV received: convert. Anything else is kept as the upstream sent it
        (MP3 is never decoded back to WAV; the built-in engine renders WAV directly)."""
        if wanted != "mp3" or received.container != "wav":
            return received.path, received.container
        target = _mp3_beside(received.path)
        try:
            await anyio.to_thread.run_sync(
                lambda: convert_wav_to_mp3(
                    received.path, target, bitrate_kbps=self.settings.mp3_bitrate_kbps
                ),
                limiter=self._convert_limiter,
            )
        except UnsupportedAudio as exc:
            raise UpstreamBadAnswer(
                f"The music service sent WAV audio we cannot use: {exc}"
            ) from exc
        return target, "mp3"


def _mp3_beside(path: Path) -> Path:
    return path.with_suffix(".mp3")
