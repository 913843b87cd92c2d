"""Where an import may write (issue 29): never over the file it reads, never over an existing
project or its weights unless the user said so (`--force`, or yes in the app's question)."""

from __future__ import annotations

import os
from pathlib import Path

from netcanvas.backend.importer.save import weights_path


class TargetError(ValueError):
    """An output the import must not write; the message names it."""


def _same(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def outputs(out: str | os.PathLike, has_weights: bool) -> list[Path]:
    """The files an import to `out` writes: the project, and its weights when there are any."""
    out = Path(out)
    return [out, weights_path(out)] if has_weights else [out]


def check_targets(source: str | os.PathLike, out: str | os.PathLike, has_weights: bool,
                  force: bool = False) -> list[Path]:
    """The files the import would replace (empty when none exist); TargetError when an
    output is the input itself, or exists and `force` is not given."""
    source = Path(source)
    written = outputs(out, has_weights)
    for path in written:
        if _same(path, source) or path.resolve() == source.resolve():
            raise TargetError(f"{path} is the file being imported: choose another output")
        if path.is_dir():
            raise TargetError(f"{path} is a folder")
    existing = [p for p in written if p.exists() or p.is_symlink()]
    if existing and not force:
        raise TargetError(f"{existing[0]} exists: pass --force to replace it")
    return existing
