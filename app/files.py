"""New, open, save, recent files, the unsaved-changes prompt, autosave and crash recovery.

The dialogs are module-level functions so tests can replace them with monkeypatch.
"""

from __future__ import annotations

import json
import os
import sys
import time
from importlib import resources
from pathlib import Path

from netcanvas.app.document import Document
from netcanvas.app.settings import app_settings, last_folder, recovery_dir, remember_folder
from netcanvas.backend.echo import cut
from netcanvas.backend.graph import GraphError
from netcanvas.backend.project_io import ProjectFileError, load_project, save_project, write_atomic
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

SUFFIX = ".netcanvas"
FILE_FILTER = "NetCanvas projects (*.netcanvas);;All files (*)"
AUTOSAVE_MS = 60_000
MAX_RECENT = 10
SET_ASIDE_DAYS = 7  # recovery files declined or unreadable are kept this long
DEFAULT_EXAMPLE = "lenet_digits"


def examples() -> list[Path]:
    folder = resources.files("netcanvas.resources") / "examples"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(SUFFIX))


EXAMPLE_TITLES = {"vgg16": "VGG-16", "resnet18": "ResNet-18", "mlp_moons": "MLP on moons",
                  "lenet_digits": "LeNet on digits", "residual_cnn": "Residual CNN"}


def example_title(path: Path) -> str:
    return EXAMPLE_TITLES.get(path.stem, path.stem.replace("_", " ").capitalize())


