"""The 429 answer every limit raises; the app's AppError handler renders it."""

from __future__ import annotations

import math

from ai_music.core.errors import AppError


class TooManyRequests(AppError):
    """429 with ``Retry-After`` (whole seconds, at least 1) and any extra headers given."""

    status_code = 429

    def __init__(
        self, message: str, *, retry_after: float, headers: dict[str, str] | None = None
    ) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(message, headers={**(headers or {}), "Retry-After": str(self.retry_after)})
