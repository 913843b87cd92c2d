"""The per-node summary: name, type, output shape, parameters, MACs and activation memory at
a batch size, as rows for the app's table and as JSON, CSV or Markdown for `netcanvas check`."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass

from netcanvas.backend.project import Project
from netcanvas.backend.shapes import Analysis, analyze, format_shape, human_bytes

HEADERS = ("Name", "Type", "Output shape", "Parameters", "MACs", "Activation memory")


@dataclass
class Row:
    id: str
    name: str
    type: str  # the layer's title: "Conv2d"
    type_id: str
    params: dict  # the node's settings
    position: list[float]
    silenced: list[str]  # lint rules turned off for this node
    output_shape: list[int] | None  # first output, per sample; None when unknown
    parameters: int
    macs: int  # multiply-accumulates per sample
    activation_bytes: int  # the node's outputs for the whole batch (float32; indices int64)
    error: str | None

    def cells(self) -> tuple[str, ...]:
        """The row as the table shows it."""
        shape = "error" if self.error else (format_shape(self.output_shape)
                                            if self.output_shape is not None else "?")
        return (self.name, self.type, shape, f"{self.parameters:,}", f"{self.macs:,}",
                human_bytes(self.activation_bytes))


def summary_rows(project: Project, batch_size: int | None = None,
                 analysis: Analysis | None = None) -> list[Row]:
    analysis = analysis or analyze(project.graph)
    b = batch_size or project.training.batch_size
    rows = []
    for nid, node in project.graph.nodes.items():
        info = analysis.nodes[nid]
        shape = info.output_shapes.get(node.spec.outputs[0].name) if node.spec.outputs else None
        rows.append(Row(nid, node.name, node.spec.title, node.type_id,
                        {k: list(v) if isinstance(v, tuple) else v for k, v in node.params.items()},
                        list(node.position), list(node.silenced), list(shape) if shape is not None else None, info.params, info.macs,
                        info.activation_bytes * b, info.error))
    return rows


def to_json(project: Project, rows: list[Row], batch_size: int, analysis: Analysis) -> str:
    return json.dumps({
        "batch_size": batch_size,
        "nodes": [asdict(r) for r in rows],
        "total_parameters": analysis.total_params,
        "total_macs": analysis.total_macs,
        "problems": [{"node_id": p.node_id, "severity": p.severity, "message": p.message}
                     for p in analysis.problems],
    }, indent=2, ensure_ascii=False)


def to_csv(rows: list[Row]) -> str:
    """Numbers stay plain numbers, so a spreadsheet can sum them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "type", "output_shape", "parameters", "macs", "activation_bytes"])
    for r in rows:
        writer.writerow([r.name, r.type, "error" if r.error else
                         format_shape(r.output_shape) if r.output_shape is not None else "",
                         r.parameters, r.macs, r.activation_bytes])
    return out.getvalue()


def to_markdown(rows: list[Row]) -> str:
    def esc(cell: str) -> str:
        return cell.replace("|", "\\|")

    lines = ["| " + " | ".join(HEADERS) + " |", "| --- | --- | --- | ---: | ---: | ---: |"]
    lines += ["| " + " | ".join(esc(c) for c in r.cells()) + " |" for r in rows]
    return "\n".join(lines) + "\n"
