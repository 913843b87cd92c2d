"""How `netcanvas desktop` writes in the user's folders (issue 29): never through a symbolic
link (a link at a launcher's path would otherwise get another file overwritten), and the
user's mimeapps.list byte for byte as it was apart from our line, whatever its encoding."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from netcanvas.backend.cli.common import UsageError


def replace_file(path: Path, data: bytes) -> None:
    """Write `data` to a temp file beside `path` and rename it over `path`: a symlink at
    `path` is replaced by the file itself, its target left untouched."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def refuse_link(path: Path) -> None:
    """A file of the user's own that is a link is left alone, and the command refused."""
    if path.is_symlink():
        raise UsageError(f"{path} is a symbolic link (to {os.readlink(path)}); NetCanvas "
                         "does not write through links: edit that file yourself or replace "
                         "the link by a file")


def read_lines(path: Path) -> list[str]:
    """A text file's lines, bytes that are not UTF-8 kept as surrogates (see write_lines)."""
    if not path.exists():
        return []
    return path.read_bytes().decode("utf-8", "surrogateescape").splitlines()


def write_lines(path: Path, lines: list[str]) -> None:
    replace_file(path, ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape"))


def remove(path: Path) -> bool:
    """Remove a file or a link (never what it points at); whether there was one."""
    if path.is_symlink() or path.exists():
        path.unlink()
        return True
    return False
