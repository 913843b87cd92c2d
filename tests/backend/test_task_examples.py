"""The course's problems as examples: each trains with `netcanvas train` on its bundled dataset
and beats its trivial baseline (fewer epochs than the example's own, so looser bounds where
needed), and exports to ONNX with its inputs and outputs named."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
from netcanvas.backend.cli import train as train_cli
from netcanvas.backend.project_io import load_project

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
TASK_EXAMPLES = ("segmentation_unpool", "localisation", "two_stream", "colourise")


def train(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="netcanvas")
    train_cli.add_parser(parser.add_subparsers(dest="command"))
    return train_cli.run(parser.parse_args(["train", *argv]))


def raw_test_split(name: str):
    """The example's test split without normalisation: what the baselines are measured on."""
    import dataclasses

    from netcanvas.backend.data import load_dataset

    config = load_project(EXAMPLES / f"{name}.netcanvas").dataset
    return load_dataset(dataclasses.replace(config, normalize=False)).test


def zero_flow_epe(name: str) -> float:
    flow = raw_test_split(name).y.numpy()
    return float(np.sqrt((flow ** 2).sum(axis=1)).mean())


def input_psnr(name: str) -> float:
    split = raw_test_split(name)
    x, y = split.x.numpy(), split.y.numpy()
    x = np.broadcast_to(x, y.shape)  # the grey image as its own colour picture
    mse = ((x - y) ** 2).reshape(len(y), -1).mean(axis=1)
    assert mse.min() > 0  # no grey input is its own target
    return float(np.mean(10 * np.log10(1 / mse)))


def trained(name: str, epochs: int, tmp_path) -> dict:
    out = tmp_path / name
    assert train(str(EXAMPLES / f"{name}.netcanvas"), "--epochs", str(epochs), "--device",
                 "cpu", "--out", str(out)) == 0
    return json.loads((out / "metrics.json").read_text())["test"]


@pytest.mark.slow
def test_segmentation_reaches_mean_iou(tmp_path):
    test = trained("segmentation_unpool", 3, tmp_path)
    assert test["mask_mean_iou"] >= 0.70 and test["mask_pixel_accuracy"] >= 0.9


@pytest.mark.slow
def test_localisation_finds_the_digit(tmp_path):
    test = trained("localisation", 8, tmp_path)
    assert test["accuracy"] >= 0.8 and test["box_iou"] >= 0.5  # the full 15 epochs: >= 0.90


@pytest.mark.slow
def test_two_stream_halves_the_zero_flow_error(tmp_path):
    test = trained("two_stream", 6, tmp_path)
    assert test["epe"] <= 0.5 * zero_flow_epe("two_stream")


@pytest.mark.slow
def test_colourise_beats_the_grey_input_by_3_db(tmp_path):
    test = trained("colourise", 8, tmp_path)
    assert test["psnr"] >= input_psnr("colourise") + 3


@pytest.mark.slow
@pytest.mark.parametrize("name", TASK_EXAMPLES)
def test_task_examples_export_with_named_inputs_and_outputs(name, tmp_path):
    import onnx
    from netcanvas.backend.compiler import compile_graph
    from netcanvas.backend.export.onnx_export import export_onnx

    model = compile_graph(load_project(EXAMPLES / f"{name}.netcanvas").graph)
    report = export_onnx(model, tmp_path / f"{name}.onnx")
    assert report.ok and report.max_abs_diff < 1e-5
    graph = onnx.load(str(tmp_path / f"{name}.onnx")).graph
    assert [i.name for i in graph.input] == model.input_names
    assert [o.name for o in graph.output] == model.output_names


@pytest.mark.parametrize("name, flag, value, target", [
    ("two_stream", "augment_resized_crop", "0.5", "flow target 'flow'"),
])
def test_augmentations_that_move_pixels_are_refused_for_placed_targets(name, flag, value,
                                                                       target, tmp_path, capsys):
    """A resized crop moves the frames but cannot turn the flow vectors: refused in one line,
    exit 2, before a step (masks and boxes move with the image: test_augment_targets.py)."""
    assert train(str(EXAMPLES / f"{name}.netcanvas"), "--epochs", "1", "--device", "cpu",
                 "--out", str(tmp_path / "out"), f"--{flag.replace('_', '-')}", value) == 2
    err = capsys.readouterr().err.strip()
    assert f"dataset.{flag} move the input's pixels but not the {target}" in err
    assert "\n" not in err and "Traceback" not in err


def test_flips_and_crops_are_refused_for_flow_only_and_pixel_only_augmentations_kept():
    from netcanvas.backend.data import DatasetError, load_dataset
    from netcanvas.backend.project import DatasetConfig
    from netcanvas.backend.training.trainer import _refuse_moving_augmentations

    kept = DatasetConfig(name="digit_masks", augment_color_jitter=0.3, augment_blur=0.5,
                         augment_erasing=0.2, augment_flip=True, augment_crop_padding=2)
    _refuse_moving_augmentations(kept, load_dataset(kept))  # masks move with the image
    moved = DatasetConfig(name="moving_digits", augment_flip=True, augment_crop_padding=2)
    with pytest.raises(DatasetError, match=r"^dataset.augment_crop_padding, dataset.augment_flip "
                       "move the input's pixels but not the flow target 'flow' of "
                       "moving_digits: turn them off for this dataset$"):
        _refuse_moving_augmentations(moved, load_dataset(moved))
