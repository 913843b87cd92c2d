"""`netcanvas desktop install|uninstall` into temporary XDG folders, checked by the desktop
tools' own validators where they are installed; and the shipped desktop metadata itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from configparser import ConfigParser
from importlib import resources
from pathlib import Path
from xml.dom import minidom

import pytest
from netcanvas.backend.cli import main
from netcanvas.backend.cli.desktop import exec_value, installed_files

from netcanvas import APP_ID

METADATA = Path(str(resources.files("netcanvas.resources") / "desktop"))
MIME = "application/x-netcanvas"


def needs(tool: str):
    return pytest.mark.skipif(shutil.which(tool) is None, reason=f"{tool} is not installed")


@pytest.fixture
def xdg(tmp_path, monkeypatch):
    data, config = tmp_path / "data", tmp_path / "config"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    # update-mime-database fsyncs every file it writes: seconds on a busy disk, for folders
    # that tmp_path throws away
    monkeypatch.setenv("PKGSYSTEM_ENABLE_FSYNC", "0")
    return data, config


def files_under(*folders: Path) -> list[Path]:
    return sorted(p for folder in folders if folder.exists() for p in folder.rglob("*")
                  if not p.is_dir())


def launcher(data: Path) -> ConfigParser:
    entry = ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(installed_files(data)["launcher"])
    return entry["Desktop Entry"]


def test_install_registers_launcher_icon_and_default_app_and_uninstall_removes_all(xdg,
                                                                                  capsys):
    data, config = xdg
    assert main(["desktop", "install"]) == 0
    for path in installed_files(data).values():
        assert path.is_file() and path.stat().st_size > 0
    entry = launcher(data)
    program, field = entry["Exec"].rsplit(" ", 1)
    assert field == "%f" and entry["MimeType"] == f"{MIME};"
    assert os.access(program, os.X_OK) and program == entry["TryExec"]  # this installation
    assert f"{MIME}={APP_ID}.desktop;" in (config / "mimeapps.list").read_text()
    if shutil.which("update-mime-database"):
        assert f"{MIME}:*.netcanvas" in (data / "mime" / "globs2").read_text()
    if shutil.which("update-desktop-database"):
        assert f"{MIME}={APP_ID}.desktop;" in (data / "applications" / "mimeinfo.cache"
                                                ).read_text()
    assert "installed the launcher" in capsys.readouterr().out

    assert main(["desktop", "uninstall"]) == 0
    assert files_under(data, config) == []
    assert list(data.iterdir()) == [] and list(config.iterdir()) == []


def test_uninstall_keeps_what_other_apps_registered(xdg):
    data, config = xdg
    other_app = data / "applications" / "org.example.Viewer.desktop"
    other_app.parent.mkdir(parents=True)
    other_app.write_text("[Desktop Entry]\nType=Application\nName=Viewer\nExec=viewer %f\n"
                         "MimeType=image/x-example;\n")
    other_mime = data / "mime" / "packages" / "org.example.Viewer.xml"
    other_mime.parent.mkdir(parents=True)
    other_mime.write_text(
        '<?xml version="1.0"?>\n<mime-info xmlns="http://www.freedesktop.org/standards/'
        'shared-mime-info"><mime-type type="image/x-example"><glob pattern="*.exa"/>'
        "</mime-type></mime-info>\n")
    config.mkdir()
    (config / "mimeapps.list").write_text(
        "[Added Associations]\ntext/plain=gedit.desktop;\n\n[Default Applications]\n"
        f"image/png=org.example.Viewer.desktop;\n{MIME}=old.desktop;\n")
    assert main(["desktop", "install"]) == 0
    defaults = (config / "mimeapps.list").read_text()
    assert f"{MIME}={APP_ID}.desktop;old.desktop;" in defaults and "text/plain=gedit" in defaults

    assert main(["desktop", "uninstall"]) == 0
    assert (config / "mimeapps.list").read_text() == (
        "[Added Associations]\ntext/plain=gedit.desktop;\n\n[Default Applications]\n"
        f"image/png=org.example.Viewer.desktop;\n{MIME}=old.desktop;\n")
    assert other_app.exists() and other_mime.exists()
    assert not any(installed_files(data)[what].exists() for what in installed_files(data))
    if shutil.which("update-mime-database"):
        globs = (data / "mime" / "globs2").read_text()
        assert "*.exa" in globs and "*.netcanvas" not in globs


def test_exec_quotes_a_path_with_spaces_and_escapes_as_the_spec_says():
    assert exec_value(["/opt/net canvas/netcanvas"]) == '"/opt/net canvas/netcanvas" %f'
    assert exec_value(["/a/b$c"]) == '"/a/b\\\\$c" %f'  # \$ inside quotes, then \ escaped
    assert exec_value(["/x/100%/netcanvas"]) == "/x/100%%/netcanvas %f"


@needs("desktop-file-validate")
def test_installed_launcher_passes_desktop_file_validate(xdg, tmp_path, monkeypatch):
    data, _ = xdg
    program = tmp_path / "my apps" / "bin" / "netcanvas"  # a venv in a folder with a space
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(program.parent / "python"))
    assert main(["desktop", "install"]) == 0
    path = installed_files(data)["launcher"]
    assert launcher(data)["Exec"] == f'"{program}" %f'
    done = subprocess.run(["desktop-file-validate", str(path)], check=False, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == "", done.stdout + done.stderr
    assert main(["desktop", "uninstall"]) == 0


@needs("xdg-mime")
def test_xdg_mime_finds_netcanvas_as_the_default_app(xdg):
    assert main(["desktop", "install"]) == 0
    env = dict(os.environ, XDG_CURRENT_DESKTOP="X-Generic")
    query = ["xdg-mime", "query", "default", MIME]
    done = subprocess.run(query, check=False, capture_output=True, text=True, env=env)
    assert done.stdout.strip() == f"{APP_ID}.desktop"
    assert main(["desktop", "uninstall"]) == 0
    done = subprocess.run(query, check=False, capture_output=True, text=True, env=env)
    assert done.stdout.strip() == ""


def test_a_bad_action_or_platform_is_one_line_exit_2(xdg, capsys, monkeypatch):
    assert main(["desktop", "reinstall"]) == 2
    assert len(capsys.readouterr().err.splitlines()) == 1
    monkeypatch.setattr(sys, "platform", "win32")
    assert main(["desktop", "install"]) == 2
    assert capsys.readouterr().err.strip().endswith("not win32")
    assert files_under(*xdg) == []


def test_shipped_metadata_is_well_formed():
    entry = ConfigParser(interpolation=None)
    entry.read(METADATA / f"{APP_ID}.desktop")
    assert entry["Desktop Entry"]["Exec"] == "netcanvas %f"
    assert entry["Desktop Entry"]["Icon"] == APP_ID
    info = minidom.parse(str(METADATA / f"{APP_ID}.metainfo.xml"))
    assert info.getElementsByTagName("id")[0].firstChild.data == APP_ID
    assert info.getElementsByTagName("release")[0].getAttribute("version")
    assert len(info.getElementsByTagName("screenshot")) >= 1
    mime = minidom.parse(str(METADATA / f"{APP_ID}.mime.xml"))
    assert mime.getElementsByTagName("glob")[0].getAttribute("pattern") == "*.netcanvas"
    icon = resources.files("netcanvas.resources") / "icons" / "netcanvas.svg"
    assert minidom.parseString(icon.read_bytes()).documentElement.tagName == "svg"


@needs("desktop-file-validate")
def test_shipped_launcher_passes_desktop_file_validate_without_hints():
    done = subprocess.run(["desktop-file-validate", str(METADATA / f"{APP_ID}.desktop")],
                          check=False, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == "", done.stdout


@needs("appstreamcli")
def test_metainfo_passes_appstreamcli_validate_pedantic():
    done = subprocess.run(["appstreamcli", "validate", "--pedantic", "--no-net",
                           str(METADATA / f"{APP_ID}.metainfo.xml")],
                          check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
    assert "cid-contains-uppercase-letter" not in done.stdout
    assert "W:" not in done.stdout and "E:" not in done.stdout


def test_the_metadata_counts_macs_as_the_app_does():
    from importlib.resources import files
    text = "".join(p.read_text() for p in (files("netcanvas.resources") / "desktop").iterdir()
                   if p.name.endswith(".xml"))
    assert "FLOP" not in text and "MACs" in text


# ---- hostile folders (issue 29) ----------------------------------------------------------
def test_install_replaces_a_link_at_its_paths_and_never_writes_through_it(xdg, tmp_path):
    data, _ = xdg
    victim = tmp_path / "precious.txt"
    victim.write_text("the user's file")
    files = installed_files(data)
    for path in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(victim)
    assert main(["desktop", "install"]) == 0
    assert victim.read_text() == "the user's file"
    assert not any(path.is_symlink() for path in files.values())
    assert "[Desktop Entry]" in files["launcher"].read_text()
    for path in files.values():  # uninstall removes links, never what they point at
        path.unlink()
        path.symlink_to(victim)
    assert main(["desktop", "uninstall"]) == 0
    assert victim.read_text() == "the user's file"
    assert not any(path.is_symlink() for path in files.values())


def test_a_linked_mimeapps_list_is_refused_by_name_and_left_alone(xdg, tmp_path, capsys):
    data, config = xdg
    dotfile = tmp_path / "dotfiles-mimeapps.list"
    dotfile.write_text("[Default Applications]\ntext/plain=gedit.desktop;\n")
    config.mkdir(parents=True)
    (config / "mimeapps.list").symlink_to(dotfile)
    for action in ("install", "uninstall"):
        assert main(["desktop", action]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "mimeapps.list is a symbolic link" in err[0]
    assert dotfile.read_text() == "[Default Applications]\ntext/plain=gedit.desktop;\n"
    assert not installed_files(data)["launcher"].exists()


def test_a_mimeapps_list_that_is_not_utf8_keeps_its_bytes(xdg, capsys):
    _, config = xdg
    config.mkdir(parents=True)
    theirs = b"[Default Applications]\ntext/x-caf\xe9=caf\xe9.desktop;\n\n[Added Associations]\n"
    (config / "mimeapps.list").write_bytes(theirs)
    assert main(["desktop", "install"]) == 0
    written = (config / "mimeapps.list").read_bytes()
    assert b"text/x-caf\xe9=caf\xe9.desktop;" in written and MIME.encode() in written
    assert main(["desktop", "uninstall"]) == 0
    assert (config / "mimeapps.list").read_bytes() == theirs
    assert "Traceback" not in capsys.readouterr().err
