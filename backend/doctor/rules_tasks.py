"""Rules that know the dataset's task, read from its declaration (backend/catalogue.py), so
they need no data loaded: Outputs named for targets, and heads whose last activation cannot
reach the target's values. (A softmax before a per-pixel cross-entropy is double-softmax.)"""

from __future__ import annotations

from netcanvas.backend.catalogue import DATASETS
from netcanvas.backend.doctor.context import LintContext, label
from netcanvas.backend.doctor.rule import Fix, Hit, rule
from netcanvas.backend.doctor.surgery import bypass
from netcanvas.backend.graph.edits import Rename

# What each activation can output, and the target kinds whose values lie outside it.
CANNOT_REACH = {
    "boxes": {"softmax": "its four numbers always sum to 1",
              "log_softmax": "it is never positive"},
    "flow": {"relu": "it is never negative", "sigmoid": "it stays in 0..1",
             "softmax": "it stays in 0..1", "gelu": "it is never below -0.17",
             "log_softmax": "it is never positive"},
}
REACH_DOC = {"boxes": "a box's coordinates (fractions 0 to 1)",
             "flow": "motion in either direction (negative and positive pixels)"}


def _targets(ctx: LintContext) -> dict:
    spec = DATASETS.get(ctx.project.dataset.name)
    return {t.name: t for t in spec.targets} if spec else {}


@rule("output-not-a-target", "warning",
      "A dataset with several targets trains each Output on the target of its name; an "
      "Output with a loss and no target of its name is refused when training starts.")
def output_not_a_target(ctx: LintContext):
    targets = _targets(ctx)
    trained = [o for o in ctx.nodes("output") if o.params["loss"] != "none"]
    named = {o.name for o in ctx.nodes("output")} & set(targets)
    if not targets or (len(targets) == 1 and not named):
        return  # one target and no Output named for it: every trained Output learns it
    free = [t for t in targets.values() if t.name not in named]
    for out in trained:
        if out.name in targets:
            continue
        fitting = [t.name for t in free if _could_learn(t.kind, out.params["loss"],
                                                         ctx.input_shape(out))]
        fix = (Fix(f"Rename {label(out)} to '{fitting[0]}'",
                   lambda g, n=out.id, name=fitting[0]: [Rename(n, name)])
               if len(fitting) == 1 else None)
        yield Hit(out.id, f"{label(out)} is not a target of {ctx.project.dataset.name} "
                  f"({', '.join(targets)}): rename it or set its loss to none", fix)


def _could_learn(kind: str, loss: str, shape) -> bool:
    """Whether an Output with this loss and per-sample shape could be meant for a target of
    `kind` (to offer renaming it to that target)."""
    if shape is None:
        return False
    if loss in ("cross_entropy", "nll", "bce_with_logits"):
        return (kind, len(shape)) in (("class", 1), ("mask", 3))
    return {"boxes": tuple(shape) == (4,), "vector": len(shape) == 1,
            "flow": len(shape) == 3 and shape[0] == 2, "image": len(shape) == 3}.get(kind, False)


@rule("head-cannot-reach-target", "warning",
      "The last activation of a regression head bounds what it can output; one whose range "
      "misses the target's values (a softmax for box coordinates, a ReLU for motion that can "
      "be negative) leaves an error no training removes.")
def head_cannot_reach_target(ctx: LintContext):
    targets = _targets(ctx)
    for out in ctx.nodes("output"):
        target = targets.get(out.name)
        src = ctx.source(out)
        if target is None or src is None or out.params["loss"] == "none":
            continue
        why = CANNOT_REACH.get(target.kind, {}).get(src.type_id)
        if why and ctx.only_consumer(src) is out and ctx.ok(src):
            yield Hit(src.id, f"{label(src)} feeds {label(out)}, which learns "
                      f"{REACH_DOC[target.kind]}, but {why}: remove it",
                      Fix(f"Remove {label(src)}", lambda g, nid=src.id: bypass(g, nid)))
