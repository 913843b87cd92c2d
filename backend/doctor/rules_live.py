"""Training-time rules: what the live layer statistics and the loss say about a run.
Each yields a Hit with the evidence ("relu2: 97 % of outputs are zero since epoch 3") and,
where one helps, a fix for the next run."""

from __future__ import annotations

import functools
import statistics

from netcanvas.backend.doctor.live import LiveContext, chance_loss, live_rule, percent, sci
from netcanvas.backend.doctor.rule import Fix, Hit
from netcanvas.backend.doctor.surgery import insert_before, replace_type
from netcanvas.backend.graph import SetSetting

DEAD = 0.9  # share of exact zeros that makes a ReLU dead
VANISHING, EXPLODING = 1e-4, 1e4  # gradient-norm ratio first / last layer
SLOW, FAST = 1e-4, 1e-2  # update / weight ratio per step
SATURATED = {"sigmoid": 0.05, "tanh": 0.1}  # mean slope below this (max 0.25 and 1)
CHANCE = 0.05  # loss within 5 % of ln(classes)
SATURATING = tuple(SATURATED)


def _lr_fix(ctx: LiveContext, factor: float) -> Fix:
    lr = ctx.project.training.lr
    new = float(f"{lr * factor:.3g}")
    return Fix(f"Learning rate × {factor:g} ({sci(lr)} → {sci(new)}) for the next run",
               lambda g, v=new: [SetSetting("training", "lr", v, text="Change learning rate")])


def _norm_type(ctx: LiveContext, node_id: str) -> str | None:
    """The BatchNorm that fits the wire into a one-input node, if one does."""
    edges = ctx.project.graph.edges_into(node_id)
    shape = ctx.analysis.edge_shapes.get(edges[0]) if len(edges) == 1 else None
    if shape is None or len(shape) not in (1, 3):
        return None
    return "batch_norm1d" if len(shape) == 1 else "batch_norm2d"


def _norm_fix(ctx: LiveContext, name: str) -> Fix | None:
    """BatchNorm before activation `name` (after the layer that feeds it)."""
    node = ctx.by_name[name]
    norm = _norm_type(ctx, node.id)
    return norm and Fix(f"Insert BatchNorm before '{name}'",
                        lambda g, n=node.id, t=norm: insert_before(g, n, [(t, {})]))


@live_rule("dead-relu", "warning",
           "A ReLU whose output is zero for almost every input passes no gradient: the "
           "units before it stop learning (often a learning rate too high, or an unlucky "
           "initialisation); normalising its input keeps it alive.")
def dead_relu(ctx: LiveContext):
    for node in ctx.nodes("relu"):
        zeros = ctx.latest.get(node.name, {}).get("zeros")
        if zeros is None or zeros <= DEAD:
            continue
        since = ctx.since(lambda layers, n=node.name: layers[n]["zeros"] > DEAD)
        yield Hit(node.id, f"{node.name}: {percent(zeros)} of outputs are zero since epoch "
                  f"{since}", _norm_fix(ctx, node.name))


def _ratio(layers: dict, first: str, last: str) -> float:
    return layers[first]["grad_norm"] / layers[last]["grad_norm"]


def _gradient_ratio(ctx: LiveContext, vanishing: bool):
    names = ctx.weighted()
    if len(names) < 2:
        return
    first, last = names[0], names[-1]
    if not ctx.latest[last]["grad_norm"]:
        return
    ratio = _ratio(ctx.latest, first, last)
    bad = (lambda r: r < VANISHING) if vanishing else (lambda r: r > EXPLODING)
    if not bad(ratio):
        return
    since = ctx.since(lambda layers: bad(_ratio(layers, first, last)))
    word = "smaller" if vanishing else "larger"
    times = "no gradient at all while" if not ratio else \
        f"{sci(1 / ratio if vanishing else ratio)}× {word} than"
    message = (f"{first}: gradient norm {sci(ctx.latest[first]['grad_norm'])}, {times} "
               f"{last}'s ({sci(ctx.latest[last]['grad_norm'])}) since epoch {since}")
    if vanishing:
        squashing = [n.id for n in ctx.nodes(*SATURATING)]
        norms = {nid: t for nid in squashing if (t := _norm_type(ctx, nid))}
        fix = (Fix("Use ReLU instead of sigmoid/tanh, with BatchNorm before each",
                   lambda g, ids=tuple(squashing), n=norms: replace_type(g, list(ids), "relu", n))
               if squashing else None)
    else:
        fix = _lr_fix(ctx, 0.1)
    yield Hit(ctx.by_name[first].id, message, fix)


