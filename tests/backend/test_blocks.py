"""Composite blocks: group/ungroup and the other block edits, shapes and errors through
instances, nesting, the project file's "blocks" section."""

from __future__ import annotations

import json

import pytest
from netcanvas.backend.blocks.edits import (
    AddBlock,
    EditBlock,
    ExposeParam,
    GroupNodes,
    MakeUnique,
    RenamePort,
    Ungroup,
)
from netcanvas.backend.blocks.inside import instance_analysis, new_instance
from netcanvas.backend.blocks.library import add_builtin, builtin_blocks
from netcanvas.backend.graph import AddNodes, GraphError, Rename, SetParam
from netcanvas.backend.project import Project
from netcanvas.backend.project_io import (
    FORMAT_VERSION,
    ProjectFileError,
    project_from_dict,
    project_to_dict,
)
from netcanvas.backend.shapes import analyze


def canonical(project: Project) -> dict:
    """The document with node and edge order ignored."""
    d = project_to_dict(project)
    g = d["graph"]
    return {**d, "graph": {"nodes": sorted(g["nodes"], key=lambda n: n["id"]),
                           "edges": sorted(g["edges"], key=json.dumps)}}


def chain_project() -> tuple[Project, list]:
    """image -> conv -> relu -> conv -> bn -> flatten -> linear -> logits, with a skip add."""
    p = Project()
    g = p.graph
    x = g.add("input", name="image", shape=(3, 8, 8), position=(0, 0))
    c1 = g.add("conv2d", out_channels=4, padding=(1, 1), position=(200, 0))
    r = g.add("relu", position=(400, 0))
    c2 = g.add("conv2d", out_channels=4, padding=(1, 1), position=(600, 0))
    add = g.add("add", position=(800, 0))
    f = g.add("flatten", position=(1000, 0))
    fc = g.add("linear", out_features=10, position=(1200, 0))
    out = g.add("output", name="logits", position=(1400, 0))
    for a, b in [(x, c1), (c1, r), (r, c2), (c2, add), (c1, add), (add, f), (f, fc), (fc, out)]:
        g.connect(a, b)
    return p, [x, c1, r, c2, add, f, fc, out]


def test_group_makes_one_instance_with_the_crossing_wires_as_ports():
    p, (_x, _c1, r, c2, add, *_) = chain_project()
    flat = analyze(p.graph)
    before = project_to_dict(p)
    edit = GroupNodes([r.id, c2.id, add.id])
    edit.apply(p.graph)
    node = p.graph.node(edit.instance_id)
    assert node.type_id == "block" and node.params["block"] == "Block"
    assert [port.name for port in node.spec.inputs] == ["x"]  # one per outer source
    assert [port.name for port in node.spec.outputs] == ["y"]
    assert len(p.graph.nodes) == 6
    grouped = analyze(p.graph)
    assert grouped.ok and grouped.total_params == flat.total_params
    assert grouped.total_macs == flat.total_macs  # a block's MACs are its contents'
    assert grouped.nodes[node.id].macs == sum(flat.nodes[n.id].macs for n in (r, c2, add))
    edit.revert(p.graph)
    assert project_to_dict(p) == before  # one undo step gives the identical document
    edit.apply(p.graph)  # redo repeats the same ids
    assert p.graph.node(edit.instance_id).params["block"] == "Block"


def test_ungroup_restores_nodes_wires_params_and_positions():
    p, (_x, c1, r, c2, _add, *_) = chain_project()
    before = canonical(p)
    group = GroupNodes([c1.id, r.id, c2.id])
    group.apply(p.graph)
    ungroup = Ungroup(group.instance_id)
    ungroup.apply(p.graph)
    assert canonical(p) == before
    assert len(p.blocks) == 0
    ungroup.revert(p.graph)
    assert p.graph.node(group.instance_id).type_id == "block" and list(p.blocks) == ["Block"]


@pytest.mark.parametrize("pick, message", [
    (lambda n: [n[0].id, n[1].id], "Input and Output nodes stay outside blocks"),
    (lambda n: [n[1].id, n[4].id], "'relu1' lies between the selected nodes"),
    (lambda n: [], "select the nodes"),
])
def test_group_refusals_name_the_reason(pick, message):
    p, nodes = chain_project()
    before = project_to_dict(p)
    with pytest.raises(GraphError, match=message):
        GroupNodes(pick(nodes)).apply(p.graph)
    assert project_to_dict(p) == before


