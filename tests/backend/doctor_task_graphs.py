"""Projects on the course's task datasets that trigger each task lint rule, and near misses."""

from __future__ import annotations

from doctor_graphs import FLAT, chain, lin
from netcanvas.backend.project import DatasetConfig

MSE = ("output", {"loss": "mse"})


def on(dataset: str, project, output: str | None = None):
    """`project` set to train on `dataset`, its Output renamed `output`."""
    project.dataset = DatasetConfig(name=dataset)
    if output:
        (node,) = [n for n in project.graph.nodes.values() if n.type_id == "output"]
        project.graph.rename(node.id, output)
    return project


def box_head(activation: str):
    return on("find_digit", chain(FLAT, lin(4), activation, MSE, shape=(1, 16, 16)), "box")


TASK_CASES = {
    "output-not-a-target": (on("find_digit", chain(FLAT, lin(10), shape=(1, 16, 16)), "logits"),
                            on("find_digit", chain(FLAT, lin(10), shape=(1, 16, 16)), "digit")),
    "head-cannot-reach-target": (box_head("softmax"), box_head("sigmoid")),
}
