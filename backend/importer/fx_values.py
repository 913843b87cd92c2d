"""fx values that are not layers, read while importing: sizes and the arithmetic on them
(`x.size(0)`, `h // patch`, asserts that hold), a class token put before a sequence, a
recurrent layer's final states, and `x.chunk(n, dim)`'s pieces. A mixin of fx_import's
builder, which supplies `graph`, `tensors`, `scalars` and the helpers (`_tensor`, `_name`)."""

from __future__ import annotations

import builtins
import operator

import torch
import torch.fx
from netcanvas.backend.export.python_export import is_helper
from netcanvas.backend.importer.fx_forms import _Unmapped
from netcanvas.backend.registry import BATCH

# Arithmetic on sizes (torchvision's channel shuffle: `channels // groups`), evaluated here.
_SIZE_ARITHMETIC = (operator.floordiv, operator.mul, operator.add, operator.sub)
RECURRENT = ("lstm", "gru")


def _helper_call(gm: torch.fx.GraphModule, node: torch.fx.Node) -> bool:
    """A call of a NetCanvas helper module (as `netcanvas code` writes them), whose tuple
    holds the layer's output ports in order (LSTMSequence's (y, h))."""
    return node.op == "call_module" and is_helper(type(gm.get_submodule(node.target)))


_STEP_INDEX = {0: "first", -1: "last"}  # x[:, i] of a sequence


_SIZE_OPS = {operator.floordiv, operator.mul, operator.add, operator.sub, operator.eq,
             operator.ne}


def _class_token_use(node) -> bool:
    """A get_attr only expanded over the batch (`token.expand(n, -1, -1)`) and put first in a
    torch.cat along dim 1; or such an expand itself."""
    if not isinstance(node, torch.fx.Node):
        return False
    if node.op == "get_attr":
        return bool(node.users) and all(_class_token_use(u) for u in node.users)
    if node.op != "call_method" or node.target != "expand":
        return False
    if tuple(node.args[2:]) != (-1, -1) or len(node.users) != 1:
        return False
    (cat,) = node.users
    dim = cat.kwargs.get("dim", cat.args[1] if len(cat.args) > 1 else 0)
    return (cat.target is torch.cat and dim == 1 and isinstance(cat.args[0], (list, tuple))
            and cat.args[0][0] is node)


def _fetch(gm: torch.fx.GraphModule, target: str) -> torch.Tensor:
    owner, _, name = target.rpartition(".")
    return getattr(gm.get_submodule(owner) if owner else gm, name)


def _meta_shape(node) -> tuple[int, ...]:
    meta = node.meta.get("tensor_meta") if isinstance(node, torch.fx.Node) else None
    if meta is None or not hasattr(meta, "shape"):
        raise _Unmapped("the size of a value that is not a tensor")
    return tuple(meta.shape)


