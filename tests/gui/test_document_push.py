"""Document.push refuses a bad edit only with the typed errors it documents (GraphError,
ParamError) and leaves the document and its undo stack as they were (issue 9, item 9)."""

from __future__ import annotations

import pytest
from netcanvas.app.document import Document
from netcanvas.backend.graph import AddEdge, Edge, GraphError, MoveNodes, Rename, SetParam
from netcanvas.backend.project_io import project_to_dict
from netcanvas.backend.registry import ParamError
from test_app_support import mlp_project

BAD_EDITS = {
    "unknown param": lambda g: SetParam(g.by_name("fc1").id, "no_such_param", 3),
    "NaN for an int": lambda g: SetParam(g.by_name("fc1").id, "out_features", float("nan")),
    "infinity for an int": lambda g: SetParam(g.by_name("fc1").id, "out_features", float("inf")),
    "400 digits": lambda g: SetParam(g.by_name("fc1").id, "out_features", 10**400),
    "text for an int": lambda g: SetParam(g.by_name("fc1").id, "out_features", "many"),
    "unknown node": lambda g: SetParam("nope", "out_features", 3),
    "huge name": lambda g: Rename(g.by_name("fc1").id, "n" * 1_000_000),
    "name not text": lambda g: Rename(g.by_name("fc1").id, 5),
    "NaN position": lambda g: MoveNodes({g.by_name("fc1").id: (float("nan"), 0.0),
                                         g.by_name("act").id: (1.0, 2.0)}),
    "text position": lambda g: MoveNodes({g.by_name("fc1").id: ("x", 0.0)}),
    "huge position": lambda g: MoveNodes({g.by_name("fc1").id: (10**400, 0.0)}),
    "unknown port": lambda g: AddEdge(Edge(g.by_name("fc1").id, "nope", g.by_name("act").id,
                                           "x")),
}


@pytest.mark.parametrize("case", sorted(BAD_EDITS))
def test_a_bad_edit_is_refused_with_a_typed_error(case, qtbot):
    doc = Document(mlp_project())
    before = project_to_dict(doc.project)
    with pytest.raises((GraphError, ParamError)) as info:
        doc.push(BAD_EDITS[case](doc.graph))
    assert len(str(info.value)) < 500
    assert project_to_dict(doc.project) == before
    assert doc.undo_stack.count() == 0 and not doc.modified
