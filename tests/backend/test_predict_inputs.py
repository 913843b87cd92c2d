"""A model with several Input nodes (masked_transformer_recall: tokens + mask) answers raw
samples: a test sample feeds its other inputs by name, a padding mask follows edited tokens,
and `netcanvas predict` takes NAME=FILE for each Input (backend/insight/predict.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from insight_support import MASKED_RECALL, trained_masked_recall_run
from netcanvas.backend.cli import main
from netcanvas.backend.data.matching import matched_test_inputs
from netcanvas.backend.insight.attention import attention_maps
from netcanvas.backend.insight.attribution import methods_for
from netcanvas.backend.insight.predict import PredictError, from_run, top_classes
from netcanvas.backend.runtime.predict import predict_test_split


@pytest.fixture(scope="module")
def recall(tmp_path_factory):
    return trained_masked_recall_run(tmp_path_factory.mktemp("runs"))


def test_a_test_sample_feeds_every_input_by_name(recall):
    run, data = recall
    predictor = from_run(run, several=True)
    assert predictor.input_names == ["tokens", "mask"]
    with pytest.raises(PredictError, match="inputs tokens, mask: give each one"):
        predictor.probabilities(torch.zeros(12))
    x, _ = predictor.test_samples(data)
    expected = predict_test_split(predictor.model, data)
    for i in (0, 5, len(x) - 1):
        predictor.use_sample(data, i)
        assert np.allclose(predictor.probabilities(x[i])[0].numpy(), expected[i], atol=1e-6)


def test_the_mask_follows_edited_tokens(recall):
    run, data = recall
    predictor = from_run(run, several=True)
    predictor.use_sample(data, 0)
    x, _ = predictor.test_samples(data)
    padded = int((x[:, -1] == 0).nonzero()[0, 0])  # a sample with padding at its end
    predictor.use_sample(data, padded)
    tokens = x[padded].clone()
    tokens[-1] = tokens[0]  # the query again, in a step the sample's mask calls padding
    module = predictor.model.module.eval()
    with torch.inference_mode():
        as_fed = torch.softmax(module(tokens[None], (tokens != 0).float()[None]), -1)
        stale = torch.softmax(module(tokens[None], matched_test_inputs(data, predictor.model)
                                     [1][padded:padded + 1]), -1)
    assert torch.allclose(predictor.probabilities(tokens), as_fed, atol=1e-6)
    assert not torch.allclose(as_fed, stale, atol=1e-4)  # the mask matters here
    maps = attention_maps(predictor, tokens)
    assert maps and maps[0].weights.shape[1:] == (12, 12)
    assert methods_for(predictor) == ("occlusion",)  # no gradient reaches token ids


def _csvs(tmp_path, data, predictor, rows):
    tokens, mask = (t[rows].numpy() for t in matched_test_inputs(data, predictor.model))
    paths = tmp_path / "tokens.csv", tmp_path / "mask.csv"
    for path, values in zip(paths, (tokens, mask)):
        np.savetxt(path, values, fmt="%d", delimiter=",")
    return paths


def test_predict_cli_takes_a_file_per_named_input(recall, tmp_path, capsys):
    run, data = recall
    predictor = from_run(run, several=True)
    tokens, mask = _csvs(tmp_path, data, predictor, slice(0, 3))
    assert main(["predict", str(MASKED_RECALL), "--weights", str(run.checkpoint_dir),
                 f"mask={mask}", f"tokens={tokens}", "--top", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    expected = predict_test_split(predictor.model, data)[:3]
    assert len(lines) == 3
    for i, (line, probs) in enumerate(zip(lines, expected)):
        ((name, p),) = top_classes(torch.from_numpy(probs), predictor.class_names, 1)
        assert line.split() == ["tokens.csv", "row", str(i + 1), name, f"{p:.1%}"]


@pytest.mark.parametrize("inputs, reason", [
    (["tokns={t}", "mask={m}"],
     "tokns={t}: the model has no Input named 'tokns'; its inputs: tokens, mask"),
    (["tokens={t}"], "no file for input mask: give NAME=FILE for each of tokens, mask"),
    (["{t}"], "{t}: the model has inputs tokens, mask: give NAME=FILE for each"),
    (["tokens={t}", "mask={short}"], "input mask has 2 samples, tokens has 3"),
])
def test_bad_named_inputs_are_one_line_and_exit_2(recall, tmp_path, capsys, inputs, reason):
    run, data = recall
    tokens, mask = _csvs(tmp_path, data, from_run(run, several=True), slice(0, 3))
    short = tmp_path / "short.csv"
    short.write_text("\n".join(mask.read_text().splitlines()[:2]))
    names = {"t": tokens, "m": mask, "short": short}
    argv = [a.format(**names) for a in inputs]
    assert main(["predict", str(MASKED_RECALL), "--weights", str(run.checkpoint_dir),
                 *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert reason.format(**names) in err


@pytest.mark.slow
def test_predict_cli_normalises_a_second_frame_as_the_first(tmp_path, capsys):
    from insight_support import EXAMPLES, trained_run
    from netcanvas.backend.runtime.predict import predict
    from PIL import Image

    project = EXAMPLES / "two_stream.netcanvas"
    run, data = trained_run(tmp_path, project, 1)
    predictor = from_run(run, checked=False)
    mean, std = data.mean.reshape(1, -1, 1, 1), data.std.reshape(1, -1, 1, 1)
    frames, argv = [], []
    for name, x in zip(predictor.input_names, matched_test_inputs(data, predictor.model)):
        pixels = ((x[:1] * std + mean)[0, 0].numpy() * 255).round().clip(0, 255)
        path = tmp_path / f"{name}.png"
        Image.fromarray(pixels.astype(np.uint8)).save(path)
        frames.append((torch.from_numpy(pixels / 255).float()[None, None] - mean) / std)
        argv.append(f"{name}={path}")
    assert main(["predict", str(project), "--weights", str(run.checkpoint_dir), *argv]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("frame1.png: ")
    printed = np.array([float(v) for v in line.split(": ", 1)[1].split(", ")])
    flow = predict(predictor.model, tuple(frames), "cpu")
    assert np.allclose(printed, flow.reshape(-1).numpy(), rtol=1e-3, atol=1e-4)  # 4 digits
