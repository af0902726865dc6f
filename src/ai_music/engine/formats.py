"""The file formats the engine writes and the server stores, and their media types.

One table for the whole tree: the engine imports nothing of the web app, so the web app's
storage and gateway read it from here (a leaf module: no NumPy).
"""

from __future__ import annotations

MEDIA_TYPES: dict[str, str] = {
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
    "mid": "audio/midi",
}


def media_type_of(extension: str) -> str:
    return MEDIA_TYPES.get(extension, "application/octet-stream")
