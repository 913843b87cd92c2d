"""The training dock: Data, Settings, Run and Evaluation tabs, and the lifecycle of one run.

Choice made visible: the graph stays editable during a run. The run trains a snapshot taken
at Train, so an edit cannot disturb it; the Run tab then shows a "graph changed" banner.
"""

from __future__ import annotations

from netcanvas.backend.training.events import EpochEnded, Evaluated, Failed, Started, Steps
from PySide6.QtCore import QCoreApplication, QThread, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QScrollArea, QTabWidget, QWidget

from .data_tab import DataTab, config_key
from .eval_tab import EvalTab
from .run_tab import RunTab
from .memory_label import MemoryFitLabel
from .settings_form import SettingsForm
from .worker import BoundaryUpdated, DataProgress, Predictions, TrainingThread, snapshot

STOP_TIMEOUT_MS = 2000


class _BackendImport(QThread):
    """Import torch and the data catalogue off the GUI thread (it takes seconds)."""

    ready = Signal(dict)

    def run(self) -> None:
        from netcanvas.backend.training import Trainer  # noqa: F401  (warm: Train starts at once)
        from netcanvas.backend.data import DATASETS

        self.ready.emit(dict(DATASETS))


class TrainingDock(QDockWidget):
    run_started = Signal()
    run_ended = Signal(object)  # RunResult, or None when the data never loaded
    node_failed = Signal(str)  # id of the node a failure names

    def __init__(self, parent: QWidget | None = None, document=None) -> None:
        super().__init__("Training", parent)
        self.setObjectName("training_dock")
        self.document = None
        self.thread: TrainingThread | None = None
        self.result = None  # the last successful RunResult
        self._run_graph = None
        self._run_count = 0

        self.train_action = self._action("Train", "F5", self.start_training,
                                         "Train a snapshot of the graph (F5)")
        self.pause_action = self._action("Pause", "F6", self.toggle_pause,
                                         "Pause or resume the run (F6)")
        self.stop_action = self._action("Stop", "Shift+F5", self.stop,
                                        "Stop the run after the current step (Shift+F5)")

        self.data_tab = DataTab()
        self.settings_form = SettingsForm()
        self.memory_label = MemoryFitLabel.install(self.settings_form)
        self.run_tab = RunTab(self.train_action, self.pause_action, self.stop_action)
        self.eval_tab = EvalTab()
        settings_scroll = QScrollArea()
        settings_scroll.setWidgetResizable(True)
        settings_scroll.setWidget(self.settings_form)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.data_tab, "Data")
        self.tabs.addTab(settings_scroll, "Settings")
        self.tabs.addTab(self.run_tab, "Run")
        self.tabs.addTab(self.eval_tab, "Evaluation")
        self.setWidget(self.tabs)

        self._handlers = {  # what to do with each kind of event the worker sends
            Steps: lambda ev, _ds: self.run_tab.steps(ev),
            EpochEnded: lambda ev, _ds: self.run_tab.epoch_ended(ev),
            Started: self._started,
            Evaluated: self.eval_tab.evaluated,
            Failed: lambda ev, _ds: self._failed(ev),
            DataProgress: lambda ev, _ds: self.run_tab.data_progress(ev),
            BoundaryUpdated: self.eval_tab.boundary,
            Predictions: self.eval_tab.predictions,
        }
        if isinstance(parent, QMainWindow):
            self.node_failed.connect(lambda node_id: parent.go_to_node(node_id)
                                     if hasattr(parent, "go_to_node") else None)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self._backend = _BackendImport(self)
        self._backend.ready.connect(self.data_tab.set_catalogue)
        self._backend.start()
        if document is not None:
            self.set_document(document)
        self._update_actions()

    def _action(self, text: str, shortcut: str, slot, tip: str) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    # ---- the document ---------------------------------------------------------------
    def set_document(self, document) -> None:
        """Edit another document's dataset and settings; a live run keeps its snapshot."""
        self.document = document
        self.data_tab.set_document(document)
        self.settings_form.set_document(document)
        self.memory_label.set_document(document)

    # ---- run control ----------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.thread is not None

    def start_training(self) -> None:
        if self.running or self.document is None:
            return
        project = snapshot(self.document.project)
        dataset = (self.data_tab.dataset
                   if self.data_tab.loaded_key == config_key(project.dataset) else None)
        thread = TrainingThread(project, dataset, self)
        thread.events.connect(self._on_events)
        thread.ended.connect(self._on_ended)
        self.thread = thread
        self._run_count += 1
        self._watch_graph(self.document.graph)
        self.run_tab.run_started(f"run {self._run_count}")
        self.eval_tab.run_started()
        self.tabs.setCurrentWidget(self.run_tab)
        self.pause_action.setText("Pause")
        self._update_actions()
        self.run_started.emit()
        thread.start()

    def toggle_pause(self) -> None:
        if not self.running:
            return
        pausing = self.pause_action.text() == "Pause"
        if pausing:
            self.thread.pause()
        else:
            self.thread.resume()
        self.pause_action.setText("Resume" if pausing else "Pause")
        self.run_tab.paused(pausing)

    def stop(self) -> None:
        if self.running:
            self.thread.cancel()

    def shutdown(self, timeout_ms: int = STOP_TIMEOUT_MS) -> bool:
        """Cancel a live run and wait for its thread; True when nothing is left running."""
        self.data_tab.shutdown()
        self.settings_form.shutdown()
        self.eval_tab.shutdown()
        self._backend.wait()
        thread = self.thread
        if thread is None:
            return True
        thread.cancel()
        return thread.wait(timeout_ms)

    def _update_actions(self) -> None:
        self.train_action.setEnabled(not self.running)
        self.pause_action.setEnabled(self.running)
        self.stop_action.setEnabled(self.running)

    # ---- the worker's payloads ---------------------------------------------------------
    def _on_events(self, events: list) -> None:
        if self.sender() is not self.thread:
            return  # a late payload of a run already ended
        for ev in events:
            self._on_event(ev)

    def _on_event(self, ev) -> None:
        handler = self._handlers.get(type(ev))
        if handler is not None:
            handler(ev, self.thread.dataset)

    def _started(self, ev, dataset) -> None:
        self.run_tab.started(ev, dataset.task)
        self.eval_tab.prepare(dataset)

    def _failed(self, ev) -> None:
        message = self.run_tab.failed(ev)
        window = self.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(message, 15000)
        graph = self._run_graph  # the graph the run was taken from, if still watched
        node = graph.by_name(ev.node) if ev.node and graph is not None else None
        if node is not None:
            self.node_failed.emit(node.id)
        self.tabs.setCurrentWidget(self.run_tab)

    def _on_ended(self, result) -> None:
        thread = self.thread
        if self.sender() is not thread:
            return
        thread.wait()
        self.thread = None
        self._watch_graph(None)
        self.run_tab.ended(result)
        if result is not None and result.failed is None and not result.cancelled:
            self.result = result
            self.eval_tab.set_model(result.model)
        self._update_actions()
        self.run_ended.emit(result)
        thread.deleteLater()

    # ---- stale runs -----------------------------------------------------------------
    def _watch_graph(self, graph) -> None:
        if self._run_graph is not None:
            self._run_graph.changed.disconnect(self._graph_changed)
        self._run_graph = graph
        if graph is not None:
            graph.changed.connect(self._graph_changed)

    def _graph_changed(self) -> None:
        self.run_tab.set_stale(True)
