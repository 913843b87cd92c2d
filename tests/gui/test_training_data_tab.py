"""The Data tab: options stored in the project's DatasetConfig, a threaded preview load, and a
download with progress and cancel (against a slow local HTTP server, no internet needed)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from netcanvas.app.main_window import abandon
from netcanvas.app.training.data_tab import DataTab
from netcanvas.backend.project import DatasetConfig
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication

LOAD_TIMEOUT_MS = 60_000


@pytest.fixture
def tab(qtbot):
    def make(config):
        widget = DataTab(config)
        qtbot.addWidget(widget)
        widget.show()
        return widget

    made = []
    yield lambda config: made.append(make(config)) or made[-1]
    for widget in made:
        widget.shutdown()


def test_choosing_a_dataset_and_its_options_edits_the_config_and_previews(qtbot, tab):
    config = DatasetConfig()
    data = tab(config)
    with qtbot.waitSignal(data.changed):
        data.combo.setCurrentIndex(data.combo.findData("blobs"))
    assert config.name == "blobs" and set(data.option_widgets) >= {"n_samples", "classes"}
    with qtbot.waitSignal(data.dataset_loaded, timeout=LOAD_TIMEOUT_MS) as loaded:
        data.option_widgets["classes"].setValue(4)
    assert config.options == {"classes": 4}
    assert loaded.args[0].num_classes == 4
    assert "4 classes" in data.summary.text()
    assert data.preview.currentWidget() is data.scatter
    assert len(data.scatter.getPlotItem().listDataItems()) == 4  # one colour per class
    assert not data.form.isRowVisible(data.crop)  # image augmentation: not for points


def test_a_load_that_ends_as_its_window_closes_reaches_no_deleted_widget():
    # The load hands back its result just as the window closes: the close finds it still
    # running and abandons it (it outlives the tab), its result already queued for the GUI
    # thread. Delivered after the tab is deleted, it must touch nothing (this flaked the GUI
    # suite: "Internal C++ object (QProgressBar) already deleted").
    data = DataTab(DatasetConfig(name="blobs"))
    data.load()
    thread = data._thread
    assert thread.wait(LOAD_TIMEOUT_MS)
    abandon([thread])
    data.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    QApplication.processEvents()


class _SlowFile(BaseHTTPRequestHandler):
    """Ten megabytes, a trickle at a time: a download that is still running when cancelled."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(10 << 20))
        self.end_headers()
        try:
            for _ in range(160):
                self.wfile.write(b"\0" * (64 << 10))
                self.wfile.flush()
                threading.Event().wait(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


def test_a_download_shows_progress_and_can_be_cancelled(qtbot, tab, tmp_path, monkeypatch):
    monkeypatch.setenv("NETCANVAS_DATA_DIR", str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowFile)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        data = tab(DatasetConfig(name="mnist", options={"base_url": base}))
        assert data.load_button.text() == "Download and load"
        data.load_button.click()
        qtbot.waitUntil(lambda: data.progress.value() > 0, timeout=LOAD_TIMEOUT_MS)
        assert data.cancel_button.isVisible() and "MNIST" in data.progress.format()
        data.cancel_button.click()
        qtbot.waitUntil(lambda: not data.progress.isVisible(), timeout=LOAD_TIMEOUT_MS)
        assert "cancelled" in data.summary.text()
        assert data.dataset is None
        assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # nothing half-written
    finally:
        server.shutdown()


def test_the_dataset_list_is_complete_the_moment_the_window_exists(qtbot):
    """The catalogue is plain data: no waiting for torch to import before it is listed."""
    from netcanvas.app.main_window import MainWindow
    from netcanvas.backend.catalogue import DATASETS

    window = MainWindow()
    qtbot.addWidget(window)
    combo = window.training_dock.data_tab.combo
    listed = {combo.itemData(i) for i in range(combo.count())} - {None}
    assert listed == set(DATASETS)
    window.training_dock.shutdown()


def test_the_pending_auto_load_leaves_a_load_of_the_same_data_running(qtbot, tab, monkeypatch):
    # Shown, the tab arms its auto-load; a load of the same data starts before it fires (the
    # window opening a project, the user's Load). When the moment comes on a loaded machine,
    # that load is still running: it carries on, not cancelled and started again (which
    # left two loads to cancel on close and flaked test_quit under load).
    from netcanvas.backend.data import DatasetError

    started, release, loads = threading.Event(), threading.Event(), []

    def held(config, progress=None, cancel=None):
        loads.append(config.name)
        started.set()
        release.wait(60)
        raise DatasetError("released")

    monkeypatch.setattr("netcanvas.backend.data.load_dataset", held)
    data = tab(DatasetConfig(name="blobs"))
    assert data._reload_timer.isActive()
    data.load()
    first = data._thread
    qtbot.waitUntil(started.is_set)
    qtbot.waitUntil(lambda: not data._reload_timer.isActive())  # the auto-load's moment came
    assert data._thread is first and not first.cancelled
    release.set()
    qtbot.waitUntil(lambda: data._thread is None)
    assert loads == ["blobs"] and "released" in data.summary.text()
