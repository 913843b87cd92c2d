"""Live plot panel: growing buffers, one colour per run on every chart, hiding runs."""

import numpy as np
import pytest
from netcanvas.app.training.buffers import EmaBuffer, GrowingBuffer
from netcanvas.app.training.plots import CURVES, MAX_RUNS, LivePlotsPanel


def test_buffer_grows_by_doubling_and_keeps_every_point():
    buf = GrowingBuffer(capacity=4)
    for start in range(0, 1000, 7):
        xs = np.arange(start, start + 7)
        buf.extend(xs, xs * 2.0)
    assert buf.size == len(range(0, 1000, 7)) * 7
    assert np.array_equal(buf.x, np.arange(buf.size))
    assert np.array_equal(buf.y, buf.x * 2)
    assert buf._data.shape[1] < 2 * buf.size + 8  # doubled, not re-allocated per append
    assert buf.value_at(10.4) == (10.0, 20.0)
    assert buf.value_at(1e9) == (buf.size - 1, 2.0 * (buf.size - 1))


def test_ema_is_debiased_and_skips_nan():
    ema = EmaBuffer(smoothing=0.9)
    ema.extend([1, 2, 3], [5.0, 5.0, float("nan")])
    assert ema.y[0] == pytest.approx(5.0)  # no pull towards zero at the start
    assert ema.y[1] == pytest.approx(5.0)
    assert np.isnan(ema.y[2])


def test_runs_overlay_with_one_colour_each_and_can_be_hidden(qtbot):
    panel = LivePlotsPanel()
    qtbot.addWidget(panel)
    panel.show()
    for run in range(MAX_RUNS + 1):
        panel.begin_run()
        panel.add_steps([1, 2, 3], [1.0, 0.8, 0.7], [0.1, 0.1, 0.1])
        panel.add_epoch(1, {"train_loss": 0.8, "val_loss": 0.9, "train_accuracy": 0.5,
                            "val_accuracy": 0.4})
    panel.flush()
    assert len(panel.runs) == MAX_RUNS == panel.run_list.count()  # the oldest run dropped
    colours = {run.colour for run in panel.runs}
    assert len(colours) == MAX_RUNS
    for run in panel.runs:
        for name, item in run.items.items():
            assert item.opts["pen"].color().name() == run.colour, name
            if name != "val_r2":  # a regression's score: these runs classify
                assert len(item.xData) == run.buffers[name].size > 0
    first = panel.run_list.item(0)
    first.setCheckState(first.checkState().Unchecked)
    assert not any(item.isVisible() for item in panel.runs[0].items.values())
    assert all(item.isVisible() for item in panel.runs[1].items.values())
    assert set(CURVES) == set(panel.runs[0].items)


def test_only_dirty_curves_are_redrawn(qtbot):
    panel = LivePlotsPanel()
    qtbot.addWidget(panel)
    run = panel.begin_run()
    panel.add_steps(np.arange(1, 1001), np.linspace(2, 0.1, 1000), np.full(1000, 1e-3))
    assert run.dirty == {"raw", "ema", "lr"}
    panel.flush()
    assert run.dirty  # hidden: nothing is drawn, the data waits
    with qtbot.waitSignal(panel.redrawn):
        panel.show()
    assert not run.dirty
    assert len(run.items["raw"].xData) == 1000


def test_a_regression_run_plots_validation_r2_and_hides_other_tasks_scores(qtbot):
    panel = LivePlotsPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.begin_run()
    panel.set_task("classification")
    panel.add_epoch(1, {"train_loss": 0.8, "val_loss": 0.9, "train_accuracy": 0.5,
                        "val_accuracy": 0.4})
    classifier = panel.current
    panel.begin_run()
    panel.set_task("regression")
    for epoch, r2 in enumerate((-30.0, 0.2, 0.9), 1):
        panel.add_epoch(epoch, {"train_loss": 1.0, "val_loss": 1.1, "val_mse": 1.1,
                                "val_r2": r2})
    panel.flush(force=True)
    chart = panel.charts["epoch_score"]
    assert chart.getAxis("left").labelText == "R²"
    assert list(panel.current.items["val_r2"].yData) == [-30.0, 0.2, 0.9]
    assert panel.current.items["val_r2"].isVisible()
    assert not classifier.items["val_accuracy"].isVisible()  # accuracy is not on an R² axis
    assert classifier.items["val_loss"].isVisible()  # losses still overlay
    (_x0, _x1), (y0, y1) = chart.vb.viewRange()
    assert -1.2 < y0 < -0.9 and 0.9 < y1 < 1.1  # an early R² of -30 does not flatten the rest
    panel.begin_run()
    panel.set_task("classification")
    assert chart.getAxis("left").labelText == "accuracy"
    assert classifier.items["val_accuracy"].isVisible()


def test_the_r2_axis_reads_r2_after_an_accuracy_chart(qtbot):
    """Ticks are the data's own numbers: R² 0.5 reads 0.5, not "500" (an SI scale computed
    from the accuracy chart's range lingered when the chart switched to R²)."""
    panel = LivePlotsPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.begin_run()
    panel.set_task("classification")
    for epoch, acc in enumerate([0.84, 0.93, 0.97], 1):
        panel.add_epoch(epoch, {"train_accuracy": acc, "val_accuracy": acc - 0.01})
    panel.flush(force=True)
    panel.begin_run()
    panel.set_task("regression")
    for epoch, r2 in enumerate([-1.3, 0.72, 0.89], 1):
        panel.add_epoch(epoch, {"val_r2": r2})
    panel.flush(force=True)
    axis = panel.charts["epoch_score"].getAxis("left")
    lo, hi = panel.charts["epoch_score"].vb.viewRange()[1]
    assert -1.2 < lo < -1.0 and 0.89 < hi < 1.2  # the data (early R² below -1 clipped)
    labels = [float(text.replace("−", "-")) for spacing, values in axis.tickValues(lo, hi, 200)
              for text in axis.tickStrings(values, axis.autoSIPrefixScale * axis.scale, spacing)]
    assert labels and all(lo <= v <= hi for v in labels)
