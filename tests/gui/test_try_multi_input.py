"""Try it on models with several Input nodes (app/training/try_tab.py): the masked recall
transformer (tokens + mask) answers edited tokens with its mask following them, the picked
test sample feeding the rest, and shows its attention; the two-stream flow model takes a
drawn first frame with the second from the picked sample."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from netcanvas.app.training.try_tab import TryTab

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))
from insight_support import EXAMPLES, trained_masked_recall_run, trained_run
from test_try_tab import open_tab

SHOTS = Path(os.environ.get("NETCANVAS_SHOTS", "/tmp/netcanvas-shots"))
SIZE = (1200, 600)
WAIT_MS = 30_000  # an upper bound on a loaded 2-core machine, not a timing assert


def test_the_masked_recall_transformer_answers_edited_tokens(qtbot, tmp_path):
    from netcanvas.backend.runtime.predict import predict_test_split

    run, data = trained_masked_recall_run(tmp_path)
    tab = open_tab(qtbot, run, data, SIZE)
    assert tab.predictor is not None, tab.note.text()
    assert "input tokens; mask follows tokens (padding where it is 0)" in tab.source.text()
    editor = tab.vector
    assert tab.editor.currentWidget() is editor and len(editor.spins) == 12
    assert editor.spins[0].decimals() == 0  # token ids step by 1
    expected = predict_test_split(tab.predictor.model, data)
    tab.use_sample(4)
    assert tab.note.text().startswith("Test sample 4: true class ")
    qtbot.waitUntil(lambda: _shows(tab, expected[4]), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: bool(tab.attention.maps), timeout=WAIT_MS)
    assert tab.attention.maps[0].weights.shape[1:] == (12, 12)
    last = next(i for i in range(12) if editor.spins[i].value() == 0)  # the first padding
    before = tab.attention.maps[0].weights
    assert before[:, :, last].max() == 0  # a padding step gets no attention
    editor.spins[last].setValue(editor.spins[0].value())  # the query again, in the padding
    tokens = tab.input.copy()
    assert tokens[last] == tokens[0]
    fed = tab.predictor.probabilities(tokens)[0].numpy()  # the mask derived from the tokens
    qtbot.waitUntil(lambda: _shows(tab, fed), timeout=WAIT_MS)
    assert tab.attention.maps[0].weights[:, :, last].max() > 0  # a real step now
    qtbot.waitUntil(lambda: "occlusion" in tab.why.table.text(), timeout=WAIT_MS)
    assert "No gradient reaches token ids" in tab.why.caption.text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    qtbot.wait(300)
    assert tab.grab().save(str(SHOTS / "try-masked-recall.png"))


@pytest.mark.slow
def test_the_two_stream_model_takes_a_drawn_first_frame(qtbot, tmp_path):
    run, data = trained_run(tmp_path, EXAMPLES / "two_stream.netcanvas", 1)
    tab = open_tab(qtbot, run, data, SIZE)
    assert tab.task is not None, tab.note.text()
    assert "input frame1; frame2 from the picked test sample" in tab.source.text()
    qtbot.waitUntil(lambda: "flow" in tab.answer.text(), timeout=WAIT_MS)
    tab.use_sample(3)
    assert tab.task_index == 3 and "its other inputs are used as they are" in tab.note.text()
    expected = tab.task.answer(tab.task.raw_sample(3), 3)
    qtbot.waitUntil(lambda: tab.picture.pixmap().toImage() == _pixmap(expected).toImage(),
                    timeout=WAIT_MS)
    tab.clear()  # an empty first frame: the model answers it with sample 3's second frame
    blank = tab.task.answer(np.zeros_like(tab.task.raw_sample(3)), 3)
    qtbot.waitUntil(lambda: tab.picture.pixmap().toImage() == _pixmap(blank).toImage(),
                    timeout=WAIT_MS)
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.use_sample(3)
    qtbot.wait(300)
    assert tab.grab().save(str(SHOTS / "try-two-stream.png"))


def _shows(tab: TryTab, probs: np.ndarray) -> bool:
    shown = [p for _, p in tab.bars.shown]
    return len(shown) == len(probs) and np.allclose(shown, probs, atol=1e-6)


def _pixmap(picture):
    from netcanvas.app.training.image_grid import pixmap

    return pixmap(picture, 300)
