"""What changed between two projects (two runs' snapshots): nodes added, removed and
changed (type, name, params, per-node training settings), wires added and removed, and the
training and dataset settings that differ. Nodes are matched by id (a run's snapshot keeps
the ids of the document it was taken from), else by name. Pure data, no Qt, no torch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@dataclass
class NodeChange:
    name: str  # in the later project (the earlier one's for a removed node)
    type_id: str
    status: str  # added | removed | changed
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field -> (before, after)
    node_id: str = ""  # in the later project; the earlier one's for a removed node


@dataclass
class GraphDiff:
    nodes: list[NodeChange] = field(default_factory=list)
    wires_added: list[str] = field(default_factory=list)  # "a.y -> b.x"
    wires_removed: list[str] = field(default_factory=list)
    settings: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # "training.lr" -> (a, b)

    @property
    def empty(self) -> bool:
        return not (self.nodes or self.wires_added or self.wires_removed or self.settings)

    def status_of(self) -> dict[str, str]:
        """Node id (in the later project) -> added / changed, for the canvas marks."""
        return {c.node_id: c.status for c in self.nodes if c.status != REMOVED}

    def lines(self) -> list[str]:
        mark = {ADDED: "+", REMOVED: "-", CHANGED: "~"}
        out = []
        for c in self.nodes:
            text = f"{mark[c.status]} {c.status:8} {c.name} ({c.type_id})"
            if c.fields:
                text += ": " + "; ".join(f"{k} {_show(a)} -> {_show(b)}"
                                         for k, (a, b) in c.fields.items())
            out.append(text)
        out += [f"+ wire     {w}" for w in self.wires_added]
        out += [f"- wire     {w}" for w in self.wires_removed]
        out += [f"~ setting  {k} {_show(a)} -> {_show(b)}" for k, (a, b) in self.settings.items()]
        return out or ["no changes"]


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        value = list(value)
    if value is None:
        return "—"
    return str(value).replace("True", "true").replace("False", "false")


def diff_projects(before, after) -> GraphDiff:
    """The changes that turn project `before` into `after`."""
    a, b = before.graph, after.graph
    by_name = {n.name: n for n in a.nodes.values()}
    match: dict[str, str] = {}  # after id -> before id
    for nid, node in b.nodes.items():
        if nid in a.nodes:
            match[nid] = nid
        elif node.name in by_name and by_name[node.name].id not in b.nodes:
            match[nid] = by_name[node.name].id
    out = GraphDiff()
    for nid, node in b.nodes.items():
        old = a.nodes.get(match.get(nid, ""))
        if old is None:
            out.nodes.append(NodeChange(node.name, node.type_id, ADDED, node_id=nid))
            continue
        fields = _node_fields(old, node)
        if fields:
            out.nodes.append(NodeChange(node.name, node.type_id, CHANGED, fields, nid))
    matched = set(match.values())
    out.nodes += [NodeChange(n.name, n.type_id, REMOVED, node_id=n.id)
                  for n in a.nodes.values() if n.id not in matched]
    back = {v: k for k, v in match.items()}  # before id -> after id
    wires_a = dict(_wire(a, e, back.get(e.src, "-" + e.src), back.get(e.dst, "-" + e.dst))
                   for e in a.edges)
    wires_b = dict(_wire(b, e, e.src, e.dst) for e in b.edges)
    out.wires_added = sorted(wires_b[k] for k in wires_b.keys() - wires_a.keys())
    out.wires_removed = sorted(wires_a[k] for k in wires_a.keys() - wires_b.keys())
    out.settings = _settings(before, after)
    return out


def _wire(graph, edge, src_key: str, dst_key: str) -> tuple[tuple, str]:
    text = (f"{graph.nodes[edge.src].name}.{edge.src_port} -> "
            f"{graph.nodes[edge.dst].name}.{edge.dst_port}")
    return (src_key, edge.src_port, dst_key, edge.dst_port), text


def _node_fields(old, new) -> dict[str, tuple[Any, Any]]:
    from netcanvas.backend.graph.node_training import NODE_TRAINING

    fields: dict[str, tuple[Any, Any]] = {}
    if old.type_id != new.type_id:
        fields["type"] = (old.type_id, new.type_id)
    if old.name != new.name:
        fields["name"] = (old.name, new.name)
    for key in sorted(set(old.params) | set(new.params)):
        if old.params.get(key) != new.params.get(key):
            fields[key] = (old.params.get(key), new.params.get(key))
    for p in NODE_TRAINING:
        was, now = old.training.get(p.name, p.default), new.training.get(p.name, p.default)
        if was != now:
            fields[f"training.{p.name}"] = (was, now)
    return fields


def _settings(before, after) -> dict[str, tuple[Any, Any]]:
    from dataclasses import asdict

    out = {}
    for section in ("dataset", "training"):
        x, y = asdict(getattr(before, section)), asdict(getattr(after, section))
        for key in x:
            if x[key] != y.get(key):
                out[f"{section}.{key}"] = (x[key], y.get(key))
    return out


def metrics_table(runs) -> list[tuple[str, ...]]:
    """Rows (metric, value per run) of the runs' final metrics: test metrics, then the last
    epoch's validation and training ones, for the runs side by side."""
    keys: list[str] = []
    values = []
    for run in runs:
        row = {f"test {k}": v for k, v in run.test_metrics.items()}
        last = run.history[-1] if run.history else {}
        row.update({k: v for k, v in last.items() if k.startswith(("val_", "train_"))})
        row["epochs"] = len(run.history)
        values.append(row)
        keys += [k for k in row if k not in keys]
    return [(key, *(_number(row.get(key)) for row in values)) for key in keys]


def _number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    return f"{value:.4g}"
