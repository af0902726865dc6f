"""Usernames: one normal form, a safe character set, and the names nobody may take.

A name is stored as typed after NFKC normalisation (so full-width "ａｄｍｉｎ" is "admin"), and
its uniqueness is decided on the NFKC, case-folded form (``username_key``): "Admin" and "ADMIN"
are one name. New names are limited to ASCII letters, digits and ``._-``, 3–32 characters, which
leaves no room for control characters, invisible or right-to-left marks, or letters that look
like other scripts' letters. Accounts made before these rules keep signing in with their names.
"""

from __future__ import annotations

import re
import unicodedata

from ai_music.core.errors import BadRequest

MIN_LENGTH, MAX_LENGTH = 3, 32
_SAFE = re.compile(rf"^[A-Za-z0-9._-]{{{MIN_LENGTH},{MAX_LENGTH}}}$")
GUEST_USERNAME = "guest"

# Names that would let a person pass for the service, or that the server uses itself.
RESERVED = frozenset(
    {
        GUEST_USERNAME,
        "admin",
        "administrator",
        "anonymous",
        "api",
        "help",
        "me",
        "moderator",
        "null",
        "operator",
        "owner",
        "postmaster",
        "root",
        "security",
        "staff",
        "support",
        "system",
        "undefined",
        "webmaster",
    }
)


def normalised(username: str) -> str:
    """The display form: NFKC, surrounding spaces removed."""
    return unicodedata.normalize("NFKC", username).strip()


def username_key(username: str) -> str:
    """What uniqueness and sign-in compare: the NFKC, case-folded name."""
    return normalised(username).casefold()


def checked_new_username(username: str) -> str:
    """The display form of a name a new account may take; raises BadRequest (400) otherwise."""
    name = normalised(username)
    if not _SAFE.match(name):
        raise BadRequest(
            f"Username must be {MIN_LENGTH}-{MAX_LENGTH} characters: "
            "letters A-Z, digits, '.', '_' or '-'"
        )
    if name.casefold() in RESERVED:
        raise BadRequest("This username is reserved")
    return name
