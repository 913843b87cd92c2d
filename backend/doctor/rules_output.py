"""Rules about the end of the network and the data: what feeds a loss, class counts and
the Input's shape against the dataset."""

from __future__ import annotations

from netcanvas.backend.doctor.context import ACTIVATIONS, CLASS_LOSSES, LintContext, label
from netcanvas.backend.doctor.rule import Fix, Hit, rule
from netcanvas.backend.doctor.surgery import bypass, insert_before, set_param
from netcanvas.backend.graph import Graph
from netcanvas.backend.shapes import format_shape

LOGIT_LOSSES = ("cross_entropy", "bce_with_logits")


def _remove(node) -> Fix:
    return Fix(f"Remove {label(node)}", lambda g, nid=node.id: bypass(g, nid))


def _fed_outputs(ctx: LintContext, type_ids: tuple[str, ...], losses: tuple[str, ...]):
    """(layer, Output) pairs: a layer of `type_ids` whose only consumer is such an Output."""
    for out in ctx.nodes("output"):
        src = ctx.source(out)
        if (out.params["loss"] in losses and src is not None and src.type_id in type_ids
                and ctx.only_consumer(src) is out and ctx.ok(src)):
            yield src, out


@rule("double-softmax", "warning",
      "Cross-entropy applies log-softmax to the raw scores itself; a softmax before it "
      "squashes them twice, so gradients shrink and training stalls.")
def double_softmax(ctx: LintContext):
    for src, out in _fed_outputs(ctx, ("softmax", "log_softmax"), ("cross_entropy",)):
        yield Hit(src.id, f"{label(src)} feeds {label(out)}, whose cross-entropy loss "
                  "already applies log-softmax: remove it and feed the raw scores",
                  _remove(src))


@rule("sigmoid-before-bce", "warning",
      "BCE-with-logits applies the sigmoid itself (in a numerically stable way); a Sigmoid "
      "before it squashes the scores twice.")
def sigmoid_before_bce(ctx: LintContext):
    for src, out in _fed_outputs(ctx, ("sigmoid",), ("bce_with_logits",)):
        yield Hit(src.id, f"{label(src)} feeds {label(out)}, whose BCE-with-logits loss "
                  "already applies a sigmoid: remove it", _remove(src))


@rule("activation-on-logits", "warning",
      "A loss on logits wants unbounded scores; an activation before it clips or squashes "
      "them (a ReLU makes every negative score 0, so those classes cannot be pushed down).")
def activation_on_logits(ctx: LintContext):
    others = tuple(t for t in ACTIVATIONS if t not in ("softmax", "log_softmax", "sigmoid"))
    pairs = [*_fed_outputs(ctx, others, LOGIT_LOSSES),
             *_fed_outputs(ctx, ("softmax", "log_softmax"), ("bce_with_logits",))]
    for src, out in pairs:
        loss = out.params["loss"].replace("_", "-")
        yield Hit(src.id, f"{label(src)} is applied to the scores {label(out)} trains with "
                  f"{loss} loss: remove it so the loss sees raw logits", _remove(src))


def _classes_fix(graph: Graph, out_id: str, classes: int) -> list:
    (edge,) = graph.edges_into(out_id)
    src = graph.node(edge.src)
    if src.type_id == "linear":
        return set_param(src.id, "out_features", classes)
    return insert_before(graph, out_id, [("linear", {"out_features": classes})])


@rule("output-classes", "warning",
      "A classifier needs one score per class of the dataset; training would stop at the "
      "first batch with a class index the scores do not cover.")
def output_classes(ctx: LintContext):
    if ctx.data is None or ctx.data.num_classes is None:
        return
    k = ctx.data.num_classes
    for out in ctx.nodes("output"):
        shape = ctx.input_shape(out)
        if out.params["loss"] not in CLASS_LOSSES or shape is None or len(shape) != 1:
            continue
        if shape[0] != k:
            src = ctx.source(out)
            how = (f"set {label(src)} to {k} outputs" if src.type_id == "linear"
                   else f"add a Linear to {k}")
            yield Hit(out.id, f"{label(out)} gets {shape[0]} class scores but dataset "
                      f"'{ctx.data.name}' has {k} classes",
                      Fix(how[0].upper() + how[1:], lambda g, o=out.id: _classes_fix(g, o, k)))


@rule("input-shape", "warning",
      "The Input's shape must be the dataset's sample shape, or the first batch fails.")
def input_shape(ctx: LintContext):
    inputs = ctx.nodes("input")
    if ctx.data is None or len(inputs) != 1:
        return
    (node,) = inputs
    want = ctx.data.sample_shape
    if tuple(node.params["shape"]) != want:
        yield Hit(node.id, f"{label(node)} expects {format_shape(node.params['shape'])} but "
                  f"dataset '{ctx.data.name}' gives {format_shape(want)} samples",
                  Fix(f"Set the shape to {format_shape(want)}",
                      lambda g, n=node.id: set_param(n, "shape", want)))
