"""What `check` passes must run and export (issue 9, item 6): pools with ceil_mode whose
last window would start past the input, MaxUnpool2d after a pool of an odd size, and a
failed ONNX export that must leave no file behind."""

from __future__ import annotations

import pytest
import torch
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.export import ExportError, export_onnx
from netcanvas.backend.graph import Graph
from netcanvas.backend.shapes import analyze
from test_compiler_graphs import chain

torch.set_num_threads(1)


def pool_graph(pool: str, shape, kernel, stride) -> Graph:
    g = Graph()
    chain(g, g.add("input", "x0", shape=shape),
          g.add(pool, "p", kernel_size=kernel, stride=stride, ceil_mode=True),
          g.add("flatten", "fl"), g.add("output", "out", loss="none"))
    return g


@pytest.mark.onnx
@pytest.mark.slow
@pytest.mark.parametrize("pool", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("shape, kernel, stride", [((1, 6, 6), (1, 1), (3, 3)),
                                                   ((1, 7, 6), (2, 2), (2, 2))])
def test_ceil_mode_pools_that_check_passes_export_and_agree(pool, shape, kernel, stride, tmp_path):
    g = pool_graph(pool, shape, kernel, stride)
    analysis = analyze(g)
    assert analysis.ok, analysis.problems
    model = compile_graph(g)
    out = model.module(torch.randn(2, *shape))
    assert tuple(out.shape[1:]) == model.output_shapes[0]
    report = export_onnx(model, tmp_path / "m.onnx")
    assert report.ok and (tmp_path / "m.onnx").is_file()


def test_ceil_mode_that_onnx_cannot_express_is_refused_at_check():
    analysis = analyze(pool_graph("avg_pool2d", (1, 6, 7), (1, 2), (3, 2)))
    (error,) = analysis.errors
    assert "ceil_mode" in error.message and "turn ceil_mode off" in error.message


def unpool_graph(size: int, output_size=None) -> Graph:
    g = Graph()
    x = g.add("input", "x0", shape=(2, size, size))
    pool = g.add("max_pool2d", "pool1")
    unpool = g.add("max_unpool2d", "unpool1", output_size=output_size)
    g.connect(x, pool)
    g.connect(pool, unpool, "y", "x")
    g.connect(pool, unpool, "indices", "indices")
    chain(g, unpool, g.add("flatten", "fl"), g.add("output", "out", loss="none"))
    return g


def test_unpool_after_an_odd_pool_is_refused_with_the_output_size_that_fixes_it():
    analysis = analyze(unpool_graph(7))
    (error,) = analysis.errors
    assert "unpool1" in error.message and "pool1" in error.message
    assert "set output_size to 7×7" in error.message


def test_unpool_with_the_pools_input_size_runs():
    g = unpool_graph(7, output_size=(7, 7))
    assert analyze(g).ok
    model = compile_graph(g)
    assert tuple(model.module(torch.randn(3, 2, 7, 7)).shape) == (3, 2 * 7 * 7)
    assert analyze(unpool_graph(8)).ok


@pytest.mark.onnx
def test_a_failed_export_leaves_no_file(tmp_path, monkeypatch):
    import onnx

    target = tmp_path / "m.onnx"
    target.write_bytes(b"an earlier export")

    def refuse(*args, **kwargs):
        raise onnx.checker.ValidationError("broken on purpose")

    monkeypatch.setattr(onnx.checker, "check_model", refuse)
    model = compile_graph(unpool_graph(8))
    with pytest.raises(ExportError, match="ONNX checker"):
        export_onnx(model, target)
    assert target.read_bytes() == b"an earlier export"
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]
