"""Import never loses a user's file and never reports a false success (issue 29 items 3, 5
and the trusted-import timeout of item 8): an output that is the input is refused, existing
files are replaced only with --force, the project and its weights are written both or
neither, and a module that exits or never returns ends in one line and exit 2."""

from __future__ import annotations

import pytest
from fuzz_corpus import onnx_cases
from netcanvas.backend.importer import save as save_module
from netcanvas.backend.importer import user_code
from test_fuzz import refused_in_one_line, run_cli

CONV = """
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)

    def forward(self, x):
        {body}
        return self.conv(x)
"""


def _onnx_with_weights(path):
    """A one-Conv ONNX model: its import writes a project and a safetensors file."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.ones((2, 1, 3, 3), np.float32), "conv.weight")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "conv.weight"], ["y"], name="conv")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2, 6, 6])], [w])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def test_an_output_that_is_the_input_is_refused_and_the_input_kept(tmp_path):
    model = _onnx_with_weights(tmp_path / "m.onnx")
    before = model.read_bytes()
    for out in (model, tmp_path / "." / "m.onnx"):
        status, out_text, err = run_cli(["import", str(model), "-o", str(out), "--force"])
        assert refused_in_one_line("same", status, out_text, err) is None
        assert "is the file being imported" in err
    assert model.read_bytes() == before
    source = tmp_path / "net.py"
    source.write_text(CONV.format(body="pass"))
    status, out_text, err = run_cli(["import", f"{source}:Net", "--trust-code", "--input-shape",
                                     "1,8,8", "-o", str(source), "--force"])
    assert status == 2 and "is the file being imported" in err
    assert "class Net" in source.read_text()


def test_existing_project_and_weights_are_replaced_only_with_force(tmp_path):
    model = _onnx_with_weights(tmp_path / "m.onnx")
    out, weights = tmp_path / "p.netcanvas", tmp_path / "p.safetensors"
    for existing in (out, weights):
        existing.write_text("mine")
        status, out_text, err = run_cli(["import", str(model), "-o", str(out)])
        assert refused_in_one_line("exists", status, out_text, err) is None
        assert f"{existing} exists: pass --force" in err and existing.read_text() == "mine"
        existing.unlink()
    out.write_text("mine")
    weights.write_text("mine")
    assert run_cli(["import", str(model), "-o", str(out), "--force"])[0] == 0
    assert out.read_text().startswith("{") and weights.read_bytes() != b"mine"


@pytest.mark.parametrize("failing", ["project", "weights"])
def test_project_and_weights_are_written_both_or_neither(tmp_path, monkeypatch, failing):
    model = _onnx_with_weights(tmp_path / "m.onnx")
    out, weights = tmp_path / "p.netcanvas", tmp_path / "p.safetensors"
    out.write_text("old project")
    weights.write_text("old weights")

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(save_module, "save_project" if failing == "project" else "save_file",
                        disk_full)
    status, out_text, err = run_cli(["import", str(model), "-o", str(out), "--force"])
    assert refused_in_one_line("disk full", status, out_text, err) is None
    assert "No space left" in err
    assert out.read_text() == "old project" and weights.read_text() == "old weights"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx", "p.netcanvas",
                                                          "p.safetensors"]  # no temp left


@pytest.mark.parametrize("where, code", [
    ("top", "import sys\nsys.exit(0)\n"),
    ("top", "raise SystemExit\n"),
    ("init", CONV.replace("super().__init__()", "super().__init__(); raise SystemExit(0)")),
    ("forward", CONV.format(body="raise SystemExit(0)")),
])
def test_a_module_that_exits_is_not_a_silent_success(tmp_path, where, code):
    source = tmp_path / "net.py"
    source.write_text(code if where != "top" else CONV.format(body="pass") + code)
    out = tmp_path / "p.netcanvas"
    status, out_text, err = run_cli(["import", f"{source}:Net", "--trust-code",
                                     "--input-shape", "1,8,8", "-o", str(out)])
    assert refused_in_one_line(where, status, out_text, err) is None
    assert "sys.exit(" in err and "nothing was imported" in err and not out.exists()


@pytest.mark.parametrize("where", ["top", "forward"])
def test_trusted_code_that_never_returns_is_stopped_with_a_message(tmp_path, monkeypatch,
                                                                  where):
    monkeypatch.setattr(user_code, "USER_CODE_SECONDS", 0.5)
    source = tmp_path / "net.py"
    loop = "while True:\n            pass"
    source.write_text(CONV.format(body=loop) if where == "forward"
                      else "while True:\n    pass\n" + CONV.format(body="pass"))
    status, out_text, err = run_cli(["import", f"{source}:Net", "--trust-code",
                                     "--input-shape", "1,8,8", "-o", str(tmp_path / "p.nc")])
    assert refused_in_one_line(where, status, out_text, err) is None
    assert "did not finish within 0.5 s" in err


def test_the_onnx_corpus_writes_nothing(tmp_path):
    for label, data in onnx_cases():
        (tmp_path / "m.onnx").write_bytes(data)
        run_cli(["import", str(tmp_path / "m.onnx"), "-o", str(tmp_path / "p.netcanvas")])
        assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"], label
