"""A block expansion bomb (issue 29 item 1) opened in the app, as a project or in the
user's block library: refused at once with the count, the app goes on, nothing freezes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from netcanvas.app import files
from test_app_support import *  # fixtures: window, isolated

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))
from fuzz_corpus import block_bomb


def test_a_bomb_project_is_refused_with_its_count_and_the_document_kept(window, isolated,
                                                                       monkeypatch):
    path = isolated / "bomb.netcanvas"
    path.write_text(json.dumps(block_bomb(40)))
    shown = []
    monkeypatch.setattr(files, "show_error", lambda parent, title, text: shown.append(text))
    before = window.document
    assert window.files.open_path(path, prompt=False) is False
    assert window.document is before
    assert len(shown) == 1 and "nodes once its blocks are unfolded" in shown[0]
    assert "163,838" in shown[0]  # the count, from the definitions, not from unfolding


def test_a_bomb_in_the_block_library_leaves_the_palette_usable(window, isolated, monkeypatch):
    monkeypatch.setenv("NETCANVAS_DATA_DIR", str(isolated / "data"))
    (isolated / "data").mkdir()
    library = {"blocks": block_bomb(40)["blocks"]}
    (isolated / "data" / "blocks.json").write_text(json.dumps(library))
    window.blocks.refresh_palette()
    assert "block library cannot be read" in window.statusBar().currentMessage()
    assert "nodes once its blocks are unfolded" in window.statusBar().currentMessage()
    assert window.palette_panel.block_item("VGGBlock") is not None  # the built-in ones stay
