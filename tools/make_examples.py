"""Build the example projects in resources/examples/ with the Graph API.

Run `python tools/make_examples.py` after changing an example; the output is
deterministic (seeded node ids), so tests can check the files are up to date.
"""

from __future__ import annotations

import functools
import random
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

from netcanvas.backend.blocks.definition import BlockSet
from netcanvas.backend.blocks.library import add_builtin
from netcanvas.backend.graph import BLOCK, Graph, Node
from netcanvas.backend.project import DatasetConfig, Project, TrainingSettings
from netcanvas.backend.project_io import save_project
from netcanvas.backend.registry import get

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
COLUMN, LANE = 220.0, 130.0  # card pitch: 152 x <=117 px cards leave room for shape labels
ROW_GAP = 40.0  # extra space under a row for the wire that runs back to the next row's start


class Net:
    """A Graph under construction: `net.layer(...)` adds a node wired from its inputs."""

    def __init__(self, seed: str) -> None:
        self.blocks = BlockSet()  # the built-in blocks `block` used, copied in
        self.graph = Graph(blocks=self.blocks)
        self._rng = random.Random(seed)
        self.rows: dict[str, int] = {}  # node id -> row of the layout it is drawn in
        self._row = 0
        self._placed: dict[str, tuple[float, float]] = {}  # node id -> position set by hand

    def wrap(self) -> None:
        """Lay the layers added from now on out in a new row under the previous one."""
        self._row += 1

    def layer(self, type_id: str, *inputs: Node | tuple[Node, str], name: str | None = None,
              **params) -> Node:
        spec = self.graph.resolve(type_id, params) or get(type_id)
        node_id = uuid.UUID(int=self._rng.getrandbits(128), version=4).hex
        node = self.graph.add_node(Node(
            node_id, type_id, name or self.graph.unique_name(spec.module_prefix or type_id),
            params))
        self.rows[node_id] = self._row
        for src in inputs:
            src, port = src if isinstance(src, tuple) else (src, None)
            self.graph.connect(src, node, src_port=port)
        return node

    def block(self, block: str, *inputs: Node, name: str, **params) -> Node:
        """An instance of built-in block `block` (its definition copied into the project)."""
        if block not in self.blocks:
            add_builtin(self.blocks, block)
        return self.layer(BLOCK, *inputs, name=name, block=block, **params)

    def place(self, node: Node, position: tuple[float, float]) -> None:
        """Put `node` here instead of where the layout would."""
        self._placed[node.id] = position

    def project(self, dataset: DatasetConfig, training: TrainingSettings,
                description: str) -> Project:
        """The finished example, laid out in the rows `wrap` marked."""
        layout(self.graph, self.rows)
        for node_id, position in self._placed.items():
            self.graph.move(node_id, position)
        return Project(self.graph, dataset, training, description, self.blocks)

    def chain(self, x: Node, *layers: tuple) -> Node:
        """Wire (type_id, params) pairs one after another from `x`."""
        for type_id, params in layers:
            x = self.layer(type_id, x, **params)
        return x


def example(dataset: DatasetConfig,
            training: TrainingSettings) -> Callable[[Callable[[Net], None]], Callable[[], Project]]:
    """An example's builder: the decorated `build(net)` wires the layers into a Net seeded
    with the builder's name, and its docstring (on one line) is the project's description;
    calling the result gives the finished Project."""
    def wrap(build: Callable[[Net], None]) -> Callable[[], Project]:
        @functools.wraps(build)
        def make() -> Project:
            net = Net(build.__name__)
            build(net)
            return net.project(dataset, training, " ".join(build.__doc__.split()))
        return make
    return wrap


