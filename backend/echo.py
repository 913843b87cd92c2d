"""How a user's value is echoed in a message: its repr, cut to a readable length.

A file can hold a 50 MB string or a 400-digit number; an error message that quotes it
must stay one readable line, so every message that shows a value from a file uses `brief`.
"""

from __future__ import annotations

import reprlib

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60
_REPR.maxlong = 30
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = 6
_REPR.maxlevel = 3


def brief(value: object) -> str:
    """repr(value), with long strings, numbers and containers elided in the middle."""
    return _REPR.repr(value)


def cut(text: str, limit: int = 300) -> str:
    """`text` on one line, shortened in the middle to at most about `limit` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]} … {text[-half:]}"
