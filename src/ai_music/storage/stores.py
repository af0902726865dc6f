"""The store a server uses, from ``AI_MUSIC_AUDIO_STORE``."""

from __future__ import annotations

from ai_music.core.config import Settings
from ai_music.storage.base import AudioStore
from ai_music.storage.bucket import BucketAudioStore
from ai_music.storage.local import LocalAudioStore

BUCKET_SCHEME = "s3://"


def local_store(settings: Settings) -> LocalAudioStore:
    return LocalAudioStore(settings.data_dir / "audio")


def open_audio_store(settings: Settings) -> AudioStore:
    """A bucket when ``AI_MUSIC_AUDIO_STORE`` names one, else the folder under the data dir."""
    if settings.audio_store:
        return BucketAudioStore(settings.audio_store)
    return local_store(settings)


def media_origin(settings: Settings) -> str | None:
    """The origin signed media links redirect a browser to, when it is not the server: the
    bucket's (presigned URLs); None for the local folder, whose links the server answers."""
    if not settings.audio_store:
        return None
    return BucketAudioStore(settings.audio_store).url_origin()