def test_pooling_indices_may_not_cross_a_block_edge():
    p = Project()
    g = p.graph
    x = g.add("input", shape=(1, 8, 8))
    pool = g.add("max_pool2d")
    unpool = g.add("max_unpool2d")
    out = g.add("output", loss="none")
    g.connect(x, pool)
    g.connect(pool, unpool)
    g.connect(pool, unpool, "indices", "indices")
    g.connect(unpool, out)
    with pytest.raises(GraphError, match="pooling indices from 'pool1' cannot cross"):
        GroupNodes([pool.id]).apply(g)
    GroupNodes([pool.id, unpool.id]).apply(g)
    assert analyze(g).ok


def resnet_stage(repeat: int = 2, channels: int = 128, stride: int = 2, shape=(64, 16, 16)):
    p = Project()
    add_builtin(p.blocks, "BasicBlock")
    g = p.graph
    x = g.add("input", name="image", shape=shape)
    layer = g.add_node(new_instance(g, "BasicBlock", "layer2", repeat=repeat, channels=channels,
                                    stride=stride))
    out = g.add("output", loss="none")
    g.connect(x, layer)
    g.connect(layer, out)
    return p, layer


def test_exposed_params_and_the_optional_downsample():
    block = 2 * 9 * 128 * 128 + 4 * 128  # two 3x3 convs and two batch norms
    p, layer = resnet_stage()
    a = analyze(p.graph)
    first = 9 * 64 * 128 + 9 * 128 * 128 + 4 * 128 + 64 * 128 + 2 * 128  # with the 1x1 shortcut
    assert a.total_params == first + block
    assert a.nodes[layer.id].output_shapes["y"] == (128, 8, 8)
    SetParam(layer.id, "stride", 1).apply(p.graph)
    SetParam(layer.id, "channels", 64).apply(p.graph)
    a = analyze(p.graph)
    assert a.total_params == 2 * (2 * 9 * 64 * 64 + 4 * 64)  # no shortcut conv at all
    inner, _inner_analysis = instance_analysis(p.graph, layer.id, a, 1)
    assert "down_conv" not in {n.name for n in inner.nodes.values()}


def test_an_error_inside_names_the_path_and_the_inner_node():
    p, layer = resnet_stage(shape=(64,))
    a = analyze(p.graph)
    message = a.nodes[layer.id].error
    assert message.startswith("BasicBlock 'layer2.0' › Conv2d 'conv1' expects"), message
    inner, inner_analysis = instance_analysis(p.graph, layer.id, a)
    conv1 = inner.by_name("conv1")
    assert inner_analysis.nodes[conv1.id].error.startswith("Conv2d 'conv1' expects")


def test_repeat_needs_one_input_and_one_output():
    p = Project()
    add_builtin(p.blocks, "TwoStreamStem")
    g = p.graph
    stem = g.add_node(new_instance(g, "TwoStreamStem", "stem", repeat=2))
    for port in ("a", "b"):
        g.connect(g.add("input", name=port + "_in", shape=(1, 8, 8)), stem, dst_port=port)
    g.connect(stem, g.add("output", loss="none"))
    assert "repeats only with one input and one output" in analyze(g).nodes[stem.id].error


def test_a_block_cannot_contain_itself():
    p, _layer = resnet_stage()
    inner = p.blocks["BasicBlock"].graph
    with pytest.raises(GraphError, match="a block cannot contain itself: BasicBlock › BasicBlock"):
        EditBlock("BasicBlock", AddNodes([new_instance(inner, "BasicBlock")])).apply(p.graph)
    add_builtin(p.blocks, "VGGBlock")  # VGGBlock contains ConvReLU: ConvReLU may not hold it
    conv_relu = p.blocks["ConvReLU"].graph
    with pytest.raises(GraphError, match="ConvReLU › VGGBlock › … › ConvReLU"):
        EditBlock("ConvReLU", AddNodes([new_instance(conv_relu, "VGGBlock")])).apply(p.graph)
    d = project_to_dict(p)
    vgg = d["blocks"]["VGGBlock"]["graph"]["nodes"]
    d["blocks"]["ConvReLU"]["graph"]["nodes"].append({**vgg[1], "id": "loop", "name": "loop"})
    with pytest.raises(ProjectFileError, match="a block cannot contain itself"):
        project_from_dict(d)


