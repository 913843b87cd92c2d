"""The bundled examples: they load, pass the analysis, match the published parameter
counts, agree with torch, and are what tools/make_examples.py writes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from netcanvas.backend.project_io import load_project
from netcanvas.backend.shapes import analyze

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"
NAMES = ("linear_regression", "mlp_moons", "lenet_digits", "residual_cnn", "inception_block",
         "two_stream", "segmentation_unpool", "localisation", "colourise", "vgg16", "resnet18",
         "backprop_circuit", "deep_sigmoid", "deep_relu_bn", "lstm_digit_rows", "vit_digits",
         "transformer_recall", "mlp_recall", "masked_transformer_recall", "gru_forecast",
         "dilated_vs_plain")
PUBLISHED_PARAMS = {"vgg16": 138_357_544, "resnet18": 11_689_512}


def make_examples():
    spec = importlib.util.spec_from_file_location("make_examples", ROOT / "tools" /
                                                  "make_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_example_is_listed():
    assert sorted(p.stem for p in EXAMPLES.glob("*.netcanvas")) == sorted(NAMES)
    assert tuple(make_examples().BUILDERS) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_example_loads_and_checks(name):
    project = load_project(EXAMPLES / f"{name}.netcanvas")
    analysis = analyze(project.graph)
    assert analysis.ok, analysis.problems
    assert analysis.problems == []
    assert project.description
    positions = [n.position for n in project.graph.nodes.values()]
    for i, (x, y) in enumerate(positions):  # cards (152 x <= 117) apart, room for labels
        for u, v in positions[:i]:
            assert abs(x - u) >= 152 + 60 or abs(y - v) >= 125, "cards overlap"
    # Rows read left to right: a wire goes to a later column or back to a lower row's start.
    for e in project.graph.edges:
        (x0, y0), (x1, y1) = (project.graph.nodes[n].position for n in (e.src, e.dst))
        assert x0 < x1 or (x1 == 0 and y1 > y0)
    width = max(x for x, _ in positions) + 152
    assert width <= 7 * 220, "rows wrap instead of running off the screen"


@pytest.mark.parametrize("name", sorted(PUBLISHED_PARAMS))
def test_imagenet_models_match_published_parameter_counts(name):
    graph = load_project(EXAMPLES / f"{name}.netcanvas").graph
    analysis = analyze(graph)
    assert analysis.total_params == PUBLISHED_PARAMS[name]
    logits = graph.by_name("logits")
    assert analysis.nodes[logits.id].output_shapes["y"] == (1000,)


def test_examples_are_up_to_date(tmp_path):
    make_examples().main([str(tmp_path)])
    for name in NAMES:
        assert (tmp_path / f"{name}.netcanvas").read_bytes() == \
            (EXAMPLES / f"{name}.netcanvas").read_bytes(), f"run tools/make_examples.py ({name})"


@pytest.mark.parametrize("name", NAMES)
def test_analysis_agrees_with_torch(name):
    """Parameter counts and output shapes from the pure-Python analysis match the
    compiled module (the big ImageNet models skip the forward pass to stay fast)."""
    torch = pytest.importorskip("torch")
    from netcanvas.backend.compiler import compile_graph

    graph = load_project(EXAMPLES / f"{name}.netcanvas").graph
    analysis = analyze(graph)
    model = compile_graph(graph)
    assert sum(p.numel() for p in model.module.parameters()) == analysis.total_params
    if name in PUBLISHED_PARAMS:
        return
    model.module.eval()
    batch = 3 if model.input_names else 1  # a circuit of Constants is one sample
    with torch.no_grad():
        out = model.module(*model.example_inputs(batch=batch))
    outs = out if isinstance(out, tuple) else (out,)
    expected = [analysis.nodes[graph.by_name(n).id].output_shapes["y"]
                for n in model.output_names]
    assert [tuple(o.shape) for o in outs] == [(batch, *s) for s in expected]


def test_the_first_example_opens_with_no_finding():
    from netcanvas.backend.doctor import lint

    project = load_project(EXAMPLES / "lenet_digits.netcanvas")
    assert lint(project, analyze(project.graph)) == []
