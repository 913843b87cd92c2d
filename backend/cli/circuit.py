"""`netcanvas circuit FILE [--set x=-2 y=5 z=-4] [--sample N]`: one forward and backward
pass, printing every wire's value and the gradient of the output with respect to it."""

from __future__ import annotations

import argparse

from netcanvas.backend.cli.check import table
from netcanvas.backend.cli.common import UsageError, load, project_command


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = project_command(
        subparsers, "circuit", help="values and gradients on every wire (backprop)",
        description="Run one forward and one backward pass with autograd and print, for every "
                    "wire, its value and the gradient of the output with respect to it, and "
                    "each scalar node's local derivatives. On a network that takes data, one "
                    "test sample is fed and the wires show norms; the loss is differentiated.")
    p.add_argument("--set", nargs="+", default=[], metavar="NAME=VALUE",
                   help="set Constant nodes by name, e.g. --set x=-2 y=5 z=-4")
    p.add_argument("--sample", type=int, default=0, metavar="N",
                   help="test sample fed to a network with Input nodes (default 0)")
    return p


def parse_values(items: list[str]) -> dict[str, float]:
    values = {}
    for item in items:
        name, sep, text = item.partition("=")
        try:
            if not sep or not name:
                raise ValueError
            values[name.strip()] = float(text)
        except ValueError:
            raise UsageError(f"--set expects NAME=NUMBER, got {item!r}") from None
    return values


def run(args: argparse.Namespace) -> int:
    from netcanvas.backend.compiler import CompileError, compile_graph
    from netcanvas.backend.insight.circuit import (
        CircuitError,
        number,
        run_circuit,
        set_constants,
        split_sample,
    )

    project = load(args.file)
    values = parse_values(args.set)
    try:
        graph = set_constants(project.graph, values)
        model = compile_graph(graph)
        sample = target = None
        if model.input_names:
            from netcanvas.backend.data import DatasetError, load_dataset

            try:
                dataset = load_dataset(project.dataset)
            except DatasetError as exc:
                raise CircuitError(str(exc)) from None
            sample, target = split_sample(dataset.test, args.sample, model.input_shapes)
        result = run_circuit(graph, model=model, sample=sample, target=target)
    except (CircuitError, CompileError) as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    scalar = all(w.scalar for w in result.wires.values())
    head = ("value", "∂out/∂wire") if scalar else ("‖value‖", "‖∂out/∂wire‖")
    rows = [("wire", "type", *head)]
    for (nid, port), wire in result.wires.items():
        node = graph.nodes[nid]
        name = node.name if port == node.spec.outputs[0].name else f"{node.name}.{port}"
        rows.append((name, node.spec.title, number(wire.value), number(wire.grad)))
    what = "loss" if result.objective == "loss" else result.output
    rows.append((what, "", number(result.value), ""))
    print(table(rows))
    for nid, pairs in result.local.items():
        name = graph.nodes[nid].name
        print(f"local {name}: " + "  ".join(f"∂{name}/∂{src} = {number(d)}" for src, d in pairs))
    return 0
