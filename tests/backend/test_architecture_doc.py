"""docs/ARCHITECTURE.md stays true: the README points at it (not outside the repository) and
every file or folder it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "ARCHITECTURE.md"


def test_the_readme_points_at_the_architecture_in_the_repository():
    readme = (ROOT / "README.md").read_text()
    assert "docs/ARCHITECTURE.md" in readme and "../shared" not in readme


def test_every_path_the_architecture_names_exists():
    text = DOC.read_text()
    named = set(re.findall(r"`((?:app|backend|graph_editor|tests|resources|docs)/[\w/.*<>-]+)`",
                           text))
    missing = sorted(p for p in named if "<" not in p and "*" not in p
                     and not (ROOT / p.rstrip("/")).exists())
    assert len(named) > 20 and missing == []