def layout(graph: Graph, rows: dict[str, int]) -> None:
    """Rows of layers read left to right, each row starting again at the left, so a long
    network fills the canvas like lines of text instead of one strip. Within a row: column =
    longest path from the row's first layers; where a node fans out, its farthest successor
    (a skip connection's merge), else the branch built first, keeps its lane and the others
    step down a lane, so a residual shortcut runs straight above its block; no two nodes
    share a cell; a split or merge of three or more branches is centred on them."""
    order, _ = graph.order()
    preds: dict[str, list[str]] = {nid: [] for nid in order}
    succs: dict[str, list[str]] = {nid: [] for nid in order}
    for e in graph.edges:
        if rows[e.src] == rows[e.dst]:  # wires between rows do not shape a row
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
    lane: dict[str, float] = {}
    taken: dict[tuple[int, int], set[int]] = {}
    sources: dict[int, int] = {}
    for nid in sorted(order, key=lambda n: (rows[n], column[n])):  # stable: document order
        if preds[nid]:
            want = min(lane[p] + rank[p, nid] for p in preds[nid])
        else:
            want = sources.get(rows[nid], 0)
            sources[rows[nid]] = want + 1
        used = taken.setdefault((rows[nid], column[nid]), set())
        while want in used:
            want += 1
        used.add(want)
        lane[nid] = want
    for nid in order:  # a wide split or merge sits level with the middle of its branches
        for branches in (succs[nid], preds[nid]):
            if len(branches) >= 3 and len(taken[rows[nid], column[nid]]) == 1:
                lane[nid] = sum(lane[b] for b in branches) / len(branches)
    top, y = {}, 0.0
    for r in sorted(set(rows.values())):
        top[r] = y
        y += (max(lane[n] for n in order if rows[n] == r) + 1) * LANE + ROW_GAP
    for nid in order:
        graph.move(nid, (column[nid] * COLUMN, top[rows[nid]] + lane[nid] * LANE))


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


@example(DatasetConfig(name="linear", normalize=True),
         TrainingSettings(optimizer="sgd", lr=0.05, momentum=0.9, epochs=30,
                          batch_size=32))
def linear_regression(net: Net) -> None:
    """Linear regression: one Linear layer (y = w·x + b) fitted with the mean squared error.
    Compare the learned weight and bias with the dataset's."""
    x = net.layer("input", name="x", shape=(1,))
    fc = net.layer("linear", x, name="fc", out_features=1)
    net.layer("output", fc, name="y", loss="mse")


@example(DatasetConfig(name="moons", options={"n_samples": 1000, "noise": 0.2}),
         TrainingSettings(optimizer="adam", lr=1e-2, batch_size=64, epochs=40))
def mlp_moons(net: Net) -> None:
    """A two-hidden-layer perceptron separating the two interleaved moons: no straight line can,
    two ReLU layers bend the boundary."""
    x = net.layer("input", name="point", shape=(2,))
    x = net.chain(x, ("linear", {"out_features": 32}), RELU,
                  ("linear", {"out_features": 32}), RELU)
    net.wrap()
    x = net.layer("linear", x, out_features=2)
    net.layer("output", x, name="logits", loss="cross_entropy")


@example(DIGITS, DIGITS_TRAINING)
def lenet_digits(net: Net) -> None:
    """LeNet-style CNN on scikit-learn's 8x8 handwritten digits: two conv + pool stages, then
    two fully connected layers. Reaches about 98% test accuracy in well under a minute on a CPU."""
    x = net.layer("input", name="image", shape=(1, 8, 8))
    x = net.chain(x, conv(16), RELU, ("max_pool2d", {}))
    net.wrap()
    x = net.chain(x, conv(32), RELU, ("max_pool2d", {}))
    net.wrap()
    classifier_head(net, x, hidden=64)
    # The classic design keeps its big first Linear: the first example opens with no finding.
    net.graph.by_name("fc1").silenced = ("big-first-linear",)


def residual_block(net: Net, x: Node, channels: int) -> Node:
    y = net.chain(x, conv(channels, bias=False), ("batch_norm2d", {}), RELU,
                  conv(channels, bias=False), ("batch_norm2d", {}))
    x = net.layer("add", x, y)
    net.wrap()  # a row per block, starting with its input: the shortcut stays in its row
    return net.layer("relu", x)


@example(DIGITS, DIGITS_TRAINING)
def residual_cnn(net: Net) -> None:
    """Two residual blocks (conv-BN-ReLU-conv-BN, plus the block's input, then ReLU) as in
    ResNet, then global average pooling and one Linear."""
    x = net.layer("input", name="image", shape=(1, 8, 8))
    x = net.chain(x, conv(32, bias=False), ("batch_norm2d", {}))
    net.wrap()
    x = net.layer("relu", x)
    x = residual_block(net, x, 32)
    x = residual_block(net, x, 32)
    x = net.layer("global_avg_pool2d", x)
    x = net.layer("linear", x, out_features=10)
    net.layer("output", x, name="logits", loss="cross_entropy")


