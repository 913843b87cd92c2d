"""Recognise the batch-first nn.MultiheadAttention (self-attention, no mask, weights not
returned) that torch's dynamo ONNX exporter decomposes into 31 ops (38 with a dynamic batch),
and hand it back as one match: the input, the output, the heads and the projection weights.

The exporter writes `attn(x, x, x, need_weights=False)[0]` as
    Transpose[1,0,2] -> MatMul(W_in^T) -> Add(b_in) -> Reshape[L,B,3,E] -> Unsqueeze[0]
    -> Transpose[3,1,2,0,4] -> Squeeze[-2] -> Gather 0/1/2 (q, k, v)
    -> each: Reshape[L,B*H,d] -> Transpose[1,0,2]
    -> q: Reshape[B,H,L,d] -> Mul(s); k: Transpose[0,2,1] -> Reshape[B,H,d,L] -> Mul(s);
       v: Reshape[B,H,L,d]
    -> MatMul(q, k) -> Softmax(-1) -> MatMul(., v) -> Transpose[2,0,1,3] -> Reshape[L*B,E]
    -> Gemm(W_out, transB, b_out) -> Reshape[L,B,E] -> Transpose[1,0,2]
with s = d^-1/4 (the 1/sqrt(d) scaling split between q and k). Exported with a dynamic
batch, every B above is -1, and k's transpose reads its shape at run time:
    k: Reshape[-1,H,L,d] -> Reshape(Concat[-1, shape[-2], shape[-1]]) -> Transpose[0,2,1]
       -> Reshape(Concat[shape[:-2], shape[-1], shape[-2]])    (shape = Shape(k), sliced)
Every op, permutation, axis, shape constant and the scale are checked; anything else is no
match, and the op-by-op walk refuses the ops by name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class AttentionMatch:
    nodes: list  # the matched ONNX nodes, in graph order
    source: str  # the input x, [B, L, E]
    output: str  # the output, [B, L, E]
    heads: int
    in_weight: np.ndarray  # [3E, E], as nn.MultiheadAttention.in_proj_weight
    in_bias: np.ndarray  # [3E]
    out_weight: np.ndarray  # [E, E]
    out_bias: np.ndarray  # [E]
    out_weight_name: str  # `attn.out_proj.weight`: names the layer


class _NoMatch(Exception):
    pass


def find_attentions(graph, consts: dict, shapes: dict) -> list[AttentionMatch]:
    """Every decomposed self-attention in `graph` (an onnx GraphProto)."""
    found, taken, matcher = [], set(), _Matcher(graph, consts, shapes)
    for node in graph.node:
        if node.op_type == "Transpose" and id(node) not in taken:
            try:
                match = matcher.match(node)
            except _NoMatch:
                continue
            found.append(match)
            taken.update(id(n) for n in match.nodes)
    return found


class _Matcher:
    def __init__(self, graph, consts: dict, shapes: dict) -> None:
        from onnx import helper, numpy_helper

        self.consts, self.shapes = dict(consts), shapes
        self.attrs = {}
        self.consumers: dict[str, list] = {}
        self.producers: dict[str, object] = {}
        for node in graph.node:
            self.attrs[id(node)] = {a.name: helper.get_attribute_value(a)
                                    for a in node.attribute}
            if node.op_type == "Constant" and "value" in self.attrs[id(node)]:
                self.consts[node.output[0]] = numpy_helper.to_array(
                    self.attrs[id(node)]["value"])
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)
            for name in node.output:
                self.producers[name] = node
        self.outputs = {o.name for o in graph.output}
        self.nodes: list = []
        self.batch: int | None = None  # the match's batch size; None: dynamic

    # ---- checks -------------------------------------------------------------------------
    def _next(self, name: str, op: str, count: int = 1) -> list:
        """The `count` consumers of `name`, all of type `op`; `name` used nowhere else."""
        users = self.consumers.get(name, [])
        if len(users) != count or name in self.outputs or any(u.op_type != op for u in users):
            raise _NoMatch
        self.nodes.extend(users)
        return users

    def _const(self, name: str) -> np.ndarray:
        if name not in self.consts:
            raise _NoMatch
        return self.consts[name]

    def _ints(self, name: str, want: list[int]) -> None:
        value = self._const(name)
        if value.dtype.kind not in "iu" or value.reshape(-1).tolist() != want:
            raise _NoMatch

    def _perm(self, node, perm: list[int]) -> None:
        if self.attrs[id(node)] != {"perm": perm}:
            raise _NoMatch

    def _reshape(self, node, shape: list[int]) -> str:
        if self.attrs[id(node)].get("allowzero", 0) not in (0, 1) or len(node.input) != 2:
            raise _NoMatch
        self._ints(node.input[1], shape)
        return node.output[0]

    def _axes(self, node, axes: list[int]) -> None:
        if self.attrs[id(node)] or len(node.input) != 2:
            raise _NoMatch
        self._ints(node.input[1], axes)

    def _step(self, name: str, op: str) -> object:
        (node,) = self._next(name, op)
        return node

    # ---- the pattern --------------------------------------------------------------------
    def match(self, first) -> AttentionMatch:
        self.nodes = [first]
        self._perm(first, [1, 0, 2])
        source = first.input[0]
        shape = self.shapes.get(source, ())
        if len(shape) != 3 or None in shape[1:]:
            raise _NoMatch
        b, length, e = shape
        self.batch = b  # None: exported with a dynamic batch, -1 wherever B goes (_b)
        mm = self._step(first.output[0], "MatMul")
        w_in = self._const(mm.input[1]) if mm.input[0] == first.output[0] else None
        if w_in is None or w_in.shape != (e, 3 * e):
            raise _NoMatch
        add = self._step(mm.output[0], "Add")
        b_in = self._const(add.input[1]) if add.input[0] == mm.output[0] else None
        if b_in is None or b_in.shape != (3 * e,):
            raise _NoMatch
        view = self._reshape(self._step(add.output[0], "Reshape"), [length, self._b(), 3, e])
        unsq = self._step(view, "Unsqueeze")
        self._axes(unsq, [0])
        tr = self._step(unsq.output[0], "Transpose")
        self._perm(tr, [3, 1, 2, 0, 4])
        sq = self._step(tr.output[0], "Squeeze")
        self._axes(sq, [-2])
        gathers = self._next(sq.output[0], "Gather", 3)
        by_index = {}
        for g in gathers:
            index = self._const(g.input[1])
            if self.attrs[id(g)] != {"axis": 0} or index.shape != () or g.output[0] in by_index:
                raise _NoMatch
            by_index[int(index)] = g.output[0]
        if sorted(by_index) != [0, 1, 2]:
            raise _NoMatch
        heads, d = self._heads(by_index[0], length, e)
        q, k, v = (self._split_heads(by_index[i], length, heads, d) for i in range(3))
        q = self._reshape(self._step(q, "Reshape"), [self._b(), heads, length, d])
        if b is None:
            k = self._k_transposed_at_run_time(k, heads, length, d)
        else:
            kt = self._step(k, "Transpose")
            self._perm(kt, [0, 2, 1])
            k = self._reshape(self._step(kt.output[0], "Reshape"), [b, heads, d, length])
        v = self._reshape(self._step(v, "Reshape"), [self._b(), heads, length, d])
        q, k = self._scaled(q, d), self._scaled(k, d)
        scores = self._step(q, "MatMul")
        if list(scores.input) != [q, k] or self.consumers[k] != [scores]:
            raise _NoMatch
        soft = self._step(scores.output[0], "Softmax")
        if self.attrs[id(soft)].get("axis", -1) not in (-1, 3):
            raise _NoMatch
        mix = self._step(soft.output[0], "MatMul")
        if list(mix.input) != [soft.output[0], v] or self.consumers[v] != [mix]:
            raise _NoMatch
        back = self._step(mix.output[0], "Transpose")
        self._perm(back, [2, 0, 1, 3])
        flat = self._reshape(self._step(back.output[0], "Reshape"), [self._b(length), e])
        gemm = self._step(flat, "Gemm")
        if (gemm.input[0] != flat or self.attrs[id(gemm)] != {"alpha": 1.0, "beta": 1.0,
                                                                "transA": 0, "transB": 1}):
            raise _NoMatch
        w_out = self._const(gemm.input[1])
        b_out = self._const(gemm.input[2]) if len(gemm.input) > 2 and gemm.input[2] else \
            np.zeros(e, np.float32)
        if w_out.shape != (e, e) or b_out.shape != (e,):
            raise _NoMatch
        unflat = self._reshape(self._step(gemm.output[0], "Reshape"), [length, self._b(), e])
        last = self._step(unflat, "Transpose")
        self._perm(last, [1, 0, 2])
        return AttentionMatch(self.nodes, source, last.output[0], heads, w_in.T, b_in,
                              w_out, b_out, gemm.input[1])

    def _b(self, times: int = 1) -> int:
        """A reshape's dimension of `times` batches: -1 when the batch is dynamic."""
        return -1 if self.batch is None else self.batch * times

    def _heads(self, q: str, length: int, e: int) -> tuple[int, int]:
        """The head count and head size, from q's Reshape to [L, B*H, d] ([L, -1, d])."""
        users = self.consumers.get(q, [])
        if len(users) != 1 or users[0].op_type != "Reshape":
            raise _NoMatch
        shape = self._const(users[0].input[1]).reshape(-1).tolist()
        if len(shape) != 3 or shape[0] != length or shape[2] <= 0:
            raise _NoMatch
        d, b = shape[2], self.batch
        if b is None:
            if shape[1] != -1 or e % d:
                raise _NoMatch
            return e // d, d
        if shape[1] % b or shape[1] // b * d != e:
            raise _NoMatch
        return shape[1] // b, d

    def _split_heads(self, name: str, length: int, heads: int, d: int) -> str:
        view = self._reshape(self._step(name, "Reshape"), [length, self._b(heads), d])
        tr = self._step(view, "Transpose")
        self._perm(tr, [1, 0, 2])
        return tr.output[0]

    def _scaled(self, name: str, d: int) -> str:
        mul = self._step(name, "Mul")
        if mul.input[0] != name:
            raise _NoMatch
        scale = self._const(mul.input[1])
        if scale.size != 1 or not np.isclose(float(scale.reshape(-1)[0]), d ** -0.25,
                                             rtol=1e-6, atol=0):
            raise _NoMatch
        return mul.output[0]

    def _k_transposed_at_run_time(self, k: str, heads: int, length: int, d: int) -> str:
        """k [B*H, L, d] as [B, H, d, L], the dynamic-batch way (see the module docstring)."""
        k = self._reshape(self._step(k, "Reshape"), [-1, heads, length, d])
        users = self.consumers.get(k, [])
        if k in self.outputs or sorted(u.op_type for u in users) != ["Reshape", "Shape"]:
            raise _NoMatch
        self.nodes.extend(users)
        shape_of = next(u for u in users if u.op_type == "Shape")
        if self.attrs[id(shape_of)] not in ({}, {"start": 0}):
            raise _NoMatch
        leading, second_last, last = self._shape_slices(shape_of.output[0])
        flat = next(u for u in users if u.op_type == "Reshape")
        if flat.input[0] != k:
            raise _NoMatch
        concats = [self._concat(flat.input[1], ["-1", second_last, last])]
        tr = self._step(flat.output[0], "Transpose")
        self._perm(tr, [0, 2, 1])
        back = self._step(tr.output[0], "Reshape")
        if back.input[0] != tr.output[0]:
            raise _NoMatch
        concats.append(self._concat(back.input[1], [leading, last, second_last]))
        if any(all(u is not c for c in concats) for part in (leading, second_last, last)
               for u in self.consumers[part]):
            raise _NoMatch  # a piece of the shape used elsewhere too
        return back.output[0]

    def _shape_slices(self, shape: str) -> tuple[str, str, str]:
        """The three Slices of a Shape: [:-2], [-2:-1] and [-1:], on axis 0, step 1."""
        big = np.iinfo(np.int64)
        want = {(big.min, -2): 0, (-2, -1): 1, (-1, big.max): 2}
        found: list[str | None] = [None, None, None]
        for node in self._next(shape, "Slice", 3):
            if self.attrs[id(node)] or len(node.input) > 5 or node.input[0] != shape:
                raise _NoMatch
            start, end = (int(self._const(i).reshape(-1)[0]) for i in node.input[1:3])
            if ((start, end) not in want or (len(node.input) > 3 and node.input[3]
                                            and self._const(node.input[3]).tolist() != [0])
                    or (len(node.input) > 4 and node.input[4]
                        and self._const(node.input[4]).tolist() != [1])):
                raise _NoMatch
            found[want[start, end]] = node.output[0]
        if None in found:
            raise _NoMatch
        return found[0], found[1], found[2]

    def _concat(self, name: str, parts: list[str]):
        """The node making `name` as Concat(parts) on axis 0, read by one node; a part "-1"
        is the constant [-1]."""
        concat = self.producers.get(name)
        if (concat is None or concat.op_type != "Concat" or self.attrs[id(concat)] != {"axis": 0}
                or len(concat.input) != len(parts) or len(self.consumers.get(name, [])) != 1
                or name in self.outputs):
            raise _NoMatch
        for got, want in zip(concat.input, parts):
            if want == "-1":
                self._ints(got, [-1])
            elif got != want:
                raise _NoMatch
        self.nodes.append(concat)
        return concat
