"""Where the app keeps its settings and recovery files; tests redirect both by env var."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from PySide6.QtCore import QSettings

APP_NAME = "NetCanvas"
ORG_NAME = "NetCanvas"


def app_settings() -> QSettings:
    """QSettings in the platform's place, or an ini file under $NETCANVAS_CONFIG_DIR."""
    folder = os.environ.get("NETCANVAS_CONFIG_DIR")
    if folder:
        return QSettings(str(Path(folder) / "netcanvas.ini"), QSettings.IniFormat)
    return QSettings(ORG_NAME, APP_NAME)


def last_folder() -> Path:
    """Where the last file the user opened or saved lies: file dialogs start there."""
    folder = app_settings().value("last_folder")
    return Path(folder) if folder and Path(folder).is_dir() else Path.home()


def remember_folder(path: str | Path) -> None:
    path = Path(path)
    app_settings().setValue("last_folder", str(path if path.is_dir() else path.parent))


def recovery_dir() -> Path:
    folder = os.environ.get("NETCANVAS_RECOVERY_DIR")
    path = Path(folder) if folder else Path(platformdirs.user_data_dir(APP_NAME, ORG_NAME)) / "recovery"
    path.mkdir(parents=True, exist_ok=True)
    return path