vanishing_gradients = live_rule(
    "vanishing-gradients", "warning",
    "When the first layer's gradient is thousands of times smaller than the last one's, the "
    "early layers barely learn: the signal dies on its way back (deep sigmoid/tanh stacks, "
    "poor initialisation).")(functools.partial(_gradient_ratio, vanishing=True))
exploding_gradients = live_rule(
    "exploding-gradients", "warning",
    "When the first layer's gradient is thousands of times larger than the last one's, the "
    "early layers take huge steps and training diverges: lower the learning rate, normalise, "
    "or clip the gradients.")(functools.partial(_gradient_ratio, vanishing=False))


@live_rule("update-ratio", "info",
           "Each step should change a layer's weights by roughly 0.1 % of their size "
           "(between 1e-4 and 1e-2): far below, the learning rate is too low and training "
           "crawls; far above, it is too high and training is unstable. Judged on two "
           "readings in a row, over the median layer.")
def update_ratio(ctx: LiveContext):
    names = ctx.weighted()
    if len(names) >= 2 and ctx.latest[names[-1]]["grad_norm"] and not (
            VANISHING <= _ratio(ctx.latest, names[0], names[-1]) <= EXPLODING):
        return  # the gradients explain the step sizes better than the learning rate
    ratios = {n: ctx.latest[n]["update_ratio"] for n in names if ctx.latest[n]["update_ratio"]}
    if not ratios:
        return
    middle = statistics.median(ratios.values())
    if SLOW <= middle <= FAST:
        return
    low = middle < SLOW
    worst = (min if low else max)(ratios, key=ratios.get)

    def off(layers):
        values = [layers[n]["update_ratio"] for n in names if layers[n].get("update_ratio")]
        m = statistics.median(values)
        return m < SLOW if low else m > FAST
    if len(ctx.readings) < 2 or not off(ctx.readings[-2].layers):
        return  # an optimizer's first steps (Adam's are lr-sized) are not the run's pace
    since = ctx.since(off)
    yield Hit(ctx.by_name[worst].id,
              f"{worst}: each step changes the weights by {sci(ratios[worst])} of their size "
              f"(median over layers {sci(middle)}, expected 1e-4…1e-2) since epoch {since}: "
              f"learning rate too {'low' if low else 'high'}",
              _lr_fix(ctx, 10 if low else 0.1))


@live_rule("saturated-activation", "warning",
           "A sigmoid or tanh whose inputs sit far from zero outputs almost only its "
           "extremes, where its slope is nearly flat: gradients through it vanish.")
def saturated_activation(ctx: LiveContext):
    for node in ctx.nodes(*SATURATING):
        stats = ctx.latest.get(node.name)
        if not stats or "mean" not in stats:
            continue
        slope = _slope(node.type_id, stats)
        limit = SATURATED[node.type_id]
        if slope >= limit:
            continue
        since = ctx.since(lambda layers, n=node, top=limit: _slope(n.type_id, layers[n.name]) < top)
        peak = 0.25 if node.type_id == "sigmoid" else 1.0
        yield Hit(node.id, f"{node.name}: mean slope {slope:.3f} (at most {peak:g}), the "
                  f"outputs are saturated since epoch {since}", _norm_fix(ctx, node.name))


def _slope(type_id: str, stats: dict) -> float:
    """The mean derivative over the outputs, exactly, from their mean and spread:
    sigmoid' = y (1 - y), tanh' = 1 - y²."""
    m, s = stats["mean"], stats["std"]
    second = s * s + m * m
    return m - second if type_id == "sigmoid" else 1 - second


@live_rule("loss-at-chance", "warning",
           "A classifier whose loss stays at ln(classes) predicts the uniform distribution: "
           "it has learnt nothing, usually because no gradient reaches the early layers or "
           "the learning rate is far off.")
def loss_at_chance(ctx: LiveContext):
    k = ctx.num_classes
    if not k or k < 2 or not ctx.epochs:
        return
    chance = chance_loss(k)
    recent = ctx.epochs[-2:]
    losses = [e.get("train_loss") for e in recent]
    if any(v is None or abs(v - chance) > CHANCE * chance for v in losses):
        return
    accuracy = recent[-1].get("train_accuracy")
    if accuracy is not None and accuracy > 1.5 / k:
        return
    outputs = ctx.nodes("output")
    if not outputs:
        return
    first = len(ctx.epochs) - len(recent) + 1
    yield Hit(outputs[0].id, f"{outputs[0].name}: training loss {losses[-1]:.3f} is chance "
              f"level (ln {k} = {chance:.3f}) since epoch {first}")
