"""The Experiments tab: the open project's runs as sortable rows; selected rows overlay their
validation curves."""

from PySide6.QtCore import Qt

from tests.gui.test_training_dock import mlp_project, open_project, run_to_end, window  # noqa: F401


def test_two_runs_are_two_rows_and_selecting_both_draws_two_curves(qtbot, window):
    doc = open_project(window, mlp_project(epochs=2))
    dock = window.training_dock
    tab = dock.experiments_tab
    assert tab.table.rowCount() == 0
    run_to_end(qtbot, dock)
    doc.project.training.lr = 0.05  # the second run differs in its learning rate
    doc.project.training.epochs = 3
    run_to_end(qtbot, dock)
    table = tab.table
    assert table.rowCount() == 2
    header = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    rows = {table.item(r, 0).text(): [table.item(r, c).text() for c in range(len(header))]
            for r in range(2)}
    assert rows["1"][header.index("Epochs")] == "2/2"
    assert rows["2"][header.index("Epochs")] == "3/3"
    assert rows["2"][header.index("LR")] == "0.05"
    assert rows["1"][header.index("Optimizer")] == doc.project.training.optimizer
    assert rows["1"][header.index("State")].startswith("finished")
    assert rows["1"][header.index("Best val")].startswith("val accuracy ")
    # sorting by run number, descending, puts run 2 first
    table.sortItems(0, Qt.SortOrder.DescendingOrder)
    assert table.item(0, 0).text() == "2"
    assert tab.curves == {}
    table.selectAll()
    assert sorted(tab.curves) == [1, 2]
    assert len(tab.curves[1].getData()[0]) == 2 and len(tab.curves[2].getData()[0]) == 3
    history = dock.store.runs[1].history
    best = max(h["val_accuracy"] for h in history)
    epoch = next(i + 1 for i, h in enumerate(history) if h["val_accuracy"] == best)
    assert rows["2"][header.index("Best val")] == f"val accuracy {best:.4g} (epoch {epoch})"
    dock.tabs.setCurrentWidget(tab)
    tab.grab().save("/tmp/experiments.png")
    table.selectRow(table.rowCount() - 1)  # run 1 alone
    assert sorted(tab.curves) == [1]
