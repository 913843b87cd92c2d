"""Rules about layers next to each other: what cancels, what collapses, what wastes."""

from __future__ import annotations

import math

from netcanvas.backend.doctor.context import ACTIVATIONS, LintContext, label, types_with
from netcanvas.backend.doctor.rule import Fix, Hit, rule
from netcanvas.backend.doctor.surgery import bypass, insert_before, set_param
from netcanvas.backend.registry import REGISTRY
from netcanvas.backend.shapes import format_shape

BIASED = tuple(t for t, spec in REGISTRY.items() if spec.bias_param)
BATCH_NORMS = types_with("batch_norm")
DROPOUTS = types_with("dropout")
PASS_THROUGH = types_with("pass_through")
POOLS = types_with("pool")
SATURATING = types_with("saturating")
DEEP_SATURATING = 4  # this many sigmoids/tanhs on one path
BIG_SHARE = 0.5  # of all parameters in the first Linear


def _feeds_only(ctx: LintContext, type_ids, into) -> list:
    """(a, b) pairs: `a` (one of type_ids) whose only consumer is `b` (one of into)."""
    pairs = []
    for b in ctx.nodes(*into):
        a = ctx.source(b)
        if a is not None and a.type_id in type_ids and ctx.only_consumer(a) is b and ctx.ok(a):
            pairs.append((a, b))
    return pairs


@rule("bias-before-batchnorm", "warning",
      "BatchNorm subtracts the per-channel mean, which cancels a constant bias: the bias "
      "parameters are wasted and never learn anything.")
def bias_before_batchnorm(ctx: LintContext):
    for a, b in _feeds_only(ctx, BIASED, BATCH_NORMS):
        bias = a.spec.bias_param
        if a.params[bias]:
            yield Hit(a.id, f"{label(a)} has a bias but feeds {label(b)}, which cancels it",
                      Fix(f"Turn off the bias of '{a.name}'",
                          lambda g, n=a.id, p=bias: set_param(n, p, False)))


@rule("dropout-before-batchnorm", "warning",
      "Dropout changes the variance of its output between training and evaluation, so the "
      "running statistics BatchNorm learns in training are wrong at test time (the "
      "'variance shift'); put Dropout after the normalisation.")
def dropout_before_batchnorm(ctx: LintContext):
    for a, b in _feeds_only(ctx, DROPOUTS, BATCH_NORMS):
        yield Hit(a.id, f"{label(a)} feeds {label(b)} directly: move the dropout after it")


@rule("batchnorm-batch-1", "warning",
      "BatchNorm normalises with the statistics of the batch; with one sample per batch "
      "they are meaningless (and BatchNorm1d refuses to train).")
def batchnorm_batch_1(ctx: LintContext):
    if ctx.project.training.batch_size != 1:
        return
    for node in ctx.nodes(*BATCH_NORMS):
        yield Hit(node.id, f"{label(node)} trains with batch size 1: use a batch of at least "
                  "16, or a LayerNorm")


def _linear_source(ctx: LintContext, node):
    """The layer before `node`, looking through layers that are linear maps themselves."""
    src = ctx.source(node)
    while src is not None and src.type_id in PASS_THROUGH and ctx.only_consumer(src) is not None:
        src = ctx.source(src)
    return src


def _pointwise(node) -> bool:
    p = node.params
    return (all(k == 1 for k in p["kernel_size"]) and all(s == 1 for s in p["stride"])
            and all(q == 0 for q in p["padding"]) and p["groups"] == 1)


@rule("linear-chain", "warning",
      "Two linear maps in a row compose into one linear map: the deeper model adds no "
      "representational power, only parameters and compute. Put a nonlinearity between them.")
def linear_chain(ctx: LintContext):
    for b in ctx.nodes("linear", "conv2d"):
        a = _linear_source(ctx, b)
        if a is None or a.type_id != b.type_id or not (ctx.ok(a) and ctx.ok(b)):
            continue
        if b.type_id == "conv2d" and not (_pointwise(a) and _pointwise(b)):
            continue
        axis = -1 if b.type_id == "linear" else 0  # features / channels
        n_in, n_mid, n_out = (ctx.input_shape(a)[axis], ctx.output_shape(a)[axis],
                              ctx.output_shape(b)[axis])
        bias = n_out if (a.params["bias"] or b.params["bias"]) else 0
        both = ctx.analysis.nodes[a.id].params + ctx.analysis.nodes[b.id].params
        what = "Linear" if b.type_id == "linear" else "1×1 Conv2d"
        yield Hit(b.id, f"{label(a)} ({n_in}→{n_mid}) then {label(b)} ({n_mid}→{n_out}) with no "
                  f"nonlinearity between collapse to one {what} {n_in}→{n_out} "
                  f"({n_in * n_out + bias:,} parameters instead of {both:,})",
                  Fix(f"Insert a ReLU before '{b.name}'",
                      lambda g, n=b.id: insert_before(g, n, [("relu", {})])))


@rule("double-activation", "warning",
      "Two activations in a row rarely help: the second one squashes what the first "
      "already squashed (a ReLU after a ReLU does nothing at all).")
