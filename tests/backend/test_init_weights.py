"""Weights as a starting point (issue 26): matching by node name and shape, the report,
function-preserving widening and identity-initialised insertion, sources on disk, and the
Trainer / `netcanvas train --init-from` starting from them."""

from __future__ import annotations

import argparse

import pytest
import torch
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.graph import Edge
from netcanvas.backend.project_io import save_project
from netcanvas.backend.runs import DataInfo, RunStore
from netcanvas.backend.training import Trainer
from netcanvas.backend.training.init_weights import (
    InitError,
    InitSource,
    apply_source,
    read_source,
)
from safetensors.torch import save_file
from test_training_support import blobs, cnn_project, images, mlp_project


def _trained(project, data, epochs=3):
    project.training.epochs = epochs
    result = Trainer(project, data).run()
    assert result.failed is None
    return result.model


def _state(model) -> dict:
    return {k: v.clone() for k, v in model.module.state_dict().items()}


def _accuracy(model, split) -> float:
    with torch.no_grad():
        return float((model.module.eval()(split.x).argmax(1) == split.y).float().mean())


def _insert_after(graph, name: str, type_id: str, new_name: str, **params):
    """Put a new node between `name` and whatever it fed."""
    node = graph.by_name(name)
    outgoing = graph.edges_from(node.id)
    added = graph.add(type_id, new_name, **params)
    for e in outgoing:
        graph.remove_edge(e)
        graph.add_edge(Edge(added.id, "y", e.dst, e.dst_port))
    graph.connect(node, added)
    return added


def test_exact_new_mismatched_and_unused_tensors_are_reported():
    project = mlp_project(hidden=8)
    donor = compile_graph(project.graph)
    tensors = _state(donor)
    tensors["gone.weight"] = torch.zeros(2)
    tensors["fc2.weight"] = torch.zeros(3, 12)  # shrunk: does not fit
    project.graph.rename(project.graph.by_name("fc1").id, "hidden")
    model = compile_graph(project.graph)
    report = apply_source(model.module, InitSource("donor", tensors))
    assert report.loaded == ["fc2.bias"]
    assert sorted(report.new) == ["hidden.bias", "hidden.weight"]
    assert report.mismatched == [("fc2.weight", "shape 3×12 in the source, 3×8 here")]
    assert report.unused == ["fc1.bias", "fc1.weight", "gone.weight"]
    assert report.fates() == {"hidden": "new", "fc2": "partly"}
    text = "\n".join(report.lines())
    assert "1 tensors loaded" in text and "did not fit: fc2.weight" in text
    assert torch.equal(model.module.fc2.bias, donor.module.fc2.bias)


def test_widening_a_trained_layer_keeps_its_accuracy():
    data = blobs(n=300, features=2, classes=3)
    project = mlp_project(hidden=8)
    trained = _trained(project, data)
    before = _accuracy(trained, data.test)
    project.graph.set_param(project.graph.by_name("fc1").id, "out_features", 24)
    widened = compile_graph(project.graph)
    report = apply_source(widened.module, InitSource("run", _state(trained)))
    assert report.fates() == {"fc1": "partly", "fc2": "partly"}
    assert abs(_accuracy(widened, data.test) - before) <= 0.005
    with torch.no_grad():
        assert torch.allclose(widened.module(data.test.x), trained.module(data.test.x), atol=1e-5)
    old, new = trained.module.fc1.weight, widened.module.fc1.weight
    assert torch.equal(new[:8], old)  # Net2Net: the old units kept, each new one a copy
    assert all(any(torch.equal(row, o) for o in old) for row in new[8:])
    assert torch.allclose(widened.module.fc2.weight.sum(1), trained.module.fc2.weight.sum(1),
                          atol=1e-5)  # the copied units' outgoing weights share the old one


def test_net2net_carries_batchnorm_statistics_along():
    project = mlp_project(hidden=6, batch_norm=True, lr=1e-3)
    g = project.graph
    data = blobs(n=150)
    trained = _trained(project, data, epochs=2)
    g.set_param(g.by_name("fc1").id, "out_features", 10)
    widened = compile_graph(g)
    report = apply_source(widened.module, InitSource("run", _state(trained)))
    assert report.fates() == {"fc1": "partly", "bn": "partly", "fc2": "partly"}
    old_mean, new_mean = trained.module.bn.running_mean, widened.module.bn.running_mean
    assert all(any(float(m) == float(o) for o in old_mean) for m in new_mean[6:])  # copied
    with torch.no_grad():
        assert torch.allclose(widened.module.eval()(data.test.x),
                              trained.module.eval()(data.test.x), atol=1e-5)


def test_widening_a_conv_before_flatten_keeps_the_function():
    data = images()
    project = cnn_project()
    trained = _trained(project, data, epochs=1)
    project.graph.set_param(project.graph.by_name("conv1").id, "out_channels", 12)
    widened = compile_graph(project.graph)
    apply_source(widened.module, InitSource("run", _state(trained)))
    with torch.no_grad():
        assert torch.allclose(widened.module.eval()(data.test.x),
                              trained.module.eval()(data.test.x), atol=1e-5)
    new = widened.module.conv1.weight
    assert all(any(torch.equal(c, o) for o in trained.module.conv1.weight) for c in new[8:])


