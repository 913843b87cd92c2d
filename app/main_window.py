"""The main window: canvas in the centre, palette, inspector, problems and code in docks."""

from __future__ import annotations

import atexit
import json
import time
from pathlib import Path

from netcanvas.app.actions import WindowActions
from netcanvas.app.block_nav import BlockNavigator, Breadcrumb
from netcanvas.app.blocks import BlockEditing
from netcanvas.app.code_panel import CodePanel
from netcanvas.app.doctor_watch import DoctorWatch
from netcanvas.app.document import Document
from netcanvas.app.files import SUFFIX, FileController
from netcanvas.app.icons import app_icon
from netcanvas.app.importing import import_model
from netcanvas.app.insight_view import InsightController
from netcanvas.app.inspector import InspectorPanel
from netcanvas.app.node_kinds import node_kinds
from netcanvas.app.output_hover import OutputHover
from netcanvas.app.palette import PalettePanel
from netcanvas.app.problems import ProblemsPanel
from netcanvas.app.quick_fixes import QuickFixes
from netcanvas.app.receptive_lens import ReceptiveFields
from netcanvas.app.settings import app_settings
from netcanvas.app.status import StatusPanel
from netcanvas.app.summary_table import SummaryTablePanel
from netcanvas.app.training.dock import TrainingDock
from netcanvas.app.window_layout import STATE_VERSION, DockLayout
from netcanvas.app.workers import Worker
from netcanvas.backend.catalogue import sample_shape
from netcanvas.backend.doctor import DataFacts
from netcanvas.backend.workspace import Workspace
from netcanvas.graph_editor.scene import GraphScene
from netcanvas.graph_editor.style import Style
from netcanvas.graph_editor.view import GraphView
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QThread, QTimer
from PySide6.QtGui import QAction, QPalette, QUndoGroup
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from netcanvas import __version__

CLOSE_SECONDS = 2.0  # the longest closing the window may take
# ... of which threads get this share to end (counted from the start of the close): on a
# loaded machine the rest of the close (saving the layout, hiding the window) takes the
# remainder, so the whole close stays within CLOSE_SECONDS (bench/close_under_load.py).
THREADS_SHARE = 0.5

READABLE_ZOOM = 0.8  # the canvas fades edge shapes out below this zoom ...
FIT_ZOOM = 0.65  # ... but a graph that fits whole at this zoom is better seen whole
WIDTH_ZOOM = 0.7  # ... and one whose rows fit across at this zoom opens at its first rows
MARGIN = 40.0
PALETTE_EVENTS = (QEvent.PaletteChange, QEvent.ApplicationPaletteChange)
DOCK_CHROME = 60  # a dock's title bar and frames around its contents, generously
RUN_SHARE = 0.45  # of the window's height for the training dock while a run is live


class EmptyHintLabel(QLabel):
    """A hint centred on an empty canvas: where layers come from."""

    def __init__(self, view: GraphView, graph) -> None:
        super().__init__("Drag layers here from the palette,\nor press Tab to search for one.",
                         view.viewport())
        self.setAlignment(Qt.AlignCenter)
        self.setAttribute(Qt.WA_TransparentForMouseEvents)
        pal = self.palette()
        self.setForegroundRole(QPalette.WindowText)  # not Text, as inside a viewport
        pal.setColor(QPalette.WindowText, Style.from_palette(pal).muted)
        self.setPalette(pal)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.setFont(font)
        self.graph = graph
        graph.changed.connect(self.update_visibility)
        view.viewport().installEventFilter(self)
        self.update_visibility()

    def update_visibility(self) -> None:
        self.setVisible(not self.graph.nodes)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Resize:
            self.setGeometry(obj.rect())
        return False


