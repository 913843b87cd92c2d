"""`netcanvas` as the GUI entry point: screenshots, the default example, bad input, start-up."""

from __future__ import annotations

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
        assert seen["title"].startswith("Lenet digits (example)") and seen["nodes"] > 5
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


def test_start_up_imports_no_torch_on_the_gui_thread():
    code = ("import sys; import netcanvas.app.launch, netcanvas.app.main_window, "
            "netcanvas.app.training.dock; print(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('torch', 'sklearn')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"

