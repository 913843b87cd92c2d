"""Net2Net widening (Chen, Goodfellow & Shlens, 2016): a layer that grew from a to b units
keeps its a units, each new unit is a copy of a randomly chosen old one (its row of weights,
its bias, the BatchNorm statistics after it), and the next weighted layer's columns that
read a copied unit are divided by the number of copies, so the widened network computes
exactly what it did. Chains the fx graph cannot vouch for (a branch, an element-wise merge,
an Output right after) are left to init_weights' fallback: the new units' outgoing weights
start at zero, which preserves the function too."""

from __future__ import annotations

import torch


def widen(module: torch.nn.Module, tensors: dict[str, torch.Tensor], grown: list[str]
          ) -> list[str]:
    """Widen, in `module` (whose state already holds the old tensors in its leading slices),
    every layer whose `.weight` in `grown` gained output units; returns the layers done."""
    if not isinstance(module, torch.fx.GraphModule):
        return []
    state = module.state_dict()
    calls = {n.target: n for n in module.graph.nodes if n.op == "call_module"}
    done = []
    for key in grown:
        name = key.removesuffix(".weight")
        if not key.endswith(".weight") or name not in calls:
            continue
        old, new = tensors[key], state[key]
        if old.dim() < 2 or new.shape[0] <= old.shape[0] or new.shape[1:] != old.shape[1:]:
            continue
        a, b = old.shape[0], new.shape[0]
        found = _downstream(calls[name], state, tensors, a, b)
        if found is None:
            continue
        followers, consumer, k = found
        g = torch.cat([torch.arange(a), torch.randint(0, a, (b - a,))])
        counts = torch.bincount(g, minlength=a).to(new.dtype)
        new.copy_(old[g])
        for owner in (name, *followers):
            for sub, value in state.items():
                if sub.startswith(owner + ".") and sub != key and value.dim() == 1 \
                        and value.shape[0] == b and tensors[sub].shape[0] == a:
                    value.copy_(tensors[sub][g])
        c_old, c_new = tensors[consumer], state[consumer]
        columns = (g[:, None] * k + torch.arange(k)).reshape(-1)
        scale = (1.0 / counts[g]).repeat_interleave(k).to(c_new.dtype)
        c_new.copy_(c_old[:, columns] * scale.reshape(1, -1, *[1] * (c_old.dim() - 2)))
        done.append(name)
    return done


def _downstream(start, state, tensors, a: int, b: int):
    """(modules in between with per-unit tensors, the consumer's weight key, columns per
    unit) along the one path from `start` to the next layer that reads its units; None
    when the path branches, merges or ends first."""
    followers = []
    node = start
    while True:
        users = list(node.users)
        if len(users) != 1 or users[0].op != "call_module" or len(users[0].args) != 1:
            return None
        node = users[0]
        name = node.target
        keys = [k for k in state if k.startswith(name + ".")]
        weight = f"{name}.weight"
        if weight in state and state[weight].dim() >= 2:  # the consumer
            old, new = tensors.get(weight), state[weight]
            if old is None or old.shape[1] % a or old.shape[0] != new.shape[0] \
                    or old.shape[2:] != new.shape[2:]:
                return None
            k = old.shape[1] // a
            return (followers, weight, k) if new.shape[1] == b * k else None
        grown = [k for k in keys if k in tensors and tuple(tensors[k].shape) != tuple(state[k].shape)]
        if any(tensors[k].shape != (a,) or state[k].shape != (b,) for k in grown):
            return None
        if grown:
            followers.append(name)
