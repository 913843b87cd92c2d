"""Match a graph's Input and Output nodes to a dataset's named inputs and targets.

A dataset with one input feeds every Input node of its shape; with several, each Input takes
the input of its name. Each Output takes the target of its name; only a dataset with one
target that no Output is named for trains every Output that has a loss on it (an Output with loss `none` is scored when
a target has its name, else ignored). Every refusal is one line naming the node, what it
gives and what the target is, e.g. "Output 'mask' gives (N, 1, 28, 28); the dataset's mask
target is (N, 28, 28) classes 0–1 ...".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netcanvas.backend.data.types import Dataset, DatasetMismatchError, Split, TargetInfo

CLASS_LOSSES = ("cross_entropy", "nll")
VALUE_LOSSES = ("mse", "l1")


def shape_n(shape) -> str:
    """(N, 1, 28, 28): a per-sample shape with the batch dimension named."""
    return "(" + ", ".join(["N", *(str(d) for d in shape)]) + ")"


def describe(target: TargetInfo, verb: str = "") -> str:
    """"mask target (N, 28, 28) classes 0–1" and the like ("mask target is ..." with verb)."""
    text = f"{target.kind} target{verb} {shape_n(target.shape)}"
    if target.classes is not None:
        text += f" classes 0–{target.classes - 1}"
    return text


@dataclass(frozen=True)
class Plan:
    """inputs[i]: the dataset input that feeds the graph's i-th Input node; targets[j]: the
    dataset target index of the graph's j-th Output node (None: no target, not trained)."""

    inputs: tuple[int, ...]
    targets: tuple[int | None, ...]

    def target_infos(self, dataset: Dataset) -> list[TargetInfo | None]:
        return [None if t is None else dataset.targets[t] for t in self.targets]


def is_plain(dataset: Dataset) -> bool:
    """One input and one class or vector target: the classic datasets."""
    return len(dataset.inputs) == 1 and has_plain_target(dataset)


def has_plain_target(dataset: Dataset) -> bool:
    """One class or vector target, whatever the inputs (a sequence and its padding mask):
    the class-probability and regression views score it."""
    return len(dataset.targets) == 1 and dataset.targets[0].kind in ("class", "vector")


def matched_test_inputs(dataset: Dataset, compiled: Any):
    """The test split's inputs for `compiled`: one tensor per Input node, matched by name."""
    if len(dataset.inputs) == 1:
        return dataset.test.x
    return ordered_split(dataset.test, match(dataset, compiled)).x


def _fits(model_shape, shape) -> bool:
    return len(model_shape) == len(shape) and all(
        m is None or m < 0 or m == d for m, d in zip(model_shape, shape))


def match(dataset: Dataset, compiled: Any) -> Plan:
    """The Plan, or DatasetMismatchError (one line) naming the node that does not fit."""
    names, shapes = list(compiled.input_names), [tuple(s) for s in compiled.input_shapes]
    input_shapes = dataset.input_shapes
    inputs = []
    for name, shape in zip(names, shapes):
        if len(dataset.inputs) == 1:
            index = 0
        elif name in dataset.inputs:
            index = dataset.inputs.index(name)
        else:
            raise DatasetMismatchError(
                f"Input '{name}': the dataset has no input of that name; it gives "
                + ", ".join(f"{n} {shape_n(s)}" for n, s in zip(dataset.inputs, input_shapes)))
        if not _fits(shape, input_shapes[index]):
            raise DatasetMismatchError(f"Input '{name}' expects {shape_n(shape)}; the dataset's "
                                       f"input '{dataset.inputs[index]}' is "
                                       f"{shape_n(input_shapes[index])}")
        inputs.append(index)
    by_name = {t.name: i for i, t in enumerate(dataset.targets)}
    out_shapes = dict(zip(compiled.output_names, compiled.output_shapes))
    targets: list[int | None] = []
    # One target and no Output named for it: every Output with a loss learns it.
    anyone = len(dataset.targets) == 1 and not any(s.output in by_name for s in compiled.losses)
    for spec in compiled.losses:
        trained = spec.loss != "none"
        index = by_name.get(spec.output)
        if index is None and trained:
            if not anyone:
                raise DatasetMismatchError(
                    f"Output '{spec.output}': the dataset has no target of that name; its "
                    "targets: " + "; ".join(f"{t.name} ({describe(t)})" for t in dataset.targets)
                    + ". Rename the Output or set its loss to none")
            index = 0
        if index is not None and trained:
            check_output(spec.output, spec.loss, tuple(out_shapes[spec.output]),
                         dataset.targets[index])
        targets.append(index)
    if all(t is None for t, spec in zip(targets, compiled.losses) if spec.loss != "none"):
        raise DatasetMismatchError("no Output node has a loss: set a loss on at least one "
                                   "Output named for a target (" +
                                   ", ".join(t.name for t in dataset.targets) + ")")
    return Plan(tuple(inputs), tuple(targets))


def check_output(output: str, loss: str, shape: tuple, target: TargetInfo) -> None:
    """DatasetMismatchError when Output `output` (per-sample `shape`, `loss`) cannot learn
    `target`."""
    gives = f"Output '{output}' gives {shape_n(shape)}; the dataset's {describe(target, ' is')}"
    categorical = target.kind in ("class", "mask")
    if categorical and loss in VALUE_LOSSES:
        raise DatasetMismatchError(f"Output '{output}' uses {loss}, a loss for numbers, but "
                                   f"the dataset's {describe(target)} holds classes: use "
                                   "cross_entropy")
    if not categorical and loss in CLASS_LOSSES + ("bce_with_logits",):
        raise DatasetMismatchError(f"Output '{output}' uses {loss}, a loss for classes, but "
                                   f"the dataset's {describe(target)} holds numbers: use mse "
                                   "or l1")
    if categorical:
        k = target.classes
        if loss == "bce_with_logits":
            wanted = (1, *target.shape)
            ok = k == 2 and (_fits(shape, wanted) or _fits(shape, target.shape))
            hint = "bce_with_logits needs 2 classes and one score per " + (
                "pixel" if target.kind == "mask" else "sample") + f" {shape_n(wanted)}"
        else:
            wanted = (k, *target.shape)
            ok = _fits(shape, wanted)
            hint = f"{loss} needs one score per class: {shape_n(wanted)}"
        if not ok:
            raise DatasetMismatchError(f"{gives}: {hint}")
    elif not _fits(shape, target.shape):
        raise DatasetMismatchError(f"{gives}: the shapes must agree")


def ordered_split(split: Split, plan: Plan) -> Split:
    """`split` with one input per Input node and one target per Output node, in node order
    (an Output without a target gets the first target as a placeholder; it has no loss)."""
    xs, ys = split.xs(), split.ys()
    inputs = tuple(xs[i] for i in plan.inputs)
    targets = tuple(ys[0 if t is None else t] for t in plan.targets)
    return Split(inputs if len(inputs) > 1 else inputs[0],
                 targets if len(targets) > 1 else targets[0])
