"""Linear regression in the app: the learned w, b beside the closed-form optimum, computed by
the same backend function `netcanvas train` prints with."""

from __future__ import annotations

from netcanvas.backend.data import load_dataset
from netcanvas.backend.training.closed_form import compare_model
from test_training_dock import mlp_project, open_project, run_to_end, train_example, window  # noqa: F401


def test_a_linear_regression_run_shows_w_and_b_beside_the_closed_form(qtbot, window):
    project, result = train_example(qtbot, window, "linear_regression", epochs=12)
    dock = window.training_dock
    assert result.failed is None
    table = dock.eval_tab.closed_form_table
    assert table.isVisibleTo(dock.eval_tab)
    text = table.text()
    assert "w* = (XᵀX)⁻¹XᵀY" in text
    rows = compare_model(result.model, load_dataset(project.dataset))
    assert [r[0] for r in rows] == ["b", "w[0]"]
    for name, trained, best, diff in rows:
        assert f"{trained:.6f}" in text and f"{best:.6f}" in text
        assert abs(diff) < 0.05  # trained close to the optimum
    open_project(window, mlp_project(epochs=1))
    assert run_to_end(qtbot, dock).failed is None
    assert not table.isVisibleTo(dock.eval_tab)  # not a linear regression: no table
