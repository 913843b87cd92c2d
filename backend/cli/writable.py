"""Whether a command can write its output, asked before the work rather than after it
(issue 29: `lr-find --csv /nowhere/x.csv` used to fail with a traceback after the whole run).
The answer comes from trying, so it holds for root, read-only mounts and ACLs alike."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from netcanvas.backend.cli.common import UsageError


def check_writable_file(path: str | os.PathLike) -> None:
    """UsageError naming `path` when a file cannot be written there."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"cannot write {path}: it is a folder")
    if not path.parent.is_dir():
        raise UsageError(f"cannot write {path}: no such folder")
    _try_create(path.parent, path)


def check_writable_folder(path: str | os.PathLike) -> None:
    """UsageError naming `path` when it cannot be created (with its parents) or written in.
    A folder made by the check stays: the command writes into it next."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"cannot write into {path}: it is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the folder {path}: {exc.strerror or exc}") from None
    _try_create(path, path)


def _try_create(folder: Path, named: Path) -> None:
    probe = folder / f".netcanvas-write-test-{uuid.uuid4().hex[:8]}"
    try:
        probe.open("x").close()
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"cannot write {named}: {exc.strerror or exc}") from None