class ValueReader:
    """The builder's handlers of sizes, class tokens, recurrent states and chunks."""

    def _shape_arithmetic(self, node: torch.fx.Node) -> bool:
        """x.size(), x.shape, x.size(0), shape[0]: sizes, not layers. The batch size reads
        as BATCH, every other size as the int it is."""
        if node.op == "call_method" and node.target == "size" or (
                node.target is builtins.getattr and node.args[1] == "shape"):
            sizes = (BATCH, *_meta_shape(node.args[0])[1:])
            index = node.args[1] if node.op == "call_method" and len(node.args) > 1 else None
            self.scalars[node] = sizes if index is None else sizes[index]
            return True
        if node.op == "call_method" and node.target == "dim":
            self.scalars[node] = len(_meta_shape(node.args[0]))
            return True
        index = node.args[1] if node.target is operator.getitem else None
        if (isinstance(index, tuple) and len(index) == 2 and index[0] == slice(None)
                and index[1] in _STEP_INDEX and node.args[0] in self.tensors
                and len(_meta_shape(node.args[0])) == 3):
            mode = _STEP_INDEX[index[1]]  # x[:, 0]: a class token's state
            layer = self.graph.add("sequence_pool", self._name(node.name), mode=mode)
            src = self._tensor(node.args[0])
            self.graph.connect(src[0], layer.id, src[1], "x")
            self.tensors[node] = (layer.id, "y")
            return True
        if node.op == "call_function" and node.target in _SIZE_OPS:
            args = [self.scalars.get(a, a) if isinstance(a, torch.fx.Node) else a
                    for a in node.args]
            if all(isinstance(a, int) for a in args):  # sizes known now: h // patch_size
                self.scalars[node] = node.target(*args)
                return True
        if node.op == "call_function" and node.target is torch._assert:
            if self.scalars.get(node.args[0]) is not True:
                raise _Unmapped(f"the check {node.args[1:]!r} fails or depends on the data")
            return True  # a size check that holds for the shapes imported
        if node.target is operator.getitem and node.args[0] in self.scalars:
            self.scalars[node] = self.scalars[node.args[0]][node.args[1]]
            return True
        if node.target in _SIZE_ARITHMETIC and node.args and all(
                a in self.scalars or isinstance(a, int) for a in node.args) and not node.kwargs:
            values = [self.scalars.get(a, a) if isinstance(a, torch.fx.Node) else a
                      for a in node.args]
            if not all(isinstance(v, int) for v in values):  # the batch size: a layer's business
                return False
            self.scalars[node] = node.target(*values)
            return True
        if node.target == "chunk" and node.op == "call_method" or node.target is torch.chunk:
            args = node.args
            chunks = args[1] if len(args) > 1 else node.kwargs.get("chunks")
            dim = args[2] if len(args) > 2 else node.kwargs.get("dim", 0)
            if not (isinstance(chunks, int) and isinstance(dim, int)):
                raise _Unmapped("a chunk whose count or dim is not a number")
            self.chunks[node] = (node.args[0], chunks, dim)
            return True
        if node.target is operator.getitem and node.args[0] in self.chunks:
            self._chunk_piece(node)
            return True
        if node.target is operator.getitem and node.args[0] in self.multi:
            layer = self.graph.nodes[self.multi[node.args[0]]]
            if layer.type_id in RECURRENT and node.args[1] == 1 and \
                    not _helper_call(self.gm, node.args[0]):  # nn.LSTM's: every layer's state
                self.recurrent[node] = (layer.id, "states" if layer.type_id == "lstm" else "h_n")
                return True
            self.tensors[node] = (layer.id, layer.spec.outputs[node.args[1]].name)
            return True
        if node.target is operator.getitem and node.args[0] in self.recurrent:
            self._recurrent_item(node)
            return True
        return False

    def _class_token(self, node: torch.fx.Node) -> None:
        """`token.expand(n, -1, -1)` is remembered; `torch.cat([that, x], dim=1)` becomes a
        ClassToken layer holding the tensor."""
        if node.op == "call_method" and node.target == "expand":
            self.tokens[node] = self.tokens[node.args[0]]
            return
        parts = node.args[0]
        token = self.tokens[parts[0]]
        if len(parts) != 2 or parts[1] not in self.tensors:
            raise _Unmapped("a class token joins one sequence: torch.cat([token, x], dim=1)")
        layer = self.graph.add("class_token", self._name(node.name), count=token.shape[1])
        src = self._tensor(parts[1])
        self.graph.connect(src[0], layer.id, src[1], "x")
        self.weights[f"{layer.name}.token"] = token.detach().float().cpu().contiguous()
        self.tensors[node] = (layer.id, "y")

    def _recurrent_item(self, node: torch.fx.Node) -> None:
        """`(h_n, c_n)[0]` is h_n; `h_n[-1]`, the last layer's final state, is the layer's
        "h" port (one direction; both directions' states come joined only from the port)."""
        layer_id, which = self.recurrent[node.args[0]]
        layer, index = self.graph.nodes[layer_id], node.args[1]
        if not node.users:  # `_, (h, _) = lstm(x)` unpacks what it never uses
            return
        if which == "states":
            if index != 0:
                raise _Unmapped("the LSTM's cell state c_n has no NetCanvas port; use h_n[-1]")
            self.recurrent[node] = (layer_id, "h_n")
            return
        last = layer.params["num_layers"] - 1
        if layer.params["bidirectional"] or index not in (-1, last):
            raise _Unmapped(f"only h_n[-1] of a one-direction {layer.spec.title} imports (the "
                            "last layer's final state: the layer's 'h' port)")
        self.tensors[node] = (layer_id, "h")

    def _chunk_piece(self, node: torch.fx.Node) -> None:
        """`x.chunk(n, dim)[i]` as torch cuts it: pieces of ceil(size / n), the last shorter."""
        source, chunks, dim = self.chunks[node.args[0]]
        shape = _meta_shape(source)
        axis = dim % len(shape)
        if axis == 0:
            raise _Unmapped("a chunk of the batch")
        step = -(-shape[axis] // chunks)
        start = node.args[1] * step
        layer = self.graph.add("narrow", self._name(node.name), dim=dim, start=start,
                               length=min(step, shape[axis] - start))
        src = self._tensor(source)
        self.graph.connect(src[0], layer.id, src[1], "x")
        self.tensors[node] = (layer.id, "y")
