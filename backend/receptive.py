"""Receptive fields from the layer declarations: which input pixels can influence an output
cell. No torch: pure arithmetic over the kernel, stride, padding and dilation of each layer.

Two views of the same facts:

- `fields(project)`: per node, the closed form a wire shows — size (how many input pixels
  one output cell sees, per axis), jump (the effective stride: input pixels between two
  neighbouring output cells) and offset (where the field of cell 0 starts, in input pixels;
  negative when it reaches into the padding). Transposed convolutions, unpooling and
  upsampling make the jump a fraction (several output cells per input pixel).
- `input_box(project, node, cell)`: the exact box of input pixels one output cell depends
  on, walking the graph backwards layer by layer and clipping at every layer's borders
  (padding depends on nothing). This is what the lens outlines on the image, and what the
  exactness test compares with the support of the input gradient.

Blocks are looked through: both work on the flattened project (every instance replaced by
the nodes it runs) and report a block instance by the inner node that feeds its output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from netcanvas.backend.graph import BLOCK, Graph
from netcanvas.backend.shapes import analyze

Interval = tuple[int, int]  # inclusive
ALL = "all"

POINTWISE = {"batch_norm2d", "batch_norm1d", "dropout", "dropout2d", "identity", "add",
             "multiply", "subtract", "divide", "maximum", "minimum", "broadcast_add",
             "broadcast_sub", "broadcast_mul", "broadcast_div", "output"}
ALONG_AXIS = ("softmax", "log_softmax")  # activations that mix values along a `dim`


def _pointwise(node) -> bool:
    """Each output value depends on the values at its own position only (in eval mode)."""
    return node.type_id in POINTWISE or (node.spec.category == "Activation"
                                         and node.type_id not in ALONG_AXIS)
WINDOWED = ("conv2d", "max_pool2d", "avg_pool2d")
RESAMPLING = (*WINDOWED, "conv_transpose2d", "max_unpool2d", "adaptive_avg_pool2d",
              "global_avg_pool2d", "upsample")


class NotSpatial(ValueError):
    """The project has no image input (C, H, W): receptive fields do not apply."""


@dataclass(frozen=True)
class Field:
    """Receptive field of a node's output on one image input, per axis (height, width)."""

    size: tuple[int, int]
    jump: tuple[Fraction, Fraction]
    offset: tuple[Fraction, Fraction]
    whole: bool = False  # every cell sees the whole input (after a Linear, a global pool)

    def describe(self) -> str:
        if self.whole:
            return f"whole input ({axis_text(self.size)})"
        return f"{axis_text(self.size)}, jump {axis_text(self.jump)}, offset {axis_text(self.offset)}"


def axis_text(values) -> str:
    """(3, 3) -> "3"; (3, 5) -> "3×5"; fractions as decimals."""
    a, b = (_num(v) for v in values)
    return a if a == b else f"{a}×{b}"


def _num(v) -> str:
    return str(v) if not isinstance(v, Fraction) or v.denominator == 1 else f"{float(v):.3g}"


# ---- the flattened project ------------------------------------------------------------------


@dataclass
class _Flat:
    graph: Graph
    analysis: object
    origins: dict[str, str]  # flat node id -> top-level node id
    image: str  # the flat id of the image Input

    def shape_in(self, node_id: str, port: str | None = None) -> tuple[int, ...] | None:
        edges = self.graph.edges_into(node_id, port)
        return self.analysis.edge_shapes.get(edges[0]) if edges else None

    def shape_out(self, node_id: str) -> tuple[int, ...] | None:
        info = self.analysis.nodes.get(node_id)
        if info is None or not info.output_shapes:
            return None
        return next(iter(info.output_shapes.values()))


def image_inputs(project) -> list[str]:
    """Names of the Input nodes that take images (channels, height, width)."""
    return [n.name for n in project.graph.nodes.values()
            if n.type_id == "input" and len(n.params["shape"]) == 3]


