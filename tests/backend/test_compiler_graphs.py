"""Small graphs shaped like the bundled examples, shared by the compiler and export tests
(import with `from test_compiler_graphs import GRAPHS`)."""

from __future__ import annotations

import itertools

from netcanvas.backend.graph import Graph
from netcanvas.backend.shapes import analyze


def linear_regression() -> Graph:
    g = Graph()
    x = g.add("input", "x", shape=(1,))
    fc = g.add("linear", "fc", out_features=1)
    y = g.add("output", "y", loss="mse")
    g.connect(x, fc)
    g.connect(fc, y)
    return g


def mlp() -> Graph:
    g = Graph()
    chain(g, g.add("input", "point", shape=(2,)), g.add("linear", out_features=16),
          g.add("relu"), g.add("dropout", p=0.1), g.add("linear", out_features=2),
          g.add("output", "logits"))
    return g


def lenet() -> Graph:
    g = Graph()
    pool = g.add("max_pool2d")
    chain(g, g.add("input", "image", shape=(1, 8, 8)),
          g.add("conv2d", out_channels=6, kernel_size=(3, 3), padding=(1, 1)), g.add("relu"), pool)
    chain(g, pool, g.add("conv2d", out_channels=8, kernel_size=(3, 3)), g.add("batch_norm2d"),
          g.add("relu"), g.add("flatten"), g.add("linear", out_features=32), g.add("gelu"),
          g.add("linear", out_features=10), g.add("output", "digit"))
    return g


def residual() -> Graph:
    g = Graph()
    stem = g.add("relu")
    chain(g, g.add("input", "image", shape=(3, 8, 8)),
          g.add("conv2d", out_channels=8, padding=(1, 1)), stem)
    add = g.add("add")
    chain(g, stem, g.add("conv2d", out_channels=8, padding_mode="same"), g.add("batch_norm2d"),
          add)
    g.connect(stem, add)
    chain(g, add, g.add("relu"), g.add("global_avg_pool2d"), g.add("linear", out_features=5),
          g.add("output", "label", label_smoothing=0.1))
    return g


def inception() -> Graph:
    g = Graph()
    x = g.add("input", "image", shape=(4, 8, 8))
    cat = g.add("concat", dim=1)
    chain(g, x, g.add("conv2d", "b1x1", out_channels=4, kernel_size=(1, 1)), cat)
    chain(g, x, g.add("conv2d", "b3x3", out_channels=4, padding=(1, 1)), cat)
    chain(g, x, g.add("conv2d", "b5x5", out_channels=4, kernel_size=(5, 5), padding=(2, 2)), cat)
    chain(g, x, g.add("avg_pool2d", kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)),
          g.add("conv2d", "bpool", out_channels=2, kernel_size=(1, 1)), cat)
    chain(g, cat, g.add("adaptive_avg_pool2d", output_size=(2, 2)), g.add("flatten"),
          g.add("linear", out_features=3), g.add("output", "scores"))
    return g


def two_inputs() -> Graph:
    g = Graph()
    cat = g.add("concat", dim=1)
    chain(g, g.add("input", "left", shape=(3, 8, 8)), g.add("conv2d", "left_conv", out_channels=4),
          g.add("leaky_relu", negative_slope=0.2), cat)
    chain(g, g.add("input", "right", shape=(3, 8, 8)),
          g.add("conv2d", "right_conv", out_channels=4), g.add("elu"), cat)
    chain(g, cat, g.add("conv2d", "fuse", out_channels=2, kernel_size=(1, 1)),
          g.add("output", "flow", loss="l1"))
    return g


def encoder_decoder() -> Graph:
    g = Graph()
    pool, unpool = g.add("max_pool2d", "pool"), g.add("max_unpool2d", "unpool")
    chain(g, g.add("input", "image", shape=(1, 8, 8)),
          g.add("conv2d", "enc", out_channels=4, padding=(1, 1)), g.add("relu"), pool)
    chain(g, pool, g.add("conv2d", "mid", out_channels=4, padding=(1, 1)), unpool)
    g.connect(pool, unpool, "indices", "indices")
    chain(g, unpool, g.add("conv_transpose2d", "up", out_channels=2),
          g.add("upsample", scale_factor=0.5, mode="bilinear"),
          g.add("output", "mask", loss="bce_with_logits"))
    return g


def two_outputs() -> Graph:
    g = Graph()
    trunk = g.add("tanh")
    chain(g, g.add("input", "features", shape=(4, 6)), g.add("layer_norm"), g.add("flatten"),
          g.add("linear", out_features=8), trunk)
    chain(g, trunk, g.add("linear", "cls", out_features=3), g.add("log_softmax"),
          g.add("output", "category", loss="nll"))
    chain(g, trunk, g.add("linear", "reg", out_features=1), g.add("sigmoid"),
          g.add("output", "score", loss="mse", weight=0.5))
    return g


def odd_outputs() -> Graph:
    """Outputs listed before the layers feeding them, one tensor behind two Outputs, an
    Output straight from an Input, and an Input nothing uses."""
    g = Graph()
    late = g.add("output", "late", loss="mse")
    x = g.add("input", "x", shape=(3,))
    g.add("input", "unused", shape=(2,))
    fc = g.add("linear", "fc", out_features=3)
    chain(g, x, fc, g.add("relu"), g.add("tanh"), late)
    g.connect(fc, g.add("output", "early", loss="mse"))
    g.connect(fc, g.add("output", "same", loss="mse"))
    g.connect(x, g.add("output", "passthrough", loss="mse"))
    return g


def chain(g: Graph, *nodes) -> None:
    for a, b in itertools.pairwise(nodes):
        g.connect(a, b)


GRAPHS = {f.__name__: f for f in (linear_regression, mlp, lenet, residual, inception,
                                  two_inputs, encoder_decoder, two_outputs, odd_outputs)}


def test_every_shared_graph_is_valid():
    for name, build in GRAPHS.items():
        analysis = analyze(build())
        assert analysis.ok, (name, analysis.problems)
