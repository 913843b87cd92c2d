"""Saving never loses work or changes what it should not (issue 9, item 9): a symlink is
followed, permissions are kept, errors name the user's file, stale temp files of killed
saves are removed."""

from __future__ import annotations

import errno
import os
import stat
import time

import pytest
from netcanvas.backend import project_io
from netcanvas.backend.project import Project
from netcanvas.backend.project_io import load_project, save_project
from test_compiler_graphs import lenet


@pytest.fixture
def project() -> Project:
    return Project(graph=lenet())


def test_a_file_keeps_its_permissions(project, tmp_path):
    path = tmp_path / "net.netcanvas"
    save_project(project, path)
    os.chmod(path, 0o600)
    save_project(project, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_saving_through_a_symlink_writes_its_target(project, tmp_path):
    target = tmp_path / "real" / "net.netcanvas"
    target.parent.mkdir()
    save_project(Project(), target)
    link = tmp_path / "link.netcanvas"
    link.symlink_to(target)
    save_project(project, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert load_project(target).graph.by_name("conv1") is not None


def test_a_failed_save_names_the_users_file_and_leaves_no_temp(project, tmp_path, monkeypatch):
    path = tmp_path / "net.netcanvas"

    def refuse(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied", str(src))

    monkeypatch.setattr(project_io.os, "replace", refuse)
    with pytest.raises(OSError) as info:
        save_project(project, path)
    assert info.value.filename == str(path) and ".tmp" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_temp_files_of_killed_saves_are_removed(project, tmp_path):
    path = tmp_path / "net.netcanvas"
    stale = tmp_path / ".net.netcanvas.deadbeef.tmp"
    fresh = tmp_path / ".net.netcanvas.0badf00d.tmp"  # perhaps another save under way
    other = tmp_path / ".other.netcanvas.deadbeef.tmp"
    for p in (stale, fresh, other):
        p.write_text("{")
    old = time.time() - 2 * project_io.STALE_TEMP_SECONDS
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    save_project(project, path)
    assert not stale.exists() and fresh.exists() and other.exists()


@pytest.mark.parametrize("stem", ["n" * 236, "ü" * 118])  # 246 characters / 246 bytes
def test_a_long_legal_name_saves_and_its_stale_temps_go(project, tmp_path, stem):
    path = tmp_path / f"{stem}.netcanvas"
    save_project(project, path)
    assert load_project(path).graph.to_dict() == project.graph.to_dict()
    stale = [p for p in tmp_path.iterdir() if p != path]
    assert not stale
    leftover = tmp_path / f"{project_io._temp_prefix(path)}.deadbeef.tmp"
    leftover.write_text("{")
    old = time.time() - 2 * project_io.STALE_TEMP_SECONDS
    os.utime(leftover, (old, old))
    save_project(project, path)
    assert not leftover.exists()