def test_editing_a_definition_changes_every_instance_and_make_unique_forks_one():
    p, layer = resnet_stage(repeat=1)
    g = p.graph
    other = g.add_node(new_instance(g, "BasicBlock", "layer3", channels=128))
    g.connect(layer, other)
    conv2 = p.blocks["BasicBlock"].graph.by_name("conv2")
    edit = EditBlock("BasicBlock", SetParam(conv2.id, "bias", True))
    before = analyze(g).total_params
    edit.apply(g)
    assert analyze(g).total_params == before + 2 * 128
    edit.revert(g)
    fork = MakeUnique(other.id)
    fork.apply(g)
    assert g.node(other.id).params["block"] == "BasicBlock2"
    EditBlock("BasicBlock2", SetParam(conv2.id, "bias", True)).apply(g)
    assert analyze(g).total_params == before + 128
    fork.revert(g)
    assert list(p.blocks) == ["BasicBlock"]


def test_expose_param_on_a_grouped_block():
    p, (_x, c1, r, _c2, *_) = chain_project()
    group = GroupNodes([c1.id, r.id], block_name="Stem")
    group.apply(p.graph)
    expose = ExposeParam("Stem", "width", [("conv1", "out_channels")])
    expose.apply(p.graph)
    node = p.graph.node(group.instance_id)
    assert node.params["width"] == 4 and "width" in node.spec.key_params
    assert [port.name for port in node.spec.outputs] == ["relu1_y", "conv1_y"]
    SetParam(node.id, "width", 6).apply(p.graph)
    assert analyze(p.graph).nodes[group.instance_id].output_shapes["relu1_y"] == (6, 8, 8)
    with pytest.raises(GraphError, match="already has a parameter"):
        ExposeParam("Stem", "width", [("conv1", "stride")]).apply(p.graph)


def test_rename_inside_a_definition_is_one_undoable_edit():
    p, _layer = resnet_stage()
    relu = p.blocks["BasicBlock"].graph.by_name("relu1")
    edit = EditBlock("BasicBlock", Rename(relu.id, "act"))
    edit.apply(p.graph)
    assert p.blocks["BasicBlock"].graph.by_name("act") is not None
    assert edit.text == "Rename in BasicBlock"
    edit.revert(p.graph)
    assert p.blocks["BasicBlock"].graph.by_name("relu1") is not None


def test_renaming_a_port_rewires_every_instance():
    p, layer = resnet_stage()
    before = project_to_dict(p)
    edit = RenamePort("BasicBlock", "x", "features")
    edit.apply(p.graph)
    assert [port.name for port in p.graph.node(layer.id).spec.inputs] == ["features"]
    assert [e.dst_port for e in p.graph.edges_into(layer.id)] == ["features"]
    assert analyze(p.graph).ok
    edit.revert(p.graph)
    assert project_to_dict(p) == before
    with pytest.raises(GraphError, match="another node is already called 'conv1'"):
        RenamePort("BasicBlock", "y", "conv1").apply(p.graph)
    assert project_to_dict(p) == before


def test_blocks_section_round_trips_and_old_files_migrate():
    p, _layer = resnet_stage()
    d = json.loads(json.dumps(project_to_dict(p)))
    assert d["format_version"] == FORMAT_VERSION and list(d["blocks"]) == ["BasicBlock"]
    assert project_to_dict(project_from_dict(d)) == d
    old = {**d, "format_version": 2, "graph": {"nodes": d["graph"]["nodes"][:1], "edges": []}}
    del old["blocks"]
    loaded = project_from_dict(old)
    assert len(loaded.blocks) == 0 and len(loaded.graph.nodes) == 1


@pytest.mark.parametrize("corrupt, field", [
    (lambda d: d["blocks"].pop("BasicBlock"), "nodes[1].type"),
    (lambda d: d["blocks"]["BasicBlock"].update(exposed=[{"name": "x"}]),
     "blocks.BasicBlock.exposed[0].targets"),
    (lambda d: d["blocks"]["BasicBlock"]["branches"][0].update(when=[["stride", "~", 1]]),
     "blocks.BasicBlock.branches[0].when"),
    (lambda d: d["blocks"]["BasicBlock"]["graph"]["nodes"][1].update(type="nope"),
     "blocks.BasicBlock.graph.nodes[1].type"),
])
def test_a_damaged_blocks_section_is_refused_by_field(corrupt, field):
    p, _layer = resnet_stage()
    d = json.loads(json.dumps(project_to_dict(p)))
    corrupt(d)
    with pytest.raises(ProjectFileError) as caught:
        project_from_dict(d)
    assert caught.value.field == field