@example(DIGITS, DIGITS_TRAINING)
def inception_block(net: Net) -> None:
    """An Inception block: 1x1, 3x3 and 5x5 convolutions and a pooling branch look at the same
    features in parallel; Concat joins their channels (16 + 24 + 8 + 8 = 56). Double-click the
    block to see inside it."""
    x = net.layer("input", name="image", shape=(1, 8, 8))
    x = net.chain(x, conv(32))
    net.wrap()  # the block in a row of its own, from the stem's output
    stem = net.layer("relu", x)
    x = net.block("Inception", stem, name="inception", c1=16, c3_reduce=16, c3=24,
                  c5_reduce=8, c5=8, pool_proj=8)
    net.wrap()
    x = net.layer("max_pool2d", x)
    classifier_head(net, x, hidden=64)


@example(DatasetConfig(name="moving_digits"),
         TrainingSettings(optimizer="adam", lr=3e-3, batch_size=32, epochs=10))
def two_stream(net: Net) -> None:
    """Optical flow as FlowNet does it: two input streams, one per frame, each with its own
    convolutions, merged by Concat and followed by shared convolutions that regress the motion
    (dx, dy) of every pixel. Trained on moving_digits (frame2 is frame1 shifted by up to 1.5
    pixels); scored by the end-point error (EPE)."""
    a = net.layer("input", name="frame1", shape=(1, 12, 12))
    b = net.layer("input", name="frame2", shape=(1, 12, 12))
    a = net.chain(a, conv(16), RELU)
    b = net.chain(b, conv(16), RELU)
    x = net.layer("concat", a, b, dim=1)
    net.wrap()
    x = net.chain(x, conv(32), RELU, conv(32), RELU)
    net.wrap()
    x = net.chain(x, conv(32), RELU, conv(2))
    net.layer("output", x, name="flow", loss="mse")


@example(DatasetConfig(name="digit_masks"),
         TrainingSettings(optimizer="adam", lr=3e-3, batch_size=32, epochs=5))
def segmentation_unpool(net: Net) -> None:
    """Segmentation with an encoder-decoder, as one block (double-click it): MaxPool2d keeps the
    positions of its maxima and MaxUnpool2d puts values back there. The 'mask' Output gives two
    scores per pixel (background, digit) trained with a per-pixel cross-entropy on digit_masks;
    the 'digit' head, fed by the block's middle features, is an auxiliary classifier (loss
    weight 0.2). Scored by mean IoU and pixel accuracy."""
    x = net.layer("input", name="image", shape=(1, 16, 16))
    stage = net.block("EncoderDecoder", x, name="stage", channels=16, mid_channels=32)
    mask = net.chain((stage, "y"), conv(16), RELU, conv(2, 1))  # one row, two lanes
    net.layer("output", mask, name="mask", loss="cross_entropy")
    g = net.layer("global_avg_pool2d", (stage, "features"))  # the encoder's code: a digit
    g = net.layer("linear", g, out_features=10)
    net.layer("output", g, name="digit", loss="cross_entropy", weight=0.2)


@example(DatasetConfig(name="find_digit", options={"copies": 2}),
         TrainingSettings(optimizer="adam", lr=2e-3, batch_size=32, epochs=15))
def localisation(net: Net) -> None:
    """Object localisation as the course describes it: convolutional features, then no soft-max
    but a fully connected layer that regresses the box (x0, y0, x1, y1, fractions of the image;
    a sigmoid keeps them in 0..1) beside a class head. Trained on find_digit; scored by class
    accuracy and mean box IoU."""
    x = net.layer("input", name="image", shape=(1, 16, 16))
    x = net.chain(x, conv(16), RELU, ("max_pool2d", {}), conv(32), RELU, ("max_pool2d", {}))
    net.wrap()
    x = net.chain(x, ("flatten", {}), ("linear", {"out_features": 128}), RELU)
    net.wrap()
    digit = net.layer("linear", x, out_features=10)
    net.layer("output", digit, name="digit", loss="cross_entropy")
    box = net.chain(x, ("linear", {"out_features": 4}), ("sigmoid", {}))
    net.layer("output", box, name="box", loss="mse", weight=10.0)


@example(DatasetConfig(name="colourise"),
         TrainingSettings(optimizer="adam", lr=3e-3, batch_size=32, epochs=8))
