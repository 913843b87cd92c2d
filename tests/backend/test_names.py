"""Names the compiler cannot use are refused by the graph itself, with the reason."""

from __future__ import annotations

import keyword

import pytest
import torch
import torch.fx
from netcanvas.backend.graph import Graph, NodeNameError
from netcanvas.backend.graph.names import MODULE_ATTRIBUTES, reserved_reason
from netcanvas.backend.project import Project
from netcanvas.backend.project_io import ProjectFileError, project_from_dict, project_to_dict


def test_the_list_covers_every_attribute_of_the_installed_torch():
    gm = torch.fx.GraphModule(torch.nn.Module(), torch.fx.Graph())
    missing = sorted(n for n in dir(gm) if not reserved_reason(n))
    assert missing == [], f"add these to backend/graph/names.py MODULE_ATTRIBUTES: {missing}"
    assert all(reserved_reason(k) for k in keyword.kwlist)
    assert reserved_reason("fc1") is None and reserved_reason("forward_block") is None
    assert "forward" in MODULE_ATTRIBUTES and "_modules" in MODULE_ATTRIBUTES


@pytest.mark.parametrize(("name", "reason"), [
    ("forward", "nn.Module"), ("training", "nn.Module"), ("to", "nn.Module"),
    ("cuda", "nn.Module"), ("__init__", "nn.Module"), ("lambda", "keyword"),
    ("self", "forward"),
])
def test_add_and_rename_refuse_reserved_names(name, reason):
    graph = Graph()
    with pytest.raises(NodeNameError, match=f"{name!r} is reserved: .*{reason}"):
        graph.add("linear", name)
    assert graph.nodes == {}
    fc = graph.add("linear", "fc")
    with pytest.raises(NodeNameError, match="choose another") as info:
        graph.rename(fc.id, name)
    assert info.value.node_ids == (fc.id,) and fc.name == "fc"


def test_a_file_with_a_reserved_name_names_the_field():
    graph = Graph()
    graph.add("input", shape=(2,))
    graph.add("linear", "fc")
    data = project_to_dict(Project(graph))
    data["graph"]["nodes"][1]["name"] = "forward"
    with pytest.raises(ProjectFileError, match="reserved") as info:
        project_from_dict(data)
    assert info.value.field == "nodes[1].name"