def test_add_block_copies_library_definitions_in_once():
    p = Project()
    g = p.graph
    section = builtin_blocks()["VGGBlock"]
    first = AddBlock(section, new_instance_for(g, "VGGBlock", section))
    first.apply(g)
    assert list(p.blocks) == ["ConvReLU", "VGGBlock"]
    second = AddBlock(section, new_instance_for(g, "VGGBlock", section, "stage2"))
    second.apply(g)
    assert list(p.blocks) == ["ConvReLU", "VGGBlock"]
    second.revert(g)
    first.revert(g)
    assert len(p.blocks) == 0 and len(g.nodes) == 0
    add_builtin(p.blocks, "ConvReLU")
    EditBlock("ConvReLU", Rename(p.blocks["ConvReLU"].graph.by_name("relu").id, "act")).apply(g)
    with pytest.raises(GraphError, match="already has a different block called 'ConvReLU'"):
        AddBlock(section, new_instance_for(g, "VGGBlock", section)).apply(g)


def new_instance_for(graph, block, section, name="stage1"):
    from netcanvas.backend.graph import Node, new_id
    return Node(new_id(), "block", name, {"block": block})


def test_a_project_copy_keeps_its_blocks_and_is_detached():
    p, _ = resnet_stage()
    twin = p.copy()
    assert project_to_dict(twin) == project_to_dict(p)
    assert twin.graph.blocks is twin.blocks and twin.blocks is not p.blocks
    assert not analyze(twin.graph).errors  # the copied instances find their definitions
    next(iter(twin.graph.nodes.values())).name = "changed"
    assert project_to_dict(twin) != project_to_dict(p)


def test_grouping_nodes_that_feed_a_concat_keeps_the_order_of_its_inputs():
    """DenseNet's concatenations: a block made of the concat's second input must not
    become its first (the channels would be swapped); undo gives the same edges back."""
    import torch
    from netcanvas.backend.compiler import compile_graph

    p = Project()
    g = p.graph
    x = g.add("input", shape=(2, 4, 4))
    a = g.add("conv2d", out_channels=3, kernel_size=1)
    b = g.add("conv2d", out_channels=5, kernel_size=1)
    relu = g.add("relu")
    cat = g.add("concat", dim=1)
    g.connect(x, a)
    g.connect(x, b)
    g.connect(b, relu)
    g.connect(relu, cat)
    g.connect(a, cat)
    g.connect(cat, g.add("output", loss="none"))
    torch.manual_seed(0)
    flat = compile_graph(g).module.eval()
    state = flat.state_dict()
    edges = list(g.edges)
    edit = GroupNodes([b.id, relu.id], name="branch")
    edit.apply(g)
    sources = [g.nodes[e.src].name for e in g.edges_into(cat.id)]
    assert sources == ["branch", a.name]
    blocked = compile_graph(g).module.eval()
    blocked.load_state_dict({k.replace(f"{b.name}.", f"branch.{b.name}."): v
                             for k, v in state.items()})
    inp = torch.randn(2, 2, 4, 4)
    with torch.no_grad():
        assert torch.equal(blocked(inp), flat(inp))
    edit.revert(g)
    assert list(g.edges) == edges


def test_grouping_a_concat_with_one_input_from_outside_keeps_the_order_inside():
    import torch
    from netcanvas.backend.compiler import compile_graph

    p = Project()
    g = p.graph
    x = g.add("input", shape=(2, 4, 4))
    a = g.add("conv2d", out_channels=3, kernel_size=1)
    cat = g.add("concat", dim=1)
    g.connect(x, a)
    g.connect(x, cat)  # the input first, from outside the group
    g.connect(a, cat)
    g.connect(cat, g.add("output", loss="none"))
    torch.manual_seed(0)
    flat = compile_graph(g).module.eval()
    state = flat.state_dict()
    GroupNodes([a.id, cat.id], name="dense").apply(g)
    blocked = compile_graph(g).module.eval()
    blocked.load_state_dict({f"dense.{k}": v for k, v in state.items()})
    inp = torch.randn(2, 2, 4, 4)
    with torch.no_grad():
        assert torch.equal(blocked(inp), flat(inp))
