"""What a hostile ONNX file is refused for before or while it is mapped (issue 29): two nodes
writing one value, and an op missing a required attribute or input (one line, by node)."""

from __future__ import annotations


def duplicate_output(graph) -> str | None:
    """Why the graph is not single-assignment ("'y' is written by Relu 'a' and Sigmoid 'b'"),
    or None. ONNX requires every value to be written once; importing such a file would keep
    whichever node came last."""
    writers: dict[str, str] = {}
    for name in (i.name for i in [*graph.input, *graph.initializer]):
        writers.setdefault(name, "the graph's inputs")
    for node in graph.node:
        label = f"{node.op_type} '{node.name or node.output[0] if node.output else '?'}'"
        for out in (o for o in node.output if o):
            if out in writers:
                return f"'{out}' is written twice: by {writers[out]} and by {label}"
            writers[out] = label
    return None


def missing_part(node, exc: Exception) -> str:
    """The refusal for an op whose handler looked up an attribute or an input it lacks."""
    if isinstance(exc, KeyError):
        return f"missing the required attribute {exc.args[0]!r}"
    return f"missing a required input ({len([i for i in node.input if i])} given)"
