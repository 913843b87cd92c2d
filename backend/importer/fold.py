"""Repeated structure comes back as blocks: the module each imported layer came from (fx's
`nn_module_stack`, or the ONNX exporter's name scopes) groups the layers; a module class
whose instances hold the same layers wired the same way becomes one block definition, each
instance an instance of it, with the params that differ (channels, stride) exposed."""

from __future__ import annotations

import copy
from collections import defaultdict

from netcanvas.backend.blocks.definition import BlockSet, attach
from netcanvas.backend.blocks.edits import EditBlock, ExposeParam, GroupNodes
from netcanvas.backend.graph import Graph, GraphError, Rename, SetParam
from netcanvas.backend.importer.fold_dense import rejoin_concats
from netcanvas.backend.importer.fold_runs import collapse_runs


def fold_checked(imported, scopes: dict, input_shapes: list) -> object:
    """`imported` with its repeats folded, and consecutive instances collapsed into Repeat
    ×N (fold_runs.py), when the folded graph computes what the flat one does on a random
    input; else folded without Repeat, else the flat one, with a note: outputs never change."""
    import torch
    from netcanvas.backend.importer.fx_import import Imported

    inputs = [torch.randn(2, *shape, generator=torch.Generator().manual_seed(0))
              for shape in input_shapes]
    want = None
    for runs in (True, False):
        graph, weights = copy.deepcopy(imported.graph), dict(imported.weights)
        layers = {nid: list(stack) for nid, stack in scopes.items()}
        try:
            rejoin_concats(graph, layers)
            found = fold_repeats(graph, weights, layers)
            repeated = collapse_runs(graph, weights) if runs and found else []
        except GraphError:  # a grouping the editor refuses: the model stays flat
            found = repeated = []
        if not found:
            return imported
        want = want if want is not None else _outputs(imported.graph, imported.weights, inputs)
        got = _outputs(graph, weights, inputs)
        if all(torch.allclose(a, b, rtol=1e-4, atol=1e-5) for a, b in zip(want, got)):
            lines = ["repeated structure as blocks: " + ", ".join(found)]
            if repeated:
                lines.append("consecutive instances repeated: " + ", ".join(repeated))
            return Imported(graph, weights, [*lines, *imported.notes])
        if not repeated:
            break  # without Repeat it would be the same graph
    left = ("repeated structure was found but left flat: as blocks it did not reproduce the "
            "outputs")
    return Imported(imported.graph, imported.weights, [left, *imported.notes])


def _outputs(graph: Graph, weights: dict, inputs: list) -> tuple:
    import torch
    from netcanvas.backend.compiler import compile_graph

    model = compile_graph(graph)
    model.module.load_state_dict(weights)
    with torch.no_grad():
        out = model.module.eval()(*inputs)
    return out if isinstance(out, tuple) else (out,)


# Containers that only hold other modules: never a block of their own.
CONTAINERS = {"Sequential", "ModuleList", "ModuleDict"}


def fold_repeats(graph: Graph, weights: dict, scopes: dict[str, list[tuple[str, str]]]) -> list[str]:
    """Group in place; `weights` (`<node>.<tensor>`) are renamed to the blocks' module names.
    `scopes`: node id -> [(module path, class name), ...] outermost first. Returns the
    definitions made, one line each ("Bottleneck ×16")."""
    if graph.blocks is None:
        attach(graph, BlockSet(), None)  # what a Project does with the graph it holds
    made = []
    taken: set[str] = set()
    while True:
        best = _best_class(graph, scopes, taken)
        if best is None:
            return made
        name, instances = best
        block = _fold(graph, weights, name, instances)
        if block:
            made.append(f"{block} ×{len(instances)}")
        for ids in instances.values():
            taken |= ids


def _best_class(graph: Graph, scopes: dict, taken: set[str]):
    """The outermost repeated module class whose instances hold the same layers wired the
    same way (the most layers first among equals), as (class name, {path: node ids}), or
    None. Instances of one class that differ (a ResNet block with a downsample shortcut)
    form their own group."""
    by_class: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for nid, stack in scopes.items():
        if nid not in graph.nodes or nid in taken:
            continue
        for path, cls in stack:
            if path and cls not in CONTAINERS:
                by_class[cls][path].add(nid)
    candidates = []
    for cls, instances in by_class.items():
        if any(len(ids) < 2 or "@" in path for path, ids in instances.items()):
            continue  # one layer is not a block; `@1` is a module called twice
        groups = defaultdict(dict)
        for path, ids in instances.items():
            if _one_in_one_out(graph, ids):
                groups[_signature(graph, ids)][path] = ids
        for group in groups.values():
            if len(group) >= 2:
                depth = max(path.count(".") for path in group)  # outer blocks first
                candidates.append((depth, -sum(len(v) for v in group.values()), cls, group))
    if not candidates:
        return None
    _, _, cls, group = min(candidates, key=lambda c: c[:2])
    return cls, dict(sorted(group.items(), key=lambda kv: _first(graph, kv[1])))