def colourise(net: Net) -> None:
    """Image colouring: a grey digit in, its colour picture out (each digit has its own colour,
    so the network must recognise it). A pooled branch sees the whole digit, a full-size branch
    keeps the strokes; Concat joins them. Scored by PSNR against the true colours."""
    x = net.layer("input", name="image", shape=(1, 8, 8))
    near = net.chain(x, conv(32), RELU)
    net.wrap()
    far = net.chain(near, ("max_pool2d", {}), conv(64), RELU, ("upsample", {}))
    x = net.layer("concat", near, far, dim=1)
    net.wrap()
    x = net.chain(x, conv(32), RELU, conv(3, 1))
    net.layer("output", x, name="colour", loss="mse")


@example(DatasetConfig(name="folder"),
         TrainingSettings(optimizer="sgd", lr=0.01, momentum=0.9, weight_decay=5e-4,
                          batch_size=64, epochs=90))
def vgg16(net: Net) -> None:
    """VGG-16 (Simonyan & Zisserman, 2014) at ImageNet size: 13 3x3 convolutions in five VGG
    blocks (n x conv-ReLU, then max-pool) and three fully connected layers, 138,357,544
    parameters. Point the dataset at an image folder to train it."""
    x = net.layer("input", name="image", shape=(3, 224, 224))
    for i, (channels, convs) in enumerate(((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))):
        x = net.block("VGGBlock", x, name=f"stage{i + 1}", channels=channels, convs=convs)
    net.wrap()
    x = net.layer("adaptive_avg_pool2d", x, output_size=(7, 7))
    x = net.layer("flatten", x)
    fc = (("linear", {"out_features": 4096}), RELU, ("dropout", {"p": 0.5}))
    x = net.chain(x, *fc)
    net.wrap()
    x = net.chain(x, *fc)
    x = net.layer("linear", x, out_features=1000)
    net.layer("output", x, name="logits", loss="cross_entropy")


@example(DatasetConfig(name="folder"),
         TrainingSettings(optimizer="sgd", lr=0.1, momentum=0.9, weight_decay=1e-4,
                          batch_size=64, epochs=90, schedule="step", step_size=30))
def resnet18(net: Net) -> None:
    """ResNet-18 (He et al., 2015) at ImageNet size: a 7x7 stem and four stages of two residual
    blocks, 11,689,512 parameters. Each stage is one BasicBlock card repeated x2 (the first
    repetition strides and, where the channels change, adds the 1x1 downsample); double-click
    one to edit the block every stage shares. Point the dataset at an image folder to train it."""
    x = net.layer("input", name="image", shape=(3, 224, 224))
    x = net.layer("conv2d", x, name="conv1", out_channels=64, kernel_size=7, stride=2,
                  padding=3, bias=False)
    x = net.layer("batch_norm2d", x, name="bn1")
    x = net.layer("relu", x, name="relu")
    x = net.layer("max_pool2d", x, name="maxpool", kernel_size=3, stride=2, padding=1)
    net.wrap()
    for i, channels in enumerate((64, 128, 256, 512)):
        x = net.block("BasicBlock", x, name=f"layer{i + 1}", repeat=2, channels=channels,
                      stride=1 if i == 0 else 2)
    net.wrap()
    x = net.layer("global_avg_pool2d", x, name="avgpool")
    x = net.layer("linear", x, name="fc", out_features=1000)
    net.layer("output", x, name="logits", loss="cross_entropy")


@example(DIGITS, DIGITS_TRAINING)
def backprop_circuit(net: Net) -> None:
    """The course's circuit f(x, y, z) = z(x + y) with q = x + y. Turn on Circuit in the toolbar
    (or run `netcanvas circuit` on this file) to see each wire's value and the gradient of f
    with respect to it: with x = -2, y = 5, z = -4, q = 3 and f = -12; df/dz = q = 3, df/dq = z
    = -4, and the Add passes -4 on to both x and y."""
    x = net.layer("constant", name="x", value=-2.0)
    y = net.layer("constant", name="y", value=5.0)
    z = net.layer("constant", name="z", value=-4.0)
    q = net.layer("add", x, y, name="q")
    f = net.layer("multiply", q, z, name="f")
    net.layer("output", f, name="out", loss="none")
    net.place(z, (COLUMN, 1.5 * LANE))  # under q, wired straight into f


DEEP_LAYERS = 9
DEEP_TRAINING = TrainingSettings(optimizer="sgd", lr=0.1, momentum=0.9, batch_size=64, epochs=10)


