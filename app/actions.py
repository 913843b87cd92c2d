"""Menus, toolbar and shortcuts of the main window.

Canvas actions (delete, copy, frame, ...) are scoped to the canvas widget so the same keys
keep working normally in the inspector's text fields and the palette's search box.
"""

from __future__ import annotations

from netcanvas.app.files import example_title, examples
from netcanvas.app.icons import theme_icon
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QMessageBox, QToolBar


def _action(parent, text: str, slot, shortcut=None, icon: str | None = None,
            tip: str | None = None) -> QAction:
    action = QAction(text, parent)
    if shortcut is not None:
        keys = shortcut if isinstance(shortcut, list) else [shortcut]
        action.setShortcuts([QKeySequence(k) for k in keys])
    if icon:
        action.setIcon(theme_icon(icon))
        action.setProperty("icon_name", icon)
    if tip:
        action.setStatusTip(tip)
    action.triggered.connect(lambda *_: slot())
    return action


class WindowActions:
    """Builds every action once, the menus in `menu_bar` and the main toolbar (`toolbar`, for
    the window to add); `canvas` ones are re-attached to each new canvas view.

    It is handed what its actions act on: the file controller, the undo group, the current
    canvas (`scene()`, `view()`), the block editing, the training dock's run actions, the
    docks for the Panels menu, and callbacks for what only the window does (close, auto-layout,
    Escape inside a block, snapping, Reset Layout, About, Import). `all_actions()` lists every
    action of the window, for the shortcuts table."""

    def __init__(self, menu_bar: QMenuBar, *, files, undo_group, scene, view, blocks,
                 quick_fix, training_dock, code_dock, panels, all_actions, import_model,
                 close, auto_layout, go_up, set_snap_to_grid, reset_layout, about) -> None:
        w = self._bar = menu_bar  # the actions' parent, and the shortcuts dialog's
        self._files, self._all_actions = files, all_actions
        self.new = _action(w, "&New", files.new, QKeySequence.New, "document-new")
        self.open = _action(w, "&Open…", files.open, QKeySequence.Open, "document-open")
        self.import_model = _action(w, "&Import…", import_model, "Ctrl+I",
                                    tip="Import an ONNX file or a PyTorch nn.Module class")
        self.save = _action(w, "&Save", files.save, QKeySequence.Save, "document-save")
        self.save_as = _action(w, "Save &As…", files.save_as, "Ctrl+Shift+S", "document-save-as")
        self.quit = _action(w, "&Quit", close, "Ctrl+Q")
        self.undo = undo_group.createUndoAction(w, "&Undo")
        self.undo.setShortcut(QKeySequence.Undo)
        self.undo.setProperty("icon_name", "edit-undo")
        self.redo = undo_group.createRedoAction(w, "&Redo")
        self.redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo.setProperty("icon_name", "edit-redo")
        # The toolbar's own Undo/Redo keep a fixed label ("Undo Add Linear" would shift every
        # button after them); what they undo is in their tooltip.
        group = undo_group
        self.undo_button = self._fixed_label(w, "Undo", "edit-undo", group.undo,
                                             group.canUndoChanged, group.undoTextChanged)
        self.redo_button = self._fixed_label(w, "Redo", "edit-redo", group.redo,
                                             group.canRedoChanged, group.redoTextChanged)
        canvas = scene  # the scene changes with the document and the block shown
        self.cut = _action(w, "Cu&t", lambda: canvas().cut_selection(), QKeySequence.Cut)
        self.copy = _action(w, "&Copy", lambda: canvas().copy_selection(), QKeySequence.Copy)
        self.paste = _action(w, "&Paste", lambda: canvas().paste(view().cursor_scene_pos()),
                             QKeySequence.Paste)
        self.duplicate = _action(w, "D&uplicate", lambda: canvas().duplicate_selection(), "Ctrl+D")
        self.delete = _action(w, "&Delete", lambda: canvas().delete_selection(),
                              [QKeySequence.Delete, "Backspace"], "edit-delete")
        self.select_all = _action(w, "Select &All", lambda: canvas().select_all(),
                                  QKeySequence.SelectAll)
        self.quick_add = _action(w, "&Quick Add Layer…", lambda: view().open_quick_add(), "Tab",
                                 tip="Search for a layer and add it at the mouse")
        self.frame = _action(w, "&Frame Selection or All", lambda: view().frame_selection_or_all(),
                             "F", "zoom-fit-best")
        self.frame.setIconText("Frame")
        self.reset_zoom = _action(w, "&Reset Zoom", lambda: view().reset_zoom(), "Ctrl+0")
        self.zoom_in = _action(w, "Zoom &In", lambda: view().zoom_by(1.25), QKeySequence.ZoomIn)
        self.zoom_out = _action(w, "Zoom &Out", lambda: view().zoom_by(0.8), QKeySequence.ZoomOut)
        self.auto_layout = _action(w, "Auto-&Layout", auto_layout, "Ctrl+L",
                                   "view-grid", "Arrange the graph in layers, left to right")
        self.quick_fix = _action(w, "Quick &Fix…", quick_fix, "Ctrl+.",
                                 tip="Fixes for the selected node's problems")
        self.group = _action(w, "&Group into Block", blocks.group, "Ctrl+G",
                             tip="Make the selected nodes one block")
        self.ungroup = _action(w, "U&ngroup Block", blocks.ungroup, "Ctrl+Shift+G",
                               tip="Put the selected block's nodes back in its place")
        self.make_unique = _action(w, "Make Block &Unique", blocks.make_unique,
                                   tip="Give the selected block its own copy of its definition")
        self.save_block = _action(w, "Save Block to &Library…", blocks.save_to_library,
                                  tip="Keep the selected block in your library of blocks")
        self.go_up = _action(w, "Close Block", go_up, "Escape",
                             tip="Back to the graph that holds this block")
        self.go_up.setEnabled(False)
        self.snap = _action(w, "&Snap to Grid", lambda: None)
        self.snap.setCheckable(True)
        self.snap.toggled.connect(set_snap_to_grid)
        self.show_code = code_dock.toggleViewAction()
        self.show_code.setText("Show &Code")
        self.show_code.setShortcut("Ctrl+Shift+K")
        self.show_code.setProperty("icon_name", "text-x-script")
        self.show_code.setStatusTip("The generated PyTorch code for this graph")
        self.reset_layout = _action(w, "Reset &Layout", reset_layout,
                                    tip="Put every panel back where it started, at its size")
        self.about = _action(w, "&About NetCanvas", about)
        self.shortcuts = _action(w, "&Keyboard Shortcuts", self.show_shortcuts,
                                 QKeySequence.HelpContents)
        dock = training_dock  # the Run menu's actions live with the runs they act on
        self.train, self.pause, self.stop, self.resume = (
            dock.train_action, dock.pause_action, dock.stop_action, dock.resume_action)
        self.run_exports = [dock.export_onnx_action, dock.save_weights_action,
                            dock.export_python_action]
        self.export_onnx = dock.export_onnx_action
        self.untrained_exports = [dock.export_untrained_python_action,
                                  dock.export_untrained_onnx_action]
        self.runs_folder = dock.runs_folder_action
        self.canvas_actions = [self.cut, self.copy, self.paste, self.duplicate, self.delete,
                               self.select_all, self.quick_add, self.quick_fix, self.frame,
                               self.reset_zoom, self.group, self.ungroup, self.go_up]
        for action in self.canvas_actions:
            action.setShortcutContext(Qt.WidgetWithChildrenShortcut)
        self.refresh_icons()
        self._build_menus(menu_bar, panels)
        self._build_toolbar()

    @staticmethod
    def _fixed_label(w, text: str, icon: str, slot, can_changed, text_changed) -> QAction:
        action = _action(w, text, slot, icon=icon)
        action.setEnabled(False)
        can_changed.connect(action.setEnabled)
        text_changed.connect(lambda what: action.setToolTip(f"{text} {what}".strip()))
        return action

    def refresh_icons(self) -> None:
        """(Re)draw icons in the current palette's colours (after a light/dark switch)."""
        for action in vars(self).values():
            if isinstance(action, QAction) and action.property("icon_name"):
                action.setIcon(theme_icon(action.property("icon_name")))

    def _build_menus(self, bar: QMenuBar, panels) -> None:
        files = self._files
        file = bar.addMenu("&File")
        file.addActions([self.new, self.open, self.import_model])
        self.recent_menu = file.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.examples_menu = file.addMenu("&Examples")
        for path in examples():
            self.examples_menu.addAction(example_title(path),
                                         lambda p=path: files.open_path(p, example=True))
        file.addSeparator()
        file.addActions([self.save, self.save_as])
        file.addSeparator()
        file.addAction(self.quit)

        edit = bar.addMenu("&Edit")
        edit.addActions([self.undo, self.redo])
        edit.addSeparator()
        edit.addActions([self.cut, self.copy, self.paste, self.duplicate, self.delete])
        edit.addSeparator()
        edit.addActions([self.select_all, self.quick_add, self.quick_fix])
        edit.addSeparator()
        edit.addActions([self.group, self.ungroup, self.make_unique, self.save_block,
                         self.go_up])

        view = self.view_menu = bar.addMenu("&View")
        view.addActions([self.frame, self.reset_zoom, self.zoom_in, self.zoom_out])
        view.addSeparator()
        view.addActions([self.auto_layout, self.snap])
        view.addSeparator()
        view.addAction(self.show_code)
        self.panels_menu = view.addMenu("&Panels")
        for dock in panels:
            self.panels_menu.addAction(dock.toggleViewAction())
        view.addAction(self.reset_layout)

        run = bar.addMenu("&Run")
        run.addActions([self.train, self.pause, self.stop, self.resume])
        run.addSeparator()
        run.addActions(self.run_exports)
        run.addSeparator()
        run.addActions(self.untrained_exports)
        run.addSeparator()
        run.addAction(self.runs_folder)
        self.run_menu = run

        help_ = bar.addMenu("&Help")
        help_.addActions([self.shortcuts, self.about])

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(what, keys) for every action of the window with a shortcut: the menus', the
        training dock's and the canvas overlays' alike; Undo and Redo by their plain names
        (their text names the step they would undo)."""
        plain = {id(self.undo): "Undo", id(self.redo): "Redo"}
        rows, seen = [], set()
        for action in [*vars(self).values(), *self._all_actions()]:
            if not isinstance(action, QAction) or id(action) in seen:
                continue
            seen.add(id(action))
            keys = ", ".join(k.toString(QKeySequence.NativeText) for k in action.shortcuts()
                             if not k.isEmpty())
            if keys:
                name = plain.get(id(action)) or action.text().replace("&", "").rstrip("…")
                rows.append((name, keys))
        return rows

    def show_shortcuts(self) -> None:
        cells = "".join(f"<tr><td>{name}</td><td>&nbsp;&nbsp;<b>{keys}</b></td></tr>"
                        for name, keys in self.shortcut_rows())
        QMessageBox.information(self._bar, "Keyboard shortcuts", f"<table>{cells}</table><p>Middle "
                                "button or Space + drag pans; the wheel zooms under the mouse."
                                "</p><p>Run menu: Train trains a snapshot of the graph; Stop "
                                "keeps the completed epochs; Resume continues a stopped or "
                                "interrupted run from its checkpoint. Exports come from the "
                                "run shown in Evaluation and name it.</p>")

    def _fill_recent(self) -> None:
        menu: QMenu = self.recent_menu
        menu.clear()
        files = self._files
        recent = files.recent_files()
        for path in recent:
            menu.addAction(path.name, lambda p=path: files.open_path(p)).setToolTip(str(path))
        if not recent:
            menu.addAction("No recent files").setEnabled(False)
        menu.addSeparator()
        menu.addAction("Clear Recent Files", files.clear_recent).setEnabled(bool(recent))

    def _build_toolbar(self) -> None:
        bar = QToolBar("Main toolbar")
        bar.setObjectName("main_toolbar")
        bar.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        bar.setMovable(False)
        bar.addActions([self.new, self.open, self.save])
        bar.addSeparator()
        bar.addActions([self.undo_button, self.redo_button])
        bar.addSeparator()
        bar.addActions([self.auto_layout, self.frame, self.show_code])
        self.toolbar = bar  # the window adds it
