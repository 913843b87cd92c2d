"""Build the example projects in resources/examples/ with the Graph API.

Run `python tools/make_examples.py` after changing an example; the output is
deterministic (seeded node ids), so tests can check the files are up to date.
"""

from __future__ import annotations

import random
import sys
import uuid
from pathlib import Path

from netcanvas.backend.graph import Graph, Node, topo_sort
from netcanvas.backend.project import DatasetConfig, Project, TrainingSettings
from netcanvas.backend.project_io import save_project
from netcanvas.backend.registry import get

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
COLUMN, ROW = 220.0, 130.0


class Net:
    """A Graph under construction: `net.layer(...)` adds a node wired from its inputs."""

    def __init__(self, seed: str) -> None:
        self.graph = Graph()
        self._rng = random.Random(seed)

    def layer(self, type_id: str, *inputs: Node | tuple[Node, str], name: str | None = None,
              **params) -> Node:
        spec = get(type_id)
        node_id = uuid.UUID(int=self._rng.getrandbits(128), version=4).hex
        node = self.graph.add_node(Node(
            node_id, type_id, name or self.graph.unique_name(spec.module_prefix or type_id),
            params))
        for src in inputs:
            src, port = src if isinstance(src, tuple) else (src, None)
            self.graph.connect(src, node, src_port=port)
        return node

    def chain(self, x: Node, *layers: tuple) -> Node:
        """Wire (type_id, params) pairs one after another from `x`."""
        for type_id, params in layers:
            x = self.layer(type_id, x, **params)
        return x


def layout(graph: Graph) -> None:
    """Layered left to right: column = longest path from an Input. Where a node fans out,
    its farthest successor (a skip connection's merge) stays on its row and the others
    step down, so a residual shortcut runs straight above its branch; no two nodes share
    a cell."""
    order, _ = topo_sort(graph.nodes, graph.edges)
    preds: dict[str, list[str]] = {nid: [] for nid in order}
    succs: dict[str, list[str]] = {nid: [] for nid in order}
    for e in graph.edges:
        preds[e.dst].append(e.src)
        if e.dst not in succs[e.src]:
            succs[e.src].append(e.dst)
    column: dict[str, int] = {}
    for nid in order:
        column[nid] = max((column[p] + 1 for p in preds[nid]), default=0)
    rank = {}
    for nid, after in succs.items():
        farthest_first = sorted(after, key=lambda s: (-column[s], after.index(s)))
        rank.update({(nid, s): k for k, s in enumerate(farthest_first)})
    row: dict[str, int] = {}
    taken: dict[int, set[int]] = {}
    sources = 0
    for nid in sorted(order, key=lambda n: column[n]):  # stable: document order in a column
        if preds[nid]:
            want = min(row[p] + rank[p, nid] for p in preds[nid])
        else:
            want, sources = sources, sources + 1
        used = taken.setdefault(column[nid], set())
        while want in used:
            want += 1
        used.add(want)
        row[nid] = want
    for nid in order:
        graph.move(nid, (column[nid] * COLUMN, row[nid] * ROW))


