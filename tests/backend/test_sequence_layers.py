"""The sequence and attention layers against torch's own modules, their optional and
discrete ports, ONNX within 1e-5, and the transformer blocks."""

from __future__ import annotations

import pytest
import torch
from netcanvas.backend.blocks.definition import BlockSet
from netcanvas.backend.blocks.inside import new_instance
from netcanvas.backend.blocks.library import add_builtin
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.export import export_onnx
from netcanvas.backend.graph import Graph
from netcanvas.backend.registry import get
from netcanvas.backend.shapes import analyze
from test_export_layers import layer_graph

torch.set_num_threads(2)
SEQUENCE_LAYERS = ["embedding", "lstm", "gru", "positional_encoding", "class_token",
                   "patch_embedding", "sequence_pool", "multihead_attention"]


def build(type_id: str, inputs: dict, **params):
    spec = get(type_id)
    params = spec.validate_params(params)
    return spec.build(params, inputs), spec.infer_shape(params, inputs)


@pytest.mark.parametrize("type_id, cls", [("lstm", torch.nn.LSTM), ("gru", torch.nn.GRU)])
def test_recurrent_layers_are_torch_modules_with_the_final_state_as_a_port(type_id, cls):
    module, shapes = build(type_id, {"x": (7, 5)}, hidden_size=6, num_layers=2,
                           bidirectional=True)
    assert shapes == {"y": (7, 12), "h": (12,)}
    reference = cls(5, 6, num_layers=2, bidirectional=True, batch_first=True)
    reference.load_state_dict(module.state_dict())  # the same parameter names
    x = torch.randn(3, 7, 5)
    y, h = module(x)
    want, state = reference(x)
    final = (state[0] if type_id == "lstm" else state)[-2:]  # last layer, both directions
    assert torch.allclose(y, want, atol=1e-6)
    assert torch.allclose(h, torch.cat([final[0], final[1]], dim=1), atol=1e-6)
    assert torch.allclose(h[:, :6], y[:, -1, :6], atol=1e-6)  # forward direction ends last


def test_attention_is_torch_multihead_attention_with_masks_and_per_head_weights():
    module, shapes = build("multihead_attention", {"x": (5, 8), "key_mask": (5,)},
                           num_heads=2, causal=True)
    assert shapes == {"y": (5, 8), "weights": (2, 5, 5)}
    reference = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    reference.load_state_dict(module.state_dict())
    x = torch.randn(3, 5, 8)
    mask = torch.ones(3, 5)
    mask[:, 3:] = 0  # padding at the end
    y, weights = module(x, key_mask=mask)
    causal = torch.ones(5, 5, dtype=torch.bool).triu(1)
    want, want_weights = reference(x, x, x, key_padding_mask=mask == 0, attn_mask=causal,
                                   average_attn_weights=False)
    assert torch.allclose(y, want, atol=1e-5)
    assert torch.allclose(weights, want_weights, atol=1e-6)
    assert torch.allclose(weights.sum(-1), torch.ones(3, 2, 5))
    assert (weights[..., 3:] == 0).all()  # nothing looks at padding


def test_cross_attention_reads_the_context():
    module, shapes = build("multihead_attention", {"x": (4, 8), "context": (6, 8)})
    assert shapes == {"y": (4, 8), "weights": (2, 4, 6)}
    reference = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    reference.load_state_dict(module.state_dict())
    x, context = torch.randn(3, 4, 8), torch.randn(3, 6, 8)
    assert torch.allclose(module(x, context)[0], reference(x, context, context)[0], atol=1e-5)


@pytest.mark.parametrize("inputs, message", [
    ({"x": (5, 6)}, "divisible by num_heads"),
    ({"x": (5, 8), "context": (3, 4)}, "context must have the query's 8 features"),
    ({"x": (5, 8), "key_mask": (4,)}, "key_mask must be (N, 5)"),
    ({"x": (8,)}, "expects a sequence (N, T, F)"),
])
def test_attention_shape_errors_say_what_to_fix(inputs, message):
    spec = get("multihead_attention")
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        spec.infer_shape(spec.validate_params({"num_heads": 4}), inputs)


def test_embedding_reads_float_ids_and_keeps_padding_zero():
    module, shapes = build("embedding", {"x": (4,)}, num_embeddings=5, embedding_dim=3,
                           padding_idx=0)
    assert shapes == {"y": (4, 3)}
    y = module(torch.tensor([[0.0, 1.0, 4.0, 9.0]]))
    assert torch.equal(y[0, 0], torch.zeros(3))
    assert torch.equal(y[0, 3], module.weight[4])  # out of range: clamped to the last id
    with pytest.raises(ValueError, match="padding_idx 7 is not one of the 5"):
        get("embedding").infer_shape(get("embedding").validate_params(
            {"num_embeddings": 5, "padding_idx": 7}), {"x": (4,)})


@pytest.mark.parametrize("mode, want", [("mean", [2.0]), ("max", [3.0]), ("last", [3.0]),
                                        ("first", [1.0])])
def test_sequence_pool_skips_padding(mode, want):
    module, _ = build("sequence_pool", {"x": (4, 1), "mask": (4,)}, mode=mode)
    x = torch.tensor([[[1.0], [2.0], [3.0], [50.0]]])
    assert module(x, torch.tensor([[1.0, 1.0, 1.0, 0.0]])).tolist() == [want]


