"""Logging: one JSON object a line in production, readable text in a terminal.

The request line carries only what operations need (request id, route template, status,
duration, user id, client address). Bodies, headers and query strings are never logged, so
passwords, tokens and audio cannot end up in a log.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import orjson

from ai_music.core.config import Settings
from ai_music.web.middleware import request_id_var

HANDLER_NAME = "ai_music"
# uvicorn adds ``color_message`` (its message with ANSI colours) to every record it writes.
_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


def _extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in record.__dict__.items() if key not in _RESERVED}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        entry.update(_extra_fields(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = " ".join(f"{key}={value}" for key, value in _extra_fields(record).items())
        return f"{line} {fields}" if fields else line


def wants_json(settings: Settings) -> bool:
    if settings.log_format == "auto":
        return not sys.stderr.isatty()
    return settings.log_format == "json"


def configure_logging(settings: Settings) -> None:
    """Our handler on the root logger (replacing a previous one of ours), uvicorn's through it.

    Idempotent, so every app instance may call it. uvicorn's own access line is silenced: the
    request line written by ObservabilityMiddleware replaces it.
    """
    handler = logging.StreamHandler()
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if wants_json(settings) else TextFormatter())
    root = logging.getLogger()
    for existing in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(existing)
    root.addHandler(handler)
    level = settings.log_level.upper()
    logging.getLogger("ai_music").setLevel(level)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    # httpx logs every upstream URL at INFO; a URL may carry a credential.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
