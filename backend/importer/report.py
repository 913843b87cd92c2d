"""The summary shown after an import: what the ops became, the parameters, and what the
exporter changed on the way (BatchNorm folded into Conv, a fixed batch of one)."""

from __future__ import annotations

from collections import Counter

from netcanvas.backend.importer.fx_import import Imported
from netcanvas.backend.shapes import analyze, format_count


def report_lines(imported: Imported) -> list[str]:
    """One line each: layers by type (most common first), parameters, then the notes."""
    graph = imported.graph
    counts = Counter(n.spec.title for n in graph.nodes.values()
                     if n.type_id not in ("input", "output"))
    layers = ", ".join(f"{title} ×{n}" if n > 1 else title for title, n in counts.most_common())
    params = analyze(graph).total_params
    lines = [f"mapped {sum(counts.values())} layers: {layers}",
             f"parameters: {params:,} ({format_count(params, decimals=1)})"]
    return lines + list(imported.notes)