def conv(out_channels: int, k: int = 3, **params) -> tuple:
    return ("conv2d", {"out_channels": out_channels, "kernel_size": k,
                       "padding": k // 2, **params})


RELU = ("relu", {})


def classifier_head(net: Net, x: Node, hidden: int | None, classes: int = 10) -> None:
    x = net.layer("flatten", x)
    if hidden:
        x = net.chain(x, ("linear", {"out_features": hidden}), RELU)
    x = net.layer("linear", x, out_features=classes)
    net.layer("output", x, name="logits", loss="cross_entropy")


DIGITS = DatasetConfig(name="digits")
DIGITS_TRAINING = TrainingSettings(optimizer="adam", lr=3e-3, batch_size=64, epochs=20)


def linear_regression() -> Project:
    net = Net("linear_regression")
    x = net.layer("input", name="x", shape=(1,))
    fc = net.layer("linear", x, name="fc", out_features=1)
    net.layer("output", fc, name="y", loss="mse")
    return Project(net.graph, DatasetConfig(name="linear", normalize=True),
                   TrainingSettings(optimizer="sgd", lr=0.05, momentum=0.9, epochs=30,
                                    batch_size=32),
                   "Linear regression: one Linear layer (y = w·x + b) fitted with the mean "
                   "squared error. Compare the learned weight and bias with the dataset's.")


def mlp_moons() -> Project:
    net = Net("mlp_moons")
    x = net.layer("input", name="point", shape=(2,))
    x = net.chain(x, ("linear", {"out_features": 32}), RELU,
                  ("linear", {"out_features": 32}), RELU, ("linear", {"out_features": 2}))
    net.layer("output", x, name="logits", loss="cross_entropy")
    return Project(net.graph, DatasetConfig(name="moons", options={"n_samples": 1000,
                                                                  "noise": 0.2}),
                   TrainingSettings(optimizer="adam", lr=1e-2, batch_size=64, epochs=40),
                   "A two-hidden-layer perceptron separating the two interleaved moons: "
                   "no straight line can, two ReLU layers bend the boundary.")


def lenet_digits() -> Project:
    net = Net("lenet_digits")
    x = net.layer("input", name="image", shape=(1, 8, 8))
    x = net.chain(x, conv(16), RELU, ("max_pool2d", {}), conv(32), RELU, ("max_pool2d", {}))
    classifier_head(net, x, hidden=64)
    return Project(net.graph, DIGITS, DIGITS_TRAINING,
                   "LeNet-style CNN on scikit-learn's 8x8 handwritten digits: two conv + pool "
                   "stages, then two fully connected layers. Reaches about 98% test accuracy "
                   "in well under a minute on a CPU.")


def residual_block(net: Net, x: Node, channels: int) -> Node:
    y = net.chain(x, conv(channels, bias=False), ("batch_norm2d", {}), RELU,
                  conv(channels, bias=False), ("batch_norm2d", {}))
    return net.layer("relu", net.layer("add", x, y))


def residual_cnn() -> Project:
    net = Net("residual_cnn")
    x = net.layer("input", name="image", shape=(1, 8, 8))
    x = net.chain(x, conv(32, bias=False), ("batch_norm2d", {}), RELU)
    x = residual_block(net, x, 32)
    x = residual_block(net, x, 32)
    x = net.layer("global_avg_pool2d", x)
    x = net.layer("linear", x, out_features=10)
    net.layer("output", x, name="logits", loss="cross_entropy")
    return Project(net.graph, DIGITS, DIGITS_TRAINING,
                   "Two residual blocks (conv-BN-ReLU-conv-BN, plus the block's input, then "
                   "ReLU) as in ResNet, then global average pooling and one Linear.")


def inception_block() -> Project:
    net = Net("inception_block")
    x = net.layer("input", name="image", shape=(1, 8, 8))
    stem = net.chain(x, conv(32), RELU)
    b1 = net.chain(stem, conv(16, 1), RELU)
    b3 = net.chain(stem, conv(16, 1), RELU, conv(24, 3), RELU)
    b5 = net.chain(stem, conv(8, 1), RELU, conv(8, 5), RELU)
    bp = net.chain(stem, ("max_pool2d", {"kernel_size": 3, "stride": 1, "padding": 1}),
                   conv(8, 1), RELU)
    x = net.layer("concat", b1, b3, b5, bp, dim=1)
    x = net.layer("max_pool2d", x)
    classifier_head(net, x, hidden=64)
    return Project(net.graph, DIGITS, DIGITS_TRAINING,
                   "An Inception block: 1x1, 3x3 and 5x5 convolutions and a pooling branch "
                   "look at the same features in parallel; Concat joins their channels "
                   "(16 + 24 + 8 + 8 = 56).")


def two_stream() -> Project:
    net = Net("two_stream")
    a = net.layer("input", name="stream_a", shape=(1, 8, 8))
    b = net.layer("input", name="stream_b", shape=(1, 8, 8))
    a = net.chain(a, conv(16), RELU, ("max_pool2d", {}))
    b = net.chain(b, conv(16), RELU, ("max_pool2d", {}))
    x = net.layer("concat", a, b, dim=1)
    x = net.chain(x, conv(32), RELU, ("max_pool2d", {}))
    classifier_head(net, x, hidden=64)
    return Project(net.graph, DIGITS, DIGITS_TRAINING,
                   "Two input streams, each with its own convolutions, merged by Concat as "
                   "FlowNet merges its two frames. With a one-input dataset such as digits, "
                   "every Input of the same shape is fed the same batch; an npz dataset can "
                   "give each stream its own tensor.")


def segmentation_unpool() -> Project:
    net = Net("segmentation_unpool")
    x = net.layer("input", name="image", shape=(1, 8, 8))
    e1 = net.chain(x, conv(16), RELU)
    pool1 = net.layer("max_pool2d", e1, name="pool1")  # 8 -> 4, indices kept
    e2 = net.chain(pool1, conv(32), RELU)
    pool2 = net.layer("max_pool2d", e2, name="pool2")  # 4 -> 2
    bottleneck = net.chain(pool2, conv(64), RELU)
    d2 = net.chain(bottleneck, ("conv_transpose2d", {"out_channels": 32}), RELU,  # 2 -> 4
                   conv(16), RELU)
    d1 = net.layer("max_unpool2d", d2, (pool1, "indices"), name="unpool1")  # 4 -> 8
    mask = net.chain(d1, conv(16), RELU, conv(1, 1))
    net.layer("output", mask, name="mask", loss="none")
    g = net.layer("global_avg_pool2d", bottleneck)
    g = net.layer("linear", g, out_features=10)
    net.layer("output", g, name="digit", loss="cross_entropy")
    return Project(net.graph, DIGITS, DIGITS_TRAINING,
                   "Encoder-decoder for per-pixel output: MaxPool2d keeps the positions of "
                   "its maxima, MaxUnpool2d puts values back there, ConvTranspose2d learns to "
                   "upsample. The 'mask' Output gives one logit per pixel (loss none: train it "
                   "with per-pixel targets from an npz dataset and bce_with_logits); on "
                   "digits the 'digit' head trains the encoder.")


def vgg16() -> Project:
    net = Net("vgg16")
    x = net.layer("input", name="image", shape=(3, 224, 224))
    for channels, repeats in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        for _ in range(repeats):
            x = net.chain(x, conv(channels), RELU)
        x = net.layer("max_pool2d", x)
    x = net.layer("adaptive_avg_pool2d", x, output_size=(7, 7))
    x = net.layer("flatten", x)
    for _ in range(2):
        x = net.chain(x, ("linear", {"out_features": 4096}), RELU, ("dropout", {"p": 0.5}))
    x = net.layer("linear", x, out_features=1000)
    net.layer("output", x, name="logits", loss="cross_entropy")
    return Project(net.graph, DatasetConfig(name="folder"),
                   TrainingSettings(optimizer="sgd", lr=0.01, momentum=0.9, weight_decay=5e-4,
                                    batch_size=64, epochs=90),
                   "VGG-16 (Simonyan & Zisserman, 2014) at ImageNet size: 13 3x3 convolutions "
                   "in five stages and three fully connected layers, 138,357,544 parameters. "
                   "Point the dataset at an image folder to train it.")


def basic_block(net: Net, x: Node, channels: int, stride: int) -> Node:
    y = net.chain(x, conv(channels, stride=stride, bias=False), ("batch_norm2d", {}), RELU,
                  conv(channels, bias=False), ("batch_norm2d", {}))
    if stride != 1:
        x = net.chain(x, conv(channels, 1, stride=stride, bias=False), ("batch_norm2d", {}))
    return net.layer("relu", net.layer("add", y, x))


def resnet18() -> Project:
    net = Net("resnet18")
    x = net.layer("input", name="image", shape=(3, 224, 224))
    x = net.chain(x, conv(64, 7, stride=2, bias=False), ("batch_norm2d", {}), RELU,
                  ("max_pool2d", {"kernel_size": 3, "stride": 2, "padding": 1}))
    for i, channels in enumerate((64, 128, 256, 512)):
        x = basic_block(net, x, channels, 1 if i == 0 else 2)
        x = basic_block(net, x, channels, 1)
    x = net.layer("global_avg_pool2d", x)
    x = net.layer("linear", x, out_features=1000)
    net.layer("output", x, name="logits", loss="cross_entropy")
    return Project(net.graph, DatasetConfig(name="folder"),
                   TrainingSettings(optimizer="sgd", lr=0.1, momentum=0.9, weight_decay=1e-4,
                                    batch_size=64, epochs=90, schedule="step", step_size=30),
                   "ResNet-18 (He et al., 2015) at ImageNet size: a 7x7 stem and four stages "
                   "of two residual blocks, 11,689,512 parameters. Point the dataset at an "
                   "image folder to train it.")


BUILDERS = {f.__name__: f for f in (
    linear_regression, mlp_moons, lenet_digits, residual_cnn, inception_block, two_stream,
    segmentation_unpool, vgg16, resnet18)}


def build(name: str) -> Project:
    project = BUILDERS[name]()
    layout(project.graph)
    return project


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else EXAMPLES
    folder.mkdir(parents=True, exist_ok=True)
    for name in BUILDERS:
        save_project(build(name), folder / f"{name}.netcanvas")
        print(folder / f"{name}.netcanvas")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
