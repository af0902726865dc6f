from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response, StreamingResponse

from ai_music.accounts.dependencies import BearerDep, CurrentUserDep, get_current_user
from ai_music.accounts.service import CurrentUser
from ai_music.core.dependencies import ReadSessionDep
from ai_music.core.errors import BadRequest, NotFound, error_response, found
from ai_music.core.pagination import PageCursor, PageLimit
from ai_music.core.responses import StoredAudioResponse, json_response
from ai_music.engine.formats import media_type_of
from ai_music.generation import repository
from ai_music.generation.components import generation_components
from ai_music.generation.dependencies import GenerationStateDep, get_generation_state
from ai_music.generation.event_links import check_events_link, signed_events_url
from ai_music.generation.public import job_json, public_job
from ai_music.generation.schemas import GenerateRequest, JobCreate, JobPage, JobPublic
from ai_music.generation.studio_answer import audio_headers, studio_answer_from_row
from ai_music.generation.submission import submit_job
from ai_music.history.repository import midi_url
from ai_music.web.openapi import error_responses

router = APIRouter(tags=["generation"])

_DURATION_PART = re.compile(r"(\d{1,9})(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
MAX_PREFER_WAIT_S = 60
# A deadline further off than a day is no deadline a generation needs; bounding it also keeps
# the arithmetic on it far from any overflow.
MAX_CANCEL_AFTER_S = 24 * 3600


def parse_cancel_after(value: str | None) -> float | None:
    """``Cancel-After: 90s`` / ``2m`` / ``1h30m`` / ``45`` (seconds) → seconds, 1 s to 24 h."""
    if value is None:
        return None
    text = value.strip().lower()
    if text.isdigit() and len(text) <= 9:
        seconds = float(text)
    else:
        parts = _DURATION_PART.findall(text)
        if not parts or "".join(number + unit for number, unit in parts) != text:
            raise BadRequest("Cancel-After: use a duration such as 90s, 2m or 1h30m")
        seconds = sum(int(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    if not 1 <= seconds <= MAX_CANCEL_AFTER_S:
        raise BadRequest("Cancel-After: the deadline must be between 1 second and 24 hours")
    return seconds


def parse_prefer_wait(value: str | None) -> float | None:
    if not value:
        return None
    match = re.search(r"(?:^|[;,\s])wait=(\d+)", value)
    return min(float(match.group(1)), MAX_PREFER_WAIT_S) if match else None


async def current_user_or_guest(request: Request, credentials: BearerDep) -> CurrentUser:
    """The bearer user; or, with no token where the operator allows demo generation, the
    shared guest account."""
    # The state straight from the request, not as a dependency of its own: FastAPI solves
    # each sub-dependency on every request, even one it has cached.
    guest = generation_components(await get_generation_state(request)).guest
    if credentials is None and guest is not None:
        return guest
    return await get_current_user(request, credentials)


CurrentUserOrGuestDep = Annotated[CurrentUser, Depends(current_user_or_guest)]


@router.post(
    "/studio-generate",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"audio/mpeg": {}, "audio/wav": {}}, "description": "The audio"},
        400: {"description": "Invalid parameters or a colab_url not on the allow-list"},
        502: {"description": "The music service failed or answered something that is not audio"},
        503: {"description": "No music service is available"},
        504: {"description": "The music service took too long"},
        **error_responses(401, 429),
    },
    summary="Generate music and answer with the audio (the original synchronous route)",
)
async def studio_generate(
    body: GenerateRequest, current: CurrentUserOrGuestDep, context: GenerationStateDep
) -> Response:
    queue = generation_components(context).queue
    # Validated once, as a GenerateRequest: a job's own fields keep their defaults.
    job_request = JobCreate.model_construct(**dict(body))
    submission = await submit_job(context, current, job_request)
    job, live = submission.job, submission.live
    await queue.wait(job.id, context.settings.studio_generate_timeout_s)
    if live is None:
        # Run by another process (or this one's worker): the row and the store say it all.
        return await studio_answer_from_row(context, job.id, submission.rate_limit_headers)
    if not live.done.is_set():
        await queue.cancel(job.id, "The music service took too long")
        return error_response(
            504,
            "The music service took too long; please try again",
            submission.rate_limit_headers,
        )
    if live.status != "succeeded" or live.stored is None or live.history_entry_id is None:
        return error_response(
            live.error_status or 502,
            live.error or "Music generation failed",
            submission.rate_limit_headers,
        )
    stored = live.stored
    headers = audio_headers(job.id, live.history_entry_id, stored.format, stored.upstream)
    headers.update(submission.rate_limit_headers)
    headers["Content-Length"] = str(stored.size)
    headers.update({f"X-Upstream-{k.title()}": v for k, v in stored.details.items() if v.isascii()})
    if stored.midi_key:
        headers["X-Midi-Url"] = midi_url(live.history_entry_id)
    return StoredAudioResponse(
        context.storage.iter_range(stored.key, 0, stored.size - 1),
        size=stored.size,
        media_type=media_type_of(stored.format),
        headers=headers,
    )


async def _job_response(
    context: GenerationStateDep, job: Any, status_code: int = 200, **extra: Any
) -> Response:
    return json_response(await _present(context, job), status_code=status_code, **extra)


async def _present(context: GenerationStateDep, job: Any) -> dict[str, Any]:
    public = await _public_job(context, job)
    public["events_url"] = signed_events_url(context, job.id)
    return public


async def _public_job(context: GenerationStateDep, job: Any) -> dict[str, Any]:
    queue = generation_components(context).queue
    public = public_job(job, media_links=context.media_links, live=await queue.snapshot(job))
    return job_json(public)


