"""Consecutive instances of one block definition, each feeding only the next (ResNet's
`layer1.0 -> layer1.1`, ViT's twelve encoder layers), become one instance with Repeat ×N.

A repeated instance runs its first repetition with its own exposed values and the later
ones with the definition's `later` values (a ResNet stage strides only once), so a run
collapses when every instance after the first has the same values, and those differing
from the first's can be the definition's `later` values for every run collapsed."""

from __future__ import annotations

import dataclasses
import os

from netcanvas.backend.graph import BLOCK, Graph


def collapse_runs(graph: Graph, weights: dict) -> list[str]:
    """Collapse in place; `weights` (`<instance>.<inner>...`) are renamed to the repeated
    instance's (`<instance>.<repetition>.<inner>...`). Returns one line per collapsed run
    ("layer1 = BasicBlock ×2")."""
    made = []
    by_definition: dict[str, list[list[str]]] = {}
    for run in _runs(graph):
        by_definition.setdefault(graph.nodes[run[0]].params["block"], []).append(run)
    for name, runs in by_definition.items():
        definition = graph.blocks[name]
        exposed = [e.name for e in definition.exposed]
        later = {e.name: e.later for e in definition.exposed if e.later is not None}
        taken = []
        for run in sorted(runs, key=len, reverse=True):
            values = [{p: graph.nodes[n].params.get(p) for p in exposed} for n in run]
            wanted = {p: values[1][p] for p in exposed if values[0][p] != values[1][p]}
            if any(later.get(p, v) != v for p, v in wanted.items()):
                continue  # another run's later repetitions differ
            if any(t[1][p] != v for t in taken for p, v in wanted.items() if p not in later):
                continue
            if any(values[1][p] != v for p, v in later.items()):
                continue  # its later repetitions would take the definition's later values
            later.update(wanted)
            taken.append((run, values[1]))
        if not taken:
            continue
        definition.exposed[:] = [dataclasses.replace(e, later=later[e.name])
                                 if e.name in later else e for e in definition.exposed]
        graph.blocks.bump()
        for run, _ in taken:
            made.append(f"{_collapse(graph, weights, run)} = {name} ×{len(run)}")
    return made


def _runs(graph: Graph) -> list[list[str]]:
    """Maximal chains of instances (repeat 1) of one definition, each one's only output
    wire going to the next one's only input, split where the instances after the first
    stop having equal params; chains of one are left out."""
    def single(nid: str) -> bool:
        node = graph.nodes[nid]
        return node.type_id == BLOCK and node.params.get("repeat", 1) == 1 and \
            len(node.spec.inputs) == 1 and len(node.spec.outputs) == 1

    following = {}
    for nid in graph.nodes:
        out = graph.edges_from(nid)
        if single(nid) and len(out) == 1 and single(out[0].dst) and \
                graph.nodes[out[0].dst].params["block"] == graph.nodes[nid].params["block"] \
                and len(graph.edges_into(out[0].dst)) == 1:
            following[nid] = out[0].dst
    starts = [nid for nid in following if nid not in following.values()]
    runs = []
    for nid in starts:
        chain = [nid]
        while chain[-1] in following:
            chain.append(following[chain[-1]])
        run = chain[:1]
        for nid in chain[1:]:
            if len(run) > 1 and graph.nodes[nid].params != graph.nodes[run[1]].params:
                runs.append(run)
                run = [nid]
            else:
                run.append(nid)
        runs.append(run)
    return [r for r in runs if len(r) > 1]


def _collapse(graph: Graph, weights: dict, run: list[str]) -> str:
    """`run`'s first instance repeated len(run) times in place of all; its name."""
    first = graph.nodes[run[0]]
    names = [graph.nodes[n].name for n in run]
    after = graph.edges_from(run[-1])
    for nid in run[1:]:
        graph.remove_node(nid)
    graph.set_param(first.id, "repeat", len(run))
    for e in after:
        graph.connect(first.id, e.dst, e.src_port, e.dst_port)
    name = _run_name(graph, names) or names[0]
    if name != first.name:
        graph.rename(first.id, name)
    for i, old in enumerate(names):
        for key in [k for k in weights if k.startswith(old + ".")]:
            weights[f"{name}.{i}{key[len(old):]}"] = weights.pop(key)
    return name


def _run_name(graph: Graph, names: list[str]) -> str | None:
    """What the instances' names share, to the last whole word: `layer1` for layer1_0,
    layer1_1; `features_denseblock1` for features_denseblock1_denselayer1 ... 6; None when
    another node's name is or starts with it (layer2_0_conv1 left flat keeps layer2_1,
    layer2_2 from being `layer2`)."""
    common = os.path.commonprefix(names)
    stem = common[:-1] if common.endswith("_") else common.rpartition("_")[0]
    others = [n.name for n in graph.nodes.values() if n.name not in names]
    if not stem or any(o == stem or o.startswith(stem + "_") for o in others):
        return None
    return stem
