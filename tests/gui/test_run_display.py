"""What a run changes on screen (issue 21, friction): a resumed run continues its own curves
and clock (one series "run 1", not "run 1 (resumed)" finished in a second); the canvas
frames the graph again when the training dock grows."""

from __future__ import annotations

from types import SimpleNamespace

from test_training_dock import window  # noqa: F401  fixture


def test_a_resumed_run_continues_its_curves_and_clock(window):
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


def test_the_canvas_frames_again_when_a_run_opens_the_training_dock(window, qtbot):
    from test_training_dock import RUN_TIMEOUT_MS, mlp_project, open_project

    open_project(window, mlp_project(epochs=1))
    window.resize(1200, 700)
    window.show()
    qtbot.waitExposed(window)
    window.frame_all()
    with qtbot.waitSignal(window.training_dock.run_ended, timeout=RUN_TIMEOUT_MS):
        window.training_dock.train_action.trigger()
    view = window.view  # the dock took room from the canvas: every card is still in sight
    qtbot.waitUntil(lambda: view.mapToScene(view.viewport().rect()).boundingRect().contains(
        window.scene.nodes_rect()))
