"""The training dock: Data, Settings, Run and Evaluation tabs, and the runs of the open project.

Choice made visible: the graph stays editable during a run. The run trains a snapshot taken
at Train, so an edit cannot disturb it; the Run tab then shows a "graph changed" banner.
Each run is a backend `Run` with its own folder of checkpoints; the dock keeps the runs of
the open document only, and evaluation and exports always name the run they come from.
"""

from __future__ import annotations

import importlib

from netcanvas.app.dialogs import confirm
from netcanvas.app.settings import app_settings
from netcanvas.app.training import lr_dialog
from netcanvas.app.training.data_tab import DataTab
from netcanvas.app.training.export_dialogs import ExportActions
from netcanvas.app.training.lazy_tabs import LazyPage, LazyTabs
from netcanvas.app.training.memory_label import MemoryFitLabel
from netcanvas.app.training.settings_form import SettingsForm
from netcanvas.app.training.start_from import StartFrom
from netcanvas.app.training.worker import TrainingJob
from netcanvas.app.workers import Worker
from netcanvas.backend.runs import DataInfo, RunStore, project_key
from netcanvas.backend.settings import ALL_GPUS
from netcanvas.backend.training.events import Failed, InitReport, Started
from netcanvas.backend.workspace import Workspace
from PySide6.QtCore import QCoreApplication, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QScrollArea,
    QWidget,
)

STOP_TIMEOUT_MS = 2000
LET_GO_MS = 200  # closing or switching projects waits this long for a stopped run at most
RUNS_FOLDER_KEY = "runs/folder"


def ask_stop_run(parent: QWidget, label: str) -> bool:
    """Closing a project whose run is live: True to stop the run (its epochs are kept)."""
    return confirm(parent, "A run is in progress",
                   f"{label} is still training. Stop it and close the project? The epochs it "
                   "completed are kept in its run folder and can be resumed later.")


def ask_runs_folder(parent: QWidget, current: str) -> str | None:
    folder = QFileDialog.getExistingDirectory(parent, "Folder for run checkpoints", current)
    return folder or None


def runs_folder() -> str | None:
    """The folder the user picked for run checkpoints; None: the user data directory."""
    return app_settings().value(RUNS_FOLDER_KEY) or None


