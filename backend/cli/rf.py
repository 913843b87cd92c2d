"""`netcanvas rf FILE [--node N] [--input NAME]`: each node's receptive field on an image
input — size, jump (effective stride) and offset, per axis — from the layer declarations."""

from __future__ import annotations

import argparse

from netcanvas.backend.cli.common import fail, load, project_command


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = project_command(subparsers, "rf", help="print each node's receptive field",
                        description="Print how many input pixels each node's output cells see "
                        "(size), how far apart neighbouring cells look (jump) and where cell 0's "
                        "field starts (offset, negative inside the padding), per axis.")
    p.add_argument("--node", metavar="N", help="only this node (by name)")
    p.add_argument("--input", metavar="NAME", help="the image Input to measure on (default: "
                   "the first)")
    return p


def run(args: argparse.Namespace) -> int:
    from netcanvas.backend.receptive import NotSpatial, axis_text, fields
    from netcanvas.backend.shapes import analyze, format_shape

    project = load(args.file)
    graph = project.graph
    nodes = list(graph.nodes.values())
    if args.node is not None:
        nodes = [n for n in nodes if n.name == args.node]
        if not nodes:
            return fail("rf", f"--node: no node named '{args.node}' in {args.file}", 2)
    try:
        found = fields(project, args.input)
    except NotSpatial as exc:
        return fail("rf", str(exc), 1)
    analysis = analyze(graph)
    rows = [("node", "type", "output", "receptive field", "jump", "offset")]
    for node in nodes:
        info = analysis.nodes.get(node.id)
        shape = next(iter(info.output_shapes.values()), None) if info else None
        f = found.get(node.id)
        if f is None:
            cells = ("—", "", "")
        elif f.whole:
            cells = ("whole input", "", "")
        else:
            cells = (axis_text(f.size), axis_text(f.jump), axis_text(f.offset))
        rows.append((node.name, node.type_id, format_shape(shape) if shape else "?", *cells))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return 0

