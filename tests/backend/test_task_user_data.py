"""The user's own data for each task (named-array NPZ, image + mask folders, CSVs of boxes),
and the fuzz corpus of malformed task data: `netcanvas train` refuses each with exit 2 and
one line naming the file and the field, before training starts."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from fuzz_data import _png, cases
from netcanvas.backend.data import load_dataset
from netcanvas.backend.project import DatasetConfig
from test_fuzz import run_cli, source, verdict


def test_named_npz_gives_inputs_and_targets_by_name(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "flow.npz"
    np.savez(path, input_frame1=rng.normal(size=(20, 8, 8)), input_frame2=rng.normal(
        size=(20, 1, 8, 8)), flow_flow=rng.normal(size=(20, 2, 8, 8)),
        class_kind=np.arange(20) % 3)
    ds = load_dataset(DatasetConfig(name="npz", path=str(path), options={"seed": 1}))
    assert ds.inputs == ["frame1", "frame2"]
    assert [(t.name, t.kind, t.shape, t.classes) for t in ds.targets] == [
        ("flow", "flow", (2, 8, 8), None), ("kind", "class", (), 3)]
    assert [tuple(x.shape[1:]) for x in ds.train.xs()] == [(1, 8, 8), (1, 8, 8)]
    assert ds.train.ys()[1].dtype == torch.int64


def test_mask_folder_and_box_csv(tmp_path):
    for i in range(6):
        image = np.zeros((8, 10), np.uint8)
        image[2:5, 3:7] = 200
        _png(tmp_path / "seg" / "images" / f"{i}.png", image)
        _png(tmp_path / "seg" / "masks" / f"{i}.png", (image > 0) * 1)
        _png(tmp_path / "det" / f"{i}.png", image)
    ds = load_dataset(DatasetConfig(name="folder", path=str(tmp_path / "seg"),
                                    options={"masks": True}, normalize=False))
    assert ds.sample_shape == (1, 8, 10) and ds.targets[0].kind == "mask"
    y = torch.cat([s.y for s in (ds.train, ds.val, ds.test)])
    assert y.shape[1:] == (8, 10) and int(y.sum()) == 6 * 12
    rows = "".join(f"{i}.png,3,2,7,5,{'ab'[i % 2]}\n" for i in range(6))
    (tmp_path / "det" / "boxes.csv").write_text("file,x0,y0,x1,y1,label\n" + rows)
    ds = load_dataset(DatasetConfig(name="csv", path=str(tmp_path / "det" / "boxes.csv"),
                                    options={"boxes": True}))
    assert [(t.name, t.kind) for t in ds.targets] == [("label", "class"), ("box", "boxes")]
    assert ds.class_names == ["a", "b"]
    assert torch.allclose(ds.train.ys()[1][0], torch.tensor([0.3, 0.25, 0.7, 0.625]))


@pytest.fixture(scope="module")
def data_cases(tmp_path_factory):
    return cases(tmp_path_factory.mktemp("data"))


def test_malformed_task_data_is_refused_in_one_line(data_cases, tmp_path):
    problems = []
    project = source("segmentation_unpool")
    for label, dataset, words in data_cases:
        project["dataset"] = {**project["dataset"], "options": {}, **dataset}
        path = tmp_path / "p.netcanvas"
        path.write_text(json.dumps(project))
        status, out, err = run_cli(["train", str(path), "--epochs", "1", "--device", "cpu"])
        problem = verdict(label, status, out, err)
        missing = [w for w in words if w not in err]
        if problem or status != 2 or missing:
            problems.append(problem or f"{label}: exit {status}, missing {missing} in {err!r}")
    assert not problems, "\n".join(problems)
    assert len(data_cases) >= 20


def test_data_that_does_not_fit_the_graph_is_refused_naming_the_output(tmp_path):
    """Multi-output graph against data lacking one of its targets: exit 2, one line."""
    rng = np.random.default_rng(0)
    data = tmp_path / "m.npz"
    np.savez(data, input_image=rng.uniform(size=(30, 1, 16, 16)),
             mask_mask=rng.integers(0, 2, (30, 16, 16)))
    project = source("segmentation_unpool")
    project["dataset"] = {**project["dataset"], "name": "npz", "path": str(data)}
    path = tmp_path / "p.netcanvas"
    path.write_text(json.dumps(project))
    status, out, err = run_cli(["train", str(path), "--epochs", "1", "--device", "cpu"])
    assert verdict("graph", status, out, err) is None and status == 2
    assert "Output 'digit': the dataset has no target of that name" in err