class MainWindow(QMainWindow):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.AnimatedDocks | QMainWindow.AllowTabbedDocks)
        self.setCorner(Qt.BottomLeftCorner, Qt.LeftDockWidgetArea)  # side docks run full height
        self.setCorner(Qt.BottomRightCorner, Qt.RightDockWidgetArea)
        self.document: Document | None = None
        self.scene: GraphScene | None = None
        self.view: GraphView | None = None
        self.undo_group = QUndoGroup(self)
        # One central widget for the window's life: replacing it (a view per document) made
        # QMainWindow re-divide the window, squashing the canvas under the bottom dock.
        self.canvas_host = QWidget()
        host = QVBoxLayout(self.canvas_host)
        host.setContentsMargins(0, 0, 0, 0)
        host.setSpacing(0)
        self.breadcrumb = Breadcrumb()
        host.addWidget(self.breadcrumb)
        self.setCentralWidget(self.canvas_host)
        self.navigator = BlockNavigator(self, self.breadcrumb, make_canvas=self.make_canvas,
                                        show_level=self.show_level, opens=BlockEditing.opens)
        self.palette_panel = PalettePanel()
        self.blocks = BlockEditing(navigator=self.navigator, palette=self.palette_panel,
                                   show_message=self.statusBar().showMessage)
        self.palette_panel.layer_activated.connect(self.add_layer_at_center)
        self.palette_panel.block_activated.connect(lambda payload: self.blocks.drop(payload))
        self.blocks.refresh_palette()
        self.inspector = InspectorPanel()
        self.inspector.block_opened.connect(lambda node_id: self.navigator.open(node_id))
        self.inspector.block_made_unique.connect(lambda node_id: self.blocks.make_unique(node_id))
        self.problems = ProblemsPanel()
        self.problems.node_activated.connect(self.go_to_node)
        self.problems.count_changed.connect(self._problem_count)
        self.quick_fixes = QuickFixes(self, self.statusBar().showMessage)
        self.problems.fixes_requested.connect(self.quick_fixes.popup)
        self.code_panel = CodePanel()
        self.summary = SummaryTablePanel()
        self.summary.node_activated.connect(self.go_to_node)
        self.palette_dock = self._dock("Layers", self.palette_panel, Qt.LeftDockWidgetArea)
        self.inspector_dock = self._dock("Inspector", self.inspector, Qt.RightDockWidgetArea)
        self.code_dock = self._dock("Code", self.code_panel, Qt.RightDockWidgetArea)
        self.problems_dock = self._dock("Problems", self.problems, Qt.BottomDockWidgetArea)
        self.code_dock.hide()
        self.code_dock.visibilityChanged.connect(self._code_visibility)
        self.workspace = Workspace()  # the project, its runs, dataset, job, chosen sample
        self.training_dock = self._install_training_dock()
        self.summary_dock = self._dock("Summary", self.summary, Qt.BottomDockWidgetArea)
        self.receptive = ReceptiveFields(lambda: self.document)
        self.summary.receptive = self.receptive
        self.output_hover = OutputHover(lambda: self.training_dock.look_tab.outputs)
        self.doctor_watch = DoctorWatch(self.workspace, lambda: self.document,
                                        lambda: self.scene, self)
        self.tabifyDockWidget(self.problems_dock, self.summary_dock)
        self.problems_dock.raise_()
        self.dock_layout = DockLayout(self, self.docks(), self.code_dock, self.inspector_dock)

        self.files = FileController(
            self, show_document=self.set_document, confirm_close=self.training_dock.confirm_close,
            document_saved=self.training_dock.document_saved,
            show_message=self.statusBar().showMessage)
        self.actions = WindowActions(
            self.menuBar(), files=self.files, undo_group=self.undo_group,
            scene=lambda: self.scene, view=lambda: self.view, blocks=self.blocks,
            quick_fix=lambda: self.quick_fixes.popup_for_selection(),
            training_dock=self.training_dock, code_dock=self.code_dock,
            panels=[d for d in self.docks() if d is not self.code_dock],
            all_actions=lambda: self.findChildren(QAction),
            import_model=lambda: import_model(self.files),
            close=self.close, auto_layout=self.auto_layout, go_up=self.go_up,
            set_snap_to_grid=self.set_snap_to_grid, reset_layout=self.dock_layout.reset,
            about=self.show_about)
        self.addToolBar(self.actions.toolbar)
        dock = self.training_dock  # the Circuit toggle, live layer statistics:
        self.insight = InsightController(
            self.workspace, self, menu=self.actions.view_menu, toolbar=self.actions.toolbar,
            show_message=self.statusBar().showMessage,
            on_canvas=lambda: dock.layers_tab.on_canvas.isChecked(),
            canvas_toggled=dock.stats_on_canvas)
        self.status = StatusPanel(self.statusBar(), self.show_problems)
        self.set_document(Document())
        self.resize(1440, 900)
        self._sized = False  # a saved layout was restored
        self._shown = False

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._shown:
            return
        self._shown = True
        if not self._sized:  # once, after layout; a restored state overrides it
            self.dock_layout.apply_defaults()
        QTimer.singleShot(0, self, self.dock_layout.settled)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.dock_layout.window_resized()

    def _dock(self, title: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.lower() + "_dock")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _install_training_dock(self) -> QDockWidget:
        """The training panel (app/training/) shares the bottom area with the problems."""
        dock = TrainingDock(self, workspace=self.workspace)
        # Scrollable, so the bottom area can stay low while designing; a run makes it tall.
        scroll = QScrollArea(widgetResizable=True, frameShape=QScrollArea.NoFrame)
        scroll.setWidget(dock.widget())
        dock.setWidget(scroll)
        dock.run_started.connect(self._training_started)
        dock.failure_shown.connect(lambda text, node_id: self.status.show_message(text, node_id))
        dock.start_from.marks_changed.connect(  # edit and continue: on the top-level canvas
            lambda marks: self.navigator.levels and self.navigator.levels[0].scene.set_marks(marks))
        dock.node_failed.connect(self.go_to_node)
        dock.refused.connect(lambda text: (self.status.show_message(text), self.show_problems()))
        self.workspace.subscribe(  # what the doctor knows of the data
            "dataset", lambda ds: self.document.set_data_facts(DataFacts.of(ds)))
        # the batch size feeds the summary's memory column and the batchnorm-batch-1 rule
        dock.settings_form.changed.connect(lambda _name: self.document.refresh())
        self.addDockWidget(Qt.BottomDockWidgetArea, dock)
        self.tabifyDockWidget(self.problems_dock, dock)
        self.problems_dock.raise_()
        return dock

    def _training_started(self) -> None:
        """Bring the training dock forward, tall enough for readable plots."""
        dock = self.training_dock
        dock.show()
        dock.raise_()
        wanted = max(dock.widget().widget().minimumSizeHint().height() + DOCK_CHROME,
                     int(self.height() * RUN_SHARE))
        if dock.height() < wanted:
            self.dock_layout.keep("bottom", wanted)
            # the canvas got shorter: frame the graph again once the docks are laid out
            QTimer.singleShot(0, self, self.frame_all)

    def docks(self) -> list[QDockWidget]:
        return [self.palette_dock, self.inspector_dock, self.problems_dock, self.training_dock,
                self.summary_dock, self.code_dock]

    # ---- the document ------------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        """Show another document: a fresh scene and view, every panel rewired."""
        old, old_scene = self.document, self.scene
        if old_scene is not None:
            self.navigator.go_to(0)
            old_scene = self.scene
            old_scene.detach()
            old.graph.changed.disconnect(self.empty_hint.update_visibility)
        document.setParent(self)
        self.document = document
        self.quick_fixes.set_document(document)
        self.files.set_document(document)
        self.blocks.set_document(document)
        self.undo_group.addStack(document.undo_stack)
        self.undo_group.setActiveStack(document.undo_stack)
        document.undo_stack.indexChanged.connect(self.navigator.check)
        self.status.clear_message()  # about the previous document
        old_view = self.view
        self.inspector.set_document(document)
        scene, view = self.make_canvas(document.graph)
        self.empty_hint = EmptyHintLabel(view, document.graph)
        if old_view is not None:
            old_view.hide()
            old_view.deleteLater()
        document.analysis_changed.connect(self._analysis_changed)
        document.title_changed.connect(self.setWindowTitle)
        document.graph.changed.connect(self.code_panel.schedule)
        self.code_panel.set_project(document.project)
        self.navigator.reset(self.blocks.top_label(), scene, view)
        self._analysis_changed(document.analysis)
        self.setWindowTitle(document.title)
        if old is not None:
            self.undo_group.removeStack(old.undo_stack)
            old.deleteLater()
        if old_scene is not None:
            old_scene.deleteLater()
        QTimer.singleShot(0, self.frame_all)
        self.training_dock.set_document(document)
        self.insight.set_scene(scene, document.graph)

    def make_canvas(self, graph) -> tuple[GraphScene, GraphView]:
        """A scene and view of `graph` (the top level or a block's inner graph), wired to
        the panels; the navigator shows one at a time."""
        scene = GraphScene(self.document, self, graph=graph, kinds=node_kinds())
        scene.snap_to_grid = self.actions.snap.isChecked()
        scene.node_hint = self.receptive.lines
        scene.node_picture = self.output_hover.html
        scene.selection_changed_nodes.connect(
            lambda ids, g=graph: self.training_dock.select_nodes(g, ids))
        scene.new_node_params = self._new_node_params
        scene.selection_changed_nodes.connect(self.inspector.set_nodes)
        scene.edit_rejected.connect(lambda msg: self.statusBar().showMessage(msg, 6000))
        scene.node_context_menu.connect(self.quick_fixes.popup)
        scene.node_opened.connect(self.navigator.open)
        scene.block_dropped.connect(self.blocks.drop)
        view = GraphView(scene)
        view.addActions(self.actions.canvas_actions)
        self.canvas_host.layout().addWidget(view)
        return scene, view

    def show_level(self, level) -> None:
        """Make `level`'s canvas the current one (the navigator calls this)."""
        self.scene, self.view = level.scene, level.view
        self.quick_fixes.set_canvas(level.scene, level.view)
        self.blocks.set_canvas(level.scene, level.view)
        ran, analysis = self.blocks.level_analysis()
        self.inspector.set_graph(level.scene.graph, analysis, ran)
        level.scene.set_analysis(analysis)
        if ran is not None:
            level.scene.show_params_of(ran)
        self.actions.go_up.setEnabled(self.navigator.depth > 0)
        level.view.show()
        level.view.setFocus()
        if level.node_id is not None and not level.view.property("framed"):
            level.view.setProperty("framed", True)  # a block opens framed, once
            QTimer.singleShot(0, self.frame_all)

    def go_up(self) -> None:
        """Escape inside a block: the quick-add popup closes, or a wire being drawn is
        cancelled, first; else up a level."""
        if self.view.quick_add.isVisible():  # the popup is the view's child: its Escape
            self.view.quick_add.hide()
        elif self.scene.wiring.origin is not None:
            self.scene.wiring.cancel()
        else:
            self.navigator.up()

    def _analysis_changed(self, analysis) -> None:
        ran, level = self.blocks.level_analysis()
        self.scene.set_analysis(level)
        if ran is not None:  # inside a block: its cards show the values the instance runs
            self.scene.show_params_of(ran)
        self.inspector.set_analysis(level, ran)
        self.problems.set_analysis(analysis, self.document.graph, self.document.findings)
        self.status.set_analysis(analysis)
        self.summary.set_document(self.document)

    def _problem_count(self, errors: int, warnings: int) -> None:
        total = errors + warnings
        self.problems_dock.setWindowTitle(f"Problems ({total})" if total else "Problems")

    def frame_all(self) -> None:
        """Fit the graph in the view; a graph too tall to read whole but whose rows fit across
        opens fitted to its width at its first rows; one too big either way opens at a
        readable zoom on its input end instead of as an unreadable strip."""
        if self.view is None or not self.scene.graph.nodes:
            return
        view, rect = self.view, self.scene.nodes_rect()
        port = view.viewport().rect()
        fit = min(port.width() / (rect.width() + 2 * MARGIN),
                  port.height() / (rect.height() + 2 * MARGIN))
        if fit >= FIT_ZOOM:
            view.frame(rect)
            return
        across = port.width() / (rect.width() + 2 * MARGIN)
        if across >= WIDTH_ZOOM:
            zoom = min(1.0, across)
            view.resetTransform()
            view.scale(zoom, zoom)
            view.centerOn(QPointF(rect.center().x(),
                                  rect.top() - MARGIN + port.height() / zoom / 2))
            return
        view.resetTransform()
        view.scale(READABLE_ZOOM, READABLE_ZOOM)
        width, height = port.width() / READABLE_ZOOM, port.height() / READABLE_ZOOM
        strip = QRectF(rect.left() - MARGIN, rect.top(), width, rect.height())
        ids = [nid for nid, _ in self.scene.cards.query(strip)]
        shown = self.scene.nodes_rect(ids)
        y = (shown.center().y() if shown.height() + 2 * MARGIN <= height
             else shown.top() - MARGIN + height / 2)
        view.centerOn(QPointF(strip.left() + width / 2, y))

    # ---- canvas helpers -------------------------------------------------------------
    def add_layer_at_center(self, type_id: str) -> str | None:
        center = self.view.mapToScene(self.view.viewport().rect().center())
        node_id = self.scene.add_layer(type_id, center)
        self.view.setFocus()
        return node_id

    def _new_node_params(self, type_id: str) -> dict:
        """A new Input takes one sample's shape of the project's dataset, when it is known."""
        if type_id != "input":
            return {}
        project = self.document.project
        loaded = self.workspace.dataset_for(project)
        shape = (loaded.sample_shape if loaded is not None
                 else sample_shape(project.dataset.name, project.dataset.options))
        return {"shape": tuple(shape)} if shape else {}

    def auto_layout(self) -> None:
        """Lay the graph out in rows that fit the view's shape, then show it: the layout may
        move it out of sight."""
        port = self.view.viewport().rect() if self.view is not None else None
        self.scene.auto_layout(port.width() / max(port.height(), 1) if port else None)
        self.frame_all()

    def go_to_node(self, node_id: str) -> None:
        if node_id in self.document.graph.nodes:  # a problem of the top level
            self.navigator.go_to(0)
        if self.scene.node_item(node_id) is None:
            return
        self.scene.select_nodes([node_id])
        self.view.frame_selection_or_all()

    def show_problems(self) -> None:
        self.problems_dock.show()
        self.problems_dock.raise_()

    def set_snap_to_grid(self, on: bool) -> None:
        self.scene.snap_to_grid = on

    def _code_visibility(self, visible: bool) -> None:
        if visible:
            self.code_panel.schedule()

    def show_about(self) -> None:
        QMessageBox.about(self, "About NetCanvas",
                          f"<h3>NetCanvas {__version__}</h3><p>Design neural networks by drag "
                          "and drop, train them live and export them to ONNX or PyTorch.</p>")

    def install_geometry_dump(self, path: Path) -> None:
        """The end-to-end tests' window geometry file (app/testing_hooks.py)."""
        from netcanvas.app.testing_hooks import GeometryDump  # test-only: not loaded at start

        self._geometry_dump = GeometryDump(
            path, palette_panel=self.palette_panel, training_dock=self.training_dock,
            scene=lambda: self.scene, view=lambda: self.view,
            changed=[self.undo_group.indexChanged, self.undo_group.activeStackChanged,
                     self.training_dock.run_started, self.training_dock.run_ended])

    # ---- window state, drops and closing ------------------------------------------------
    def restore_state(self) -> None:
        """Bring back the last session's layout; the first run keeps the default dock sizes."""
        settings = app_settings()
        geometry, state = settings.value("window/geometry"), settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self._sized = self.restoreState(state, STATE_VERSION)
        sizes = settings.value("window/dock_sizes")
        if self._sized and sizes:
            self.dock_layout.preferred = {k: int(v) for k, v in json.loads(sizes).items()}

    def save_state(self) -> None:
        settings = app_settings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState(STATE_VERSION))
        settings.setValue("window/dock_sizes", json.dumps(self.dock_layout.preferred))

    def dragEnterEvent(self, event) -> None:
        if _project_urls(event.mimeData()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        if _project_urls(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = _project_urls(event.mimeData())
        if paths:
            event.acceptProposedAction()
            QTimer.singleShot(0, lambda: self.files.open_path(paths[0]))

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in PALETTE_EVENTS and self.scene is not None:
            self.scene.restyle()
            self.palette_panel.restyle()
            self.actions.refresh_icons()

    def closeEvent(self, event) -> None:
        """Closing takes at most CLOSE_SECONDS whatever a training step is doing: a run is
        cancelled, helper threads get until the deadline, and any still busy are left to
        end with the process. The recovery file goes last, once the rest went well."""
        if not self.files.maybe_save():
            event.ignore()
            return
        deadline = time.monotonic() + CLOSE_SECONDS * THREADS_SHARE
        self.files.autosave_timer.stop()
        self.save_state()
        self.training_dock.stop()  # a live run stops at its next step
        threads = self.findChildren(QThread)
        for thread in threads:
            if isinstance(thread, Worker):
                thread.cancel()
        busy = [t for t in threads if t.isRunning() and getattr(t, "disposable", False)]
        busy += [t for t in threads if t not in busy
                 and not t.wait(max(0, int((deadline - time.monotonic()) * 1000)))]
        if busy:
            abandon(busy)
        else:
            self.training_dock.shutdown()  # nothing is running: returns at once
        self.files.discard_recovery()
        event.accept()


# Threads still busy when their window closed: kept referenced (a QThread destroyed while
# running aborts the process) until the process ends without waiting for them.
_ABANDONED: list[QThread] = []


def abandon(threads: list[QThread]) -> None:
    for thread in threads:
        thread.setParent(None)
        thread.abandoned = True  # its owner's shutdown no longer waits for it
        thread.blockSignals(True)  # and what it hands back reaches no closed window
        _ABANDONED.append(thread)


@atexit.register
def wait_for_abandoned() -> None:
    """Where the process ends normally (the app ends with os._exit instead), let busy
    threads finish: a cancelled run stops after its step, an import completes."""
    for thread in _ABANDONED:
        try:
            thread.wait()
        except RuntimeError:  # already ended and deleted
            pass


def threads_left_running() -> bool:
    def running(thread: QThread) -> bool:
        try:
            return thread.isRunning()
        except RuntimeError:  # already ended and deleted
            return False

    return any(running(t) for t in _ABANDONED)


def _project_urls(mime) -> list[Path]:
    if not mime.hasUrls():
        return []
    return [Path(u.toLocalFile()) for u in mime.urls()
            if u.isLocalFile() and u.toLocalFile().endswith(SUFFIX)]
