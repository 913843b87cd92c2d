"""`netcanvas desktop install|uninstall`: register NetCanvas with the user's desktop.

`install` puts, for the current user only (XDG base directories), the launcher (its Exec
pointing at this installation's `netcanvas`, with %f so a file manager opens a project in it),
the icon and the `*.netcanvas` MIME type in place, and makes NetCanvas the default app for
that type in mimeapps.list. `uninstall` removes exactly those again, with the caches that
update-mime-database and update-desktop-database derived from them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

from netcanvas.backend.cli.common import UsageError, fail
from netcanvas.backend.cli.desktop_files import (
    read_lines,
    refuse_link,
    remove,
    replace_file,
    write_lines,
)

from netcanvas import APP_ID

MIME_TYPE = "application/x-netcanvas"
DESKTOP_ID = f"{APP_ID}.desktop"
DEFAULTS = "[Default Applications]"
RESERVED = re.compile(r"[\s\"'\\><~|&;$*?#()`]")  # what forces quoting in an Exec argument


def _base(variable: str, default: str) -> Path:
    value = os.environ.get(variable, "")
    return Path(value) if os.path.isabs(value) else Path.home() / default


def data_home() -> Path:
    return _base("XDG_DATA_HOME", ".local/share")


def config_home() -> Path:
    return _base("XDG_CONFIG_HOME", ".config")


def installed_files(data: Path) -> dict[str, Path]:
    """Where `install` puts the launcher, the icon and the MIME type."""
    return {"launcher": data / "applications" / DESKTOP_ID,
            "icon": data / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg",
            "MIME type": data / "mime" / "packages" / f"{APP_ID}.xml"}


def command() -> list[str]:
    """How the launcher starts this installation: the bundle, the venv's script, or python -m."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    beside = Path(sys.executable).parent / "netcanvas"
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = shutil.which("netcanvas")
    return [found] if found else [sys.executable, "-m", "netcanvas"]


def exec_value(argv: list[str]) -> str:
    """The Exec key for `argv %f`, quoted and escaped as the Desktop Entry spec says."""
    def quote(arg: str) -> str:
        arg = arg.replace("%", "%%")
        return '"' + re.sub(r'(["`$\\])', r"\\\1", arg) + '"' if RESERVED.search(arg) else arg
    return " ".join([*map(quote, argv), "%f"]).replace("\\", "\\\\")


def launcher_text(argv: list[str]) -> str:
    template = (resources.files("netcanvas.resources") / "desktop" / DESKTOP_ID).read_text()
    lines = []
    for line in template.splitlines():
        if line.startswith("Exec="):
            line = f"Exec={exec_value(argv)}"
        elif line.startswith("TryExec="):
            line = "TryExec=" + argv[0].replace("\\", "\\\\")
        lines.append(line)
    return "\n".join(lines) + "\n"


def _set_default(path: Path, desktop_id: str | None) -> None:
    """Make `desktop_id` the default app for MIME_TYPE in mimeapps.list, or drop ours (None).

    Other lines and sections are kept as they are; a file left with no entry is removed."""
    lines = read_lines(path)
    out, section, placed = [], None, False
    for line in lines:
        text = line.strip()
        if text.startswith("["):
            if section == DEFAULTS and desktop_id and not placed:
                out.append(f"{MIME_TYPE}={desktop_id};")
                placed = True
            section = text
        elif section == DEFAULTS and text.split("=", 1)[0].strip() == MIME_TYPE:
            apps = [app for app in text.split("=", 1)[1].split(";") if app and app != DESKTOP_ID]
            if desktop_id and not placed:
                apps.insert(0, desktop_id)
                placed = True
            if apps:
                out.append(f"{MIME_TYPE}={';'.join(apps)};")
            continue
        out.append(line)
    if desktop_id and not placed:
        if section != DEFAULTS:
            out += ([""] if out else []) + [DEFAULTS]
        out.append(f"{MIME_TYPE}={desktop_id};")
    if any("=" in line for line in out):
        write_lines(path, out)
    else:
        remove(path)


def _refresh(tool: str, folder: Path) -> None:
    """Rebuild a cache with a desktop tool when it is installed; a failure is a warning."""
    if shutil.which(tool) and folder.is_dir():
        done = subprocess.run([tool, str(folder)], capture_output=True, text=True, check=False)
        if done.returncode:
            print(f"netcanvas desktop: warning: {tool} failed: {done.stderr.strip()}",
                  file=sys.stderr)


def _prune(start: Path, stop: Path) -> None:
    """Remove `start` and its parents while they are empty, up to, not including, `stop`."""
    for folder in [start, *start.parents]:
        if folder == stop or stop not in folder.parents:
            return
        try:
            folder.rmdir()
        except OSError:  # not empty (or not ours to remove)
            return


def install() -> int:
    data, config = data_home(), config_home()
    files = installed_files(data)
    package = resources.files("netcanvas.resources")
    contents = {"launcher": launcher_text(command()).encode(),
                "icon": (package / "icons" / "netcanvas.svg").read_bytes(),
                "MIME type": (package / "desktop" / f"{APP_ID}.mime.xml").read_bytes()}
    refuse_link(config / "mimeapps.list")
    for what, path in files.items():
        replace_file(path, contents[what])
        print(f"installed the {what}: {path}")
    _set_default(config / "mimeapps.list", DESKTOP_ID)
    print(f"NetCanvas opens *.netcanvas files ({MIME_TYPE} in {config / 'mimeapps.list'})")
    _refresh("update-mime-database", data / "mime")
    _refresh("update-desktop-database", data / "applications")
    return 0


def uninstall() -> int:
    data, config = data_home(), config_home()
    files = installed_files(data)
    refuse_link(config / "mimeapps.list")
    for what, path in files.items():
        if remove(path):
            print(f"removed the {what}: {path}")
    _set_default(config / "mimeapps.list", None)
    mime, applications = data / "mime", data / "applications"
    if any((mime / "packages").glob("*.xml")):
        _refresh("update-mime-database", mime)
    elif mime.is_dir():  # everything else in it was generated from packages/: now from nothing
        for entry in mime.iterdir():
            if entry.name != "packages":
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() \
                    else entry.unlink()
    if any(applications.rglob("*.desktop")):
        _refresh("update-desktop-database", applications)
    else:
        remove(applications / "mimeinfo.cache")
    for folder in {path.parent for path in files.values()} | {mime, applications}:
        _prune(folder, data)
    return 0


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "desktop", help="add NetCanvas to (or remove it from) your desktop's app menu",
        description="Register NetCanvas for the current user (XDG_DATA_HOME, XDG_CONFIG_HOME): "
        "the app menu entry, the icon and the *.netcanvas file type, opened by NetCanvas.")
    parser.add_argument("action", choices=("install", "uninstall"))
    return parser


def run(args) -> int:
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        raise UsageError(f"desktop integration is for freedesktop (XDG) desktops such as "
                         f"Linux, not {sys.platform}")
    try:
        return install() if args.action == "install" else uninstall()
    except OSError as exc:
        return fail("desktop", f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), 1)
