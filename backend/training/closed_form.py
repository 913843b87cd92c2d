"""Linear regression as the course teaches it: the closed-form least-squares solution.

For a graph Input -> Linear -> Output(mse) the trained weights should approach
w* = (XᵀX)⁻¹XᵀY. It is solved with torch.linalg.lstsq (never an explicit inverse) on a
bias column plus the inputs the model actually sees (normalised, training split).
"""

from __future__ import annotations

import torch


def is_linear_regression(graph) -> bool:
    """Exactly Input -> Linear -> Output with an MSE loss, detected from the structure."""
    types = sorted(n.type_id for n in graph.nodes.values())
    if types != ["input", "linear", "output"] or len(graph.edges) != 2:
        return False
    by_type = {n.type_id: n for n in graph.nodes.values()}
    out = by_type["output"]
    chain = {(graph.nodes[e.src].type_id, graph.nodes[e.dst].type_id) for e in graph.edges}
    return (chain == {("input", "linear"), ("linear", "output")}
            and out.params.get("loss", "cross_entropy") == "mse"
            and len(by_type["input"].params.get("shape", ())) == 1)


def least_squares(x: torch.Tensor, y: torch.Tensor, bias: bool = True
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """(weight (k, d), bias (k,)) minimising ||[1 X] w - Y||², in float64 (no bias column
    and a zero bias when the Linear has none)."""
    x = x.double().reshape(x.shape[0], -1)
    y = y.double().reshape(y.shape[0], -1)
    ones = torch.ones(x.shape[0], 1 if bias else 0, dtype=x.dtype)
    w = torch.linalg.lstsq(torch.cat([ones, x], dim=1), y, driver="gelsd").solution
    if not bias:
        return w.T.contiguous(), torch.zeros(y.shape[1], dtype=x.dtype)
    return w[1:].T.contiguous(), w[0].clone()


def compare_model(model, dataset) -> list[tuple]:
    """`compare` for a trained Input -> Linear -> Output model on its normalised training
    split: what `netcanvas train` prints and the app's Evaluation tab shows."""
    linear = next(m for m in model.module.children() if hasattr(m, "weight"))
    return compare(linear, dataset.train.x, dataset.train.y)


def compare(linear: torch.nn.Linear, x: torch.Tensor, y: torch.Tensor) -> list[tuple]:
    """Rows (name, trained, closed form, difference) for every weight and bias."""
    w_star, b_star = least_squares(x, y, bias=linear.bias is not None)
    weight = linear.weight.detach().double()
    bias = (linear.bias.detach().double() if linear.bias is not None
            else torch.zeros(weight.shape[0], dtype=torch.float64))
    rows = []
    for k in range(weight.shape[0]):
        suffix = f"[{k}]" if weight.shape[0] > 1 else ""
        rows.append((f"b{suffix}", bias[k].item(), b_star[k].item(),
                     bias[k].item() - b_star[k].item()))
        for j in range(weight.shape[1]):
            rows.append((f"w{suffix}[{j}]", weight[k, j].item(), w_star[k, j].item(),
                         weight[k, j].item() - w_star[k, j].item()))
    return rows
