"""`netcanvas check FILE`: every node's output shape, parameters and cost, and the problems."""

from __future__ import annotations

import argparse
import sys

from netcanvas.backend.cli.check_formats import memory_report, print_summary
from netcanvas.backend.cli.common import UsageError, load, project_command
from netcanvas.backend.graph import BLOCK
from netcanvas.backend.shapes import analyze, format_count, format_shape


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = project_command(subparsers, "check", help="check shapes and print a summary table",
                        description="Infer every tensor shape of a project's graph and "
                        "print each node's output shape, parameters and MACs "
                        "(multiply-accumulates) per sample. Exits 1 when a node has an "
                        "error.")
    p.add_argument("--format", choices=("table", "json", "csv", "md"), default="table",
                   help="json: every node's fields; csv/md: the summary table with MACs and "
                   "activation memory at the batch size")
    p.add_argument("--batch-size", type=int, metavar="N", help="batch size for activation "
                   "memory and --memory (default: the project's)")
    p.add_argument("--memory", action="store_true", help="predict the memory training takes "
                   "(per layer and total) and the largest batch that fits 3/8/24 GB GPUs")
    return p


def run(args: argparse.Namespace) -> int:
    if args.batch_size is not None and args.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, got {args.batch_size}")
    project = load(args.file)
    graph = project.graph
    analysis = analyze(graph)
    if args.format != "table":
        return print_summary(project, analysis, args)
    rows = [("node", "type", "output", "params", "MACs")]
    for nid, node in graph.nodes.items():
        info = analysis.nodes[nid]
        shape = info.output_shapes.get(node.spec.outputs[0].name) if node.spec.outputs else None
        repeat = node.params.get("repeat", 1) if node.type_id == BLOCK else 1
        kind = node.spec.title + (f" ×{repeat}" if repeat > 1 else "")
        rows.append((node.name, kind, "error" if info.error else
                     format_shape(shape) if shape is not None else "?", f"{info.params:,}",
                     format_count(info.macs, decimals=1)))
    rows.append(("total", f"{len(graph.nodes)} nodes", "", f"{analysis.total_params:,}",
                 format_count(analysis.total_macs, decimals=1)))
    print(table(rows))
    print(f"{analysis.total_params:,} parameters "
          f"({format_count(analysis.total_params, decimals=1)}), "
          f"{format_count(analysis.total_macs, decimals=1)} MACs per sample")
    if project.blocks:
        print("blocks: " + ", ".join(project.blocks))
    for problem in analysis.problems:
        print(f"netcanvas check: {problem.severity}: {problem.message}", file=sys.stderr)
    if not analysis.ok:
        names = [graph.nodes[p.node_id].name for p in analysis.errors if p.node_id in graph.nodes]
        at = f" (at {', '.join(dict.fromkeys(names))})" if names else ""
        print(f"netcanvas check: {len(analysis.errors)} error(s){at}", file=sys.stderr)
        return 1
    if args.memory:
        print(memory_report(project, analysis, args.batch_size))
    return 0


def table(rows: list[tuple[str, ...]]) -> str:
    """Text columns left-aligned, number columns right-aligned; a rule under the header and
    above the totals."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    numeric = [False, False, False, True, True]

    def line(row):
        cells = (c.rjust(w) if num else c.ljust(w) for c, w, num in zip(row, widths, numeric))
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(rows[0]), rule, *map(line, rows[1:-1]), rule, line(rows[-1])])
