"""Predict (backend/insight/predict.py, `netcanvas predict`): a trained run fed raw image
files, CSV rows and test samples answers as it does on the normalised test split."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from insight_support import LENET, linear_predictor, trained_digits_run
from netcanvas.backend.cli import main
from netcanvas.backend.data import load_dataset
from netcanvas.backend.insight.predict import (
    PredictError,
    Predictor,
    _checked,
    from_file,
    from_run,
    plane_probabilities,
    read_inputs,
    top_classes,
)
from netcanvas.backend.project import DatasetConfig
from netcanvas.backend.runs import Run
from netcanvas.backend.training import predict
from PIL import Image


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    return trained_digits_run(tmp_path_factory.mktemp("runs"))


def _pngs(folder, x_raw, upscale: int = 1):
    paths = []
    for i, sample in enumerate(x_raw):
        pixels = (sample[0].numpy() * 255).round().astype(np.uint8)
        image = Image.fromarray(pixels).resize((8 * upscale, 8 * upscale), Image.NEAREST)
        paths.append(folder / f"sample{i}.png")
        image.save(paths[-1])
    return paths


def test_raw_test_samples_give_the_models_own_answers(digits):
    run, data = digits
    predictor = from_run(run)
    x, y = predictor.test_samples(data)
    assert float(x.min()) >= -1e-5 and float(x.max()) <= 1 + 1e-5  # pixels in [0, 1]
    probs = predictor.probabilities(x)
    assert torch.allclose(probs.sum(1), torch.ones(len(x)), atol=1e-5)
    direct = torch.softmax(predict(run.model(), data.test.x, "cpu"), 1)
    assert torch.allclose(probs, direct, atol=1e-5)
    assert (probs.argmax(1) == y).float().mean() > 0.8


def test_image_files_are_read_exactly_as_an_image_folder_dataset_reads_them(digits, tmp_path):
    run, data = digits
    predictor = from_run(run)
    x, _ = predictor.test_samples(data)
    for k in (0, 1):  # an image-folder dataset of 32×32 files, resized to 8×8 by its loader
        (tmp_path / f"class{k}").mkdir()
        _pngs(tmp_path / f"class{k}", x[k:k + 1], upscale=4)
    folder = load_dataset(DatasetConfig(name="folder", path=str(tmp_path), normalize=False,
                                        val_fraction=0.0, test_fraction=0.0,
                                        options={"size": 8, "channels": 1}))
    files = [tmp_path / f"class{k}" / "sample0.png" for k in (0, 1)]
    batch, names = read_inputs(predictor, files)
    assert names == ["sample0.png", "sample0.png"]
    for k in (0, 1):
        assert torch.equal(batch[k], folder.train.x[folder.train.y == k][0])
    same_size = _pngs(tmp_path, x[:4])  # 8×8 files: only the uint8 quantisation differs
    assert torch.allclose(read_inputs(predictor, same_size)[0], x[:4], atol=0.5 / 255)


def test_csv_rows_drop_their_target_column(digits, tmp_path):
    run, data = digits
    predictor = from_run(run)
    x, y = predictor.test_samples(data)
    rows = tmp_path / "rows.csv"
    with rows.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["target"] + [f"p{i}" for i in range(64)])
        for sample, label in zip(x[:3], y[:3]):
            writer.writerow([int(label)] + [f"{v:.6f}" for v in sample.flatten().tolist()])
    batch, names = read_inputs(predictor, [rows])
    assert names == [f"rows.csv row {i}" for i in (1, 2, 3)]
    assert torch.allclose(batch, x[:3], atol=1e-5)


def test_from_file_with_the_run_checkpoint_matches_the_run(digits):
    run, data = digits
    loaded = from_file(LENET, run.checkpoint_dir)
    x, _ = from_run(run).test_samples(data)
    assert torch.allclose(loaded.probabilities(x[:20]), from_run(run).probabilities(x[:20]),
                          atol=1e-5)
    assert loaded.label == f"lenet_digits.netcanvas with {run.checkpoint_dir.name}"


def test_a_run_saved_without_its_input_scale_takes_it_from_the_dataset(digits):
    run, data = digits
    old = Run.load(run.folder)
    old.data.input_scale = None
    x, _ = from_run(run).test_samples(data)
    assert torch.allclose(from_run(old).probabilities(x[:5]), from_run(run).probabilities(x[:5]))


def test_predict_cli_prints_the_top_classes(digits, tmp_path, capsys):
    run, data = digits
    predictor = from_run(run)
    x, _ = predictor.test_samples(data)
    pngs = _pngs(tmp_path, x[:2])
    assert main(["predict", str(LENET), "--weights", str(run.checkpoint_dir),
                 *map(str, pngs), "--top", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    for line, sample, path in zip(lines, x[:2], pngs):
        (c1, p1), (c2, p2) = top_classes(predictor.probabilities(sample)[0],
                                         predictor.class_names, 2)
        assert line.split() == [path.name, c1, f"{p1:.1%}", c2, f"{p2:.1%}"]
        assert p1 >= p2


@pytest.mark.parametrize("content, name, reason", [
    ("1,2,3\n", "short.csv", "line 1: 3 values, the model takes 64"),
    ("not an image", "fake.png", "cannot read image"),
    ("", "notes.txt", "not an image"),
])
def test_bad_inputs_are_one_line_and_exit_2(digits, tmp_path, capsys, content, name, reason):
    run, _ = digits
    path = tmp_path / name
    path.write_text(content)
    assert main(["predict", str(LENET), "--weights", str(run.checkpoint_dir), str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and reason in err and "Traceback" not in err


def test_bad_weights_and_missing_inputs_are_one_line(tmp_path, capsys):
    assert main(["predict", str(LENET), "--weights", str(tmp_path / "none.safetensors"),
                 str(tmp_path / "x.png")]) == 2
    assert "no such weights file" in capsys.readouterr().err
    with pytest.raises(PredictError, match="no such file"):
        read_inputs(None, [tmp_path / "missing.png"])


def test_plane_probabilities_tile_a_two_feature_models_input_plane():
    predictor = linear_predictor(features=2, mean=[1.0, -1.0], std=[2.0, 0.5])
    grid = plane_probabilities(predictor, (-3.0, 3.0, 0.0, 2.0), n=7)
    assert grid.shape == (7, 7, 3)
    for (i, j), point in (((0, 0), [-3.0, 0.0]), ((6, 0), [-3.0, 2.0]), ((3, 5), [2.0, 1.0])):
        assert np.allclose(grid[i, j], predictor.probabilities(torch.tensor(point))[0],
                           atol=1e-6)
    with pytest.raises(PredictError, match="not a point of a plane"):
        plane_probabilities(linear_predictor(features=4), (0, 1, 0, 1))


def test_a_regression_prints_its_predicted_values(tmp_path, capsys):
    from insight_support import EXAMPLES
    from netcanvas.backend.compiler import compile_graph
    from netcanvas.backend.export import save_weights
    from netcanvas.backend.project_io import load_project

    path = EXAMPLES / "linear_regression.netcanvas"
    model = compile_graph(load_project(path).graph, device="cpu")
    save_weights(model, tmp_path / "w.safetensors")
    rows = tmp_path / "x.csv"
    rows.write_text("x\n1.5\n-2\n")
    assert main(["predict", str(path), "--weights", str(tmp_path / "w.safetensors"),
                 str(rows)]) == 0
    predictor = from_file(path, tmp_path / "w.safetensors")
    values = predictor.outputs(torch.tensor([[1.5], [-2.0]])).reshape(-1).tolist()
    assert capsys.readouterr().out.splitlines() == [f"x.csv row {i + 1}: {v:.4g}"
                                                    for i, v in enumerate(values)]
    with pytest.raises(PredictError, match="is a regression"):
        predictor.probabilities(torch.tensor([[1.5]]))


def test_models_that_do_not_classify_one_sample_are_refused_by_name():
    from insight_support import EXAMPLES
    from netcanvas.backend.compiler import compile_graph
    from netcanvas.backend.project_io import load_project
    from netcanvas.backend.runs import DataInfo

    project = load_project(EXAMPLES / "two_stream.netcanvas")
    model = compile_graph(project.graph, device="cpu")
    with pytest.raises(PredictError, match="2 inputs; this view takes models with one"):
        _checked(Predictor(model, DataInfo(input_scale=1.0), "two", project))
    predictor = linear_predictor()
    predictor.model.output_shapes = [(3, 4)]
    with pytest.raises(PredictError, match="outputs 3×4 per sample"):
        _checked(predictor)