def deep_mlp(net: Net, block: tuple) -> None:
    x = net.layer("input", name="image", shape=(1, 8, 8))
    x = net.layer("flatten", x)
    for i in range(DEEP_LAYERS):
        if i % 2 == 1:  # rows of two blocks
            net.wrap()
        x = net.layer("linear", x, name=f"fc{i + 1}", out_features=64)
        x = net.chain(x, *block)
    net.wrap()
    x = net.layer("linear", x, name=f"fc{DEEP_LAYERS + 1}", out_features=10)
    net.layer("output", x, name="logits", loss="cross_entropy")


@example(DIGITS, DEEP_TRAINING)
def deep_sigmoid(net: Net) -> None:
    """Ten Linear layers with Sigmoid between them on the 8x8 digits: the vanishing gradient.
    Train it with layer statistics on: the gradient norm of fc1 stays hundreds of times smaller
    than fc10's, so the first layers barely learn. Compare deep_relu_bn."""
    deep_mlp(net, (("sigmoid", {}),))


@example(DIGITS, DEEP_TRAINING)
def deep_relu_bn(net: Net) -> None:
    """The deep_sigmoid network with ReLU and batch norm instead of Sigmoid: gradients reach the
    first layer at a size like the last one's, and it trains."""
    deep_mlp(net, (("batch_norm1d", {}), RELU))


@example(DIGITS, DIGITS_TRAINING)
def dilated_vs_plain(net: Net) -> None:
    """Dilated convolutions see further for the same parameters: two stacks of three 3x3
    convolutions with 16 channels side by side, one plain and one with dilation 1, 2, 4. Hover a
    wire (or run `netcanvas rf`): after three layers each plain cell sees 7x7 pixels, each
    dilated cell 15x15 (the whole 8x8 digit). Both heads train on the same labels; compare their
    accuracies."""
    image = net.layer("input", name="image", shape=(1, 8, 8))
    for name, dilations in (("plain", (1, 1, 1)), ("dilated", (1, 2, 4))):
        x = image
        for i, d in enumerate(dilations):
            x = net.layer("conv2d", x, name=f"{name}{i + 1}", out_channels=16, kernel_size=3,
                          padding=d, dilation=d)
            x = net.layer("relu", x, name=f"{name}_relu{i + 1}")
            if i == 1:
                net.wrap()
        x = net.layer("global_avg_pool2d", x, name=f"{name}_gap")
        x = net.layer("linear", x, name=f"{name}_fc", out_features=10)
        net.layer("output", x, name=name, loss="cross_entropy")
        net.wrap()


@example(DatasetConfig(name="digit_rows"),
         TrainingSettings(optimizer="adam", lr=1e-2, batch_size=64, epochs=30))
def lstm_digit_rows(net: Net) -> None:
    """An LSTM reads each 8x8 digit one row at a time (8 steps of 8 pixels); its final hidden
    state h is classified by one Linear layer."""
    x = net.layer("input", name="rows", shape=(8, 8))
    lstm = net.layer("lstm", x, name="lstm", hidden_size=64)
    x = net.layer("linear", (lstm, "h"), name="fc", out_features=10)
    net.layer("output", x, name="logits", loss="cross_entropy")


def transformer_head(net: Net, x: Node, classes: int) -> None:
    x = net.layer("layer_norm", x, name="norm")
    x = net.layer("sequence_pool", x, name="pool", mode="first")
    x = net.layer("linear", x, name="head", out_features=classes)
    net.layer("output", x, name="logits", loss="cross_entropy")


@example(DIGITS,
         TrainingSettings(optimizer="adamw", lr=2e-3, weight_decay=0.05,
                                  batch_size=32, epochs=40, schedule="cosine",
                                  warmup_epochs=2))
def vit_digits(net: Net) -> None:
    """A tiny vision transformer on the 8x8 digits: 2x2 patches make 16 tokens, a class token
    and learned positions are added, two pre-norm encoder blocks (Repeat x2) attend across them,
    and the class token's final state is classified. Try it shows each head's attention over the
    patches."""
    x = net.layer("input", name="image", shape=(1, 8, 8))
    x = net.block("ViTStem", x, name="stem", patch_size=(2, 2), d_model=64)
    x = net.block("TransformerEncoder", x, name="encoder", repeat=2, d_model=64, heads=4,
                  mlp_dim=128, dropout=0.1)
    net.wrap()
    transformer_head(net, x, 10)


