"""Quick fixes for shape errors: offered only when they clear the error, each one
undoable edit; silenced rules survive a save in format 2, and format 1 files still load."""

from __future__ import annotations

import json

import pytest
from doctor_graphs import chain, conv
from netcanvas.backend.doctor import DataFacts, fixes_for, lint
from netcanvas.backend.doctor.error_fixes import error_fixes
from netcanvas.backend.graph import Graph
from netcanvas.backend.project import Project
from netcanvas.backend.project_io import (
    FORMAT_VERSION,
    ProjectFileError,
    load_project,
    project_from_dict,
    project_to_dict,
)
from netcanvas.backend.shapes import analyze

DIGITS = DataFacts("digits", (1, 8, 8), 10)


def apply_and_undo(graph: Graph, node_id: str, title_start: str, data=None) -> None:
    before = graph.to_dict()
    fixes = error_fixes(graph, node_id, data=data)
    (fix,) = [f for f in fixes if f.title.startswith(title_start)]
    edit = fix.edit(graph)
    edit.apply(graph)
    assert analyze(graph).ok, analyze(graph).errors
    edit.revert(graph)
    assert graph.to_dict() == before
    assert analyze(graph).nodes[node_id].error


def merge(kind: str, left, right, shape=(1, 8, 8)) -> tuple[Graph, str]:
    g = Graph()
    x = g.add("input", shape=shape)
    node = g.add(kind)
    for layer in (left, right):
        type_id, params = layer
        branch = g.add(type_id, **params)
        g.connect(x, branch)
        g.connect(branch, node)
    flat = g.add("flatten")
    g.connect(node, flat)
    fc = g.add("linear", out_features=10)
    g.connect(flat, fc)
    g.connect(fc, g.add("output"))
    return g, node.id


def test_flatten_and_linear_to_the_class_count_before_a_cross_entropy_output():
    # (N, 8, 8) is neither class scores nor per-pixel scores (N, C, H, W)
    project = chain(("linear", {"out_features": 8}), shape=(8, 8))
    out = next(n for n in project.graph.nodes.values() if n.type_id == "output")
    titles = [f.title for f in error_fixes(project.graph, out.id, data=DIGITS)]
    assert titles == ["Insert a Flatten and a Linear to 10 classes before 'output1'",
                      "Insert a Flatten before 'output1'"]
    assert [f.title for f in error_fixes(project.graph, out.id)] == titles[1:]  # no dataset
    apply_and_undo(project.graph, out.id, "Insert a Flatten and a Linear", DIGITS)


def test_projection_conv_to_match_channels_before_add():
    g, add = merge("add", conv(8, padding=(1, 1)), conv(4, padding=(1, 1)))
    apply_and_undo(g, add, "Insert a 1×1 Conv2d to 8 channels")


def test_projection_linear_to_match_features_before_add():
    g = Graph()
    x = g.add("input", shape=(6,))
    a, b, add = g.add("linear", out_features=5), g.add("linear", out_features=3), g.add("add")
    for layer in (a, b):
        g.connect(x, layer)
        g.connect(layer, add)
    g.connect(add, g.add("output"))
    apply_and_undo(g, add.id, "Insert a projection Linear to 5 channels")


def test_padding_to_keep_the_size_before_add():
    g, add = merge("add", conv(4, padding=(1, 1)), conv(4, k=5))
    apply_and_undo(g, add, "Pad 'conv2' to keep the size")


def test_adaptive_pool_to_match_spatial_sizes_before_concat():
    g, cat = merge("concat", conv(4, padding=(1, 1)), ("max_pool2d", {}))
    apply_and_undo(g, cat, "Insert an AdaptiveAvgPool2d to 4×4")


def test_no_fix_is_offered_that_does_not_clear_the_error():
    g, add = merge("add", conv(4, padding=(1, 1)), ("max_pool2d", {"kernel_size": (3, 3)}))
    assert not [f for f in error_fixes(g, add) if f.title.startswith("Pad")]
    ok = chain(("flatten", {}), ("linear", {}))
    assert all(error_fixes(ok.graph, nid) == [] for nid in ok.graph.nodes)


def test_fixes_for_offers_error_fix_then_lint_fix_then_silence():
    project = chain(("flatten", {}), ("linear", {"out_features": 10}), "softmax")
    sm = next(n for n in project.graph.nodes.values() if n.type_id == "softmax")
    repairs, silences = fixes_for(project, sm.id, lint(project))
    assert [f.title for f in repairs] == ["Remove Softmax 'softmax1'"]
    assert [f.title for f in silences] == ["Silence 'double-softmax' for 'softmax1'"]
    silences[0].edit(project.graph).apply(project.graph)
    findings = lint(project)
    assert not findings
    repairs, silences = fixes_for(project, sm.id, findings)
    assert not repairs
    assert [f.title for f in silences] == ["Stop silencing 'double-softmax' for 'softmax1'"]
    silences[0].edit(project.graph).apply(project.graph)
    assert [f.rule for f in lint(project)] == ["double-softmax"]


def test_silenced_rules_save_and_format_1_files_still_load(tmp_path):
    project = chain(("flatten", {}), ("linear", {"out_features": 10}), "softmax")
    sm = next(n for n in project.graph.nodes.values() if n.type_id == "softmax")
    project.graph.set_silenced(sm.id, ("double-softmax",))
    d = project_to_dict(project)
    assert d["format_version"] == FORMAT_VERSION >= 2  # "silenced" came with format 2
    assert [n.get("silenced") for n in d["graph"]["nodes"]].count(["double-softmax"]) == 1
    assert not lint(project_from_dict(json.loads(json.dumps(d))))
    old = tmp_path / "old.netcanvas"
    d1 = {**d, "format_version": 1}
    for node in d1["graph"]["nodes"]:
        node.pop("silenced", None)
    old.write_text(json.dumps(d1))
    assert [f.rule for f in lint(load_project(old))] == ["double-softmax"]


def test_a_bad_silenced_list_names_the_field():
    d = project_to_dict(Project(graph=chain(("flatten", {}), ("linear", {})).graph))
    d["graph"]["nodes"][1]["silenced"] = "double-softmax"
    with pytest.raises(ProjectFileError) as info:
        project_from_dict(d)
    assert info.value.field == "nodes[1].silenced"
