"""What a block instance is to the rest of NetCanvas: a LayerSpec built from its definition.

Its ports are the definition's Input/Output nodes, its params `block`, `repeat` and the
exposed ones. `infer_shape` analyses the inner graph each repetition runs (so shape errors
inside name the path: "BasicBlock 'layer2.0' › Conv2d 'conv1' expects ..."), and `build`
compiles it to its own GraphModule (an nn.Sequential of them when repeated), so the
analysis, the compiler and the exports need nothing special for blocks.
"""

from __future__ import annotations

import re
from typing import Any

from netcanvas.backend.blocks.definition import BlockDef, BlockSet, Branch
from netcanvas.backend.echo import brief, cut
from netcanvas.backend.graph import Edge, Graph, Node
from netcanvas.backend.registry import LayerSpec, Param, ParamError, Port, ShapeError

MAX_REPEAT = 1000
MAX_CACHED = 4096  # instance analyses kept per BlockSet version


class BlockShapeError(ShapeError):
    """A problem inside an instance; `suffix` is ".i" for repetition i of a repeated one,
    `inner_ids` the inner nodes at fault."""

    def __init__(self, message: str, suffix: str = "", inner_ids: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.suffix, self.inner_ids = suffix, inner_ids


def block_spec(blocks: BlockSet, definition: BlockDef) -> LayerSpec:
    name = definition.name
    inputs = [n for n in definition.graph.nodes.values() if n.type_id == "input"]

    def runs(params: dict, shapes: dict) -> list:
        return repetitions(blocks, name, params, shapes, strict=True)

    def infer_shape(params: dict, shapes: dict) -> dict:
        graph, analysis = runs(params, shapes)[-1]
        return outputs_of(graph, analysis)

    def count_params(params: dict, shapes: dict, _outputs: dict) -> int:
        return sum(a.total_params for _, a in runs(params, shapes))

    def macs(params: dict, shapes: dict, _outputs: dict) -> int:
        return sum(a.total_macs for _, a in runs(params, shapes))

    def build(params: dict, shapes: dict):
        import torch
        from netcanvas.backend.compiler import compile_graph
        values = values_of(definition, params)
        later = _later(definition, values)
        modules = []
        for i, (graph, analysis) in enumerate(runs(params, shapes)):
            arriving = {n.name: tuple(n.params["shape"]) for n in graph.nodes.values()
                        if n.type_id == "input"}
            args = later if i else values
            # Absent branches compile as nn.Identity, so every instance of a definition has
            # the same submodules and forward: one class per definition in generated code.
            runnable = concrete(blocks, definition, args, arriving, absent="identity")
            module = compile_graph(runnable, class_name=name).module
            module.block_args = {**_channel_args(arriving), **args}  # what code export writes
            module.block_branches = branch_conditions(definition, arriving)
            modules.append(module)
        return modules[0] if len(modules) == 1 else torch.nn.Sequential(*modules)

    return LayerSpec(
        type_id="block", title=name, category="Blocks",
        doc=definition.doc or f"An instance of the block {name}.",
        inputs=tuple(Port(n.name) for n in inputs),
        outputs=tuple(Port(n) for n in definition.outputs()),
        params=(Param("block", "str", name, "The block definition this node runs.",
                      label="Block"),
                Param("repeat", "int", 1, "How many times the block runs in sequence.",
                      min=1, max=MAX_REPEAT),
                *(e.param for e in definition.exposed)),
        infer_shape=infer_shape, build=build, count_params=count_params, macs=macs,
        key_params=("repeat", *(e.name for e in definition.exposed)),
        module_prefix=re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower(),
        example_inputs={n.name: tuple(n.params["shape"]) for n in inputs},
    )


def values_of(definition: BlockDef, params: dict) -> dict[str, Any]:
    """The exposed params' values of an instance (defaults where it has none)."""
    return {e.name: params.get(e.name, e.param.default) for e in definition.exposed}


def repetitions(blocks: BlockSet, name: str, params: dict, shapes: dict,
                strict: bool = False) -> list[tuple[Graph, Any]]:
    """(concrete inner graph, its Analysis) for each repetition, stopping after the first
    that fails. `strict` raises BlockShapeError for that one instead. Memoised per
    BlockSet version."""
    key = (name, _frozen(params), _frozen(shapes))
    runs = blocks.cache.get(key)
    if runs is None:
        if len(blocks.cache) > MAX_CACHED:  # shapes tried over a long session
            blocks.cache.clear()
        runs = blocks.cache[key] = _repetitions(blocks, blocks[name], params, shapes)
    if strict and isinstance(runs[-1], BlockShapeError):
        raise runs[-1]
    return [r for r in runs if not isinstance(r, BlockShapeError)]


def _repetitions(blocks: BlockSet, definition: BlockDef, params: dict, shapes: dict) -> list:
    from netcanvas.backend.shapes import analyze
    repeat = params.get("repeat", 1)
    ins, outs = definition.inputs(), definition.outputs()
    if repeat > 1 and (len(ins) != 1 or len(outs) != 1):
        return [BlockShapeError(f"{definition.name} repeats only with one input and one output "
                                f"(it has {len(ins)} and {len(outs)}); set repeat to 1")]
    first = values_of(definition, params)
    later = _later(definition, first)
    runs: list = []
    for i in range(repeat):
        suffix = f".{i}" if repeat > 1 else ""
        try:
            graph = concrete(blocks, definition, first if i == 0 else later, shapes)
        except BlockShapeError as exc:
            exc.suffix = suffix
            return [*runs, exc]
        analysis = analyze(graph)
        runs.append((graph, analysis))
        if analysis.errors:
            problem = analysis.errors[0]
            return [*runs, BlockShapeError(f"{definition.name} › {problem.message}", suffix,
                                           (problem.node_id,) if problem.node_id else ())]
        shapes = {ins[0]: outputs_of(graph, analysis)[outs[0]]} if repeat > 1 else shapes
    return runs


def _later(definition: BlockDef, first: dict) -> dict:
    """The exposed values of repetitions after the first."""
    return {**first, **{e.name: e.later for e in definition.exposed if e.later is not None}}


def _channel_args(arriving: dict) -> dict:
    """Input channel counts as constructor arguments: in_channels (one input) or
    <port>_channels."""
    return {("in" if len(arriving) == 1 else port) + "_channels": shape[0]
            for port, shape in arriving.items() if len(shape) > 0}


def branch_conditions(definition: BlockDef, arriving: dict) -> dict[str, tuple[str, set]]:
    """Each optional node's condition as Python over the constructor arguments
    ("stride != 1 or in_channels != channels") and the arguments it reads."""
    def operand(v: Any, names: set) -> str:
        if isinstance(v, str) and v.endswith(".channels"):
            port = v[: -len(".channels")]
            v = ("in" if len(arriving) == 1 else port) + "_channels"
        elif not isinstance(v, str):
            return repr(v)
        names.add(v)
        return v

    out = {}
    for branch in definition.branches:
        names: set[str] = set()
        text = " or ".join(f"{operand(t.left, names)} {t.op} {operand(t.right, names)}"
                           for t in branch.when)
        out.update(dict.fromkeys(branch.nodes, (text, names)))
    return out


def outputs_of(graph: Graph, analysis) -> dict:
    return {n.name: analysis.nodes[n.id].output_shapes["y"]
            for n in graph.nodes.values() if n.type_id == "output"}


def concrete(blocks: BlockSet, definition: BlockDef, values: dict, shapes: dict,
             absent: str = "wire") -> Graph:
    """The inner graph one repetition runs: same node ids and names, exposed values set,
    Input shapes those arriving, absent branches replaced by a wire (or, with `absent` =
    "identity", their nodes by Identity nodes where they are plain x -> y layers)."""
    nodes = {nid: Node(nid, n.type_id, n.name, dict(n.params), n.position, n.silenced,
                      dict(n.training), blocks)
             for nid, n in definition.graph.nodes.items()}
    by_name = {n.name: n for n in nodes.values()}
    for exposed in definition.exposed:
        for node_name, param in exposed.targets:
            node = by_name.get(node_name)
            if node is None:
                raise BlockShapeError(f"{definition.name}: exposed param '{exposed.name}' sets "
                                      f"{brief(node_name)}, which is not in the block")
            try:
                node.params[param] = coerce(node.spec.param(param), values[exposed.name])
            except (KeyError, ParamError) as exc:
                raise BlockShapeError(cut(f"{definition.name}: exposed param '{exposed.name}' "
                                          f"cannot set {node_name}.{param}: {exc.args[0]}"),
                                      inner_ids=(node.id,)) from None
    for node in nodes.values():
        if node.type_id == "input" and node.name in shapes:
            node.params["shape"] = tuple(shapes[node.name])
    edges = list(definition.graph.edges)
    for branch in definition.branches:
        if not holds(definition, branch, values, shapes):
            if absent == "identity" and _plain_chain(branch, by_name, edges):
                for node_name in branch.nodes:
                    node = by_name[node_name]
                    nodes[node.id] = Node(node.id, "identity", node.name, {}, node.position)
            else:
                edges = _bypass(definition, branch, by_name, nodes, edges)
    return Graph(nodes=nodes, edges=edges, blocks=blocks, owner=definition.name)


def coerce(param: Param, value: Any) -> Any:
    """An exposed number given to an "ints" param fills every entry (stride 2 -> (2, 2))."""
    if param.kind in ("ints", "floats") and isinstance(value, (int, float)) \
            and not isinstance(value, bool):
        value = (value,) * (param.length or 1)
    return param.validate(value)


def holds(definition: BlockDef, branch: Branch, values: dict, shapes: dict) -> bool:
    def operand(v: Any) -> Any:
        if not isinstance(v, str):
            return v
        if v.endswith(".channels"):
            shape = shapes.get(v[: -len(".channels")])
            return shape[0] if shape else None
        if v in values:
            return values[v]
        raise BlockShapeError(f"{definition.name}: a branch condition names {v!r}, which is "
                              "neither an exposed param nor '<input>.channels'")

    ops = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b,
           ">": lambda a, b: a > b, "<": lambda a, b: a < b}
    return any(ops[t.op](operand(t.left), operand(t.right)) for t in branch.when)