RECALL = DatasetConfig(name="recall", normalize=False)
RECALL_TRAINING = TrainingSettings(optimizer="adamw", lr=2e-3, batch_size=64, epochs=12)


def recall_tokens(net: Net) -> Node:
    """The tokens of the recall task embedded, with learned positions added."""
    x = net.layer("input", name="tokens", shape=(12,))
    x = net.layer("embedding", x, name="embed", num_embeddings=17, embedding_dim=64,
                  padding_idx=0)
    return net.layer("positional_encoding", x, name="pos")


@example(RECALL, RECALL_TRAINING)
def transformer_recall(net: Net) -> None:
    """A two-layer transformer on the recall task: does the first token occur again in the
    (padded) sequence? Attention compares the query with every token at once; compare
    mlp_recall, an MLP of similar size, and masked_transformer_recall, which hides the
    padding."""
    x = net.block("TransformerEncoder", recall_tokens(net), name="encoder", repeat=2,
                  d_model=64, heads=4, mlp_dim=128)
    net.wrap()
    transformer_head(net, x, 2)


@example(RECALL, RECALL_TRAINING)
def masked_transformer_recall(net: Net) -> None:
    """transformer_recall with the padding hidden: sequences vary in length, padded to 12,
    and the dataset's second input, mask (1 at real steps), keeps the padded steps out of the
    attention (key_mask) and out of the mean over steps (SequencePool's mask), so padded
    tokens change nothing."""
    x = recall_tokens(net)
    mask = net.layer("input", name="mask", shape=(12,))
    for i in (1, 2):  # Repeat takes one input: two blocks, each fed the mask
        x = net.block("MaskedTransformerEncoder", x, name=f"encoder{i}", d_model=64, heads=4,
                      mlp_dim=128)
        net.graph.connect(mask, x, dst_port="mask")
    net.wrap()
    x = net.layer("layer_norm", x, name="norm")
    x = net.layer("sequence_pool", x, name="pool", mode="mean")
    net.graph.connect(mask, x, dst_port="mask")
    x = net.layer("linear", x, name="head", out_features=2)
    net.layer("output", x, name="logits", loss="cross_entropy")


@example(RECALL, RECALL_TRAINING)
def mlp_recall(net: Net) -> None:
    """The baseline for transformer_recall: an MLP of similar size on the flattened token
    embeddings. It must learn every query/position pair separately, and stays far below the
    transformer."""
    x = net.layer("input", name="tokens", shape=(12,))
    x = net.layer("embedding", x, name="embed", num_embeddings=17, embedding_dim=32,
                  padding_idx=0)
    x = net.chain(x, ("flatten", {}), ("linear", {"out_features": 256}), RELU,
                  ("linear", {"out_features": 256}), RELU)
    net.wrap()
    x = net.layer("linear", x, out_features=2)
    net.layer("output", x, name="logits", loss="cross_entropy")


@example(DatasetConfig(name="timeseries", normalize=False,
                       options={"window": 32, "horizon": 1}),
         TrainingSettings(optimizer="adam", lr=5e-3, batch_size=64, epochs=20))
def gru_forecast(net: Net) -> None:
    """A GRU forecaster: from 32 steps of three noisy periodic signals it predicts the next
    value of the first. Its test MSE beats repeating the last value (the dataset's
    repeat_last_mse)."""
    x = net.layer("input", name="window", shape=(32, 3))
    gru = net.layer("gru", x, name="gru", hidden_size=32)
    x = net.layer("linear", (gru, "h"), name="fc", out_features=1)
    net.layer("output", x, name="next", loss="mse")


BUILDERS = {f.__name__: f for f in (
    linear_regression, mlp_moons, lenet_digits, residual_cnn, inception_block, two_stream,
    segmentation_unpool, localisation, colourise, vgg16, resnet18, backprop_circuit,
    deep_sigmoid, deep_relu_bn, lstm_digit_rows, vit_digits, transformer_recall, mlp_recall,
    masked_transformer_recall, gru_forecast, dilated_vs_plain)}


def build(name: str) -> Project:
    return BUILDERS[name]()


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else EXAMPLES
    folder.mkdir(parents=True, exist_ok=True)
    for name in BUILDERS:
        save_project(build(name), folder / f"{name}.netcanvas")
        print(folder / f"{name}.netcanvas")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
