"""Per-node training settings (issue 26): declared, validated, undoable, saved in the project
(format 4, migrated from 3), and turned into optimizer parameter groups: a frozen node's
weights and BatchNorm statistics stay bit-identical, an LR factor scales its learning rate,
weight decay can be switched off per node, and a block instance's settings cover its insides."""

from __future__ import annotations

import itertools
import json

import pytest
import torch
from fuzz_corpus import source, training_cases
from netcanvas.backend.blocks.library import add_builtin
from netcanvas.backend.cli import main
from netcanvas.backend.graph import ParamValueError, SetTraining
from netcanvas.backend.graph.node_training import NODE_TRAINING, card_note
from netcanvas.backend.project import Project
from netcanvas.backend.project_io import (
    FORMAT_VERSION,
    ProjectFileError,
    project_from_dict,
    project_to_dict,
)
from netcanvas.backend.training import Trainer
from netcanvas.backend.training.param_groups import parameter_groups
from test_training_support import blobs, images, mlp_project


def test_declarations_validate_and_keep_only_what_differs():
    assert [p.name for p in NODE_TRAINING] == ["trainable", "lr_factor", "weight_decay"]
    p = mlp_project()
    fc1 = p.graph.by_name("fc1")
    edit = SetTraining(fc1.id, {"trainable": False, "lr_factor": 1.0})
    edit.apply(p.graph)
    assert fc1.training == {"trainable": False}
    edit.revert(p.graph)
    assert fc1.training == {}
    with pytest.raises(ParamValueError, match="fc1: lr_factor: must be at least 0"):
        p.graph.set_training(fc1.id, {"lr_factor": -2})
    with pytest.raises(ParamValueError, match="no per-node training setting 'frozen'"):
        p.graph.set_training(fc1.id, {"frozen": True})
    assert card_note({"trainable": False, "lr_factor": 0.1, "weight_decay": False}) == \
        "frozen · lr ×0.1 · no decay"


def test_settings_round_trip_and_format_3_files_migrate():
    p = mlp_project()
    p.graph.set_training(p.graph.by_name("fc1").id, {"trainable": False})
    p.graph.set_training(p.graph.by_name("fc2").id, {"lr_factor": 10.0, "weight_decay": False})
    d = json.loads(json.dumps(project_to_dict(p)))
    assert d["format_version"] == FORMAT_VERSION == 4
    assert project_to_dict(project_from_dict(d)) == d
    old = json.loads(json.dumps(project_to_dict(mlp_project())))
    old["format_version"] = 3
    loaded = project_from_dict(old)
    assert all(n.training == {} for n in loaded.graph.nodes.values())
    bad = json.loads(json.dumps(d))
    bad["graph"]["nodes"][1]["training"] = {"lr_factor": "fast"}
    with pytest.raises(ProjectFileError) as info:
        project_from_dict(bad)
    assert info.value.field == "graph.nodes[1].training.lr_factor" or \
        "training.lr_factor" in str(info.value)


def test_fuzz_training_cases_are_refused_in_one_line(tmp_path, capsys):
    for i, (label, text) in enumerate(training_cases(source("mlp_moons"))):
        path = tmp_path / f"case{i}.netcanvas"
        path.write_text(text)
        assert main(["check", str(path)]) == 2, label
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "training" in err[0], (label, err)


def test_frozen_nodes_stay_bit_identical_and_factors_scale_the_rate():
    data = blobs(n=200)
    p = mlp_project(weight_decay=0.01, optimizer="sgd")
    fc1, fc2 = p.graph.by_name("fc1"), p.graph.by_name("fc2")
    p.graph.set_training(fc1.id, {"trainable": False})
    p.graph.set_training(fc2.id, {"lr_factor": 0.5, "weight_decay": False})
    torch.manual_seed(p.training.seed)
    from netcanvas.backend.compiler import compile_graph
    before = compile_graph(p.graph).module.state_dict()
    result = Trainer(p, data).run()
    assert result.failed is None
    after = result.model.module.state_dict()
    assert torch.equal(after["fc1.weight"], before["fc1.weight"])
    assert torch.equal(after["fc1.bias"], before["fc1.bias"])
    assert not torch.equal(after["fc2.weight"], before["fc2.weight"])
    module = compile_graph(p.graph).module
    groups = parameter_groups(module, p.graph, p.training)
    assert [(g["lr_factor"], g["lr"], g["weight_decay"]) for g in groups] == [(0.5, 0.005, 0.0)]
    assert not module.fc1.weight.requires_grad


