"""`netcanvas` as the GUI entry point: screenshots, the default example, bad input, start-up."""

from __future__ import annotations

import os
import subprocess
import sys

from netcanvas.app import launch
from netcanvas.app.files import examples
from PySide6.QtGui import QImage
from test_app_support import *  # fixtures: window, isolated
from test_app_support import mlp_project


def test_screenshot_of_a_file(isolated):
    from netcanvas.backend.project_io import save_project

    path = isolated / "mlp.netcanvas"
    save_project(mlp_project(), path)
    out = isolated / "shots" / "mlp.png"
    assert launch.main(["--screenshot", str(out), str(path)]) == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == launch.SCREENSHOT_SIZE
    assert len({image.pixel(x, y) for x in range(0, 1600, 40) for y in range(0, 1000, 40)}) > 8


def test_no_file_opens_the_default_example(isolated, monkeypatch):
    seen = {}

    def capture(window, path):
        seen["title"], seen["nodes"] = window.windowTitle(), len(window.document.graph.nodes)
        return True

    monkeypatch.setattr(launch, "save_screenshot", capture)
    assert launch.main(["--screenshot", str(isolated / "x.png")]) == 0
    if any(p.stem == "lenet_digits" for p in examples()):
        assert seen["title"].startswith("LeNet on digits (example)") and seen["nodes"] > 5
    else:
        assert seen["nodes"] == 0


def test_bad_input_gives_one_clear_line(isolated, capsys):
    assert launch.main(["--screenshot", str(isolated / "x.png"), str(isolated / "nope")]) == 2
    assert "no such file" in capsys.readouterr().err
    broken = isolated / "broken.netcanvas"
    broken.write_text('{"format_version": 1, "graph": {"nodes": 3}}')
    assert launch.main(["--screenshot", str(isolated / "y.png"), str(broken)]) == 1
    err = capsys.readouterr().err
    assert "broken.netcanvas could not be opened" in err and not (isolated / "y.png").exists()
    assert launch.main(["--no-such-option"]) == 2


HEAVY = ("torch", "sklearn", "captum", "matplotlib", "optuna", "onnx", "onnxruntime", "scipy")
# Workers the window starts (the example's data load) import torch meanwhile, as they should,
# and how far they get depends on the machine's load: so what is checked is which heavy
# packages an import on the GUI thread asked for, not what the process holds.
SHOW_THE_WINDOW = """
import builtins
import os
import sys
import threading
HEAVY = set(sys.argv[1:])
asked_on_gui_thread = set()

def note(name):
    root = name.split('.')[0]
    if root in HEAVY and threading.current_thread() is threading.main_thread():
        asked_on_gui_thread.add(root)

class FirstImports:  # a first import, however it is asked for
    def find_spec(self, name, path=None, target=None):
        note(name)

def statements(name, globals=None, locals=None, fromlist=(), level=0, real=builtins.__import__):
    if level == 0:  # also one a worker is still loading (the GUI thread would wait for it)
        note(name)
    return real(name, globals, locals, fromlist, level)

sys.meta_path.insert(0, FirstImports())
builtins.__import__ = statements
from PySide6.QtWidgets import QApplication
app = QApplication([])
from netcanvas.app.files import DEFAULT_EXAMPLE, examples
from netcanvas.app.main_window import MainWindow
window = MainWindow()
for path in examples():
    if path.stem == DEFAULT_EXAMPLE:
        window.files.open_path(path, prompt=False, example=True)
window.show()
app.processEvents()
window.frame_all()
app.processEvents()
print(sorted(asked_on_gui_thread), flush=True)
os._exit(0)  # as the app ends: not waiting for the data it started loading
"""


def test_the_window_shows_before_torch_or_any_heavy_library_is_imported(isolated):
    """Built, holding the default example and shown: nothing that takes seconds to import
    has been imported on the GUI thread (the window would wait for it)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", SHOW_THE_WINDOW, *HEAVY], capture_output=True,
                         text=True, check=True, env=env, timeout=300)
    assert out.stdout.strip().splitlines()[-1] == "[]"

