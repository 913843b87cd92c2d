"""File > Import: an ONNX file or a PyTorch class becomes a project, saved with its weights
beside it, then opened. The dialogs are module-level functions so tests can replace them.
The importer (and with it torch) is only loaded when an import starts, not at start-up."""

from __future__ import annotations

from pathlib import Path

from netcanvas.app import files
from netcanvas.app.dialogs import confirm
from netcanvas.graph_editor.node_item import card_size
from PySide6.QtWidgets import QFileDialog, QInputDialog, QWidget

MODEL_FILTER = "Models (*.onnx *.py);;ONNX files (*.onnx);;PyTorch files (*.py)"


def ask_model_path(parent: QWidget, folder: str) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Import model", folder, MODEL_FILTER)
    return path or None


def ask_trust(parent: QWidget, path: Path) -> bool:
    return confirm(parent, "Run this Python file?",
                   f"Importing from {path.name} runs that file, and with it any code it holds. "
                   "Run it only if you trust where it came from.", warning=True)


def ask_text(parent: QWidget, title: str, label: str, default: str = "") -> str | None:
    text, ok = QInputDialog.getText(parent, title, label, text=default)
    return text.strip() if ok else None


def ask_replace(parent: QWidget, paths: list[Path]) -> bool:
    return confirm(parent, "Replace existing files?",
                   "Importing writes over " + " and ".join(p.name for p in paths)
                   + ". Replace them?", warning=True)


def import_model(controller: files.FileController) -> bool:
    """Ask for a model first, import it, then (the current document saved or dropped) ask
    where its project goes, saying what is written, and open that: all through the file
    `controller` (its document, its dialogs' parent, its status messages)."""
    from netcanvas.backend.importer import ImportProblem
    from netcanvas.backend.importer.save import save_imported
    from netcanvas.backend.importer.targets import TargetError, check_targets

    parent, document = controller.parent(), controller.document
    folder = str(document.path.parent) if document and document.path else str(Path.home())
    chosen = ask_model_path(parent, folder)
    if not chosen:
        return False
    path = Path(chosen)
    try:
        imported = _import(parent, path)
    except (ImportProblem, ValueError) as exc:
        controller._error("Could not import model", f"{path.name} could not be imported:\n\n"
                          f"{exc}\n\nThe current document was left unchanged.")
        return False
    if imported is None or not controller.maybe_save():
        return False
    controller.show_message(f"Choose where to save {path.name} as a NetCanvas project "
                            "(its weights are written beside it, as .safetensors)", 0)
    target = files.ask_save_path(parent, str(path.with_suffix(files.SUFFIX)))
    if not target:
        return False
    target = Path(target).with_suffix(files.SUFFIX)
    try:
        existing = check_targets(path, target, bool(imported.weights), force=True)
    except TargetError as exc:
        controller._error("Could not import model", str(exc))
        return False
    if existing and not ask_replace(parent, existing):
        return False
    try:
        save_imported(imported, target, path.name)
    except OSError as exc:
        controller._error("Could not import model", f"cannot write {target}: {exc}")
        return False
    opened = controller.open_path(target, prompt=False)
    if opened:
        from netcanvas.backend.importer.report import report_lines

        controller.show_message(f"Imported {path.name}: " + "; ".join(
            report_lines(imported)), 15000)
    return opened


def _import(parent: QWidget, path: Path):
    from netcanvas.backend.importer import import_fx
    from netcanvas.backend.importer.onnx_fx import onnx_to_fx
    from netcanvas.backend.importer.pytorch import (
        documented_io,
        import_class,
        load_class,
        parse_shape,
    )

    if path.suffix.lower() == ".onnx":
        gm, shapes, outputs = onnx_to_fx(path)
        return import_fx(gm, shapes, outputs, card_size)
    if not ask_trust(parent, path):
        return None
    name = ask_text(parent, "Import PyTorch class", "nn.Module class to import:")
    if not name:
        return None
    cls = load_class(path, name)
    documented = ";".join(",".join(map(str, s)) for s in documented_io(cls)[0])
    shapes = ask_text(parent, "Import PyTorch class", "Input shape of one sample "
                      "(C,H,W; several inputs separated by ;):", documented)
    if not shapes:
        return None
    args = ask_text(parent, "Import PyTorch class", "Constructor arguments (Python "
                    "literals, space-separated; empty for none):", "")
    if args is None:
        return None
    return import_class(cls, args.split(), [parse_shape(s) for s in shapes.split(";")], card_size)
