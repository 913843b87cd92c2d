"""The optimizer's parameter groups from the per-node training settings (trainable, LR
factor, weight decay; see graph/node_training.py).

A frozen node's parameters stop requiring gradients and join no group, and its BatchNorm
layers stay in eval mode while the rest trains, so their running statistics keep the values
they were trained with. A block instance's settings cover every weight inside it.
"""

from __future__ import annotations

import torch
from netcanvas.backend.graph.node_training import setting
from netcanvas.backend.graph.node_training import training_param as _declared


class NothingToTrain(ValueError):
    """Every node with weights is frozen."""


def _keep_eval(module: torch.nn.Module, _args) -> None:
    module.training = False


def parameter_groups(module: torch.nn.Module, graph, s) -> list[dict]:
    """Groups for `build_optimizer`: one per (LR factor, weight decay) in use, the group of
    factor 1 first (the loop reports its learning rate). Freezes the frozen nodes'
    parameters and BatchNorms in `module` as a side effect."""
    per_node = {n.name: n for n in graph.nodes.values()}
    groups: dict[tuple[float, bool], list[torch.nn.Parameter]] = {}
    for name, child in module.named_children():
        node = per_node.get(name)
        factor = setting(node, "lr_factor") if node else _declared("lr_factor").default
        decay = setting(node, "weight_decay") if node else True
        if node is not None and not setting(node, "trainable"):
            child.requires_grad_(False)
            for sub in child.modules():
                if isinstance(sub, torch.nn.modules.batchnorm._BatchNorm):
                    sub.register_forward_pre_hook(_keep_eval)
            continue
        params = [p for p in child.parameters() if p.requires_grad]
        if params:
            groups.setdefault((factor, decay), []).extend(params)
    if not groups:
        raise NothingToTrain("every node with weights is frozen: nothing would train "
                             "(make a node trainable in its Training settings)")
    ordered = sorted(groups.items(), key=lambda kv: (kv[0][0] != 1.0, -kv[0][0], not kv[0][1]))
    return [{"params": params, "lr": s.lr * factor, "lr_factor": factor,
             "weight_decay": s.weight_decay if decay else 0.0}
            for (factor, decay), params in ordered]


def trainable_count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