def double_activation(ctx: LintContext):
    for a, b in _feeds_only(ctx, ACTIVATIONS, ACTIVATIONS):
        yield Hit(b.id, f"{label(b)} follows {label(a)} directly",
                  Fix(f"Remove {label(b)}", lambda g, n=b.id: bypass(g, n)))


@rule("pool-kernel-1", "warning",
      "A 1×1 pooling window takes a single value: with stride 1 it does nothing; with a "
      "larger stride it just drops pixels (a strided convolution or a 2×2 window would "
      "learn or summarise instead).")
def pool_kernel_1(ctx: LintContext):
    for node in ctx.nodes(*POOLS):
        p = node.params
        if ctx.ok(node) and all(k == 1 for k in p["kernel_size"]):
            idle = all(s == 1 for s in p["stride"]) and not any(p["padding"])
            plain = all(e.src_port == "y" for e in ctx.edges_from(node))
            fix = (Fix(f"Remove {label(node)}", lambda g, n=node.id: bypass(g, n))
                   if idle and plain else None)
            yield Hit(node.id, f"{label(node)} has a 1×1 window: it "
                      + ("does nothing" if idle else "only drops pixels"), fix)


def _untiled(size, k, s, p, d) -> int:
    """Input rows/columns (not padding) past the last window. Windows narrower than the
    stride skip pixels between them by design (a strided 1×1 shortcut): not counted."""
    if d * (k - 1) + 1 < s:
        return 0
    return max(0, (size + 2 * p - d * (k - 1) - 1) % s - p)


@rule("stride-drops-pixels", "info",
      "When the windows do not tile the input, the rows and columns past the last window "
      "are never looked at: information is silently lost at the border.")
def stride_drops_pixels(ctx: LintContext):
    for node in ctx.nodes("conv2d", *POOLS):
        p, shape = node.params, ctx.input_shape(node)
        if not ctx.ok(node) or shape is None or p.get("padding_mode") == "same" or p.get("ceil_mode"):
            continue
        dilation = p.get("dilation", (1, 1))
        lost = [_untiled(n, k, s, q, d) for n, k, s, q, d in
                zip(shape[1:], p["kernel_size"], p["stride"], p["padding"], dilation)]
        if any(lost):
            fix = None
            if node.type_id in POOLS:
                fix = Fix(f"Turn on ceil_mode for '{node.name}'",
                          lambda g, n=node.id: set_param(n, "ceil_mode", True))
            yield Hit(node.id, f"{label(node)} (kernel {format_shape(p['kernel_size'])}, "
                      f"stride {format_shape(p['stride'])}) on {format_shape(shape[1:])} ignores "
                      f"the last {lost[0]} row(s) and {lost[1]} column(s) of its input", fix)


@rule("big-first-linear", "info",
      "Flattening a large feature map into a Linear puts most of the network's parameters "
      "in one layer that overfits easily; global average pooling first keeps one value per "
      "channel (as ResNet does).")
def big_first_linear(ctx: LintContext):
    total = ctx.analysis.total_params
    linears = ctx.nodes("linear")
    if not linears or not total:
        return
    first = linears[0]
    if ctx.order:
        rank = {nid: i for i, nid in enumerate(ctx.order)}
        first = min(linears, key=lambda n: rank[n.id])
    flat = ctx.source(first)
    share = ctx.analysis.nodes[first.id].params / total
    if flat is None or flat.type_id != "flatten" or share <= BIG_SHARE:
        return
    if (ctx.source(flat) or flat).type_id == "input":  # an MLP on raw pixels: no feature map
        return
    shape = ctx.input_shape(flat)
    if shape is None or len(shape) != 3 or shape[1] * shape[2] == 1:
        return
    yield Hit(first.id, f"{label(first)} holds {share:.0%} of all parameters "
              f"({ctx.analysis.nodes[first.id].params:,}) reading a flattened "
              f"{format_shape(shape)} map: global average pooling before it would cut its "
              f"input from {math.prod(shape):,} to {shape[0]} values",
              Fix(f"Insert a GlobalAvgPool2d before '{flat.name}'",
                  lambda g, n=flat.id: insert_before(g, n, [("global_avg_pool2d", {})])))


@rule("deep-saturating", "warning",
      "Each sigmoid scales the gradient by at most 0.25 (tanh by at most 1, and far less "
      "when saturated): through a deep stack of them the gradient vanishes before it "
      "reaches the first layers. ReLU-like activations do not shrink it.")
def deep_saturating(ctx: LintContext):
    if len(ctx.nodes(*SATURATING)) < DEEP_SATURATING or ctx.analysis.errors or not ctx.order:
        return
    depth: dict[str, int] = {}
    for nid in ctx.order:
        node = ctx.graph.nodes[nid]
        before = max((depth[e.src] for e in ctx.edges_into(node)), default=0)
        depth[nid] = before + (node.type_id in SATURATING)
        if node.type_id in SATURATING and depth[nid] == DEEP_SATURATING:
            yield Hit(nid, f"{label(node)} is the {DEEP_SATURATING}th sigmoid/tanh on one path: "
                      "expect vanishing gradients; use ReLU or GELU, or add BatchNorm")