def _flatten(project, image: str | None = None) -> _Flat:
    from netcanvas.backend.blocks.expand import flatten
    origins: dict[str, str] = {}
    flat = flatten(project, origins) if any(
        n.type_id == BLOCK for n in project.graph.nodes.values()) else project
    if flat is project:
        origins = {nid: nid for nid in project.graph.nodes}
    graph = flat.graph
    analysis = analyze(graph)
    images = [n.id for n in graph.nodes.values() if n.type_id == "input"
              and len(n.params["shape"]) == 3 and image in (None, n.name)]
    if not images:
        raise NotSpatial(f"no image input named '{image}'" if image else
                         "receptive fields need an image input (channels, height, width)")
    return _Flat(graph, analysis, origins, images[0])


def _flat_id(flat: _Flat, project, node_id: str, port: str | None = None) -> str:
    """The flat node whose output is top-level node `node_id`'s (output `port`)."""
    if project.graph.node(node_id).type_id != BLOCK:
        return node_id
    inside = {nid for nid, top in flat.origins.items() if top == node_id}
    leaving = [e for e in flat.graph.edges if e.src in inside and e.dst not in inside]
    wanted = [e for e in project.graph.edges_from(node_id) if port is None or e.src_port == port]
    for edge in wanted:  # the flat wire that replaced this top-level one
        for e in leaving:
            if flat.origins[e.dst] == edge.dst:
                return e.src
    if leaving:
        return leaving[0].src
    order, _ = flat.graph.order()
    return [nid for nid in order if nid in inside][-1]


# ---- closed form: size, jump, offset --------------------------------------------------------


def fields(project, image: str | None = None) -> dict[str, Field | None]:
    """Per top-level node id, the receptive field of its (first) output on the image input
    named `image` (the first one by default); None where it does not depend on that image
    or a layer's field is unknown."""
    flat = _flatten(project, image)
    order, _ = flat.graph.order()
    per: dict[str, Field | None] = {}
    for nid in order:
        per[nid] = _forward(flat, nid, per)
    return {nid: per.get(_flat_id(flat, project, nid)) for nid in project.graph.nodes}