def test_a_frozen_batchnorm_keeps_its_running_statistics():
    p = mlp_project(hidden=8, batch_norm=True, epochs=1, lr=1e-3)
    p.graph.set_training(p.graph.by_name("bn").id, {"trainable": False})
    result = Trainer(p, blobs(n=120)).run()
    state = result.model.module.state_dict()
    assert torch.equal(state["bn.running_mean"], torch.zeros(8))
    assert torch.equal(state["bn.running_var"], torch.ones(8))
    assert int(state["bn.num_batches_tracked"]) == 0


def test_a_block_instance_freezes_everything_inside():
    from netcanvas.backend.blocks.inside import new_instance

    p = Project()
    add_builtin(p.blocks, "BasicBlock")
    g = p.graph
    x = g.add("input", "image", shape=(1, 8, 8))
    stem = g.add("conv2d", "stem", out_channels=4, kernel_size=3, padding=1)
    block = g.add_node(new_instance(g, "BasicBlock", "stage", channels=4, stride=1, repeat=1))
    rest = [g.add("flatten", "flat"), g.add("linear", "fc", out_features=3), g.add("output", "o")]
    for a, b in itertools.pairwise([x, stem, block, *rest]):
        g.connect(a, b)
    g.set_training(block.id, {"trainable": False})
    from netcanvas.backend.compiler import compile_graph
    module = compile_graph(g).module
    groups = parameter_groups(module, g, p.training)
    inside = {id(q) for q in module.stage.parameters()}
    assert inside and not any(id(q) in inside for grp in groups for q in grp["params"])
    assert all(not q.requires_grad for q in module.stage.parameters())
    p.training.epochs, p.training.device = 1, "cpu"
    before = {k: v.clone() for k, v in module.stage.state_dict().items()}
    torch.manual_seed(p.training.seed)
    result = Trainer(p, images(n=96)).run()
    assert result.failed is None
    after = result.model.module.stage.state_dict()
    torch.manual_seed(p.training.seed)
    fresh = compile_graph(g).module.stage.state_dict()
    assert all(torch.equal(after[k], fresh[k]) for k in fresh)
    assert before.keys() == after.keys()


def test_everything_frozen_fails_with_a_message():
    p = mlp_project(epochs=1)
    for name in ("fc1", "fc2"):
        p.graph.set_training(p.graph.by_name(name).id, {"trainable": False})
    result = Trainer(p, blobs()).run()
    assert result.failed is not None and "every node with weights is frozen" in \
        result.failed.message


def test_new_task_replaces_the_head_freezes_before_it_and_undoes_in_one_step():
    from netcanvas.backend.graph.head import new_task
    from netcanvas.backend.project_io import load_project
    from test_import import EXAMPLES

    p = load_project(EXAMPLES / "lenet_digits.netcanvas")
    g = p.graph
    before = p.graph.to_dict()
    edit = new_task(g, 5, freeze=True)
    edit.apply(g)
    head = g.by_name("head1")
    assert g.by_name("fc2") is None and head.params["out_features"] == 5
    assert [g.node(e.dst).name for e in g.edges_from(head.id)] == ["logits"]
    assert [g.node(e.src).name for e in g.edges_into(head.id)] == ["relu3"]
    frozen = sorted(n.name for n in g.nodes.values() if n.training.get("trainable") is False)
    assert frozen == ["conv1", "conv2", "fc1"] and head.training == {}
    edit.revert(g)
    assert g.to_dict() == before
    with pytest.raises(Exception, match="at least 1 class"):
        new_task(g, 0)
