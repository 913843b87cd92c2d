"""Receptive fields computed from the declarations agree exactly with the support of the
input gradient of one output cell, for every node of every example with an image input."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
import torch
from netcanvas.backend import receptive
from netcanvas.backend.blocks.expand import flatten
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.graph import Edge, Graph, Node, new_id
from netcanvas.backend.project import Project
from netcanvas.backend.project_io import load_project
from netcanvas.backend.shapes import analyze

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
SPATIAL = ("lenet_digits", "residual_cnn", "inception_block", "two_stream",
           "segmentation_unpool", "dilated_vs_plain", "deep_sigmoid", "deep_relu_bn",
           "vit_digits", "vgg16", "resnet18", "localisation", "colourise")
# Token sequences (a ViT's patches after permute/reshape) are not followed per position: the
# box is the whole image, which contains the gradient but is not its extent.
CONTAINMENT_ONLY = ("vit_digits",)
SMALL = 40  # the 224-pixel examples are checked at this size: same layers, quicker
# Where the gradient cannot fill the box, by construction: a max-unpool passes a value only
# where the pool's maximum was, and one element of a vector after a max-pool comes from one
# channel, whose maximum sits at one pixel of each window (image nodes sum their channels).
UNPOOL, MAX_POOL = "max_unpool2d", "max_pool2d"


def _small(project: Project) -> Project:
    for node in project.graph.nodes.values():
        if node.type_id == "input" and len(node.params["shape"]) == 3:
            c, h, w = node.params["shape"]
            project.graph.set_param(node.id, "shape", (c, min(h, SMALL), min(w, SMALL)))
    return project


def _support(grad: torch.Tensor):
    """(rows, columns) of the nonzero entries of a (1, C, H, W) gradient; None if none."""
    mask = grad[0].abs().sum(0) != 0
    rows, cols = mask.any(1).nonzero().flatten(), mask.any(0).nonzero().flatten()
    if not len(rows):
        return None
    return (int(rows[0]), int(rows[-1])), (int(cols[0]), int(cols[-1]))


def _hull(a, b):
    if a is None or b is None:
        return a or b
    return tuple((min(x[0], y[0]), max(x[1], y[1])) for x, y in zip(a, b))


def _keeper(seen: dict, name: str):
    def hook(_module, _args, out):
        seen[name] = out[0] if isinstance(out, tuple) else out
    return hook


def _gradient_boxes(flat: Project, image: str, inputs: list[torch.Tensor]):
    """Per flat node name: hull of the nonzero input-gradient entries of its centre cell,
    over the given input batches (one forward each, one backward per node)."""
    torch.manual_seed(0)
    model = compile_graph(flat.graph)
    net = model.module.double().eval()
    modules = dict(net.named_children())
    boxes: dict[str, object] = {}
    for x in inputs:
        seen: dict[str, torch.Tensor] = {}

        hooks = [m.register_forward_hook(_keeper(seen, name)) for name, m in modules.items()]
        feeds = []
        for name, shape in zip(model.input_names, model.input_shapes):
            t = (x if name == image else torch.randn(1, *shape, dtype=torch.float64))
            feeds.append(t.clone().requires_grad_(name == image))
        net(*feeds)
        for h in hooks:
            h.remove()
        source = feeds[model.input_names.index(image)]
        for name, out in seen.items():
            if not out.is_floating_point() or not out.requires_grad:
                boxes.setdefault(name, None)
                continue
            cell = tuple(n // 2 for n in out.shape[1:])
            # an image node: every channel at the centre position (one dead ReLU unit
            # must not hide the field all channels share)
            value = out[0, :, cell[1], cell[2]].sum() if out.dim() == 4 else out[(0, *cell)]
            (grad,) = torch.autograd.grad(value, source, retain_graph=True,
                                          allow_unused=True)
            boxes[name] = _hull(boxes.get(name), None if grad is None else _support(grad))
    return boxes


def _checks(name: str):
    project = _small(load_project(EXAMPLES / f"{name}.netcanvas"))
    flat = flatten(project)
    for image in receptive.image_inputs(flat):
        shape = next(n.params["shape"] for n in flat.graph.nodes.values() if n.name == image)
        ones = [torch.ones(1, *shape, dtype=torch.float64)]
        gen = torch.Generator().manual_seed(1)
        noise = [torch.randn(1, *shape, generator=gen, dtype=torch.float64) for _ in range(4)]
        yield flat, image, _gradient_boxes(flat, image, ones), _gradient_boxes(flat, image, noise)


def _downstream_of(graph: Graph, type_id: str) -> set[str]:
    order, _ = graph.order()
    below: set[str] = set()
    for nid in order:
        if graph.node(nid).type_id == type_id or any(e.src in below for e in graph.edges_into(nid)):
            below.add(nid)
    return below


@pytest.mark.slow
@pytest.mark.parametrize("name", SPATIAL)
def test_box_matches_the_input_gradient_of_the_centre_cell(name):
    checked = tight = 0
    for flat, image, ones, noise in _checks(name):
        untight = _downstream_of(flat.graph, UNPOOL)
        after_max = _downstream_of(flat.graph, MAX_POOL)
        analysis = analyze(flat.graph)
        for node in flat.graph.nodes.values():
            if node.name not in ones:
                continue
            out = next(iter(analysis.nodes[node.id].output_shapes.values()))
            cell = tuple(n // 2 for n in out)  # as _gradient_boxes picks it
            box = receptive.input_box(flat, node.id, cell, image=image)
            for seen in (ones[node.name], noise[node.name]):
                if seen is None:
                    continue
                assert box is not None, f"{name}/{node.name}: gradient reaches {image}"
                for (lo, hi), (a, b) in zip(box, seen):  # contains every nonzero gradient
                    assert lo <= a and b <= hi, f"{name}/{node.name}: {box} misses {seen}"
            # a unit dead on every input (a ReLU) sees nothing: degenerate, not checked
            if name not in CONTAINMENT_ONLY and node.id not in untight and (
                    len(out) == 3 or node.id not in after_max) and noise[node.name] is not None:
                assert noise[node.name] == box, f"{name}/{node.name}: {box} is not tight"
                tight += 1
            checked += 1
    assert checked >= 5 and (tight >= 3 or name in CONTAINMENT_ONLY)


@pytest.mark.parametrize("name", ("lenet_digits", "residual_cnn", "inception_block", "vgg16",
                                  "resnet18"))
def test_closed_form_is_the_exact_box_away_from_the_border(name):
    """size / jump / offset place the box of cell i at offset + i * jump, size wide."""
    project = load_project(EXAMPLES / f"{name}.netcanvas")
    analysis = analyze(project.graph)
    h, w = next(n.params["shape"][1:] for n in project.graph.nodes.values()
                if n.type_id == "input")
    checked = 0
    for nid, field in receptive.fields(project).items():
        out = next(iter(analysis.nodes[nid].output_shapes.values()), None)
        if field is None or field.whole or out is None or len(out) != 3:
            continue
        i = out[1] // 2
        box = receptive.input_box(project, nid, (0, i, i))
        expect = []
        for a, n in enumerate((h, w)):
            lo = field.offset[a] + i * field.jump[a]
            expect.append((max(int(lo), 0), min(int(lo) + field.size[a] - 1, n - 1)))
        assert box == tuple(expect), project.graph.node(nid).name
        checked += 1
    assert checked >= 3


def test_dilation_and_transposed_convolution_fields():
    """3 dilated 3×3 convs (dilation 1, 2, 4) see 15 pixels; a stride-2 transposed conv
    halves the jump."""
    graph = Graph()
    x = Node(new_id(), "input", "image", {"shape": (1, 32, 32)}, (0, 0))
    graph.add_node(x)
    prev = x
    for i, d in enumerate((1, 2, 4)):
        conv = Node(new_id(), "conv2d", f"conv{i}", {"out_channels": 2, "dilation": (d, d),
                                                      "padding": (d, d)}, (0, 0))
        graph.add_node(conv)
        graph.add_edge(Edge(prev.id, "y", conv.id, "x"))
        prev = conv
    up = Node(new_id(), "conv_transpose2d", "up", {"out_channels": 2}, (0, 0))
    graph.add_node(up)
    graph.add_edge(Edge(prev.id, "y", up.id, "x"))
    project = Project(graph=graph)
    fields = receptive.fields(project)
    assert fields[prev.id].size == (15, 15) and fields[prev.id].jump == (1, 1)
    assert fields[prev.id].offset == (-7, -7)
    assert fields[up.id].jump == (Fraction(1, 2), Fraction(1, 2))
    assert receptive.input_box(project, prev.id, (0, 16, 16)) == ((9, 23), (9, 23))
    assert receptive.input_box(project, up.id, (0, 33, 33)) == ((9, 23), (9, 23))


def test_a_project_without_an_image_input_is_refused():
    project = load_project(EXAMPLES / "mlp_moons.netcanvas")
    with pytest.raises(receptive.NotSpatial, match="image input"):
        receptive.fields(project)


def test_dilated_lesson_same_parameters_wider_field():
    project = load_project(EXAMPLES / "dilated_vs_plain.netcanvas")
    analysis = analyze(project.graph)
    fields = receptive.fields(project)
    by_name = {n.name: n.id for n in project.graph.nodes.values()}
    params = {k: sum(analysis.nodes[by_name[f"{k}{i}"]].params for i in (1, 2, 3))
              for k in ("plain", "dilated")}
    assert params["plain"] == params["dilated"]
    assert fields[by_name["plain3"]].size == (7, 7)
    assert fields[by_name["dilated3"]].size == (15, 15)


def test_effective_field_lies_in_the_box():
    from netcanvas.backend.insight.effective_field import effective_field
    project = load_project(EXAMPLES / "lenet_digits.netcanvas")
    conv2 = project.graph.by_name("conv2")
    found = effective_field(project, conv2.id, (1, 1))
    assert found.box == ((0, 6), (0, 6)) and found.output.shape == (4, 4)
    rows, cols = found.heat.nonzero()
    assert rows.min() >= 0 and rows.max() <= 6 and cols.max() <= 6 and found.heat.sum() > 0
    with pytest.raises(ValueError, match="outside conv2's 4×4 map"):
        effective_field(project, conv2.id, (4, 0))
    with pytest.raises(ValueError, match="not an image map"):
        effective_field(project, project.graph.by_name("fc1").id)


def test_every_example_with_an_image_input_is_checked():
    stems = {p.stem for p in EXAMPLES.glob("*.netcanvas")
             if receptive.image_inputs(load_project(p))}
    assert stems == set(SPATIAL)
