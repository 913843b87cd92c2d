"""What the Look inside pages share."""

from __future__ import annotations

import copy
import dataclasses


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


def own_copy(predictor):
    """The predictor with a private copy of its model: a run caches one model for every tab,
    and the hooks Grad-CAM and the embeddings put on it must not see another tab's passes."""
    return dataclasses.replace(predictor, model=copy.deepcopy(predictor.model))
