"""A resumed run continues its own curves and its own clock (issue 21, friction): one series
"run 1", not a second "run 1 (resumed)" that says it finished in a second."""

from __future__ import annotations

from types import SimpleNamespace

from test_training_dock import window  # noqa: F401  fixture


def test_a_resumed_run_continues_its_curves_and_clock(window):  # noqa: F811
    tab = window.training_dock.run_tab
    history = [{"epoch": e, "seconds": 40.0, "val_loss": 1.0 / e} for e in (1, 2)]
    tab.run_started("run 1")  # trained two epochs, then stopped
    tab.plots.set_history(history)
    tab.run_started("run 1", history)  # resumed
    assert [c.label for c in tab.plots.runs] == ["run 1"]
    assert tab.plots.current.buffers["val_loss"].size == 2
    tab.started(SimpleNamespace(epochs=3, steps_per_epoch=5, device="cpu", num_params=10),
                "classification")
    tab.epoch_ended(SimpleNamespace(epoch=3, metrics={"val_loss": 0.2}))
    result = SimpleNamespace(failed=None, cancelled=False, test_metrics={"accuracy": 0.9},
                             best_epoch=3)
    tab.ended(result, SimpleNamespace(state="finished, 3 epochs", can_resume=False))
    assert tab.plots.current.buffers["val_loss"].size == 3
    assert tab.progress.format().startswith("finished in 1:2")  # 80 s before, a moment now
