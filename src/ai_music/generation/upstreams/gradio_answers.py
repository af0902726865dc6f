"""Finding the audio in a Gradio answer's ``data`` list, in every shape Gradio has used.

* a data URL ``data:audio/wav;base64,...`` or a bare base64 string;
* Gradio 3's ``{"name": <server path>, "data": <data URL or null>, "is_file": bool}``;
* Gradio ≥ 4's file references ``{"path": ..., "url": ..., "meta": {"_type": "gradio.FileData"}}``
  (a ``url`` that is itself a data URL is decoded, not fetched);
* any of those wrapped in an update object's ``"value"``.

The audio item need not be first; text and numbers around it are reported as details.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from ai_music.generation.audio import sniff_container

__all__ = ["AudioCandidate", "FileReference", "InlineAudio", "audio_candidates", "scalar_details"]

_BASE64_RE = re.compile(r"[A-Za-z0-9+/=\s]+")
_MAX_DETAIL_CHARS = 200


@dataclass(frozen=True)
class InlineAudio:
    encoded: str


@dataclass(frozen=True)
class FileReference:
    path: str | None
    url: str | None


AudioCandidate = InlineAudio | FileReference


def _looks_like_base64_audio(text: str) -> bool:
    head = text[:64]
    if len(text) < 24 or not _BASE64_RE.fullmatch(head):
        return False
    try:
        first_bytes = base64.b64decode(head[: len(head) // 4 * 4])
    except (binascii.Error, ValueError):
        return False
    return sniff_container(first_bytes[:16]) is not None


def _from_text(text: str) -> InlineAudio | None:
    if text.startswith("data:"):
        header, _, payload = text.partition(",")
        return InlineAudio(payload) if header.endswith(";base64") else None
    return InlineAudio(text) if _looks_like_base64_audio(text) else None


def _from_dict(item: dict[str, Any]) -> list[AudioCandidate]:
    if isinstance(item.get("data"), str):
        inline = _from_text(item["data"])
        if inline is not None:
            return [inline]
    if isinstance(item.get("url"), str) and item["url"].startswith("data:"):
        inline = _from_text(item["url"])
        return [inline] if inline is not None else []
    if isinstance(item.get("path"), str) or isinstance(item.get("url"), str):
        path, url = item.get("path"), item.get("url")
        return [
            FileReference(
                path if isinstance(path, str) else None, url if isinstance(url, str) else None
            )
        ]
    if item.get("is_file") and isinstance(item.get("name"), str):
        return [FileReference(item["name"], None)]
    if "value" in item:
        return audio_candidates([item["value"]])
    return []


def audio_candidates(data: list[Any]) -> list[AudioCandidate]:
    """Every item that may hold audio, in answer order."""
    found: list[AudioCandidate] = []
    for item in data:
        if isinstance(item, str):
            inline = _from_text(item)
            if inline is not None:
                found.append(inline)
        elif isinstance(item, dict):
            found.extend(_from_dict(item))
        elif isinstance(item, list):
            found.extend(audio_candidates(item))
    return found


def scalar_details(data: list[Any]) -> dict[str, str]:
    """Short text and number outputs, keyed ``output_<index>``, for the caller's details."""
    details = {}
    for index, item in enumerate(data):
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            continue
        text = str(item)
        if isinstance(item, str) and (text.startswith("data:") or _looks_like_base64_audio(text)):
            continue
        details[f"output_{index}"] = text[:_MAX_DETAIL_CHARS]
    return details
