"""What the Look inside pages share."""

from __future__ import annotations

import copy
import dataclasses

from PySide6.QtWidgets import QWidget


def own_samples(run, dataset=None):
    """(predictor with its own model, raw test samples, labels) of a run (on a Worker):
    what a page that puts hooks on the model and runs the test set needs."""
    from netcanvas.backend.insight.predict import from_run

    predictor = own_copy(from_run(run))
    x, y = predictor.test_samples(dataset)
    return predictor, x, y


def one_at_a_time(page, note, after=lambda: None):
    """The page's `Latest`: one computation at a time (the hooks of Grad-CAM and the
    embeddings sit on the page's one model, so a second would see the first's passes); a
    request made meanwhile waits, the newest replacing an older waiting one. Each request's
    context is what to call with its result; a failure is said in the `note` label; `after`
    runs once either is handled."""
    from netcanvas.app.workers import Latest, error_line

    def done(handle, result) -> None:
        handle(result)
        after()

    def failed(_handle, exc: Exception) -> None:
        note.setText(error_line(exc))
        after()

    return Latest(page, done, failed)


class RunPage(QWidget):
    """A Look inside page of the shown run. `set_run` clears the page (`cleared`), then
    prepares the run on the page's `_work` (`prepare(run, dataset)`, on a Worker) and hands
    the result to `prepared_run` once ready, unless another run was set meanwhile. The page
    has a `note` label and a `node` chooser."""

    NO_RUN = ""  # what the note says without a run

    def __init__(self, prepare, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._prepare = prepare
        self.run = self.prepared = None
        self._generation = 0  # how many times a run was set: older answers are dropped

    def set_run(self, run, dataset=None) -> None:
        self.run, self.prepared = run, None
        self._generation += 1
        self.cleared()
        if run is None:
            self.note.setText(self.NO_RUN)
            return
        self.ask(self._prepare, run, dataset, then=self._run_prepared)

    def _run_prepared(self, result) -> None:
        self.prepared = result
        self.prepared_run(result)

    def ask(self, work, *args, then) -> None:
        """Compute `work(*args)` on the page's `_work`; `then(result)` on the GUI thread,
        unless a run was set since (the answer is about what the page no longer shows)."""
        asked = self._generation

        def answer(result) -> None:
            if asked == self._generation:
                then(result)

        self._work.request(work, *args, context=answer)

    def select_node(self, name: str) -> bool:
        return pick(self.node, name)


def pick(chooser, name: str) -> bool:
    """The canvas's selection picks a page's node (in its `chooser` combo box) when the page
    offers it; True when it does."""
    index = chooser.findText(name)
    if index >= 0:
        chooser.setCurrentIndex(index)
    return index >= 0


def own_copy(predictor):
    """The predictor with a private copy of its model: a run caches one model for every tab,
    and the hooks Grad-CAM and the embeddings put on it must not see another tab's passes."""
    return dataclasses.replace(predictor, model=copy.deepcopy(predictor.model))
