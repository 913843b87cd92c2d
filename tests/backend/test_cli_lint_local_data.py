"""`netcanvas lint` learns the user's own data (image folder, CSV, NPZ) offline: the
output-classes and input-shape rules fire and fix, instead of being skipped."""

from __future__ import annotations

import numpy as np
import pytest
from doctor_graphs import chain, lin
from netcanvas.backend.cli import main
from netcanvas.backend.project_io import load_project, save_project
from PIL import Image


@pytest.fixture(autouse=True)
def cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("NETCANVAS_DATA_DIR", str(tmp_path / "cache"))


def folder(root):
    for k in range(2):
        (root / f"c{k}").mkdir(parents=True)
        for i in range(3):
            Image.fromarray(np.full((6, 6, 3), 50 * k, np.uint8)).save(root / f"c{k}" / f"{i}.png")
    return root


def project_on(path, name, data):
    project = chain(("flatten", {}), lin(10), shape=(1, 28, 28))
    project.dataset.name, project.dataset.path = name, str(data)
    save_project(project, path)
    return path


def test_a_two_class_folder_project_is_linted_and_fixed_before_train(tmp_path, capsys):
    path = project_on(tmp_path / "p.netcanvas", "folder", folder(tmp_path / "images"))
    main(["lint", str(path)])
    captured = capsys.readouterr()
    assert "[input-shape]" in captured.out and "[output-classes]" in captured.out
    assert "2 classes" in captured.out and "skipped" not in captured.err
    assert main(["lint", str(path), "--fix", "output-classes", "input-shape"]) == 0
    capsys.readouterr()
    main(["lint", str(path)])
    assert "[output-classes]" not in capsys.readouterr().out
    fixed = load_project(path)
    assert fixed.dataset.name == "folder"


def test_csv_and_npz_data_feed_the_dataset_rules(tmp_path, capsys):
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,c,target\n" + "".join(f"{i},{i},{i},{i % 3}\n" for i in range(9)))
    main(["lint", str(project_on(tmp_path / "c.netcanvas", "csv", csv))])
    out = capsys.readouterr().out
    assert "[output-classes]" in out and "3 classes" in out
    npz = tmp_path / "d.npz"
    np.savez(npz, X=np.zeros((8, 5), np.float32), y=np.arange(8) % 4)
    main(["lint", str(project_on(tmp_path / "n.netcanvas", "npz", npz))])
    assert "4 classes" in capsys.readouterr().out


def test_user_data_that_does_not_load_names_why_the_rules_are_skipped(tmp_path, capsys):
    main(["lint", str(project_on(tmp_path / "p.netcanvas", "folder", tmp_path / "missing"))])
    err = capsys.readouterr().err
    assert "dataset rules skipped (the data does not load:" in err and "missing" in err