def _forward(flat: _Flat, nid: str, per: dict) -> Field | None:
    node = flat.graph.node(nid)
    if nid == flat.image:
        return Field((1, 1), (Fraction(1), Fraction(1)), (Fraction(0), Fraction(0)))
    ins = [per.get(e.src) for e in flat.graph.edges_into(nid)
           if e.dst_port != "indices"]
    ins = [f for f in ins if f is not None]
    if not ins:
        return None
    f = _hull(ins)
    shape_in, shape_out, p = flat.shape_in(nid, "x") or flat.shape_in(nid), flat.shape_out(nid), node.params
    t = node.type_id
    if f.whole or _pointwise(node) or t in ("concat", "flatten", "reshape"):
        return f
    if shape_out is None or len(shape_out) != 3 or shape_in is None or len(shape_in) != 3:
        return _whole(flat)
    if t in WINDOWED:
        if p.get("padding_mode") == "same":
            pad = tuple((d * (k - 1)) // 2 for k, d in zip(p["kernel_size"], p["dilation"]))
        else:
            pad = p["padding"]
        dil = p.get("dilation", (1, 1))
        return _window(f, p["kernel_size"], p["stride"], pad, dil)
    if t in ("conv_transpose2d", "max_unpool2d"):
        dil = p.get("dilation", (1, 1))
        return _transposed(f, p["kernel_size"], p["stride"], p["padding"], dil)
    if t == "adaptive_avg_pool2d":
        k = tuple(max(-(-(o + 1) * n // m) - o * n // m for o in range(m))
                  for n, m in zip(shape_in[1:], shape_out[1:]))
        s = tuple(Fraction(n, m) for n, m in zip(shape_in[1:], shape_out[1:]))
        return Field(tuple(r + (kk - 1) * j for r, kk, j in zip(f.size, k, f.jump)),
                     tuple(j * ss for j, ss in zip(f.jump, s)), f.offset)
    if t == "global_avg_pool2d":
        return _window(f, shape_in[1:], (1, 1), (0, 0), (1, 1))
    if t == "upsample":
        scale = Fraction(p["scale_factor"]).limit_denominator(1000)
        grow = 0 if p["mode"] == "nearest" else 1
        return Field(tuple(r + grow * j for r, j in zip(f.size, f.jump)),
                     tuple(j / scale for j in f.jump),
                     tuple(o - grow * j / 2 for o, j in zip(f.offset, f.jump)))
    return None


def _whole(flat: _Flat) -> Field:
    size = tuple(flat.graph.node(flat.image).params["shape"][1:])
    return Field(size, (Fraction(0), Fraction(0)), (Fraction(0), Fraction(0)), whole=True)


def _hull(fs: list[Field]) -> Field:
    if len(fs) == 1:
        return fs[0]
    if any(f.whole for f in fs):
        return next(f for f in fs if f.whole)
    left = tuple(min(f.offset[a] for f in fs) for a in (0, 1))
    right = tuple(max(f.offset[a] + f.size[a] for f in fs) for a in (0, 1))
    return Field(tuple(math.ceil(r - left_) for r, left_ in zip(right, left)),
                 tuple(max(f.jump[a] for f in fs) for a in (0, 1)), left)


def _window(f: Field, kernel, stride, padding, dilation) -> Field:
    span = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return Field(tuple(r + int(s_ * j) for r, s_, j in zip(f.size, span, f.jump)),
                 tuple(j * s for j, s in zip(f.jump, stride)),
                 tuple(o - p * j for o, p, j in zip(f.offset, padding, f.jump)))


def _transposed(f: Field, kernel, stride, padding, dilation) -> Field:
    """Output cell o reads the input cells i with i*stride - padding + dilation*t = o."""
    size, offset = [], []
    for a in (0, 1):
        k, s, p, d, j = kernel[a], stride[a], padding[a], dilation[a], f.jump[a]
        reads = [_reads(o, k, s, p, d) for o in range(s * d)]
        width = max((hi - lo for lo, hi in reads if hi >= lo), default=0)
        size.append(f.size[a] + int(width * j))
        offset.append(f.offset[a] + Fraction(p - d * (k - 1), s) * j)
    return Field(tuple(size), tuple(j / s for j, s in zip(f.jump, stride)), tuple(offset))


def _reads(o: int, k: int, s: int, p: int, d: int) -> Interval:
    hits = [(o + p - d * t) // s for t in range(k) if (o + p - d * t) % s == 0]
    return (min(hits), max(hits)) if hits else (1, 0)


# ---- exact: the input box of one output cell ------------------------------------------------


def input_box(project, node_id: str, cell: tuple[int, ...], port: str | None = None,
              image: str | None = None) -> tuple[Interval, Interval] | None:
    """The (rows, columns) of the image input that output `cell` (an index into the node's
    per-sample output, channels first) of top-level node `node_id` can influence;
    None when it depends on no pixel of that image."""
    flat = _flatten(project, image)
    start = _flat_id(flat, project, node_id, port)
    shape = flat.shape_out(start)
    if shape is None:
        raise ValueError(f"node '{project.graph.node(node_id).name}' has no known output shape")
    regions: dict[str, object] = {start: _cell_region(shape, cell)}
    order, _ = flat.graph.order()
    for nid in reversed(order):
        if nid not in regions or nid == flat.image:
            continue
        for edge, region in _backward(flat, nid, regions[nid]):
            if region is None:  # this input cannot influence the cell (clipped away)
                continue
            regions[edge.src] = _union(regions.get(edge.src), region,
                                       flat.shape_out(edge.src))
    found = regions.get(flat.image)
    if found is None:
        return None
    h, w = flat.graph.node(flat.image).params["shape"][1:]
    return ((0, h - 1), (0, w - 1)) if found == ALL else found


def _cell_region(shape, cell):
    if len(shape) == 3:
        return ((cell[1], cell[1]), (cell[2], cell[2]))
    return ("flat", _ravel(cell, shape))


def _ravel(cell, shape) -> int:
    index = 0
    for c, n in zip(cell, shape):
        index = index * n + c
    return index


def _union(a, b, shape):
    if a is None:
        return b
    if a == ALL or b == ALL:
        return ALL
    if isinstance(a[0], str) or isinstance(b[0], str):  # two flat elements: a 2-element set
        a, b = _as_box(a, shape), _as_box(b, shape)
        if a == ALL or b == ALL or a == b:
            return a if a == b else ALL
    return tuple((min(x[0], y[0]), max(x[1], y[1])) for x, y in zip(a, b))


def _as_box(region, shape):
    if region == ALL or not isinstance(region[0], str):
        return region
    if shape is None or len(shape) != 3:
        return ALL
    _, h, w = shape
    rest = region[1] % (h * w)
    return ((rest // w, rest // w), (rest % w, rest % w))


def _backward(flat: _Flat, nid: str, region):
    """(incoming edge, region of its source's output) pairs for `region` of `nid`'s output."""
    node, p = flat.graph.node(nid), flat.graph.node(nid).params
    t = node.type_id
    for edge in flat.graph.edges_into(nid):
        if edge.dst_port == "indices":  # integer positions: nothing flows back through them
            continue
        shape_in = flat.analysis.edge_shapes.get(edge)
        if shape_in is None:
            continue
        yield edge, _back_one(flat, node, t, p, region, shape_in, edge)


def _back_one(flat, node, t, p, region, shape_in, edge):
    shape_out = flat.shape_out(node.id) or shape_in
    if region == ALL:
        return ALL
    if isinstance(region[0], str):  # one element of a non-image tensor
        if t in ("flatten", "reshape") or (_pointwise(node) and shape_in == shape_out):
            return _as_box(region, shape_in) if len(shape_in) == 3 else region
        if t == "concat":
            return _concat_flat(flat, node, region[1], shape_out, edge)
        return ALL
    if len(shape_in) != 3:
        return ALL
    if _pointwise(node):
        return region if shape_in == shape_out else ALL
    if t == "concat":
        return region if _concat_axis(node, shape_out) == 0 else ALL
    if t in ALONG_AXIS:
        return region if _concat_axis(node, shape_out) == 0 else ALL
    if t not in RESAMPLING:  # no rule for this layer: it may mix every pixel
        return ALL
    n_in = shape_in[1:]
    boxes = []
    for a, (lo, hi) in enumerate(region):
        boxes.append(_back_axis(t, p, a, lo, hi, n_in[a], shape_out[1 + a]))
    return None if None in boxes else tuple(boxes)


def _back_axis(t, p, a, lo, hi, n, m) -> Interval | None:
    if t in WINDOWED:
        k, s, d = p["kernel_size"][a], p["stride"][a], p.get("dilation", (1, 1))[a]
        pad = (d * (k - 1)) // 2 if p.get("padding_mode") == "same" else p["padding"][a]
        return _clip(lo * s - pad, hi * s - pad + d * (k - 1), n)
    if t in ("conv_transpose2d", "max_unpool2d"):
        k, s, pad, d = (p["kernel_size"][a], p["stride"][a], p["padding"][a],
                        p.get("dilation", (1, 1))[a])
        reads = [_reads(o, k, s, pad, d) for o in range(lo, hi + 1)]
        reads = [r for r in reads if r[1] >= r[0]]
        return _clip(min(r[0] for r in reads), max(r[1] for r in reads), n) if reads else None
    if t == "adaptive_avg_pool2d":
        return (lo * n // m, -(-(hi + 1) * n // m) - 1)
    if t == "global_avg_pool2d":
        return (0, n - 1)
    if t == "upsample":
        scale = float(p["scale_factor"])
        if p["mode"] == "nearest":
            return _clip(math.floor(lo / scale), math.floor(hi / scale), n)
        src = [max(0.0, (o + 0.5) / scale - 0.5) for o in (lo, hi)]
        return _clip(math.floor(src[0]), min(math.floor(src[1]) + 1, n - 1), n)
    return None


def _clip(lo: int, hi: int, n: int) -> Interval | None:
    lo, hi = max(lo, 0), min(hi, n - 1)
    return (lo, hi) if lo <= hi else None


def _concat_axis(node, shape_out) -> int:
    """The per-sample axis of a Concat / Softmax `dim` (torch counts the batch as 0)."""
    dim = node.params["dim"]
    return dim - 1 if dim > 0 else len(shape_out) + dim


def _concat_flat(flat, node, index: int, shape_out, edge):
    axis = _concat_axis(node, shape_out)
    cell = []
    for n in reversed(shape_out):
        cell.append(index % n)
        index //= n
    cell.reverse()
    at = cell[axis]
    for e in flat.graph.edges_into(node.id):
        size = flat.analysis.edge_shapes[e][axis]
        if at < size:
            if e != edge:
                return None
            cell[axis] = at
            shape = flat.analysis.edge_shapes[e]
            return _cell_region(shape, tuple(cell))
        at -= size
    return None
