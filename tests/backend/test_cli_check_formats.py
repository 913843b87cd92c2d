"""`netcanvas check --format json|csv|md` and `--memory`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from netcanvas.backend.cli import main
from netcanvas.backend.project_io import load_project, save_project
from netcanvas.backend.shapes import analyze

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
FIELDS = {"id", "name", "type", "type_id", "params", "position", "silenced", "output_shape",
          "parameters", "macs", "activation_bytes", "error"}


@pytest.mark.parametrize("name", ["lenet_digits", "segmentation_unpool", "vgg16"])
def test_json_parses_and_holds_every_nodes_fields(name, capsys):
    path = EXAMPLES / f"{name}.netcanvas"
    assert main(["check", str(path), "--format", "json", "--batch-size", "8"]) == 0
    data = json.loads(capsys.readouterr().out)
    graph = load_project(path).graph
    analysis = analyze(graph)
    assert data["batch_size"] == 8 and data["total_parameters"] == analysis.total_params
    assert [n["id"] for n in data["nodes"]] == list(graph.nodes)
    for row in data["nodes"]:
        node, info = graph.nodes[row["id"]], analysis.nodes[row["id"]]
        assert set(row) == FIELDS
        assert (row["name"], row["type_id"], row["type"]) == (node.name, node.type_id,
                                                              node.spec.title)
        assert row["params"] == json.loads(json.dumps(node.params))
        assert tuple(row["position"]) == node.position
        assert row["silenced"] == sorted(node.silenced)
        assert row["parameters"] == info.params and row["macs"] == info.macs
        assert row["activation_bytes"] == info.activation_bytes * 8
        assert tuple(row["output_shape"]) == info.output_shapes[node.spec.outputs[0].name]


def test_csv_and_markdown_hold_the_table(capsys):
    path = str(EXAMPLES / "lenet_digits.netcanvas")
    assert main(["check", path, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["name"] for r in rows][:2] == ["image", "conv1"]
    assert rows[1]["output_shape"] == "16×8×8" and rows[1]["parameters"] == "160"
    assert int(rows[1]["activation_bytes"]) == 16 * 8 * 8 * 4 * 64  # the project's batch 64
    assert main(["check", path, "--format", "md"]) == 0
    md = capsys.readouterr().out.splitlines()
    assert md[0] == "| Name | Type | Output shape | Parameters | MACs | Activation memory |"
    assert md[3].startswith("| conv1 | Conv2d | 16×8×8 | 160 | 9,216 |") and len(md) == 14


def test_json_of_a_broken_graph_still_parses_and_exits_1(tmp_path, capsys):
    project = load_project(EXAMPLES / "lenet_digits.netcanvas")
    conv = project.graph.by_name("conv2")
    project.graph.set_param(conv.id, "kernel_size", (9, 9))
    save_project(project, tmp_path / "b.netcanvas")
    assert main(["check", str(tmp_path / "b.netcanvas"), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    row = next(r for r in data["nodes"] if r["name"] == "conv2")
    assert "conv2" in row["error"] and row["output_shape"] is None
    assert data["problems"][0]["severity"] == "error"


def test_memory_prints_per_layer_total_and_gpu_fits(capsys):
    assert main(["check", str(EXAMPLES / "resnet18.netcanvas"), "--memory",
                 "--batch-size", "32"]) == 0
    out = capsys.readouterr().out
    assert "memory to train at batch 32" in out and "workspace allowance" in out
    assert "fits a 3 GB GPU up to batch" in out and "fits a 24 GB GPU up to batch" in out
    assert "\n  conv1 " in out and "device 'auto'" in out


def test_bad_batch_size_is_one_line(capsys):
    assert main(["check", str(EXAMPLES / "lenet_digits.netcanvas"), "--batch-size", "0"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
