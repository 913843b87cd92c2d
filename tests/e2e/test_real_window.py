"""The installed `netcanvas` in a real X11 window (Xvfb), driven like a user with xdotool.

A layer is dragged from the palette onto the canvas through Qt's real QDrag/XDND path (which
offscreen tests cannot reach), wired by dragging from an output port to its input port, and
saved with Ctrl+S; the saved file must hold the node where it was dropped and the new wire.
Widget positions come from the app's own geometry dump (app/testing_hooks.py), not guesses.
"""

from __future__ import annotations

import importlib.resources
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from netcanvas.backend.registry import get
from netcanvas.graph_editor.node_item import card_size
from xvfb_helpers import Mouse, grab_screen, read_json, stop, wait_for, x_display  # noqa: F401

EXAMPLE = "mlp_moons"  # a short chain in one row: empty canvas above and below it
LAYER = "linear"
STARTUP_S = 60  # generous bounds on waits that normally take well under a second
STEP_S = 60  # a save on a loaded machine; the wait ends when the file is written
# One Qt pixel must be one X pixel, or the dumped positions miss under xdotool.
SCALING_VARS = ("QT_SCALE_FACTOR", "QT_SCREEN_SCALE_FACTORS", "QT_AUTO_SCREEN_SCALE_FACTOR",
                "QT_SCALE_FACTOR_ROUNDING_POLICY", "QT_FONT_DPI")


def netcanvas() -> list[str]:
    """The console script of the environment under test (the installed entry point)."""
    script = Path(sys.executable).parent / "netcanvas"
    return [str(script)] if script.exists() else [sys.executable, "-m", "netcanvas"]


@dataclass
class RunningApp:
    proc: subprocess.Popen
    project: Path
    dump: Path
    log: Path
    mouse: Mouse

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            pytest.fail(f"netcanvas exited ({self.proc.returncode}):\n{self.log.read_text()}")

    def geometry(self, accept=lambda g: True, what: str = "the window geometry") -> dict:
        """The newest geometry dump that satisfies `accept`."""
        def ready():
            self.check_alive()
            data = read_json(self.dump)
            return data if data is not None and accept(data) else None
        return wait_for(ready, STARTUP_S, what)


@contextmanager
def running_app(display: str, tmp_path: Path, project: Path, **env_extra: str):
    """`netcanvas PROJECT` on the virtual screen with its settings, recovery and runtime
    folders under tmp_path; stopped on exit."""
    env = {k: v for k, v in os.environ.items() if k not in SCALING_VARS}
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", QT_ENABLE_HIGHDPI_SCALING="0",
               NETCANVAS_TEST_GEOMETRY_DUMP=str(tmp_path / "geometry.json"),
               NETCANVAS_CONFIG_DIR=str(tmp_path / "config"),
               NETCANVAS_RECOVERY_DIR=str(tmp_path / "recovery"),
               XDG_RUNTIME_DIR=str(tmp_path), OMP_NUM_THREADS="2", **env_extra)
    log = tmp_path / "app.log"
    with log.open("w") as out:
        proc = subprocess.Popen([*netcanvas(), str(project)], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        yield RunningApp(proc, project, tmp_path / "geometry.json", log, Mouse(display))
    finally:
        stop(proc)


@pytest.fixture
def app(x_display, tmp_path):
    """`netcanvas COPY_OF_EXAMPLE` on the virtual screen; the screen is grabbed to
    tmp_path/screen.png at the end, pass or fail, before the app is stopped."""
    project = tmp_path / f"{EXAMPLE}.netcanvas"
    examples = importlib.resources.files("netcanvas.resources") / "examples"
    shutil.copyfile(str(examples / f"{EXAMPLE}.netcanvas"), project)
    with running_app(x_display, tmp_path, project) as running:
        try:
            yield running
        finally:
            grab_screen(x_display, tmp_path / "screen.png")
            print(f"screen: {tmp_path / 'screen.png'}")


def _rect_distance(point, rect) -> float:
    x, y, w, h = rect
    dx = max(x - point[0], 0, point[0] - (x + w))
    dy = max(y - point[1], 0, point[1] - (y + h))
    return (dx * dx + dy * dy) ** 0.5


def emptiest_canvas_point(geometry: dict) -> tuple[int, int]:
    """A point of the visible canvas as far as possible from every card."""
    x, y, w, h = geometry["canvas"]["global"]
    cards = [n["card"] for n in geometry["nodes"].values()]
    candidates = [(x + w * i // 8, y + h * j // 6) for i in range(1, 8) for j in range(1, 6)]
    return max(candidates, key=lambda p: min(_rect_distance(p, c) for c in cards))


def to_scene(geometry: dict, point) -> tuple[float, float]:
    canvas = geometry["canvas"]
    gx, gy = canvas["global"][:2]
    (sx, sy), zoom = canvas["scene_origin"], canvas["zoom"]
    return sx + (point[0] - gx) / zoom, sy + (point[1] - gy) / zoom


def test_drag_layer_wire_it_and_save_in_a_real_window(app):
    original = read_json(app.project)["graph"]
    input_id = next(n["id"] for n in original["nodes"] if n["type"] == "input")
    start = app.geometry(lambda g: input_id in g["nodes"] and LAYER in g["palette"])
    x, y, w, h = start["palette"][LAYER]
    grip = (x + min(40, w // 2), y + h // 2)  # on the row's label
    drop = emptiest_canvas_point(start)

    app.mouse.drag(grip, drop)  # palette -> canvas through QDrag
    dropped = app.geometry(lambda g: len(g["nodes"]) == len(original["nodes"]) + 1,
                           "the dropped layer's card")
    (new_id,) = set(dropped["nodes"]) - {n["id"] for n in original["nodes"]}
    cx, cy, cw, ch = dropped["nodes"][new_id]["card"]
    assert abs(cx + cw / 2 - drop[0]) <= 2 and abs(cy + ch / 2 - drop[1]) <= 2, \
        f"card {dropped['nodes'][new_id]['card']} is not centred on the drop point {drop}"

    app.mouse.drag(dropped["nodes"][input_id]["outputs"]["y"],
                   dropped["nodes"][new_id]["inputs"]["x"])  # output port -> input port
    app.mouse.keys_to_window(start["window_id"], "ctrl+s")  # X delivers it after the drag

    def saved_with_new_node():
        data = read_json(app.project)
        return data if data and new_id in {n["id"] for n in data["graph"]["nodes"]} else None
    saved = wait_for(saved_with_new_node, STEP_S, "Ctrl+S to save the project")["graph"]

    nodes = {n["id"]: n for n in saved["nodes"]}
    assert set(nodes) == {n["id"] for n in original["nodes"]} | {new_id}
    assert nodes[new_id]["type"] == LAYER
    width, height = card_size(get(LAYER))
    drop_x, drop_y = to_scene(start, drop)
    px, py = nodes[new_id]["position"]
    tolerance = 2 / start["canvas"]["zoom"] + 1  # a pixel or two of rounding either way
    assert abs(px + width / 2 - drop_x) <= tolerance and abs(py + height / 2 - drop_y) \
        <= tolerance, f"saved at {(px, py)}, dropped at scene {(drop_x, drop_y)}"
    wire = {"src": input_id, "src_port": "y", "dst": new_id, "dst_port": "x"}
    assert wire in saved["edges"]
    assert len(saved["edges"]) == len(original["edges"]) + 1
    app.check_alive()
    assert "Traceback" not in app.log.read_text(), app.log.read_text()
