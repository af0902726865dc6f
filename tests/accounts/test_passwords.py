"""The bundled common-password list is what its header says: zxcvbn's 10,000 commonest."""

from __future__ import annotations

from importlib.resources import files

from zxcvbn.frequency_lists import FREQUENCY_LISTS

from ai_music.accounts.passwords import common_passwords


def test_the_bundled_list_is_the_head_of_zxcvbns_password_list() -> None:
    lines = files("ai_music.accounts").joinpath("common_passwords.txt").read_text().splitlines()
    bundled = [line for line in lines if line and not line.startswith("#")]
    assert bundled == FREQUENCY_LISTS["passwords"][:10_000]
    assert common_passwords() == frozenset(bundled)
