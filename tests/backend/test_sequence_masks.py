"""Variable-length sequences padded with masks: the recall dataset and the user's NPZ give
the padding mask as a second named input, masked_transformer_recall wires it to the
attention's key_mask and SequencePool's mask, and then padded tokens change nothing, in
PyTorch and in the exported ONNX file alike."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from netcanvas.backend.blocks.definition import BlockSet
from netcanvas.backend.blocks.inside import new_instance
from netcanvas.backend.blocks.library import add_builtin
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.data import DatasetError, load_dataset
from netcanvas.backend.data.sequences import PAD
from netcanvas.backend.export import export_onnx
from netcanvas.backend.graph import Graph
from netcanvas.backend.project import DatasetConfig
from netcanvas.backend.project_io import load_project
from netcanvas.backend.runtime.predict import predict_test_split
from netcanvas.backend.shapes import analyze

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / \
    "masked_transformer_recall.netcanvas"
VOCABULARY = 16


def recall(n: int = 300) -> tuple[torch.Tensor, torch.Tensor]:
    """Test tokens and masks of the recall task (length 12)."""
    data = load_dataset(DatasetConfig(name="recall", options={"n_samples": n}))
    tokens, mask = data.test.xs()
    return tokens, mask


def padding_changed(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """`tokens` with every padded step replaced by a random symbol."""
    noise = torch.randint(1, VOCABULARY + 1, tokens.shape, generator=torch.Generator()
                          .manual_seed(1)).float()
    return torch.where(mask > 0.5, tokens, noise)


def example_model():
    torch.manual_seed(0)
    model = compile_graph(load_project(EXAMPLE).graph)
    model.module.eval()
    return model


def test_recall_gives_the_padding_mask_as_a_second_input():
    data = load_dataset(DatasetConfig(name="recall", options={"n_samples": 200}))
    assert data.inputs == ["tokens", "mask"]
    tokens, mask = data.train.xs()
    assert torch.equal(mask, (tokens != PAD).float())  # 1 at real steps, never normalised
    assert mask.sum(1).min() >= 6 and (mask == 0).any()  # lengths vary, padded to 12


def test_padded_tokens_do_not_change_the_logits():
    model = example_model()
    tokens, mask = recall()
    with torch.no_grad():
        logits = model.module(tokens, mask)
        padded = model.module(padding_changed(tokens, mask), mask)
        unmasked = model.module(tokens, torch.ones_like(mask))
    assert torch.equal(padded, logits)
    assert not torch.allclose(unmasked, logits, atol=1e-3)  # the mask is what hides them


@pytest.mark.onnx
def test_onnx_export_with_the_mask_input_agrees_with_onnx_runtime(tmp_path):
    import onnxruntime as ort

    model = example_model()
    report = export_onnx(model, tmp_path / "recall.onnx")
    assert report.rel_diff < 1e-5
    session = ort.InferenceSession(str(tmp_path / "recall.onnx"),
                                   providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["tokens", "mask"]
    tokens, mask = recall()
    with torch.no_grad():
        want = model.module(tokens, mask).numpy()
    for t in (tokens, padding_changed(tokens, mask)):
        (got,) = session.run(None, {"tokens": t.numpy(), "mask": mask.numpy()})
        assert np.abs(got - want).max() / np.abs(want).max() < 1e-5


@pytest.mark.onnx
def test_a_file_with_the_normalisation_baked_in_leaves_the_mask_raw(tmp_path):
    import onnxruntime as ort

    model = example_model()
    export_onnx(model, tmp_path / "raw.onnx", normalization=([5.0], [2.0], (12,)))
    tokens, mask = recall()
    with torch.no_grad():
        want = model.module((tokens - 5.0) / 2.0, mask).numpy()
    session = ort.InferenceSession(str(tmp_path / "raw.onnx"),
                                   providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"tokens": tokens.numpy(), "mask": mask.numpy()})
    assert np.abs(got - want).max() / np.abs(want).max() < 1e-5


def test_the_masked_encoder_takes_the_mask_but_not_repeat():
    blocks = BlockSet()
    add_builtin(blocks, "MaskedTransformerEncoder")
    g = Graph(blocks=blocks)
    encoder = g.add_node(new_instance(g, "MaskedTransformerEncoder", "encoder", d_model=32,
                                      heads=4, mlp_dim=64))
    g.connect(g.add("input", "x", shape=(10, 32)), encoder, dst_port="x")
    g.connect(g.add("input", "mask", shape=(10,)), encoder, dst_port="mask")
    g.connect(encoder, g.add("output", "y", loss="none"))
    assert analyze(g).ok
    encoder.params["repeat"] = 2
    assert "repeats only with one input and one output" in analyze(g).problems[0].message


@pytest.mark.parametrize("example", ["masked_transformer_recall", "transformer_recall"])
def test_the_test_split_is_predicted_with_each_input_by_name(example):
    torch.manual_seed(0)
    model = compile_graph(load_project(EXAMPLE.with_stem(example)).graph)
    data = load_dataset(DatasetConfig(name="recall", options={"n_samples": 300}))
    probs = predict_test_split(model, data)  # one Input (tokens) or two (tokens, mask)
    assert probs.shape == (len(data.test), 2) and np.allclose(probs.sum(1), 1, atol=1e-5)


def npz(path: Path, **arrays) -> DatasetConfig:
    np.savez(path, **arrays)
    return DatasetConfig(name="npz", path=str(path))


def test_your_own_npz_sequences_come_with_their_mask(tmp_path):
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 9, 60)
    mask = (np.arange(8)[None] < lengths[:, None]).astype(np.float32)
    x = rng.normal(5.0, 2.0, (60, 8, 3)) * mask[:, :, None]
    data = load_dataset(npz(tmp_path / "seq.npz", input_x=x, input_mask=mask,
                            class_label=(lengths > 5).astype(np.int64)))
    assert data.sample_shape == (8, 3)  # a sequence (N, T, F), not grey images (N, 1, H, W)
    train_x, train_mask = data.train.xs()
    assert abs(float(train_x.mean())) < 0.5  # the values are normalised, the mask is not
    assert set(train_mask.unique().tolist()) == {0.0, 1.0}


@pytest.mark.parametrize("mask, message", [
    (np.full((60, 8), 2.0), "input 'mask' is a padding mask .* found 2"),
    (np.ones((60, 8, 1)), r"input 'mask' is a padding mask .* must be \(N, T\)")])
def test_a_mask_that_is_not_zeros_and_ones_is_refused_by_name(tmp_path, mask, message):
    config = npz(tmp_path / "bad.npz", input_x=np.zeros((60, 8, 3)), input_mask=mask,
                 class_label=np.arange(60) % 2)
    with pytest.raises(DatasetError, match=message):
        load_dataset(config)
