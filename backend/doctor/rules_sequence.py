"""Rules about sequence models: attention that cannot see order, recurrent layers that read
channels as time."""

from __future__ import annotations

from netcanvas.backend.doctor.context import LintContext, label
from netcanvas.backend.doctor.rule import Fix, Hit, rule
from netcanvas.backend.doctor.surgery import insert_before

ATTENTION = "multihead_attention"
# Layers whose output depends on where in the sequence a value sits.
ORDER_AWARE = ("positional_encoding", "lstm", "gru", "conv1d")
RECURRENT = ("lstm", "gru")
# Between a Conv1d and a recurrent layer, these keep the (N, C, L) layout.
KEEP_LAYOUT = ("relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "dropout",
               "batch_norm1d", "identity")


def _holds(ctx: LintContext, node, type_ids) -> bool:
    """Whether `node` is one of `type_ids`, or a block instance with one inside (any depth)."""
    if node.type_id in type_ids:
        return True
    if node.type_id != "block" or ctx.graph.blocks is None:
        return False
    definition = ctx.graph.blocks.get(node.params.get("block"))
    if definition is None:
        return False
    return any(_holds(ctx, inner, type_ids) for inner in definition.graph.nodes.values())


@rule("attention-without-positions", "warning",
      "Self-attention treats its input as a set: shuffle the steps and each output moves "
      "with its step, unchanged. Without a positional encoding (or an RNN or convolution "
      "before it) the model cannot use the order of the sequence or the place of a patch.")
def attention_without_positions(ctx: LintContext):
    sites = [n for n in ctx.graph.nodes.values() if _holds(ctx, n, (ATTENTION,)) and ctx.ok(n)]
    for node in sites:
        upstream = ctx.graph.reachable(node.id, downstream=False) - {node.id}
        before = [ctx.graph.nodes[i] for i in upstream]
        if any(_holds(ctx, b, ORDER_AWARE) for b in before):
            continue
        if any(_holds(ctx, b, (ATTENTION,)) for b in before):
            continue  # reported at the first attention of the path
        fix = None
        if len(ctx.edges_into(node)) == 1:
            fix = Fix(f"Add a PositionalEncoding before '{node.name}'",
                      lambda g, n=node.id: insert_before(g, n, [("positional_encoding", {})]))
        yield Hit(node.id, f"{label(node)} gets no positional information: add a "
                  "PositionalEncoding before it", fix)


def _channels_first_source(ctx: LintContext, node):
    src = ctx.source(node)
    while src is not None and src.type_id in KEEP_LAYOUT:
        src = ctx.source(src)
    return src if src is not None and src.type_id == "conv1d" else None


@rule("rnn-channels-as-time", "warning",
      "LSTM and GRU read batch-first sequences (N, T, F): time second, features last. A "
      "Conv1d outputs (N, C, L), channels second, so fed straight in, the recurrent layer "
      "steps over the channels and treats the positions as features.")
def rnn_channels_as_time(ctx: LintContext):
    for node in ctx.nodes(*RECURRENT):
        conv = _channels_first_source(ctx, node)
        shape = ctx.input_shape(node)
        if conv is None or shape is None or not ctx.ok(node):
            continue
        yield Hit(node.id, f"{label(node)} reads the (N, C, L) output of {label(conv)} as "
                  f"(N, T, F): its {shape[0]} channels become time steps and its {shape[1]} "
                  "positions features; swap the last two dims first")
