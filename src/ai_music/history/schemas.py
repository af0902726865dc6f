from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ai_music.storage.schemas import MediaLinkFields


class HistoryCreate(BaseModel):
    """The original ``/save-history`` body; ``username``, when sent, must be the caller's."""

    model_config = ConfigDict(extra="ignore")

    username: str | None = Field(default=None, max_length=64)
    prompt: str = Field(default="", max_length=2000)
    mood: str = Field(default="", max_length=100)
    instruments: str = Field(default="", max_length=500)
    tempo: int | None = Field(default=None, ge=1, le=1000)
    duration: float | None = Field(default=None, gt=0, le=3600)


class _EntryFields(BaseModel):
    id: int
    prompt: str
    mood: str
    instruments: str
    tempo: int | None
    duration: float | None
    created_at: str


class ScoreFields(BaseModel):
    midi_url: str | None = Field(
        default=None,
        description=(
            "The piece's score as a Standard MIDI File (bearer token, `audio/midi`, an "
            "attachment): pieces the built-in engine made have one; null otherwise."
        ),
    )


class _LegacyAudio(BaseModel):
    audio_url: str | None


# Bases listed last come first in the JSON: the entry's fields, then its links.
class LegacyHistoryItem(MediaLinkFields, ScoreFields, _LegacyAudio, _EntryFields):
    """An item of ``GET /get-history/<username>``: the original's fields, plus id, audio_url,
    the signed media link and the score's midi_url."""


class AudioPublic(BaseModel):
    url: str
    format: str
    size: int
    duration_s: float | None


class _GeneratedFields(BaseModel):
    source: str
    upstream: str | None
    generation_ms: int | None
    audio: AudioPublic | None


class HistoryEntryPublic(MediaLinkFields, ScoreFields, _GeneratedFields, _EntryFields):
    """An entry of ``GET /history`` and ``GET /history/{id}``."""


class HistoryPage(BaseModel):
    items: list[HistoryEntryPublic]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= to get the next page; null on the last page."
    )
