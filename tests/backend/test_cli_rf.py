"""`netcanvas rf`: the receptive-field table, one node, and the one-line refusals."""

from __future__ import annotations

from pathlib import Path

from netcanvas.backend.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def test_rf_prints_size_jump_and_offset_of_every_node(capsys):
    assert main(["rf", str(EXAMPLES / "lenet_digits.netcanvas")]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()}
    assert rows["conv2"][3:] == ["8", "2", "-3"]
    assert rows["pool2"][3:] == ["10", "4", "-3"]
    assert rows["fc1"][3:] == ["whole", "input"]


def test_rf_of_one_node_through_blocks(capsys):
    assert main(["rf", str(EXAMPLES / "resnet18.netcanvas"), "--node", "layer4"]) == 0
    (_, row) = capsys.readouterr().out.splitlines()
    assert row.split() == ["layer4", "block", "512×7×7", "435", "32", "-217"]


def test_rf_refusals_are_one_line(capsys):
    assert main(["rf", str(EXAMPLES / "lenet_digits.netcanvas"), "--node", "nope"]) == 2
    assert capsys.readouterr().err.strip() == ("netcanvas rf: error: --node: no node named "
                                               f"'nope' in {EXAMPLES / 'lenet_digits.netcanvas'}")
    assert main(["rf", str(EXAMPLES / "mlp_moons.netcanvas")]) == 1
    assert "image input" in capsys.readouterr().err
