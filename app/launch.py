"""`netcanvas [FILE] [--screenshot OUT.png] [--demo]`: start the desktop app.

Importing torch takes seconds, so nothing on this path imports it; the code panel and the
training dock load it on a worker thread when first needed.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

SCREENSHOT_SIZE = (1600, 1000)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="netcanvas", description="Design, train and export "
                                     "neural networks visually.")
    parser.add_argument("file", nargs="?", help="project to open (default: the LeNet example)")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="render the window offscreen to a PNG and exit")
    parser.add_argument("--demo", action="store_true",
                        help="train the opened project with live plots")
    return parser.parse_args(argv)


def _application():
    from netcanvas.app.gui_gc import collect_on_gui_thread
    from netcanvas.app.icons import app_icon
    from netcanvas.app.settings import APP_NAME, ORG_NAME
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from netcanvas import APP_ID

    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication([sys.argv[0] if sys.argv else "netcanvas"])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    collect_on_gui_thread()
    return app


def save_screenshot(window, path: str | Path) -> bool:
    """Show the window at a fixed size, let it lay out, frame the graph, grab it."""
    from PySide6.QtWidgets import QApplication

    window.resize(*SCREENSHOT_SIZE)
    window.show()
    for _ in range(3):
        QApplication.processEvents()
    window.frame_all()
    QApplication.processEvents()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return window.grab().save(str(path))


def _start_demo(window, screenshot: str | None) -> bool:
    try:
        from netcanvas.app.training.demo import start_demo
    except ImportError as exc:
        print(f"netcanvas: --demo is not available in this build ({exc})", file=sys.stderr)
        return False
    start_demo(window, screenshot)
    return True


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parse(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # --help or a bad option: argparse already printed why
        return int(exc.code or 0)
    if args.file and not Path(args.file).is_file():
        print(f"netcanvas: no such file: {args.file}", file=sys.stderr)
        return 2
    app = _application()
    from netcanvas.app.files import DEFAULT_EXAMPLE, examples
    from netcanvas.app.main_window import MainWindow

    window = MainWindow()
    window.files.quiet = bool(args.screenshot)  # no modal dialogs in a headless run
    if args.file:
        if not window.files.open_path(args.file, prompt=False) and args.screenshot:
            window.close()
            return _exit_status(1)
    else:
        default = [p for p in examples() if p.stem == DEFAULT_EXAMPLE]
        if default:
            window.files.open_path(default[0], prompt=False, example=True)
    if args.demo:
        window.resize(*SCREENSHOT_SIZE)
        window.show()
        app.processEvents()
        window.frame_all()
        if not _start_demo(window, args.screenshot):
            window.close()
            return 2
        return _exit_status(app.exec())
    if args.screenshot:
        ok = save_screenshot(window, args.screenshot)
        window.files.discard_recovery()
        window.close()
        if not ok:
            print(f"netcanvas: could not write {args.screenshot}", file=sys.stderr)
        return _exit_status(0 if ok else 1)
    window.restore_state()
    window.show()
    app.processEvents()
    window.frame_all()
    window.files.offer_recovery()
    from netcanvas.app.testing_hooks import install_test_hooks  # no-op unless a test asks for it
    install_test_hooks(window.install_geometry_dump)
    return _exit_status(app.exec(), closed=True)


def _exit_status(status: int, closed: bool = False) -> int:
    """The status to return. A window the user `closed` has saved what it keeps (settings,
    layout, recovery): the process ends now, without waiting for threads still busy (a slow
    training step, the torch import) and without interpreter shutdown tearing down every
    widget and module one by one (seconds). Otherwise (a screenshot, called from Python)
    the threads left running are waited for, and the status returned."""
    from netcanvas.app.main_window import wait_for_abandoned

    if closed:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    wait_for_abandoned()
    return status