@router.post(
    "/generations",
    status_code=202,
    response_model=None,
    responses={
        201: {"model": JobPublic, "description": "Finished within Prefer: wait"},
        202: {"model": JobPublic, "description": "Accepted; poll or stream its events"},
        409: {"description": "Idempotency-Key reused with different parameters"},
        429: {"description": "Too many active jobs or the daily quota is used up"},
    },
    summary="Start a generation job",
)
async def create_generation(
    body: JobCreate,
    current: CurrentUserDep,
    context: GenerationStateDep,
    prefer: Annotated[str | None, Header(description="wait=N (N ≤ 60)")] = None,
    cancel_after: Annotated[str | None, Header(description="Deadline: 90s, 2m, 1h30m")] = None,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> Response:
    deadline_s = parse_cancel_after(cancel_after)
    wait_s = parse_prefer_wait(prefer)
    submission = await submit_job(
        context, current, body, idempotency_key=idempotency_key, cancel_after_s=deadline_s
    )
    job = submission.job
    if wait_s:
        await generation_components(context).queue.wait(job.id, wait_s)
        async with context.db.read_sessionmaker() as session:
            job = await repository.get(session, job.id) or job
    # 201 answers "Prefer: wait" only; otherwise a fast job would change the status code.
    status_code = 201 if wait_s and repository.is_terminal(job.status) else 202
    headers = {"Location": f"/generations/{job.id}", **submission.rate_limit_headers}
    return await _job_response(context, job, status_code, headers=headers)


@router.get("/generations", response_model=JobPage, summary="Your jobs, newest first")
async def list_generations(
    current: CurrentUserDep,
    session: ReadSessionDep,
    context: GenerationStateDep,
    limit: PageLimit = 20,
    cursor: PageCursor = None,
) -> Response:
    jobs, next_cursor = await repository.list_page(
        session, user_id=current.id, limit=limit, cursor=cursor
    )
    return json_response(
        {"items": [await _present(context, job) for job in jobs], "next_cursor": next_cursor}
    )


async def _owned_job(session: AsyncSession, job_id: str, user_id: int) -> Any:
    return found(await repository.get_owned(session, job_id, user_id), "Generation not found")


@router.get("/generations/{job_id}", response_model=JobPublic)
async def get_generation(
    job_id: str, current: CurrentUserDep, session: ReadSessionDep, context: GenerationStateDep
) -> Response:
    return await _job_response(context, await _owned_job(session, job_id, current.id))


@router.post("/generations/{job_id}/cancel", response_model=JobPublic)
async def cancel_generation(
    job_id: str, current: CurrentUserDep, context: GenerationStateDep
) -> Response:
    # No request transaction around this: the runner records the cancel through the write
    # batcher's own connection, and SQLite has one writer at a time.
    async with context.db.read_sessionmaker() as session:
        job = await _owned_job(session, job_id, current.id)
    if not repository.is_terminal(job.status):
        queue = generation_components(context).queue
        await queue.cancel(job.id)
        await queue.wait(job.id, 5)
        async with context.db.read_sessionmaker() as session:
            job = await repository.get(session, job.id) or job
    return await _job_response(context, job)


@router.get(
    "/generations/{job_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "Job updates"},
        **error_responses(403),
    },
    summary="Server-sent events: the job (JSON) each time its status or progress changes",
    description="With a bearer token, or with no header through the job's signed `events_url`.",
)
async def generation_events(
    job_id: str,
    request: Request,
    session: ReadSessionDep,
    context: GenerationStateDep,
    credentials: BearerDep,
    expires: Annotated[str | None, Query(max_length=20)] = None,
    signature: Annotated[str | None, Query(max_length=128)] = None,
) -> Response:
    if expires is not None or signature is not None:
        check_events_link(context, job_id, expires, signature)
        if await repository.get(session, job_id) is None:
            raise NotFound("Generation not found")
    else:
        current = await get_current_user(request, credentials)
        await _owned_job(session, job_id, current.id)
    return StreamingResponse(
        _job_events(context, job_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


KEEPALIVE_S = 15.0


async def _job_events(context: GenerationStateDep, job_id: str) -> AsyncIterator[bytes]:
    queue = generation_components(context).queue
    last_sent: bytes | None = None
    quiet_since = asyncio.get_running_loop().time()
    while True:
        # Taken before the read: a change between the read and the wait is not missed.
        changed = queue.changed(job_id)
        try:
            async with context.db.read_sessionmaker() as session:
                job = await repository.get(session, job_id)
            if job is None:
                return
            # No events_url here: the stream's reader has one, and a fresh signature every
            # second would make every event differ from the last.
            payload = await _public_job(context, job)
            payload["progress"] = round(payload["progress"], 3)
            if payload["eta_seconds"] is not None:
                payload["eta_seconds"] = round(payload["eta_seconds"], 1)
            body = orjson.dumps(payload)
            now = asyncio.get_running_loop().time()
            if body != last_sent:
                yield b"data: " + body + b"\n\n"
                last_sent, quiet_since = body, now
            elif now - quiet_since >= KEEPALIVE_S:
                yield b": keep-alive\n\n"
                quiet_since = now
            if repository.is_terminal(job.status):
                return
            try:
                async with asyncio.timeout(1.0):
                    if changed is not None:
                        await changed.wait()
                    else:
                        await asyncio.sleep(1.0)
            except TimeoutError:
                pass
        finally:
            if changed is not None:
                queue.forget(job_id, changed)