class TrainingDock(QDockWidget):
    run_started = Signal()
    run_ended = Signal(object)  # RunResult, or None when the data never loaded
    node_failed = Signal(str)  # id of the node a failure names
    stats_on_canvas = Signal(bool)  # the Layers tab's "Show on the canvas" was toggled
    refused = Signal(str)  # why Train did not start (the graph has errors): for the status bar
    shown_changed = Signal()  # another run (or none) is the shown one
    failure_shown = Signal(str, str)  # one line for the status bar, id of its node or ""
    # the tabs built when first shown or first used (see lazy_tabs.py and the _build_ methods)
    run_tab = LazyPage("Run")
    eval_tab = LazyPage("Evaluation")
    try_tab = LazyPage("Try it")
    experiments_tab = LazyPage("Experiments")
    fool_tab = LazyPage("Fool it")
    layers_tab = LazyPage("Layers")
    look_tab = LazyPage("Look inside")

    def __init__(self, parent: QWidget | None = None, document=None, workspace=None) -> None:
        super().__init__("Training", parent)
        self.setObjectName("training_dock")
        # what the tabs and the look-inside views follow: kept up to date here
        # (backend/workspace.py); the dock never pushes the shown run to them
        self.workspace = workspace if workspace is not None else Workspace()
        self.document = None
        self.thread: Worker | None = None  # runs `job`, the live run's TrainingJob
        self.job: TrainingJob | None = None
        self.store: RunStore | None = None  # the runs of the open document
        self.run = None  # the live run, while a thread trains it
        self.shown = None  # the run the Evaluation tab and the exports use
        self._run_graph = None

        self.train_action = self._action("Train", "F5", self.start_training,
                                         "Train a snapshot of the graph (F5)")
        self.pause_action = self._action("Pause", "F6", self.toggle_pause,
                                         "Pause or continue the run (F6)")
        self.stop_action = self._action("Stop", "Shift+F5", self.stop,
                                        "Stop the run after the current step; its completed "
                                        "epochs are kept (Shift+F5)")
        self.resume_action = self._action("Resume", "Ctrl+F5", self.resume_run,
                                          "Continue a stopped or interrupted run from its last "
                                          "checkpoint (Ctrl+F5)")
        self.exports = ExportActions(self, self.workspace)
        self.export_onnx_action = self._action(
            "Export ONNX…", "Ctrl+Shift+E", lambda: self.exports.open("onnx"),
            "Export the shown run's trained model to ONNX")
        self.save_weights_action = self._action(
            "Save Weights…", None, lambda: self.exports.open("weights"),
            "Save the shown run's weights as safetensors")
        self.export_python_action = self._action(
            "Export PyTorch Code…", None, lambda: self.exports.open("python"),
            "The graph the shown run trained, as a standalone .py file")
        self.export_untrained_python_action = self._action(
            "Export Current Graph (Untrained) as PyTorch Code…", None,
            lambda: self.exports.open("python", trained=False),
            "The graph on the canvas as a .py file: no run, no trained weights")
        self.export_untrained_onnx_action = self._action(
            "Export Current Graph (Untrained) to ONNX…", None,
            lambda: self.exports.open("onnx", trained=False),
            "The graph on the canvas with freshly initialised weights")
        self.runs_folder_action = self._action(
            "Runs Folder…", None, self.choose_runs_folder,
            "Where new runs keep their checkpoints (default: the user data folder)")

        self.data_tab = DataTab()
        self.settings_form = SettingsForm()
        self.memory_label = MemoryFitLabel.install(self.settings_form)
        ws = self.workspace
        self.lr_find_button = lr_dialog.install_button(self.settings_form, ws.dataset_for)
        self.diff_view = None  # the last RunDiffView opened
        self._selection = None  # (graph, node ids) selected on the canvas, for Look inside
        self.data_tab.dataset_loaded.connect(
            lambda ds: ws.update(dataset=ds, dataset_key=self.data_tab.loaded_key))
        settings_scroll = QScrollArea()
        settings_scroll.setWidgetResizable(True)
        settings_scroll.setWidget(self.settings_form)
        self.tabs = LazyTabs()
        self.tabs.addTab(self.data_tab, "Data")
        self.tabs.addTab(settings_scroll, "Settings")
        self.tabs.add_lazy("Run", self._build_run_tab)
        self.tabs.add_lazy("Evaluation", self._build_eval_tab)
        self.tabs.add_lazy("Try it", self._build_try_tab)
        self.tabs.add_lazy("Layers", self._build_layers_tab)
        self.tabs.add_lazy("Experiments", self._build_experiments_tab)
        self.tabs.add_lazy("Fool it", self._build_fool_tab)
        self.tabs.add_lazy("Look inside", self._build_look_tab)
        self.setWidget(self.tabs)
        self.start_from = StartFrom(self.settings_form, ws)

        self._handlers = {  # the run's lifecycle; the tabs follow the workspace's events
            Started: self._started,
            Failed: self._failed,
            InitReport: self.start_from.reported,
        }
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        # Import torch off the GUI thread (it takes seconds), so the first Train starts at once;
        # begun from the event loop, once the window is on screen: before, it competed with
        # building and showing the window for the CPU and the interpreter lock
        self._backend = Worker(importlib.import_module, "netcanvas.backend.training", parent=self,
                               disposable=True)
        QTimer.singleShot(0, self._backend.start)
        if document is not None:
            self.set_document(document)
        self._update_actions()

    # ---- the tabs built late: each takes the workspace's and the dock's state when built ----
    def _build_run_tab(self):
        from netcanvas.app.training.run_tab import RunTab

        tab = RunTab(self.train_action, self.pause_action, self.stop_action,
                     self.resume_action)
        tab.layout().insertWidget(2, self.start_from.report)
        tab.follow(self.workspace)
        self._show_histories(tab)
        return tab

    def _show_histories(self, run_tab) -> None:
        run_tab.reset()
        for run in self.store.runs if self.store is not None else ():
            run_tab.show_history(run)

    def _build_eval_tab(self):
        from netcanvas.app.training.eval_tab import EvalTab

        tab = EvalTab([self.export_onnx_action, self.save_weights_action,
                       self.export_python_action])
        tab.follow(self.workspace)
        tab.features.sample.valueChanged.connect(  # the Feature maps page's sample
            lambda index: self.workspace.update(sample=index))
        return tab

    def _build_try_tab(self):
        from netcanvas.app.training.try_tab import TryTab

        tab = TryTab()
        tab.follow(self.workspace)
        return tab

    def _build_layers_tab(self):
        from netcanvas.app.training.layers_tab import LayersTab

        tab = LayersTab()
        tab.canvas_toggled.connect(self.stats_on_canvas)
        tab.follow(self.workspace)
        return tab

    def _build_look_tab(self):
        from netcanvas.app.training.look_inside_tab import LookInsideTab

        tab = LookInsideTab(self.workspace.dataset_for)
        tab.field.drawing_of = lambda: self.try_tab.input
        if self.document is not None:
            tab.set_document(self.document)
        tab.follow(self.workspace)
        if self._selection is not None:
            tab.select_nodes(*self._selection)
        return tab

    def select_nodes(self, graph, node_ids: list[str]) -> None:
        """Nodes selected on the canvas: Look inside shows them, now or when it is built."""
        self._selection = (graph, node_ids)
        if (tab := self.tabs.built("Look inside")) is not None:
            tab.select_nodes(graph, node_ids)

    def _build_experiments_tab(self):
        from netcanvas.app.training.experiments_tab import ExperimentsTab

        tab = ExperimentsTab()
        tab.diff_requested.connect(self.show_diff)
        tab.set_runs(self.store.runs if self.store is not None else [])
        return tab

    def _list_runs(self) -> None:
        """The Experiments tab lists the store's runs anew, when it is built."""
        if (tab := self.tabs.built("Experiments")) is not None:
            tab.set_runs(self.store.runs)

    def _build_fool_tab(self):
        from netcanvas.app.training.fool_tab import FoolTab

        tab = FoolTab()
        tab.follow(self.workspace)
        return tab

    def _action(self, text: str, shortcut: str | None, slot, tip: str) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    # ---- the document ---------------------------------------------------------------
    def set_document(self, document) -> None:
        """Show another document: its dataset, settings and runs only. A live run was
        stopped first (see `confirm_close`); nothing of another project stays on screen."""
        if self.running:
            self._let_go()
        self.document = document
        self.data_tab.set_document(document)
        self.settings_form.set_document(document)
        self.memory_label.set_document(document)
        self._selection = None
        if (look_tab := self.tabs.built("Look inside")) is not None:
            look_tab.set_document(document)
        self.store = RunStore(project_key(document.path or document.example), runs_folder())
        self.workspace.update(project=document.project, runs=self.store)
        self.start_from.set_document(document)
        if (run_tab := self.tabs.built("Run")) is not None:
            self._show_histories(run_tab)
        self.show_run(self.store.latest_usable())
        self._list_runs()

    def document_saved(self) -> None:
        """A never-saved document got a file: its runs move to that file's run folder, so
        reopening the file shows them."""
        store = self.store
        if self.running or store is None or not store.folder.name.startswith("untitled-"):
            return
        target = store.folder.parent / project_key(self.document.path)
        if not store.folder.is_dir() or target.exists():
            return
        store.folder.rename(target)
        shown = self.shown.number if self.shown is not None else None
        self.store = RunStore(target.name, target.parent)
        self.workspace.update(runs=self.store)
        self._list_runs()
        self.show_run(next((r for r in self.store.runs if r.number == shown), None))

    def confirm_close(self) -> bool:
        """True when the document may close: no live run, or the user agreed to stop it."""
        if not self.running:
            return True
        if not ask_stop_run(self.window(), self.run.label):
            return False
        if self.running:  # the run may have ended while the question was open
            self._let_go()
        return True

    def _let_go(self) -> None:
        """Stop the live run for good, never waiting on a slow step: a thread that ends at
        once reports as usual; one still inside a step finishes on its own, its late events
        ignored (the window's close gives it a deadline), and its run is left "interrupted":
        resumable from its last checkpoint."""
        thread, run = self.thread, self.run
        self.job.cancel(keep=False)
        if thread.wait(LET_GO_MS):
            self._on_ended(thread.result, thread)
            return
        self.thread = self.job = self.run = None  # _on_ended ignores a thread it no longer holds
        self.workspace.update(job=None)
        self._watch_graph(None)
        run.status = "interrupted"
        run.save()
        thread.finished.connect(thread.deleteLater)
        self._update_actions()

    def show_run(self, run, **also) -> None:
        """The run the evaluation views and the exports use (None: no usable run): the
        workspace's shown run, which they follow; `also` other workspace fields that change
        with it, in the same update."""
        self.shown = run if run is not None and run.usable else None
        self.workspace.update(shown=self.shown, **also)  # Start from's marks follow it
        self._update_actions()
        self.shown_changed.emit()

    def show_diff(self, earlier, later) -> None:
        from netcanvas.app.training.diff_view import RunDiffView

        if self.diff_view is not None:  # one at a time
            self.diff_view.close()
            self.diff_view.deleteLater()
        self.diff_view = RunDiffView(earlier, later, self.window())
        self.diff_view.show()

    def choose_runs_folder(self) -> None:
        from netcanvas.backend.runs import runs_root

        folder = ask_runs_folder(self.window(), runs_folder() or str(runs_root()))
        if folder:
            app_settings().setValue(RUNS_FOLDER_KEY, folder)

    # ---- run control ----------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.thread is not None

    def start_training(self) -> None:
        if self.running or self.document is None:
            return
        errors = len(self.document.analysis.errors)
        if errors:  # refused before a run exists: the Problems panel says what to fix
            self.refused.emit(f"Cannot train yet: fix the {errors} problem"
                              f"{'s' * (errors != 1)} listed in Problems first.")
            return
        try:
            init_from = self.start_from.source()
        except ValueError as exc:  # InitError too: a missing or unreadable weights file
            self.failure_shown.emit(f"Start from: {exc}", "")
            return
        self._launch(self.store.new_run(self.document.project), resume=False,
                     init_from=init_from)

    def resume_run(self) -> None:
        """Continue the shown run from its last checkpoint, exactly as `netcanvas train
        --resume` does; its snapshot trains, whatever the canvas holds now."""
        run = self.shown
        if self.running or run is None or not run.can_resume:
            return
        run.resuming()
        self._launch(run, resume=True)

    def _launch(self, run, resume: bool, init_from=None) -> None:
        project = run.project
        dataset = self.workspace.dataset_for(project)
        every = self.layers_tab.prepare(len(project.graph.nodes))  # built now, as is
        self.tabs.page("Evaluation")  # Evaluation: both follow the run's events from its start
        job = TrainingJob(project, dataset, checkpoint_dir=run.checkpoint_dir,
                          resume_from=run.checkpoint_dir if resume else None,
                          layer_stats=every, tensorboard_dir=run.folder / "tensorboard",
                          init_from=init_from, label=f"run {run.number}")
        thread = Worker(lambda: job.run(thread.send), parent=self)
        thread.yielded.connect(self._on_events)
        thread.returned.connect(self._on_ended)
        self.thread, self.job, self.run = thread, job, run
        self.workspace.update(job=job)
        self._watch_graph(self.document.graph)
        self.run_tab.run_started(job.label, run.history if resume else None)
        self.tabs.setCurrentWidget(self.run_tab)
        self.pause_action.setText("Pause")
        self._update_actions()
        self._list_runs()
        self.run_started.emit()
        thread.start()

    def toggle_pause(self) -> None:
        if not self.running:
            return
        pausing = self.pause_action.text() == "Pause"
        if pausing:
            self.job.pause()
        else:
            self.job.resume()
        self.pause_action.setText("Continue" if pausing else "Pause")
        self.run_tab.paused(pausing)

    def stop(self) -> None:
        if self.running:
            self.job.cancel()

    def shutdown(self, timeout_ms: int = STOP_TIMEOUT_MS) -> bool:
        """Cancel a live run and wait for its thread; True when nothing is left running."""
        self.data_tab.shutdown()
        self.settings_form.shutdown()
        self.exports.shutdown()
        if (fool_tab := self.tabs.built("Fool it")) is not None:
            fool_tab.shutdown()
        if not self._backend.abandoned:
            self._backend.wait()
        thread = self.thread
        if thread is None:
            return True
        self.job.cancel(keep=False)
        return thread.wait(timeout_ms)

    def _update_actions(self) -> None:
        trained = self.shown is not None
        self.train_action.setEnabled(not self.running)
        # A run on every GPU trains in torchrun's processes, which do not pause.
        self.pause_action.setEnabled(self.running and self.run.project.training.device != ALL_GPUS)
        self.stop_action.setEnabled(self.running)
        self.resume_action.setEnabled(not self.running and trained and self.shown.can_resume)
        for action in (self.export_onnx_action, self.save_weights_action,
                       self.export_python_action):
            action.setEnabled(trained)

    # ---- the worker's payloads ---------------------------------------------------------
    def _on_events(self, events: list) -> None:
        if self.sender() is not self.thread:
            return  # a late payload of a run already ended
        for ev in events:
            self._on_event(ev)

    def _on_event(self, ev) -> None:
        handler = self._handlers.get(type(ev))
        if handler is not None:
            handler(ev)
        # the Run, Evaluation and Layers tabs, the canvas's statistics, the doctor
        self.workspace.publish("event", ev)

    def _started(self, ev) -> None:
        self.run.data = DataInfo.of(self.job.dataset)
        self.run.save()

    def _failed(self, ev) -> None:
        message = self.run_tab.failed(ev)
        graph = self._run_graph  # the graph the run was taken from, if still watched
        node = graph.by_name(ev.node) if ev.node and graph is not None else None
        self.failure_shown.emit(message, node.id if node is not None else "")
        if node is not None:
            self.node_failed.emit(node.id)
        self.tabs.setCurrentWidget(self.run_tab)

    def _on_ended(self, result, thread=None) -> None:
        thread = thread or self.sender()
        if thread is not self.thread or thread is None:
            return  # a run already ended (stopped when its project closed)
        thread.wait()
        run, self.thread, self.job, self.run = self.run, None, None, None
        self._watch_graph(None)
        if result is None:  # the data never loaded
            run.status, run.message = "failed", "the data could not be loaded"
            run.save()
        else:
            run.ended(result)
        self.run_tab.ended(result, run)
        # the views that waited for the run show the shown run again, even when it is the
        # same (a failed run; a resumed run, with new weights): it is told again
        self.show_run(run if run.usable else self.shown, job=None, renewed=("shown",))
        self._list_runs()
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
