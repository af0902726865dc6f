"""Which new passwords are accepted: NIST SP 800-63B's rules for memorised secrets.

At least 8 characters (and up to the schema's 1,024, so passphrases fit); not the account's own
username or email; not one of the 10,000 commonest passwords (``common_passwords.txt``, from
zxcvbn's list); not one character repeated. No composition rules ("a digit and a symbol"), which
NIST advises against. Only new passwords are checked: accounts made under the old rules keep
signing in with theirs.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from ai_music.core.errors import BadRequest

MIN_LENGTH = 8


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = files("ai_music.accounts").joinpath("common_passwords.txt").read_text()
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def check_new_password(password: str, *, username: str, email: str) -> None:
    """Raises BadRequest (400) saying why, when ``password`` may not be used."""
    if len(password) < MIN_LENGTH:
        raise BadRequest(f"Password must be at least {MIN_LENGTH} characters")
    folded = password.casefold()
    own = {username.casefold(), email.casefold(), email.partition("@")[0].casefold()}
    if folded in own:
        raise BadRequest("Password must not be your username or email")
    if len(set(password)) == 1:
        raise BadRequest("Password must not be one character repeated")
    if folded in common_passwords():
        raise BadRequest("This password is one of the most common; choose another")
