"""The main window assembles; it is not a service locator: no controller or view of app/
takes the main window or keeps it, each is handed what it uses (issue 22). So does the
training dock: none of its parts (app/training/) takes the dock or keeps it."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re

import netcanvas.app
from netcanvas.app.main_window import MainWindow
from netcanvas.app.training.dock import TrainingDock
from netcanvas.app.window_layout import DockLayout
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QWidget
from test_app_support import *  # fixtures: window, isolated

WINDOW_NAMES = {"window", "main_window", "main", "mainwindow"}


DOCK_NAMES = {"dock", "training_dock"}


def app_classes(package=netcanvas.app, skip=MainWindow):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and cls is not skip:
                yield cls


def constructors_taking(classes, names: set[str], cls_name: str) -> list[str]:
    offenders = []
    for cls in classes:
        init = cls.__dict__.get("__init__")
        if init is None:
            continue
        for param in inspect.signature(init).parameters.values():
            if param.name in names or re.search(rf"\b{cls_name}\b", str(param.annotation)):
                offenders.append(f"{cls.__module__}.{cls.__qualname__}({param.name})")
    return offenders


def test_no_constructor_in_app_takes_the_main_window():
    offenders = constructors_taking(app_classes(), WINDOW_NAMES, "MainWindow")
    assert not offenders, f"constructors that take the main window: {offenders}"


def test_no_part_of_the_training_dock_takes_the_dock(window):
    """Its tabs, Start from, the exports: each is handed the widgets, actions and workspace
    it uses. The exports keep the dock only as their dialogs' parent widget."""
    import netcanvas.app.training

    offenders = constructors_taking(app_classes(netcanvas.app.training, TrainingDock),
                                    DOCK_NAMES, "TrainingDock")
    assert not offenders, f"constructors that take the training dock: {offenders}"
    dock = window.training_dock
    keeping = [f"{name}.{attr}" for name, obj in vars(dock).items()
               if type(obj).__module__.startswith("netcanvas.app") and not isinstance(obj, QWidget)
               for attr, value in vars(obj).items() if value is dock and attr != "parent"]
    assert not keeping, f"parts of the dock that keep it: {keeping}"


def test_no_controller_of_the_window_keeps_the_window(window):
    """Each object the window holds that is not a widget (its controllers) keeps what it was
    handed, never the window. DockLayout lays out the docks of a QMainWindow (any: see the
    next test), so it alone holds the window, as that host."""
    held = {}
    for name, value in vars(window).items():
        if type(value).__module__.startswith("netcanvas.app") and not isinstance(value, QWidget):
            held[name] = value
    assert {"actions", "files", "dock_layout", "insight", "navigator", "blocks",
            "quick_fixes"} <= set(held)
    keeping = [f"{name}.{attr}" for name, obj in held.items()
               for attr, value in vars(obj).items() if value is window
               and not (isinstance(obj, DockLayout) and attr == "host")]
    assert not keeping, f"controllers that keep the main window: {keeping}"


def test_dock_layout_works_on_a_plain_main_window(qtbot):
    host = QMainWindow()
    qtbot.addWidget(host)
    host.setCentralWidget(QLabel("canvas"))
    docks = []
    for title, area in (("left", Qt.LeftDockWidgetArea), ("inspector", Qt.RightDockWidgetArea),
                        ("code", Qt.RightDockWidgetArea), ("bottom", Qt.BottomDockWidgetArea)):
        dock = QDockWidget(title, host)
        dock.setObjectName(title)
        dock.setWidget(QLabel(title))
        host.addDockWidget(area, dock)
        docks.append(dock)
    docks[2].hide()
    layout = DockLayout(host, docks, code_dock=docks[2], inspector_dock=docks[1])
    host.resize(1200, 800)
    host.show()
    qtbot.waitExposed(host)
    layout.apply_defaults()
    assert abs(docks[0].width() - 200) <= 4 and abs(docks[1].width() - 280) <= 4
    docks[0].resize(50, docks[0].height())
    layout.keep("left", 260)
    assert abs(docks[0].width() - 260) <= 4 and layout.preferred["left"] == 260


def test_the_geometry_dump_follows_the_current_canvas(window, qtbot, tmp_path):
    """The end-to-end tests' geometry file (app/testing_hooks.py) is made by the window
    from what it hands the dump, and follows a new document's canvas."""
    path = tmp_path / "geometry.json"
    window.show()
    qtbot.waitExposed(window)
    window.install_geometry_dump(path)
    qtbot.waitUntil(path.exists, timeout=10_000)
    first = json.loads(path.read_text())
    assert first["window_id"] == int(window.winId())
    assert set(first["nodes"]) == set(window.scene.node_items())
    assert "linear" in first["palette"] and first["training"]["running"] is False
    window.files.new()
    node_id = window.add_layer_at_center("linear")
    qtbot.waitUntil(lambda: list(json.loads(path.read_text())["nodes"]) == [node_id],
                    timeout=10_000)
    dump = json.loads(path.read_text())
    assert dump["seq"] > first["seq"] and dump["title"] == window.windowTitle()
