"""A CSV whose feature columns are grouped into named Inputs (dataset option `inputs`)."""

import numpy as np
import pytest
import torch
from netcanvas.backend.data import DatasetError, load_dataset
from netcanvas.backend.data.matching import match
from netcanvas.backend.project import DatasetConfig
from test_tasks import _Model

HEADER = "l1,l2,l3,r1,r2,target"


def _csv(tmp_path, n=40, header=HEADER):
    rng = np.random.default_rng(0)
    values = rng.normal(size=(n, 5)).round(3)
    labels = np.where(values[:, 0] + values[:, 3] > 0, "yes", "no")
    lines = [header] + [",".join([*map(str, row), label]) for row, label in zip(values, labels)]
    path = tmp_path / "pairs.csv"
    path.write_text("\n".join(lines) + "\n")
    return path, values, labels


def _load(path, inputs, **options):
    return load_dataset(DatasetConfig(name="csv", path=str(path), normalize=False,
                                      val_fraction=0.0, test_fraction=0.0,
                                      options={"inputs": inputs, **options}))


def test_groups_become_named_inputs_holding_their_columns(tmp_path):
    path, values, labels = _csv(tmp_path)
    ds = _load(path, "left: l1..l3; right: r2, r1")
    assert ds.inputs == ["left", "right"] and ds.input_shapes == [(3,), (2,)]
    assert [(t.name, t.kind, t.classes) for t in ds.targets] == [("target", "class", 2)]
    assert ds.class_names == ["no", "yes"]
    left, right = ds.train.xs()
    order = np.lexsort(left.numpy().T[::-1])  # the split shuffles: compare as sets of rows
    rows = np.lexsort(values[:, :3].T[::-1])
    np.testing.assert_allclose(left.numpy()[order], values[rows, :3], atol=1e-6)
    np.testing.assert_allclose(right.numpy()[order], values[rows][:, [4, 3]], atol=1e-6)
    y = ds.train.y.numpy()[order]
    assert [ds.class_names[k] for k in y] == list(labels[rows])
    assert ds.extra["input_columns"] == {"left": ["l1", "l2", "l3"], "right": ["r2", "r1"]}


def test_input_nodes_are_fed_their_group_by_name(tmp_path):
    path, *_ = _csv(tmp_path)
    ds = _load(path, "left: l1..l3; right: r1..r2")
    plan = match(ds, _Model([("right", (2,)), ("left", (3,))], [("target", (2,), "cross_entropy")]))
    assert plan.inputs == (1, 0) and plan.targets == (0,)
    with pytest.raises(DatasetError, match=r"Input 'left' expects \(N, 2\); the dataset's "
                       r"input 'left' is \(N, 3\)"):
        match(ds, _Model([("left", (2,)), ("right", (2,))], [("target", (2,), "cross_entropy")]))


def test_a_regression_target_and_a_single_group(tmp_path):
    path = tmp_path / "numbers.csv"
    rows = np.random.default_rng(1).normal(size=(30, 5)).round(4)
    path.write_text("a,b,c,d,target\n" + "\n".join(",".join(map(str, r)) for r in rows))
    ds = _load(path, "all: a..d")
    assert ds.inputs == ["all"] and ds.targets[0].kind == "vector"
    assert torch.is_floating_point(ds.train.y)


@pytest.mark.parametrize("inputs, words", [
    ("left l1..l3", "'left l1..l3' is not 'name: columns'"),
    ("left: l1..l3; left: r1..r2", "group 'left' is given twice"),
    ("left: l1..l9; right: r1..r2", "group 'left': no column 'l9'; columns: l1, l2"),
    ("left: l3..l1; right: r1..r2", "group 'left': 'l3..l1' runs backwards"),
    ("left: l1..l3; right: r1..target", "group 'right': column 'target' is the target"),
    ("left: l1..l3; right: l3, r1, r2", "column 'l3' is in groups 'left' and 'right'"),
    ("left: l1..l3; right: r1", "column 'r2' is in no group"),
    (" ; ", "no groups"),
])
def test_a_bad_grouping_is_one_line_naming_the_file_and_group(tmp_path, inputs, words):
    path, *_ = _csv(tmp_path)
    with pytest.raises(DatasetError) as info:
        _load(path, inputs)
    message = str(info.value)
    assert message.startswith(f"{path}: option inputs") and words in message
    assert "\n" not in message
