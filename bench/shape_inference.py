"""Full shape analysis on chain and branching graphs of 100, 1,000 and 10,000 nodes.

Prints the median time of `analyze(graph)`, the time per node (flat when growth is
linear), and the ratio to a hand-written baseline measured in the same run: a bare loop
calling each layer's `infer_shape` in a precomputed order, with none of the analysis's
bookkeeping (adjacency, topological sort, params, MACs, problems).

    python bench/shape_inference.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

from netcanvas.backend.graph import Edge, Graph, Node
from netcanvas.backend.registry import get
from netcanvas.backend.shapes import analyze


def _graph(specs: list[tuple[str, dict, list[tuple[int, str]]]]) -> Graph:
    """Nodes and edges assembled directly: wiring 10,000 nodes one validated edge at a time
    is not what is being measured."""
    nodes, edges = {}, []
    ids = [f"n{i}" for i in range(len(specs))]
    for i, (type_id, params, inputs) in enumerate(specs):
        nodes[ids[i]] = Node(ids[i], type_id, f"{type_id}{i}",
                             get(type_id).validate_params(params))
        edges += [Edge(ids[j], "y", ids[i], port) for j, port in inputs]
    return Graph(nodes, edges)


def chain(n: int) -> Graph:
    """Input -> (Linear, ReLU)* -> Output."""
    specs = [("input", {"shape": (64,)}, [])]
    while len(specs) < n - 1:
        kind = ("linear", {"out_features": 64}) if len(specs) % 2 else ("relu", {})
        specs.append((*kind, [(len(specs) - 1, "x")]))
    specs.append(("output", {"loss": "mse"}, [(len(specs) - 1, "x")]))
    return _graph(specs)


def branching(n: int) -> Graph:
    """Input -> residual blocks (conv, ReLU, Add with the block input) -> flatten -> Output."""
    specs = [("input", {"shape": (16, 8, 8)}, [])]
    x = 0
    while len(specs) < n - 2:
        conv = len(specs)
        specs.append(("conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1},
                      [(x, "x")]))
        specs.append(("relu", {}, [(conv, "x")]))
        specs.append(("add", {}, [(x, "x"), (conv + 1, "x")]))
        x = conv + 2
    specs.append(("flatten", {}, [(x, "x")]))
    specs.append(("output", {"loss": "mse"}, [(len(specs) - 1, "x")]))
    return _graph(specs)


def baseline(graph: Graph, order: list[str], inputs_of: dict[str, list[Edge]]) -> None:
    shapes: dict[tuple[str, str], tuple] = {}
    for nid in order:
        node = graph.nodes[nid]
        spec = get(node.type_id)
        inputs: dict = {}
        for e in inputs_of[nid]:
            shape = shapes[e.src, e.src_port]
            if spec.input_port(e.dst_port).many:
                inputs.setdefault(e.dst_port, []).append(shape)
            else:
                inputs[e.dst_port] = shape
        for port, shape in spec.infer_shape(node.params, inputs).items():
            shapes[nid, port] = shape


def median_ms(fn, repeat: int) -> float:
    """Median CPU time of this process, so other load on the machine does not count."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"{'graph':>10} {'nodes':>7} {'analyze ms':>11} {'µs/node':>8} "
          f"{'per-node vs 100':>16} {'baseline ms':>12} {'vs baseline':>12}")
    for kind, make in (("chain", chain), ("branching", branching)):
        first = None
        for n in (100, 1_000, 10_000):
            graph = make(n)
            assert analyze(graph).ok
            order = graph.topological_order()
            inputs_of = {nid: [] for nid in graph.nodes}
            for e in graph.edges:
                inputs_of[e.dst].append(e)
            ms = median_ms(lambda g=graph: analyze(g), args.repeat)
            base = median_ms(lambda g=graph, o=order, i=inputs_of: baseline(g, o, i), args.repeat)
            per_node = ms * 1000 / len(graph.nodes)
            first = first or per_node
            print(f"{kind:>10} {len(graph.nodes):>7} {ms:>11.2f} {per_node:>8.2f} "
                  f"{per_node / first:>15.2f}x {base:>12.2f} {ms / base:>11.2f}x")


if __name__ == "__main__":
    main()
