"""Small projects that trigger each lint rule, and near misses that must not."""

from __future__ import annotations

from netcanvas.backend.graph import Graph
from netcanvas.backend.project import Project


def chain(*layers, shape=(1, 8, 8), batch_size=64) -> Project:
    """Input → layers... → (Output unless the last layer is one); a layer is a type id or
    (type_id, params)."""
    g = Graph()
    prev = g.add("input", shape=shape)
    for layer in layers:
        type_id, params = (layer, {}) if isinstance(layer, str) else layer
        node = g.add(type_id, **params)
        g.connect(prev, node)
        prev = node
    if prev.type_id != "output":
        g.connect(prev, g.add("output"))
    project = Project(graph=g)
    project.training.batch_size = batch_size
    return project


FLAT = ("flatten", {})
CE = ("output", {"loss": "cross_entropy"})
BCE = ("output", {"loss": "bce_with_logits"})
NLL = ("output", {"loss": "nll"})
PATCHES = ("patch_embedding", {"embed_dim": 8})
POOL = ("sequence_pool", {"mode": "mean"})
CONV1D = ("conv1d", {"out_channels": 8, "kernel_size": (3,)})


def lin(n, bias=True):
    return ("linear", {"out_features": n, "bias": bias})


def conv(c, k=3, bias=True, **kw):
    return ("conv2d", {"out_channels": c, "kernel_size": (k, k), "bias": bias, **kw})


def pool(k=2, s=2, **kw):
    return ("max_pool2d", {"kernel_size": (k, k), "stride": (s, s), **kw})


# rule id -> (a project that triggers it once, a near miss that does not)
CASES = {
    "double-softmax": (chain(FLAT, lin(10), "softmax", CE), chain(FLAT, lin(10), "log_softmax", NLL)),
    "sigmoid-before-bce": (chain(FLAT, lin(1), "sigmoid", BCE), chain(FLAT, lin(1), BCE)),
    "activation-on-logits": (chain(FLAT, lin(10), "relu", CE), chain(FLAT, lin(10), "relu", lin(10), CE)),
    "bias-before-batchnorm": (chain(conv(4), "batch_norm2d", "relu", FLAT, lin(10)),
                              chain(conv(4, bias=False), "batch_norm2d", "relu", FLAT, lin(10))),
    "dropout-before-batchnorm": (chain(FLAT, lin(16), "dropout", "batch_norm1d", "relu", lin(10)),
                                 chain(FLAT, lin(16), "batch_norm1d", "relu", "dropout", lin(10))),
    "batchnorm-batch-1": (chain(FLAT, lin(16, bias=False), "batch_norm1d", "relu", lin(10), batch_size=1),
                          chain(FLAT, lin(16, bias=False), "batch_norm1d", "relu", lin(10), batch_size=2)),
    "linear-chain": (chain(FLAT, lin(32), lin(10)), chain(FLAT, lin(32), "relu", lin(10))),
    "double-activation": (chain(FLAT, lin(16), "relu", "tanh", lin(10)), chain(FLAT, lin(16), "relu", lin(10))),
    "pool-kernel-1": (chain(conv(4), "relu", pool(1, 1), FLAT, lin(10)),
                      chain(conv(4), "relu", pool(2, 2), FLAT, lin(10))),
    "stride-drops-pixels": (chain(conv(4), "relu", pool(2, 2), FLAT, lin(10), shape=(1, 7, 7)),
                            chain(conv(4), "relu", pool(2, 2), FLAT, lin(10), shape=(1, 8, 8))),
    "big-first-linear": (chain(conv(8), "relu", FLAT, lin(10), shape=(1, 16, 16)),
                         chain(conv(8), "relu", "global_avg_pool2d", FLAT, lin(10), shape=(1, 16, 16))),
    "deep-saturating": (chain(FLAT, *[x for _ in range(4) for x in (lin(8), "tanh")], lin(10)),
                        chain(FLAT, *[x for _ in range(3) for x in (lin(8), "tanh")], lin(10))),
    "output-classes": (chain(FLAT, lin(7)), chain(FLAT, lin(10))),
    "input-shape": (chain(FLAT, lin(10), shape=(1, 28, 28)), chain(FLAT, lin(10), shape=(1, 8, 8))),
    "attention-without-positions": (
        chain(PATCHES, "multihead_attention", POOL, lin(10)),
        chain(PATCHES, "positional_encoding", "multihead_attention", POOL, lin(10))),
    "rnn-channels-as-time": (chain(CONV1D, "relu", "lstm", POOL, lin(10), shape=(4, 16)),
                             chain("lstm", POOL, lin(10), shape=(16, 4))),
}
