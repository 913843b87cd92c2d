"""The "New task with K classes" quick action, offered in the quick-fix menu of the final
Linear before an Output: K is the loaded dataset's class count; one undoable edit."""

from __future__ import annotations

from netcanvas.backend.doctor import Fix
from netcanvas.backend.graph import GraphError
from netcanvas.backend.graph.head import head_of, new_task


def new_task_fixes(document, node_id: str) -> list[Fix]:
    """The two actions (keep training everything / freeze what is before the head) for the
    head's node; [] for any other node or while the dataset's classes are unknown."""
    graph = document.graph
    try:
        head, _out = head_of(graph)
    except GraphError:
        return []
    facts = document.data_facts
    if head.id != node_id or facts is None or not facts.num_classes:
        return []
    k = facts.num_classes
    return [Fix(f"New task with {k} classes", lambda g: new_task(g, k).edits),
            Fix(f"New task with {k} classes, freeze everything before it",
                lambda g: new_task(g, k, freeze=True, analysis=document.analysis).edits)]
