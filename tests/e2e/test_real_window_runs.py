"""A run's lifecycle in a real X11 window (Xvfb + xdotool), as a user drives it: F5 trains the
MLP-on-moons copy, a click and Delete edit the graph, Ctrl+S saves it, Ctrl+Shift+E exports the
run to ONNX (the dialog names the run and says the graph changed), Ctrl+O opens another
project, whose window must show none of the first project's runs.

Screenshots of each step go to tmp_path (and to docs/ with NETCANVAS_E2E_SCREENSHOTS=1).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import onnx
import pytest
from test_real_window import STARTUP_S, RunningApp, running_app
from xvfb_helpers import grab_screen, read_json, wait_for, x_display  # noqa: F401

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"
EXPORT_S = 120  # exporting and verifying in ONNX Runtime on a loaded 2-core machine
DOCS = Path(__file__).parents[2] / "docs"


def _copy(name: str, folder: Path, epochs: int) -> Path:
    doc = json.loads((EXAMPLES / f"{name}.netcanvas").read_text())
    doc["training"]["epochs"] = epochs
    path = folder / f"{name}.netcanvas"
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture
def session(x_display, tmp_path):
    projects = tmp_path / "projects"
    projects.mkdir()
    moons = _copy("mlp_moons", projects, epochs=3)
    _copy("linear_regression", projects, epochs=2)
    home = tmp_path / "home"
    home.mkdir()
    with running_app(x_display, tmp_path, moons, NETCANVAS_DATA_DIR=str(tmp_path / "data"),
                     HOME=str(home)) as running:
        yield running


def _screenshot(app: RunningApp, name: str) -> None:
    display = app.mouse.env["DISPLAY"]
    path = app.dump.parent / name
    assert grab_screen(display, path)
    if os.environ.get("NETCANVAS_E2E_SCREENSHOTS"):
        shutil.copyfile(path, DOCS / name)


def _window_named(app: RunningApp, title: str) -> str:
    def found():
        app.check_alive()
        out = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", title],
                             env=app.mouse.env, capture_output=True, text=True,
                             check=False).stdout.split()
        return out[-1] if out else None
    return wait_for(found, STARTUP_S, f"the “{title}” window")


def test_train_edit_export_and_open_another_project(session, tmp_path):
    app = session
    original = read_json(app.project)["graph"]
    start = app.geometry(lambda g: len(g["nodes"]) == len(original["nodes"]))
    window = start["window_id"]

    app.mouse.keys_to_window(window, "F5")
    trained = app.geometry(lambda g: g["training"]["shown"] is not None
                           and not g["training"]["running"], "the run to finish (F5)")
    run_label = trained["training"]["shown"]
    assert run_label.startswith("run 1, epoch ") and "val acc" in run_label
    assert trained["training"]["plotted"] == ["run 1"]
    _screenshot(app, "runs-trained.png")

    relu = next(n for n in original["nodes"] if n["name"] == "relu1")
    x, y, w, _h = trained["nodes"][relu["id"]]["card"]  # the dock grew: cards moved
    app.mouse.xdo("mousemove", x + w // 2, y + 8, "click", 1)  # on the card's header
    app.mouse.keys_to_window(window, "Delete")
    app.geometry(lambda g: relu["id"] not in g["nodes"], "Delete to remove relu1")
    app.mouse.keys_to_window(window, "ctrl+s")
    wait_for(lambda: relu["id"] not in {n["id"] for n in read_json(app.project)["graph"]
                                        ["nodes"]} or None, STARTUP_S, "Ctrl+S")

    app.mouse.keys_to_window(window, "ctrl+shift+e")
    dialog = _window_named(app, "Export to ONNX")
    time.sleep(1.0)  # let it paint before the screenshot
    _screenshot(app, "runs-export-dialog.png")
    app.mouse.keys_to_window(dialog, "Return")
    onnx_path = app.project.parent / "model.onnx"  # dialogs start in the last folder used
    wait_for(lambda: onnx_path.is_file() and onnx_path.stat().st_size > 0 or None, EXPORT_S,
             "the ONNX file")
    time.sleep(1.0)
    _screenshot(app, "runs-exported.png")
    model = wait_for(lambda: _loaded(onnx_path), EXPORT_S, "a complete ONNX file")
    relus = [n for n in model.graph.node if n.op_type == "Relu"]
    assert len(relus) == 2, "the file must hold the graph run 1 trained (two ReLUs)"
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["netcanvas_source"] == run_label
    assert json.loads(meta["class_labels"]) == ["0", "1"]
    assert meta["input_normalization"].startswith("baked in")
    app.mouse.keys_to_window(dialog, "Escape")

    app.mouse.keys_to_window(window, "ctrl+o")
    opener = _window_named(app, "Open project")
    other = app.project.parent / "linear_regression.netcanvas"
    app.mouse.xdo("windowfocus", "--sync", opener)
    app.mouse.xdo("key", "--clearmodifiers", "ctrl+a")
    app.mouse.xdo("type", "--delay", "20", str(other))
    app.mouse.xdo("key", "Return")
    opened = app.geometry(lambda g: "linear_regression" in g["title"],
                          "the other project to open (Ctrl+O)")
    assert opened["training"]["plotted"] == [] and opened["training"]["shown"] is None
    assert opened["training"]["eval_metrics"].startswith("Train a model")
    assert not opened["training"]["failure_banner"]
    time.sleep(1.0)
    _screenshot(app, "runs-other-project.png")

    run_json = next((tmp_path / "data" / "runs").glob("mlp_moons-*/run-001/run.json"))
    saved = json.loads(run_json.read_text())
    assert saved["status"] == "finished" and len(saved["history"]) == 3
    app.check_alive()
    assert "Traceback" not in app.log.read_text(), app.log.read_text()


def _loaded(path: Path):
    try:
        return onnx.load(str(path))
    except Exception:  # noqa: BLE001 - still being written
        return None
