"""A graph's unfolded size is counted from the block definitions, never by unfolding
(issue 29 item 1): loading refuses a bomb (see test_fuzz.py), and so does compiling one
that edits made after loading."""

from __future__ import annotations

import time

import pytest
from fuzz_corpus import block_bomb
from netcanvas.backend.blocks.size import MAX_EXPANDED_NODES, definition_sizes, graph_size
from netcanvas.backend.compiler import CompileError, compile_graph
from netcanvas.backend.project_io import load_project, project_from_dict


def test_sizes_are_counted_without_unfolding():
    started = time.perf_counter()
    project = project_from_dict(block_bomb(12))  # 2^12 ReLUs, with each level's x and y
    sizes = definition_sizes(project.blocks)
    assert all(sizes[f"B{k}"] == 5 * 2**k - 2 for k in range(13))  # B_k = 2 + 2·B_(k-1)
    assert graph_size(project.graph, sizes) == len(project.graph.nodes) - 1 + sizes["B12"]
    assert time.perf_counter() - started < 5  # a hang, not a timing assert


def test_resnet18_unfolds_far_below_the_limit():
    project = load_project("resources/examples/resnet18.netcanvas")
    size = graph_size(project.graph, definition_sizes(project.blocks))
    assert 60 < size < MAX_EXPANDED_NODES // 100


def test_compile_refuses_a_bomb_made_by_edits_after_loading():
    project = project_from_dict(block_bomb(3))
    for name in ("B1", "B2", "B3"):
        for node in project.blocks[name].graph.nodes.values():
            if node.type_id == "block":
                node.params["repeat"] = 1000  # as the inspector could, one at a time
    with pytest.raises(CompileError, match="nodes once its blocks are unfolded"):
        compile_graph(project.graph, device="meta")