def test_an_identity_initialised_block_leaves_test_accuracy_unchanged():
    data = blobs(n=300, features=2, classes=3)
    project = mlp_project(hidden=8)
    trained = _trained(project, data)
    before = _accuracy(trained, data.test)
    fc = _insert_after(project.graph, "act", "linear", "deeper", out_features=8)
    _insert_after(project.graph, fc.name, "relu", "deeper_act")
    deeper = compile_graph(project.graph)
    report = apply_source(deeper.module, InitSource("run", _state(trained), identity_new=True))
    assert report.identity == ["deeper.weight", "deeper.bias"] and not report.new
    assert report.fates()["deeper"] == "partly"
    assert abs(_accuracy(deeper, data.test) - before) <= 0.005
    with torch.no_grad():
        assert torch.allclose(deeper.module(data.test.x), trained.module(data.test.x), atol=1e-6)


def test_an_identity_conv_is_the_identity():
    project = cnn_project()
    _insert_after(project.graph, "relu1", "conv2d", "same", out_channels=8, kernel_size=3,
                  padding=1)
    model = compile_graph(project.graph)
    apply_source(model.module, InitSource("none", {}, identity_new=True))
    x = torch.randn(2, 8, 8, 8)
    with torch.no_grad():
        assert torch.allclose(model.module.same(x), x)


def test_sources_on_disk(tmp_path):
    project = mlp_project()
    project.training.epochs = 1
    store = RunStore("p", root=tmp_path)
    run = store.new_run(project)
    result = Trainer(run.project, blobs(), checkpoint_dir=run.checkpoint_dir).run()
    run.data = DataInfo("classification", ["a", "b", "c"], (2,), [0.0, 0.0], [1.0, 1.0], 1.0)
    run.ended(result)
    from_run = read_source(run.folder)
    assert from_run.data.class_names == ["a", "b", "c"] and "best epoch" in from_run.label
    assert set(from_run.tensors) == set(result.model.module.state_dict())
    assert set(read_source(run.checkpoint_dir, which="last").tensors) == set(from_run.tensors)
    save_file({"fc1.weight": torch.zeros(16, 2)}, str(tmp_path / "w.safetensors"))
    assert list(read_source(tmp_path / "w.safetensors").tensors) == ["fc1.weight"]
    save_project(project, tmp_path / "imp.netcanvas")
    save_file({"fc1.bias": torch.zeros(16)}, str(tmp_path / "imp.safetensors"))
    assert list(read_source("import", tmp_path / "imp.netcanvas").tensors) == ["fc1.bias"]
    for spec, needle in ((tmp_path / "nothing", "no weights at"),
                         (tmp_path / "imp.netcanvas", "not a weights file")):
        with pytest.raises(InitError, match=needle):
            read_source(spec)
    with pytest.raises(InitError, match="no imported weights"):
        read_source("import", tmp_path / "other.netcanvas")


def test_the_trainer_starts_from_the_weights_and_reports_before_training():
    data = blobs(n=300)
    project = mlp_project()
    trained = _trained(project, data)
    events = []
    trainer = Trainer(project, data, on_event=events.append,
                      init_from=InitSource("run 1", _state(trained)))
    project.training.epochs = 1
    trainer.run()
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("InitReport") < kinds.index("Started")
    report = trainer.init_report
    assert len(report.loaded) == 4 and not report.new
    crit = torch.nn.CrossEntropyLoss()
    with torch.no_grad():
        want = float(crit(trained.module.eval()(data.val.x), data.val.y))
    assert report.start_metrics["loss"] == pytest.approx(want, rel=1e-5)


def test_normalisation_of_the_source_comes_along():
    data = blobs(n=150)
    info = DataInfo("classification", ["x", "y", "z"], (2,), [1.0, 2.0], [2.0, 4.0], 1.0)
    data.mean, data.std = torch.tensor([0.5, -1.0]), torch.tensor([3.0, 0.5])
    raw = data.train.x * data.std + data.mean
    from netcanvas.backend.training.events import InitReport
    from netcanvas.backend.training.init_weights import adopt_data
    report = InitReport("run")
    adopted = adopt_data(data, InitSource("run", {}, info), report)
    assert torch.allclose(adopted.train.x, (raw - torch.tensor([1.0, 2.0])) / torch.tensor(
        [2.0, 4.0]), atol=1e-5)
    assert adopted.train is not data.train  # the loaded dataset may be shared: left alone
    assert any("normalisation" in n for n in report.notes)
    assert any("the source was trained on x, y, z" in n for n in report.notes)


def test_train_cli_init_from(tmp_path, capsys):
    from netcanvas.backend.cli import train as train_cli
    from test_training_support import blobs_file

    path = blobs_file(tmp_path / "b.netcanvas", epochs=1)

    def train(*argv):
        parser = argparse.ArgumentParser(prog="netcanvas")
        train_cli.add_parser(parser.add_subparsers(dest="command"))
        return train_cli.run(parser.parse_args(["train", *argv]))

    assert train(str(path), "--out", str(tmp_path / "first")) == 0
    capsys.readouterr()
    assert train(str(path), "--init-from", str(tmp_path / "first"), "--init-epoch", "last") == 0
    out = capsys.readouterr().out
    assert "weights from" in out and "4 tensors loaded" in out and "keep their weights" in out
    assert out.index("weights from") < out.index("training on")
    assert train(str(path), "--init-from", str(tmp_path / "none")) == 2
    assert "--init-from: no weights at" in capsys.readouterr().err
