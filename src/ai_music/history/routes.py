from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response, StreamingResponse

from ai_music.accounts.dependencies import CurrentUserDep
from ai_music.accounts.schemas import Message
from ai_music.core.dependencies import ReadSessionDep, SessionDep
from ai_music.core.errors import Forbidden, NotFound, error_response, found
from ai_music.core.pagination import PageCursor, PageLimit
from ai_music.core.responses import parse_byte_range
from ai_music.core.signed_urls import SignatureError
from ai_music.engine.formats import media_type_of
from ai_music.history import repository
from ai_music.history.cache import PageKey, etag_for
from ai_music.history.dependencies import HistoryState, HistoryStateDep
from ai_music.history.models import HistoryEntry
from ai_music.history.repository import HistoryRepository
from ai_music.history.schemas import (
    HistoryCreate,
    HistoryEntryPublic,
    HistoryPage,
    LegacyHistoryItem,
)
from ai_music.storage.base import AudioMissing
from ai_music.web.openapi import error_responses

router = APIRouter(tags=["history"])

_NOT_STORED = {"Cache-Control": "private, no-cache"}

# Ids are 64-bit: a larger number in the path is a 400, not an overflow in the driver.
EntryId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.post(
    "/save-history", status_code=201, response_model=Message, responses=error_responses(403)
)
async def save_history(
    body: HistoryCreate, current: CurrentUserDep, session: SessionDep, history: HistoryStateDep
) -> Message:
    if body.username is not None and body.username.strip() not in ("", current.username):
        raise Forbidden("You can only save to your own history")
    await HistoryRepository(history.db, session).add(
        user_id=current.id,
        **body.model_dump(include={"prompt", "mood", "instruments", "tempo", "duration"}),
    )
    return Message(message="Saved to history")


@router.get(
    "/get-history/{username}",
    response_model=None,
    responses={200: {"model": list[LegacyHistoryItem]}, **error_responses(403)},
    summary="The caller's history, newest first (the original route)",
)
async def get_history(
    username: str, request: Request, current: CurrentUserDep, history: HistoryStateDep
) -> Response:
    if username != current.username:
        raise Forbidden("You can only read your own history")

    async def render() -> bytes:
        rows = await HistoryRepository(history.db).list_legacy(
            user_id=current.id, limit=history.settings.legacy_history_limit
        )
        return repository.legacy_json(rows, history.media_links, expires)

    expires = history.media_links.current_expiry()
    return await _cached_page(request, history, current, f"legacy.{expires}", render)


async def _cached_page(
    request: Request,
    history: HistoryState,
    current: CurrentUserDep,
    variant: str,
    render: Callable[[], Awaitable[bytes]],
) -> Response:
    """The page from the cache while the user's history version is unchanged (history/cache.py),
    with an ETag so a browser can revalidate for a 304 instead of downloading it again.
    ``variant`` is chosen by the server: no client text reaches the cache key or the ETag."""
    key = PageKey(current.id, current.history_version, variant)
    etag = etag_for(key)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    body = history.history_pages.get(key)
    if body is None:
        body = await render()
        history.history_pages.put(key, body)
    return Response(body, media_type="application/json", headers=headers)


@router.get(
    "/history",
    response_model=None,
    responses={200: {"model": HistoryPage}},
    summary="The caller's history, newest first, a page at a time",
)
async def list_history(
    request: Request,
    current: CurrentUserDep,
    history: HistoryStateDep,
    limit: PageLimit = 20,
    cursor: PageCursor = None,
) -> Response:
    async def render() -> bytes:
        rows = await HistoryRepository(history.db).list_page(
            user_id=current.id, limit=limit, cursor=cursor
        )
        page = repository.history_page(rows, limit, history.media_links, expires)
        return page.__pydantic_serializer__.to_json(page)

    # The links' expiry is part of the page: a new step renders the page with new links.
    expires = history.media_links.current_expiry()
    if cursor:
        # A cursor is client text: such pages are rendered each time, never cached.
        return Response(await render(), media_type="application/json", headers=_NOT_STORED)
    return await _cached_page(request, history, current, f"page.{limit}.{expires}", render)


async def _owned_entry(
    history: HistoryState, session: AsyncSession, current: CurrentUserDep, entry_id: int
) -> HistoryEntry:
    entry = await HistoryRepository(history.db, session).get_owned(entry_id, current.id)
    return found(entry, "History entry not found")


@router.get("/history/{entry_id}", response_model=HistoryEntryPublic)
async def get_history_entry(
    entry_id: EntryId, current: CurrentUserDep, session: ReadSessionDep, history: HistoryStateDep
) -> Response:
    entry = await _owned_entry(history, session, current, entry_id)
    public = repository.public_entry(repository.entry_row(entry), history.media_links)
    return Response(public.__pydantic_serializer__.to_json(public), media_type="application/json")


@router.delete("/history/{entry_id}", response_model=Message)
async def delete_history_entry(
    entry_id: EntryId,
    current: CurrentUserDep,
    session: SessionDep,
    history: HistoryStateDep,
    tasks: BackgroundTasks,
) -> Message:
    entry = await _owned_entry(history, session, current, entry_id)
    await HistoryRepository(history.db, session).delete(entry)
    stored = [key for key in (entry.audio_key, entry.midi_key) if key]
    if stored:
        # Runs after the commit, so the row never points at a file already gone.
        tasks.add_task(history.storage.delete_many, stored)
    return Message(message="History entry deleted")