def _plain_chain(branch: Branch, by_name: dict, edges: list[Edge]) -> bool:
    ids = {by_name[n].id for n in branch.nodes if n in by_name}
    return len(ids) == len(branch.nodes) and all(
        (e.src not in ids or e.src_port == "y") and (e.dst not in ids or e.dst_port == "x")
        for e in edges)


def _bypass(definition: BlockDef, branch: Branch, by_name: dict, nodes: dict,
            edges: list[Edge]) -> list[Edge]:
    ids = [by_name[n].id for n in branch.nodes if n in by_name]
    if len(ids) != len(branch.nodes):
        raise BlockShapeError(f"{definition.name}: an optional branch names a node that is "
                              f"not in the block ({', '.join(branch.nodes)})")
    chain = set(ids)
    feeding = [e for e in edges if e.dst == ids[0] and e.src not in chain]
    if len(feeding) != 1:
        raise BlockShapeError(f"{definition.name}: the optional branch starting at "
                              f"'{branch.nodes[0]}' needs exactly one wire in",
                              inner_ids=(ids[0],))
    src = feeding[0]
    kept = [e for e in edges if e.src not in chain and e.dst not in chain]
    kept += [Edge(src.src, src.src_port, e.dst, e.dst_port)
             for e in edges if e.src == ids[-1] and e.dst not in chain]
    for nid in ids:
        del nodes[nid]
    return kept


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value
