"""The built-in block library (the course's pieces) and the user's library file."""

from __future__ import annotations

import pytest
import torch
from netcanvas.backend.blocks.edits import AddBlock
from netcanvas.backend.blocks.io import blocks_from_dict
from netcanvas.backend.blocks.library import (
    MAX_COLUMNS,
    builtin_blocks,
    load_user_library,
    save_to_user_library,
    user_library_path,
)
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.graph import Node, new_id
from netcanvas.backend.project import Project
from netcanvas.backend.project_io import ProjectFileError
from netcanvas.backend.shapes import analyze

COURSE = ("VGGBlock", "BasicBlock", "Bottleneck", "Inception", "TwoStreamStem", "EncoderDecoder")


def dropped(name: str) -> tuple[Project, Node]:
    """A project holding one instance of library block `name`, every port wired to its own
    Input / Output."""
    project = Project()
    g = project.graph
    section = builtin_blocks()[name]
    spec = blocks_from_dict(section).spec(name)
    node = Node(new_id(), "block", "blk", {"block": name})
    AddBlock(section, node).apply(g)
    for port in spec.inputs:
        g.connect(g.add("input", name=f"{port.name}_in", shape=spec.example_inputs[port.name]),
                  node, dst_port=port.name)
    for port in spec.outputs:
        g.connect(node, g.add("output", name=f"{port.name}_out", loss="none"),
                  src_port=port.name)
    return project, node


@pytest.mark.parametrize("name", COURSE)
def test_each_course_block_builds_and_agrees_with_torch(name):
    project, _node = dropped(name)
    analysis = analyze(project.graph)
    assert analysis.ok, analysis.problems
    assert project.blocks[name].doc
    model = compile_graph(project.graph)
    assert sum(p.numel() for p in model.module.parameters()) == analysis.total_params
    with torch.no_grad():
        out = model.module.eval()(*model.example_inputs(batch=2))
    outs = out if isinstance(out, tuple) else (out,)
    expected = [analysis.nodes[project.graph.by_name(n).id].output_shapes["y"]
                for n in model.output_names]
    assert [tuple(o.shape[1:]) for o in outs] == expected


def test_user_library_saves_and_loads_blocks_with_what_they_contain(tmp_path, monkeypatch):
    monkeypatch.setenv("NETCANVAS_DATA_DIR", str(tmp_path))
    assert user_library_path() == tmp_path / "blocks.json"
    assert load_user_library() == {}
    project, _ = dropped("VGGBlock")
    save_to_user_library(project.blocks, "VGGBlock")
    library = load_user_library()
    assert list(library) == ["ConvReLU", "VGGBlock"]
    assert list(library["VGGBlock"]) == ["ConvReLU", "VGGBlock"]
    other = Project()
    AddBlock(library["VGGBlock"], Node(new_id(), "block", "mine", {"block": "VGGBlock"})
             ).apply(other.graph)
    assert list(other.blocks) == ["ConvReLU", "VGGBlock"]
    (tmp_path / "blocks.json").write_text('{"blocks": {"Bad": {"graph": 3}}}')
    with pytest.raises(ProjectFileError, match="blocks.json: blocks.Bad.graph"):
        load_user_library()


def test_builtin_layouts_are_at_most_max_columns_wide_and_cards_do_not_overlap():
    """A long block (ResNet's basic block is 9 layers end to end) is folded into rows, so
    opened inside it fits the canvas at a zoom where its cards read."""
    for name, section in builtin_blocks().items():
        spots = [tuple(n["position"]) for n in section[name]["graph"]["nodes"]]
        assert len({x for x, _ in spots}) <= MAX_COLUMNS, name
        assert len(set(spots)) == len(spots), name