_AUDIO_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"audio/mpeg": {}, "audio/wav": {}}, "description": "The audio"},
    206: {"description": "The requested byte range"},
    404: {"description": "No such entry, or it has no audio"},
    416: {"description": "Range not satisfiable"},
}


@router.get(
    "/history/{entry_id}/audio", response_class=StreamingResponse, responses=_AUDIO_RESPONSES
)
async def get_history_audio(
    entry_id: EntryId,
    request: Request,
    current: CurrentUserDep,
    session: ReadSessionDep,
    history: HistoryStateDep,
) -> Response:
    entry = await _owned_entry(history, session, current, entry_id)
    return await _audio_response(request, history, entry, cache_control="private, max-age=3600")


@router.get(
    "/history/{entry_id}/midi",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"audio/midi": {}}, "description": "The score, a Standard MIDI File"},
        404: {"description": "No such entry, or it has no score (made by another upstream)"},
    },
    summary="The piece's score as MIDI (pieces the built-in engine made)",
)
async def get_history_midi(
    entry_id: EntryId,
    current: CurrentUserDep,
    session: ReadSessionDep,
    history: HistoryStateDep,
) -> Response:
    entry = await _owned_entry(history, session, current, entry_id)
    if not entry.midi_key:
        raise NotFound("This history entry has no score: only the built-in engine writes MIDI")
    size = await _stored_size(history, entry.midi_key, "score")
    headers = {
        "Content-Disposition": f'attachment; filename="music-{entry.id}.mid"',
        "Content-Length": str(size),
        "Cache-Control": "private, max-age=3600",
    }
    return StreamingResponse(
        history.storage.iter_range(entry.midi_key, 0, size - 1),
        media_type=media_type_of("mid"),
        headers=headers,
    )


@router.head("/media/{entry_id}", response_class=Response, include_in_schema=False)
@router.get(
    "/media/{entry_id}",
    response_class=StreamingResponse,
    responses={
        **_AUDIO_RESPONSES,
        307: {"description": "Bucket storage: a redirect to a presigned URL of the audio"},
        403: {"description": "The link is not valid, or has expired"},
    },
    summary="A piece's audio by its signed media_url, with no Authorization header",
    description=(
        "The `media_url` of a history entry or finished job: for `<audio src>`, a download "
        "link or a shared link. Valid until `media_url_expires_at` (AI_MUSIC_MEDIA_URL_LIFETIME_S, "
        "default 4 hours); an expired or altered link is a 403. Supports Range and HEAD. With a "
        "bucket store it answers 307 to a presigned URL of the bucket, valid as long as the link."
    ),
)
async def get_media(
    entry_id: EntryId,
    request: Request,
    session: ReadSessionDep,
    history: HistoryStateDep,
    expires: Annotated[str | None, Query(max_length=20)] = None,
    signature: Annotated[str | None, Query(max_length=128)] = None,
) -> Response:
    try:
        remaining_s = history.media_links.verify(entry_id, expires, signature)
    except SignatureError as exc:
        raise Forbidden(str(exc)) from exc
    entry = found(
        await HistoryRepository(history.db, session).get(entry_id), "History entry not found"
    )
    cache_control = f"private, max-age={max(remaining_s, 0)}"
    if entry.audio_key:
        # S3 signs the method too: a HEAD gets a URL presigned for HEAD.
        method: Literal["GET", "HEAD"] = "HEAD" if request.method == "HEAD" else "GET"
        presigned = await history.storage.presigned_url(
            entry.audio_key, lifetime_s=max(remaining_s, 1), method=method
        )
        if presigned:
            return RedirectResponse(presigned, 307, headers={"Cache-Control": cache_control})
    return await _audio_response(request, history, entry, cache_control=cache_control)


async def _audio_response(
    request: Request, history: HistoryState, entry: HistoryEntry, *, cache_control: str
) -> Response:
    """The entry's audio from the store, whole or the one byte range asked for."""
    if not entry.audio_key or not entry.audio_format:
        raise NotFound("This history entry has no audio")
    size = await _stored_size(history, entry.audio_key, "audio")
    headers = {
        "Accept-Ranges": "bytes",
        "Content-Disposition": f'inline; filename="music-{entry.id}.{entry.audio_format}"',
        "Cache-Control": cache_control,
    }
    try:
        byte_range = parse_byte_range(request.headers.get("range"), size)
    except ValueError:
        return error_response(
            416, "Requested range not satisfiable", {"Content-Range": f"bytes */{size}"}
        )
    start, end = byte_range or (0, size - 1)
    headers["Content-Length"] = str(end - start + 1)
    status = 200
    if byte_range is not None:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    media_type = media_type_of(entry.audio_format)
    if request.method == "HEAD":
        return Response(status_code=status, media_type=media_type, headers=headers)
    return StreamingResponse(
        history.storage.iter_range(entry.audio_key, start, end),
        status_code=status,
        media_type=media_type,
        headers=headers,
    )


async def _stored_size(history: HistoryState, key: str, what: str) -> int:
    try:
        return await history.storage.size(key)
    except AudioMissing as exc:
        raise NotFound(f"This piece's {what} is missing from the audio store") from exc