# ---- dialogs (replaced in tests) ----------------------------------------------------------
def ask_save_changes(parent: QWidget, name: str) -> str:
    """'save', 'discard' or 'cancel'."""
    answer = QMessageBox.warning(
        parent, "Unsaved changes", f"Save the changes to “{name}” before closing it?",
        QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
    return {QMessageBox.Save: "save", QMessageBox.Discard: "discard"}.get(answer, "cancel")


def ask_open_path(parent: QWidget, folder: str) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open project", folder, FILE_FILTER)
    return path or None


def ask_save_path(parent: QWidget, suggested: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, "Save project as", suggested, FILE_FILTER)
    return path or None


def show_error(parent: QWidget, title: str, text: str) -> None:
    QMessageBox.critical(parent, title, text)


def warn(parent: QWidget, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)


def ask_recover(parent: QWidget, name: str, saved_at: str) -> bool:
    answer = QMessageBox.question(
        parent, "Recover unsaved work?",
        f"NetCanvas did not close normally. Unsaved changes to “{name}” from {saved_at} "
        "were kept. Recover them?", QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes)
    return answer == QMessageBox.Yes


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate it there
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


class FileController(QObject):
    """File operations on the shown document (`set_document`), asking with dialogs over
    `parent`. `show_document(document)` shows another one; `document_saved()` and
    `confirm_close() -> bool` are the training dock's (its runs follow a first save; a live
    run must stop before its document closes)."""

    def __init__(self, parent: QWidget, *, show_document, document_saved, confirm_close,
                 show_message) -> None:
        super().__init__(parent)
        self.show_document, self.document_saved = show_document, document_saved
        self.show_message = show_message  # (text, ms) on the status bar
        self.confirm_close = confirm_close
        self.document: Document | None = None
        self.quiet = False  # report errors on stderr instead of a dialog (headless runs)
        self.last_error = ""  # why the last open failed
        self.autosave_error: str | None = None  # set while autosave fails (told once)
        self.recovery_path = recovery_dir() / f"recovery-{os.getpid()}{SUFFIX}"
        self.autosave_timer = QTimer(self, interval=AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()

    def set_document(self, document: Document) -> None:
        self.document = document

    # ---- opening -------------------------------------------------------------------------
    def new(self) -> bool:
        if not self.maybe_save():
            return False
        self.show_document(Document())
        return True

    def open(self) -> bool:
        if not self.maybe_save():
            return False
        path = ask_open_path(self.parent(), str(last_folder()))
        return bool(path) and self.open_path(path, prompt=False)

    def open_path(self, path: str | Path, *, prompt: bool = True, example: bool = False) -> bool:
        """Open a project; on failure show why and keep the current document."""
        path = Path(path)
        if prompt and not self.maybe_save():
            return False
        project = self._load(path)
        if project is None:
            return False
        if example:  # never save over the bundled file: Save asks where
            doc = Document(project, None, display_name=f"{example_title(path)} (example)")
            doc.example = path  # its runs are filed under the example, found when reopened
        else:
            doc = Document(project, path)
            self.add_recent(path)
            remember_folder(path)
        self.show_document(doc)
        return True

    def _load(self, path: Path, *, quiet: bool = False):
        """The project at `path`, or None after saying why (unless `quiet`)."""
        try:
            return load_project(path)
        except ProjectFileError as exc:
            detail = str(exc)
            if exc.field and exc.field not in detail:
                detail += f"\n(in field “{exc.field}”)"
        except (OSError, GraphError, ValueError) as exc:
            detail = str(exc)
        except Exception as exc:  # noqa: BLE001 -- a file must never take the app down
            detail = f"{type(exc).__name__}: {exc}"
        self.last_error = cut(detail, 1000)
        if not quiet:
            self._error("Could not open project", f"{path.name} could not be opened:\n\n"
                        f"{self.last_error}\n\nThe current document was left unchanged.")
        return None

    def _error(self, title: str, text: str, warning: bool = False) -> None:
        """Tell the user in a dialog (on stderr when quiet): an error, or a `warning`."""
        if self.quiet:
            print(f"netcanvas: {text}", file=sys.stderr)
        else:
            (warn if warning else show_error)(self.parent(), title, text)

    # ---- saving --------------------------------------------------------------------------
    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._write(self.document.path)

    def save_as(self) -> bool:
        doc = self.document
        suggested = doc.path or last_folder() / (doc.name.split(" (")[0].replace(" ", "_") + SUFFIX)
        path = ask_save_path(self.parent(), str(suggested))
        if not path:
            return False
        path = Path(path)
        if path.suffix != SUFFIX:
            path = path.with_name(path.name + SUFFIX)
        return self._write(path)

    def _write(self, path: Path) -> bool:
        try:
            save_project(self.document.project, path)
        except OSError as exc:
            self._error("Could not save project", f"Saving {path} failed:\n\n{exc}")
            return False
        self.document.mark_saved(path)
        self.document_saved()
        self.add_recent(path)
        remember_folder(path)
        self.discard_recovery()
        return True

    def maybe_save(self) -> bool:
        """True when it is fine to drop the current document (saved or discarded, and its
        live run, if any, stopped with the user's consent)."""
        if self.document.modified:
            choice = ask_save_changes(self.parent(), self.document.name)
            if choice == "cancel" or (choice == "save" and not self.save()):
                return False
        return self.confirm_close()

    # ---- recent files --------------------------------------------------------------------
    def recent_files(self) -> list[Path]:
        paths = app_settings().value("recent_files", []) or []
        if isinstance(paths, str):
            paths = [paths]
        return [Path(p) for p in paths if Path(p).exists()]

    def add_recent(self, path: Path) -> None:
        path = str(Path(path).resolve())
        paths = [str(p) for p in self.recent_files() if str(p) != path]
        app_settings().setValue("recent_files", [path, *paths][:MAX_RECENT])

    def clear_recent(self) -> None:
        app_settings().setValue("recent_files", [])

    # ---- autosave and recovery -----------------------------------------------------------
    def autosave(self) -> None:
        """Keep a recovery copy of unsaved work; none when there is nothing unsaved. When
        writing it fails (disk full, folder gone) the user is told once that crash
        protection is off, and again only after it worked in between."""
        if not self.document.modified:
            self.discard_recovery()
            return
        meta = {"path": str(self.document.path) if self.document.path else None,
                "name": self.document.name, "saved_at": time.strftime("%Y-%m-%d %H:%M")}
        try:
            save_project(self.document.project, self.recovery_path)
            write_atomic(self.recovery_path.with_suffix(".json"), json.dumps(meta))
        except (OSError, ValueError) as exc:
            if self.autosave_error is None:
                self.autosave_error = str(exc)
                self._error("Autosave failed", f"Your work could not be autosaved:\n\n{exc}\n\n"
                            "Crash protection is off until autosave works again; save your "
                            "work with File > Save.", warning=True)
            return
        self.autosave_error = None

    def discard_recovery(self) -> None:
        self.recovery_path.unlink(missing_ok=True)
        self.recovery_path.with_suffix(".json").unlink(missing_ok=True)

    def stale_recoveries(self) -> list[Path]:
        """Recovery files left by instances that are no longer running, newest first."""
        found = []
        for path in self.recovery_path.parent.glob(f"recovery-*{SUFFIX}"):
            pid = path.stem.removeprefix("recovery-")
            if pid.isdigit() and not _pid_alive(int(pid)):
                found.append(path)
        return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)

    def offer_recovery(self) -> bool:
        """After a crash, offer the newest recovery file; True when it was restored. One
        that cannot be read, or that the user declined, is set aside (renamed, never offered
        again, removed after SET_ASIDE_DAYS) after saying where."""
        self._remove_old_set_aside()
        stale = self.stale_recoveries()
        if not stale:
            return False
        path = stale[0]
        meta = _recovery_meta(path.with_suffix(".json"))
        project = self._load(path, quiet=True)
        restored = False
        if project is None:
            kept = path.with_name(path.name + ".unreadable")
            path.replace(kept)
            self._error("Could not recover unsaved work",
                        f"The unsaved work kept after a crash could not be read:\n\n"
                        f"{self.last_error}\n\nThe file was set aside as {kept}.")
        elif ask_recover(self.parent(), meta["name"] or path.name, meta["saved_at"]):
            doc = Document(project, meta["path"],
                           display_name=None if meta["path"] else meta["name"])
            doc.mark_modified()
            self.show_document(doc)
            self.autosave()
            restored = True
        else:  # declined: a second chance, for a while
            kept = path.with_name(f"{path.stem}-declined{SUFFIX}")  # File > Open lists it
            path.replace(kept)
            self.show_message(
                f"The unsaved work was set aside as {kept} for {SET_ASIDE_DAYS} days "
                "(File > Open it to get it back).", 30_000)
        for p in stale:
            p.unlink(missing_ok=True)
            p.with_suffix(".json").unlink(missing_ok=True)
        return restored


    def _remove_old_set_aside(self) -> None:
        folder = self.recovery_path.parent
        old = time.time() - SET_ASIDE_DAYS * 86400
        for pattern in (f"recovery-*{SUFFIX}.unreadable", f"recovery-*-declined{SUFFIX}"):
            for path in folder.glob(pattern):
                try:
                    if path.stat().st_mtime < old:
                        path.unlink()
                except OSError:
                    pass


def _recovery_meta(path: Path) -> dict:
    """The recovery file's path, name and time; blanks for whatever is missing or bad."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raw = {}
    raw = raw if isinstance(raw, dict) else {}
    return {key: raw[key] if isinstance(raw.get(key), str) else default
            for key, default in (("path", None), ("name", None), ("saved_at", "?"))}