def _ordered(graph: Graph, ids: set[str]) -> list[str]:
    return [nid for nid in graph.nodes if nid in ids]


def _first(graph: Graph, ids: set[str]) -> int:
    order = list(graph.nodes)
    return min(order.index(n) for n in ids)


def _signature(graph: Graph, ids: set[str]) -> tuple:
    order = _ordered(graph, ids)
    index = {nid: i for i, nid in enumerate(order)}
    edges = sorted((index[e.src], e.src_port, index[e.dst], e.dst_port)
                   for e in graph.edges if e.src in ids and e.dst in ids)
    return tuple(graph.nodes[n].type_id for n in order), tuple(edges)


def _one_in_one_out(graph: Graph, ids: set[str]) -> bool:
    sources = {(e.src, e.src_port) for e in graph.edges if e.dst in ids and e.src not in ids}
    outputs = {(e.src, e.src_port) for e in graph.edges if e.src in ids and e.dst not in ids}
    return len(sources) == 1 and len(outputs) == 1


def _fold(graph: Graph, weights: dict, cls: str, instances: dict[str, set[str]]) -> str:
    """The definition made ("" when the nodes cannot be grouped)."""
    block = next(name for name in (cls, *(f"{cls}{i}" for i in range(2, 10_000)))
                 if name not in graph.blocks)
    orders = [_ordered(graph, ids) for ids in instances.values()]
    params = [[dict(graph.nodes[n].params) for n in order] for order in orders]
    old_names = [[graph.nodes[n].name for n in order] for order in orders]
    try:
        first = GroupNodes(orders[0], block_name=block, name=_free(graph, next(iter(instances))))
        first.apply(graph)
    except GraphError:
        return ""
    definition = graph.blocks[first._block]
    inner = definition.graph
    # Inner names relative to the module: layer1_0_conv1 -> conv1.
    prefix = next(iter(instances)).replace(".", "_") + "_"
    inner_names = []
    for nid, old in zip(orders[0], old_names[0]):
        new = old[len(prefix):] if old.startswith(prefix) and old != prefix else old
        if new != old and inner.by_name(new) is None:
            try:
                EditBlock(definition.name, Rename(nid, new)).apply(graph)
            except GraphError:  # "0": not a name; keep the full one
                pass
        inner_names.append(inner.nodes[nid].name)
    # The params that differ between instances are exposed.
    differing = sorted({(i, k) for p in params[1:] for i, node in enumerate(p)
                        for k, v in node.items() if params[0][i].get(k) != v})
    exposed = {}
    for i, key in differing:
        pname = f"{inner_names[i]}_{key}"
        ExposeParam(definition.name, pname, [(inner_names[i], key)]).apply(graph)
        exposed[(i, key)] = pname
    instance_ids = [first.instance_id]
    for (path, _), order in zip(list(instances.items())[1:], orders[1:]):
        edit = GroupNodes(order, name=_free(graph, path))
        edit.apply(graph)
        graph.blocks.remove(edit._block)
        node = graph.nodes[edit.instance_id]
        node.params = {"block": definition.name, "repeat": 1, **{
            name: definition.exposed_param(name).param.default for name in exposed.values()}}
        instance_ids.append(edit.instance_id)
    for nid, p in zip(instance_ids, params):
        for (i, key), pname in exposed.items():
            SetParam(nid, pname, p[i][key]).apply(graph)
    for nid, names in zip(instance_ids, old_names):
        instance = graph.nodes[nid].name
        for old, new in zip(names, inner_names):
            for key in [k for k in weights if k.startswith(old + ".")]:
                weights[f"{instance}.{new}{key[len(old):]}"] = weights.pop(key)
    return definition.name


def _free(graph: Graph, path: str) -> str:
    name = path.replace(".", "_")[-60:].lstrip("_0123456789") or "block"
    return name if graph.by_name(name) is None else graph.unique_name(name)