def test_sinusoidal_positions_are_fixed_and_learned_ones_train():
    fixed, _ = build("positional_encoding", {"x": (6, 5)}, kind="sinusoidal")
    assert not list(fixed.parameters())
    assert fixed(torch.zeros(1, 6, 5))[0, 0].tolist() == [0.0, 1.0, 0.0, 1.0, 0.0]
    learned, _ = build("positional_encoding", {"x": (6, 5)})
    assert [p.shape for p in learned.parameters()] == [(1, 6, 5)]


def test_patch_embedding_and_class_token_make_vit_tokens():
    patches, shapes = build("patch_embedding", {"x": (1, 8, 8)}, patch_size=(2, 2), embed_dim=4)
    assert shapes == {"y": (16, 4)}
    image = torch.zeros(1, 1, 8, 8)
    image[0, 0, 0, 2:4] = 1.0  # inside the second patch of the first row
    tokens = patches(image)
    moved = (tokens - patches.proj.bias).abs().sum(-1)[0]
    assert moved.nonzero().flatten().tolist() == [1]
    token, shapes = build("class_token", {"x": (16, 4)})
    assert shapes == {"y": (17, 4)} and token(tokens).shape == (1, 17, 4)
    with pytest.raises(ValueError, match="do not tile a 8x8 image"):
        get("patch_embedding").infer_shape(get("patch_embedding").validate_params(
            {"patch_size": (3, 3)}), {"x": (1, 8, 8)})


def self_attention_graph() -> Graph:
    g = Graph()
    attn = g.add("multihead_attention", "attn", num_heads=2)
    g.connect(g.add("input", "x", shape=(5, 8)), attn)
    g.connect(attn, g.add("output", "out_y", loss="none"), "y", "x")
    g.connect(attn, g.add("output", "out_weights", loss="none"), "weights", "x")
    return g


def test_an_unwired_optional_port_is_no_error_and_a_wired_one_is_passed_by_name():
    g = self_attention_graph()
    assert not [p for p in analyze(g).problems if p.severity == "error"]
    assert "attn = self.attn(x)" in compile_graph(g).module.code
    code = compile_graph(layer_graph("multihead_attention")).module.code
    assert "self.layer(x0, context = context0, key_mask = key_mask0)" in code


@pytest.mark.onnx
@pytest.mark.parametrize("type_id", SEQUENCE_LAYERS + ["self_attention"])
def test_onnx_runtime_agrees_within_1e_5(type_id, tmp_path):
    graph = self_attention_graph() if type_id == "self_attention" else layer_graph(type_id)
    report = export_onnx(compile_graph(graph), tmp_path / "layer.onnx")
    assert report.rel_diff < 1e-5, f"{type_id}: {report.rel_diff:g}"


@pytest.mark.onnx
@pytest.mark.parametrize("block", ["TransformerEncoder", "TransformerEncoderPostNorm"])
def test_transformer_encoder_blocks_stack_with_repeat(block, tmp_path):
    blocks = BlockSet()
    add_builtin(blocks, block)
    add_builtin(blocks, "ViTStem")
    g = Graph(blocks=blocks)
    stem = g.add_node(new_instance(g, "ViTStem", "stem", d_model=32))
    g.connect(g.add("input", "image", shape=(1, 8, 8)), stem)
    encoder = g.add_node(new_instance(g, block, "encoder", repeat=3, d_model=32, heads=4,
                                      mlp_dim=64))
    g.connect(stem, encoder)
    g.connect(encoder, g.add("output", "tokens", loss="none"))
    analysis = analyze(g)
    assert analysis.nodes[encoder.id].output_shapes == {"y": (17, 32)}
    per_layer = 4 * 32 * 32 + 4 * 32 + 2 * 32 * 64 + 64 + 32 + 4 * 32  # attn, mlp, 2 norms
    assert analysis.nodes[encoder.id].params == 3 * per_layer
    model = compile_graph(g)
    assert len(model.module.encoder) == 3
    assert export_onnx(model, tmp_path / "vit.onnx").rel_diff < 1e-5


def test_attention_maps_of_one_sample_leave_the_model_as_it_was():
    from netcanvas.backend.insight.attention import attention_maps, patch_grid
    from netcanvas.backend.insight.predict import Predictor
    from netcanvas.backend.runs import DataInfo

    g = Graph()
    attn = g.add("multihead_attention", "attn", num_heads=2)
    g.connect(g.add("input", "x", shape=(5, 8)), attn)
    g.connect(attn, g.add("output", "out", loss="none"))  # weights unwired: y alone
    model = compile_graph(g)
    predictor = Predictor(model, DataInfo(input_scale=1.0), "test", None)
    x = torch.randn(5, 8)
    before = predictor.outputs(x)
    (found,) = attention_maps(predictor, x)
    assert found.layer == "attn" and found.weights.shape == (2, 5, 5)
    assert found.weights.sum(-1) == pytest.approx(1.0, abs=1e-5)
    assert model.module.attn.return_weights is False and not model.module.attn._forward_hooks
    assert torch.equal(predictor.outputs(x), before)
    assert patch_grid(predictor) is None  # not an image model
