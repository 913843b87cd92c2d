"""How many nodes a graph becomes once every block instance is unfolded, counted from the
definitions without unfolding anything (issue 29: a block of 2 blocks of 2 blocks ... 40
levels deep is 2^40 nodes, which compiling would try to build).

Every loader refuses a definition or a project past MAX_EXPANDED_NODES, so a file that loads
can be analysed, compiled and exported in bounded time and memory.
"""

from __future__ import annotations

from netcanvas.backend.graph import BLOCK, Graph

MAX_EXPANDED_NODES = 100_000  # ResNet-152 unfolded is about 520 nodes


class ExpansionError(ValueError):
    """A graph or definition that unfolds past MAX_EXPANDED_NODES; `count` says how far."""

    def __init__(self, count: int) -> None:
        super().__init__(f"expands to {count:,} nodes once its blocks are unfolded (at most "
                         f"{MAX_EXPANDED_NODES:,} are allowed): blocks nested or repeated "
                         "too many times")
        self.count = count


def graph_size(graph: Graph, sizes: dict[str, int]) -> int:
    """The unfolded node count of `graph`, given the unfolded size of each definition it
    instantiates (`sizes`; an unknown definition counts as one node)."""
    total = 0
    for node in graph.nodes.values():
        if node.type_id == BLOCK:
            repeat = node.params.get("repeat", 1)
            total += (repeat if isinstance(repeat, int) else 1) * sizes.get(
                node.params.get("block"), 1)
        else:
            total += 1
    return total


def definition_sizes(blocks) -> dict[str, int]:
    """Each definition's unfolded size, inner definitions first (no recursion: a chain of
    thousands of definitions is fine)."""
    sizes: dict[str, int] = {}
    for name in blocks:
        stack = [name]
        while stack:
            top = stack[-1]
            if top in sizes:
                stack.pop()
                continue
            pending = [u for u in blocks[top].uses()
                       if u in blocks and u not in sizes and u not in stack]
            if pending:
                stack.extend(pending)
            else:
                sizes[top] = graph_size(blocks[top].graph, sizes)
                stack.pop()
    return sizes


def check_size(graph: Graph, sizes: dict[str, int]) -> int:
    """The unfolded size of `graph`, or ExpansionError past the limit."""
    count = graph_size(graph, sizes)
    if count > MAX_EXPANDED_NODES:
        raise ExpansionError(count)
    return count
