"""Per-Output curves: a project with several Output nodes plots each one's loss (train solid,
validation dashed) beside the total, and each one's validation metric, named by its node."""

import itertools
import os
from pathlib import Path

import pytest
from netcanvas.app.files import examples
from netcanvas.app.training.plots import LivePlotsPanel, output_curve
from netcanvas.backend.project_io import load_project
from test_training_dock import open_project, run_to_end, window  # noqa: F401 (fixture)

SHOTS = Path(os.environ.get("NETCANVAS_SHOTS", "/tmp/netcanvas-shots"))


@pytest.mark.parametrize("key, curve", [
    ("train_box_loss", ("epoch_loss", "marked", "box")),
    ("val_my_head_loss", ("epoch_loss", "dashed", "my_head")),
    ("val_box_iou", ("epoch_score", "dashed", "box IoU")),
    ("val_mask_mean_iou", ("epoch_score", "dashed", "mask mean IoU")),
    ("val_epe", ("epoch_score", "dashed", "EPE")),
    ("val_clean_psnr", ("epoch_score", "dashed", "clean PSNR")),
    ("train_loss", None), ("val_loss", None), ("val_accuracy", None), ("val_top5", None),
    ("lr", None), ("val_mse", None),
])
def test_which_metrics_get_a_curve_of_their_own(key, curve):
    assert output_curve(key) == curve


def test_a_run_without_output_metrics_keeps_its_task_title(qtbot):
    panel = LivePlotsPanel()
    qtbot.addWidget(panel)
    panel.begin_run()
    panel.add_epoch(1, {"train_loss": 1.0, "val_loss": 1.1, "val_accuracy": 0.5})
    assert panel.charts["epoch_score"].titleLabel.text.startswith("Accuracy")
    assert not panel.current.labels
    panel.begin_run()
    panel.add_epoch(1, {"train_loss": 1.0, "train_a_loss": 0.4, "train_b_loss": 0.6,
                        "val_b_box_iou": 0.3})
    assert "each Output" in panel.charts["epoch_score"].titleLabel.text
    assert {k: v.textItem.toPlainText() for k, v in panel.current.labels.items()} == {
        "train_a_loss": "a", "train_b_loss": "b", "train_loss": "total",
        "val_b_box_iou": "b box IoU"}


@pytest.mark.gui
def test_a_localisation_run_plots_each_outputs_loss_and_metric(qtbot, window):
    project = load_project(next(p for p in examples() if p.stem == "localisation"))
    project.training.epochs = 2
    project.dataset.options = {}  # one copy of each digit: a short run
    weights = {n.name: n.params["weight"] for n in project.graph.nodes.values()
               if n.type_id == "output"}
    assert set(weights) == {"digit", "box"} and weights["box"] != 1.0
    open_project(window, project)
    dock = window.training_dock
    dock.tabs.setCurrentWidget(dock.run_tab)
    result = run_to_end(qtbot, dock)
    assert result.failed is None, result.failed
    plots = dock.run_tab.plots
    plots.flush(force=True)
    run = plots.current
    for key in ("train_digit_loss", "train_box_loss", "val_digit_loss", "val_box_loss",
                "val_box_iou", "train_loss", "val_loss", "val_accuracy"):
        assert run.buffers[key].size == 2, key
        assert len(run.items[key].xData) == 2 and run.items[key].isVisible(), key
    for epoch, metrics in enumerate(result.history):  # the curves are the run's numbers
        for key in ("train_digit_loss", "train_box_loss", "val_box_iou"):
            assert run.buffers[key].y[epoch] == pytest.approx(metrics[key])
        # the total is the weighted sum of the Outputs' own losses
        assert metrics["val_loss"] == pytest.approx(
            sum(w * metrics[f"val_{name}_loss"] for name, w in weights.items()), rel=1e-5)
    assert run.chart_of["val_box_iou"] == "epoch_score"
    assert {k: label.textItem.toPlainText() for k, label in run.labels.items()} == {
        "train_digit_loss": "digit", "train_box_loss": "box", "train_loss": "total",
        "val_box_iou": "box IoU", "val_accuracy": "digit accuracy"}
    for chart in ("epoch_loss", "epoch_score"):  # each name beside its curve's last point,
        names = sorted((label.pos().y(), run.buffers[key].y[-1])  # none over another
                       for key, label in run.labels.items() if run.chart_of[key] == chart)
        (_x, _x1), (y0, y1) = plots.charts[chart].vb.viewRange()
        for (y, _end), (above, _above_end) in itertools.pairwise(names):
            assert above - y >= (y1 - y0) * 14 / plots.charts[chart].vb.height() - 1e-9
        assert all(abs(y - end) < (y1 - y0) / 3 and y0 <= y <= y1 for y, end in names)
    assert all(label.pos().x() == pytest.approx(2.05) and label.isVisible()
               for label in run.labels.values())
    assert "each Output" in plots.charts["epoch_score"].titleLabel.text
    SHOTS.mkdir(parents=True, exist_ok=True)
    dock.resize(1000, 640)
    qtbot.wait(200)
    assert plots.grab().save(str(SHOTS / "localisation-curves.png"))
